"""``reviewer-app``: the command line. With no command it opens the window.

Refusals are one line on stderr and exit status 2; an unexpected failure is logged with
its traceback and reported in one line that says where the log is (exit status 1).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import reviewer_app
from reviewer_app.commands.storage import claim_folder, open_context
from reviewer_app.config import AppPaths, resolve_paths
from reviewer_app.domain.model import SubmissionStatus
from reviewer_app.errors import UserError
from reviewer_app.logs import setup_logging

log = logging.getLogger("reviewer_app.cli")

EXIT_OK, EXIT_BUG, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Version(argparse.Action):
    """``--version``, looking the version up only when asked (``reviewer_app.__version__``)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        print(f"reviewer-app {reviewer_app.__version__}")
        parser.exit()


BASICS = ("import", "list", "show", "export", "demo", "open", "sync", "gui")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command`` (one of ``BASICS`` or a command of
    ``reviewer_app.commands``), only the subcommands needed to parse it, so starting one
    command does not import every other command's module."""
    parser = argparse.ArgumentParser(
        prog="reviewer-app",
        description="Review micro-credential evidence offline. With no command, opens the window.")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show program's version number and exit")
    parser.add_argument("--diagnose", action="store_true",
                        help="print versions (Qt, libvlc, MuPDF), the data folder, the database "
                             "and its schema revision, and whether a keyring is available")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the database, evidence and logs live "
                             "(default: $REVIEWER_APP_DATA or the platform's user data folder)")
    parser.add_argument("--database-url", metavar="URL",
                        help="use this database instead of SQLite in the data folder, e.g. "
                             "postgresql+psycopg://user@host/reviewer "
                             "(default: $REVIEWER_APP_DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import submission packages (.zip files or folders)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("list", help="list submission attempts")
    p.add_argument("--credential", metavar="ID", help="only this credential")
    p.add_argument("--status", choices=[s.value for s in SubmissionStatus], help="only this status")
    p.add_argument("--search", default="", help="text in the submission id or credential title")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one submission attempt")
    p.add_argument("id", metavar="ID", help="a submission id from 'list'")
    p.add_argument("--attempt", type=int, help="which attempt (default: the latest)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("export", help="export reviews and decisions")
    p.add_argument("--format", choices=["csv", "json"], required=True, dest="fmt")
    p.add_argument("--out", type=Path, required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo", help="load demo submissions (real video, PDF, photo, audio)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("open", help="open the workspace on a submission id, or import a "
                                    "package (.zip or folder) and open it")
    p.add_argument("target", metavar="ID|PACKAGE")
    p.add_argument("--attempt", type=int, help="which attempt (default: the latest)")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("sync", help="send submitted decisions to the issuer, then download the "
                                    "submissions assigned to you")
    p.add_argument("--profile", metavar="NAME", help="issuer profile (default: the default one)")
    p.add_argument("--no-pull", action="store_true", help="only send decisions")
    p.set_defaults(func=cmd_sync)

    from reviewer_app import commands

    if command is not None and commands.module_of(command) is not None:
        commands.add_for(sub, command)
    elif command not in BASICS:  # --help, no command, or one to refuse with the full list
        commands.add_all(sub)

    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=cmd_gui)
    return parser


def command_word(argv: Sequence[str] | None) -> str | None:
    """The command a command line names, if it names one, found as ``build_parser``'s
    parser finds it (global options first)."""
    pre = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre.add_argument("--data-dir")
    pre.add_argument("--database-url")
    pre.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        known, _ = pre.parse_known_args(argv)
    except argparse.ArgumentError:
        return None  # the full parser says what is wrong
    return known.rest[0] if known.rest and not known.rest[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(command_word(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, AppPaths], int] = getattr(args, "func", cmd_gui)
    if args.diagnose:
        func = cmd_diagnose
    try:
        paths = resolve_paths(args.data_dir, args.database_url)
        setup_logging(paths.log_file)
    except OSError as exc:
        print(f"error: cannot use the data folder: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    log.info("reviewer-app: %s", args.command or "gui")  # (the version: with an error, below)
    lock = None
    if func not in STARTUP_WITHOUT_GC:
        gc.enable()
    try:
        lock = claim_folder(func.__name__, args.command, paths)
        return func(args, paths)
    except UserError as exc:
        log.info("refused: %s", exc.message)
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``reviewer-app list | head``): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        from reviewer_app.store.context import storage_fault

        if (fault := storage_fault(paths, exc)) is not None:  # damaged, full, read-only, ...
            log.error("%s: %s", fault.message, fault.details)
            print(f"error: {fault.message}", file=sys.stderr)
            return fault.exit_status
        log.exception("unexpected error in %s (reviewer-app %s)", args.command,
                      reviewer_app.__version__)
        print(f"error: something unexpected went wrong; the details are in {paths.log_file}",
              file=sys.stderr)
        return EXIT_BUG
    finally:
        if lock is not None:
            lock.release()


def run() -> int:
    """``main`` for a process that ends when it returns (``reviewer-app``, ``python -m
    reviewer_app``): the interpreter's last garbage collection, which sweeps every object the
    start-up made (about 0.1 s of a short command's 0.5 s), is skipped, since the process's
    memory goes back to the system at once anyway. Exit handlers (logging's flush) still run.
    And the collector waits while the modules load (``STARTUP_WITHOUT_GC``)."""
    gc.disable()  # see STARTUP_WITHOUT_GC
    status = main()
    gc.freeze()
    return status


# -- commands --------------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.errors import PackageError
    from reviewer_app.services.imports import import_package

    status = EXIT_OK
    with open_context(paths) as ctx:
        for path in args.paths:
            with TerminalProgress() as job:  # counts bytes: the job says "Importing ..."
                try:
                    outcome = import_package(ctx, path, job)
                except PackageError as exc:
                    job.close_bar()
                    print(f"error: {exc.message}", file=sys.stderr)
                    if exc.details:
                        print(f"  details: {exc.details}", file=sys.stderr)
                    status = EXIT_REFUSED
                    continue
                except KeyboardInterrupt:
                    job.close_bar()
                    print(f"Import cancelled: nothing from {path.name} was stored.", file=sys.stderr)
                    return EXIT_INTERRUPTED
            print(outcome.describe())
    return status


def cmd_list(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.services.submissions import QueueQuery, iter_submissions

    query = QueueQuery(search=args.search, credential_key=args.credential,
                       status=SubmissionStatus(args.status) if args.status else None)
    with open_context(paths) as ctx:
        header = ("ID", "CREDENTIAL", "ATTEMPT", "STATUS", "EVIDENCE")
        rows = [(r.key, f"{r.credential_title} (v{r.credential_version})", str(r.attempt),
                 r.status.value, str(r.evidence_count)) for r in iter_submissions(ctx, query)]
    if not rows:
        print("No submissions. Import a package with 'reviewer-app import PATH', "
              "or load the demo with 'reviewer-app demo'.")
        return EXIT_OK
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for line in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    return EXIT_OK


def cmd_show(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.services.policies import BLIND_CANDIDATE
    from reviewer_app.services.submissions import get_submission

    with open_context(paths) as ctx:
        # The service withholds the candidate from a reviewer while blind review is on.
        d = get_submission(ctx, args.id, args.attempt, reveal_candidate=True)
    c = d.candidate
    candidate = (f"{BLIND_CANDIDATE}: withheld from reviewers while blind review is on"
                 if c.key == BLIND_CANDIDATE else
                 f"{c.key} (a pseudonym: no name is held in this database)"
                 if c.display_name is None and c.recipient is None else
                 f"{c.display_name or '(no name given)'} ({c.key}"
                 + (f", {c.recipient.type} {c.recipient.identity}" if c.recipient else "") + ")")
    out = [
        f"Submission {d.key}, attempt {d.attempt} of {len(d.attempts)} "
        f"(attempts held: {', '.join(map(str, d.attempts))})",
        f"Credential:  {d.credential.title} ({d.credential.key}, version {d.credential.version})",
        f"Candidate:   {candidate}",
        f"Submitted:   {d.submitted_at.isoformat()}",
        f"Imported:    {d.imported_at.isoformat(timespec='seconds')}",
        f"Status:      {d.status.value}",
        "",
        f"Rubric: {d.rubric.title} ({d.rubric.key}, version {d.rubric.version})",
    ]
    for c in d.rubric.criteria:
        need = c.level(c.required_level)
        out.append(f"  - {c.key}: {c.title} (required: {c.required_level}"
                   f"{' ' + need.label if need else ''})")
        for lv in c.levels:
            out.append(f"      {lv.value} {lv.label}{': ' + lv.descriptor if lv.descriptor else ''}")
    out.append("")
    out.append(f"Evidence ({len(d.evidence)}):")
    for e in d.evidence:
        crit = f"  criteria: {', '.join(e.criteria)}" if e.criteria else ""
        out.append(f"  - {e.key} [{e.kind.value}] {e.title} ({_size(e.size)}, {e.path}, "
                   f"sha256 {e.sha256[:12]}){crit}")
    if d.reflections:
        out.append("")
        out.append("Written reflections:")
        for r in d.reflections:
            out.append(f"  Q: {r.prompt}")
            out.append(f"  A: {r.text}")
    print("\n".join(out))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.services.review_exports import export_reviews

    with open_context(paths) as ctx:
        summary = export_reviews(ctx, args.fmt, args.out)
    print(f"Exported {summary.reviews} reviews ({summary.rows} rows) to {summary.path}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.services.demo import load_demo

    with open_context(paths) as ctx:
        for line in load_demo(ctx):
            print(line)
    print("Run 'reviewer-app list' to see them, or 'reviewer-app' to open the window.")
    return EXIT_OK


def cmd_diagnose(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.diagnostics import collect

    print(collect(paths).text())
    return EXIT_OK


def _gui():  # noqa: ANN202 - the reviewer_app.gui.app module
    try:
        # Only here: every other command runs without PySide6 (pyproject.toml's contracts).
        from reviewer_app.gui import app

        return app
    except ImportError as exc:
        raise UserError("The window needs PySide6, which is not installed: "
                        "pip install 'reviewer-app[gui]'", details=str(exc)) from None


def cmd_gui(args: argparse.Namespace, paths: AppPaths) -> int:
    return int(_gui().run(paths))


def cmd_open(args: argparse.Namespace, paths: AppPaths) -> int:
    target = Path(args.target)
    if not target.exists():
        # Say "no such submission" here, before a window opens, like 'show' does.
        from reviewer_app.services.submissions import get_submission

        with open_context(paths) as ctx:
            get_submission(ctx, args.target, args.attempt)
    return int(_gui().run(paths, open_target=args.target, attempt=args.attempt))


def cmd_sync(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.services.sync import sync_now
    from reviewer_app.sync.engine import SyncSettings

    with open_context(paths) as ctx, TerminalProgress() as job:
        try:
            report = sync_now(ctx, args.profile, job, settings=SyncSettings(pull=not args.no_pull))
        except KeyboardInterrupt:
            job.close_bar()
            print("Sync interrupted: nothing is lost; decisions not confirmed stay queued.",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
    for label, reason in report.rejections:
        print(f"rejected: {label}: {reason}", file=sys.stderr)
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    for line in report.imported:
        print(f"downloaded: {line}")
    print(report.summary())
    return EXIT_OK if report.online and not report.problems else EXIT_REFUSED


#: Commands that load their modules and then open the data folder (``open_context``, which
#: turns the garbage collector back on): under ``run`` they load with the collector off,
#: as its passes over the ~70,000 objects that importing SQLAlchemy, the models and
#: pydantic makes (all kept until exit) cost about 0.05 s of a 0.5 s start. Every other
#: command runs with it on from the start.
STARTUP_WITHOUT_GC = frozenset({cmd_import, cmd_list, cmd_show, cmd_export, cmd_demo})


# -- helpers ---------------------------------------------------------------------------------

def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
