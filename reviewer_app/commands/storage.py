"""The data folder's write lock for commands, opening the folder (``open_context``),
and ``reviewer-app restore-backup``.

Every command but those that only read takes the write lock (``store/owner.py``) before
it runs. ``restore-backup`` puts a backup in place of a damaged database; it asks first
(or takes ``--yes``) and never deletes: the damaged file and its WAL are renamed beside
the database, and the backup is copied into place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewer_app.config import AppPaths

# Commands that only read: they take no write lock (they work while the window is open)
# and open the database read-only (so they work on a full disk too).
READERS = {"cmd_list", "cmd_show", "cmd_export", "cmd_diagnose", "cmd_gui", "cmd_open",
           "cmd_issuer_list", "cmd_issuer_outbox", "cmd_issuer_ob3", "cmd_issuer_serve",
           "cmd_audit_verify", "cmd_audit_log", "cmd_decisions_export", "cmd_letters",
           "cmd_disputes", "cmd_disputes_show", "cmd_calibration_list",
           "cmd_calibration_agreement", "cmd_calibration_result", "cmd_calibration_export",
           "cmd_stats"}
OPENING = {"read_only": False, "check": False}


def claim_folder(func_name: str, command: str | None, paths: AppPaths):  # noqa: ANN201 - WriterLock | None
    """Before a command runs: a writing command takes the data folder's write lock (refused,
    naming the holder, while another process has it); a reading one opens read-only."""
    OPENING.update(read_only=func_name in READERS, check=False)
    if func_name in READERS or paths.sqlite_path is None:  # (a server database locks itself)
        return None
    from reviewer_app.store.owner import WriterLock

    lock = WriterLock(paths.data_dir).acquire(f"the command 'reviewer-app {command}'")
    OPENING["check"] = lock.unclean  # the last session ended uncleanly: check the database
    return lock


def open_context(paths: AppPaths):  # noqa: ANN201 - AppContext, imported late to keep --help fast
    """The app's data, opened as the command's claim on the folder allows (``claim_folder``).
    The command's modules are loaded by now: if ``cli.run`` started it with the garbage
    collector off, it is turned back on, what start-up made set aside (``gc.freeze``)."""
    import gc

    from reviewer_app.store.context import AppContext

    if not gc.isenabled():
        gc.freeze()
        gc.enable()

    return AppContext.open(paths, **OPENING)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore-backup", help="put the newest backup (or FILE) in place of a "
                                              "damaged database; the damaged file is kept")
    p.add_argument("--from", dest="backup", type=Path, metavar="FILE",
                   help="this backup (default: the newest in the backups folder)")
    p.add_argument("--yes", action="store_true", help="do not ask first")
    p.set_defaults(func=cmd_restore_backup)


def cmd_restore_backup(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.errors import UserError
    from reviewer_app.store.restore import newest_backup, restore_backup

    db = paths.sqlite_path
    if db is None:
        raise UserError("Only an SQLite database in the data folder has backups to restore.")
    backup = args.backup or (found.path if (found := newest_backup(db, paths.backup_dir)) else None)
    if backup is None or not backup.is_file():
        raise UserError(f"There is no backup to restore in {paths.backup_dir}.")
    print(f"This puts the backup {backup.name} in place of {db}; the current file is kept "
          "beside it, and changes made after the backup are not in the backup.")
    if not args.yes:
        answer = input("Restore it? [y/N] ") if sys.stdin.isatty() else ""
        if answer.strip().lower() not in ("y", "yes"):
            raise UserError("Nothing was changed (answer y to restore, or pass --yes).")
    kept = restore_backup(db, backup)
    print(f"Restored {db} from {backup.name}; the damaged file is kept as {kept.name}.")
    return 0
