"""A damaged database: how it is found, and putting the newest backup in its place.

``check`` runs ``PRAGMA quick_check`` (a few hundred milliseconds on a large database,
so only after a session that ended uncleanly). ``backup_if_due`` copies the database into
``backups/`` when the newest backup there is a day old or more (the window calls it at
start, off its thread), so a damaged database has a recent backup to offer.
``restore_backup`` never deletes: the damaged file (and its WAL) is renamed beside it,
then the backup is copied into place with SQLite's backup API; the backup stays.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.store.faults import StorageFault
from reviewer_app.store.migrate import backup_sqlite

BACKUP_EVERY = timedelta(days=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: datetime

    def describe(self) -> str:
        return f"{self.path.name}, from {self.taken.astimezone().strftime('%Y-%m-%d %H:%M')}"


def newest_backup(db_path: Path, backup_dir: Path) -> Backup | None:
    found = [p for p in backup_dir.glob(f"{db_path.stem}-*{db_path.suffix}") if p.is_file()]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    return Backup(newest, datetime.fromtimestamp(newest.stat().st_mtime, UTC))


def backup_if_due(db_path: Path, backup_dir: Path, revision: str) -> Path | None:
    """A backup of the database when the newest one is older than :data:`BACKUP_EVERY`."""
    newest = newest_backup(db_path, backup_dir)
    if newest is not None and datetime.now(UTC) - newest.taken < BACKUP_EVERY:
        return None
    return backup_sqlite(db_path, backup_dir, revision)


class StoreDamaged(StorageFault):
    """The database file is damaged; ``backup`` is the newest backup, if there is one."""

    def __init__(self, db_path: Path, backup: Backup | None, problem: str, details: str = "") -> None:
        if backup is not None:
            then = (f"The newest backup is {backup.describe()}: restore it with "
                    "'reviewer-app restore-backup' (or the window's Restore Backup); the "
                    "damaged file is kept beside it, and changes made after the backup "
                    "are not in it.")
        else:
            then = ("There is no backup of it in the backups folder; keep a copy of the file "
                    "and ask for help before changing it.")
        super().__init__("damaged", f"The database {db_path} is damaged ({problem}). {then}",
                         "the database is damaged", details)
        self.db_path, self.backup = db_path, backup


def check(engine: Engine) -> list[str]:
    """The problems ``PRAGMA quick_check`` finds (empty: none)."""
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    return [] if rows == ["ok"] else rows


def restore_backup(db_path: Path, backup: Path) -> Path:
    """Put ``backup`` in place of the database; returns where the old file was kept."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{db_path}{suffix}")
        if part.exists():
            part.rename(Path(f"{kept}{suffix}"))
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(db_path)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.warning("restored %s from %s; the damaged file is kept as %s", db_path, backup, kept)
    return kept
