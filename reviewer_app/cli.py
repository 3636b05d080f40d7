"""``reviewer-app``: the command line. With no command it opens the window.

Refusals are one line on stderr and exit status 2; an unexpected failure is logged with
its traceback and reported in one line that says where the log is (exit status 1).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from reviewer_app import __version__
from reviewer_app.commands.issuer_profiles import add_profile_options, profile_settings
from reviewer_app.config import AppPaths, resolve_paths
from reviewer_app.domain.model import SubmissionStatus
from reviewer_app.errors import UserError
from reviewer_app.jobs import Job
from reviewer_app.logs import setup_logging

log = logging.getLogger("reviewer_app.cli")

EXIT_OK, EXIT_BUG, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewer-app",
        description="Review micro-credential evidence offline. With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"reviewer-app {__version__}")
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

    p = sub.add_parser("issuer", help="issuer profiles and sign-in: add, set, list, remove, login, "
                                      "logout; the outbox; signed Open Badges 3.0 (identity, ob3)")
    isub = p.add_subparsers(dest="issuer_command", metavar="ACTION", required=True)
    q = isub.add_parser("add", help="add an issuer profile")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--url", required=True, help="the issuer's address (https://...)")
    q.add_argument("--username", required=True, help="the user name you sign in with")
    q.add_argument("--kind", choices=["reference", "badgr"], default="reference",
                   help="reference: the issuer API (openapi.yaml); badgr: a Badgr v2 server")
    add_profile_options(q)
    q.set_defaults(func=cmd_issuer_add)
    q = isub.add_parser("set", help="change an issuer profile")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--url", help="the issuer's address")
    q.add_argument("--username", help="the user name you sign in with")
    add_profile_options(q)
    q.set_defaults(func=cmd_issuer_set)
    q = isub.add_parser("list", help="list issuer profiles")
    q.set_defaults(func=cmd_issuer_list)
    q = isub.add_parser("remove", help="remove an issuer profile and its tokens")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=cmd_issuer_remove)
    q = isub.add_parser("login", help="sign in (the password is asked, or read from "
                                      "$REVIEWER_APP_ISSUER_PASSWORD); tokens go to the keyring")
    q.add_argument("name", metavar="NAME", nargs="?", help="profile (default: the default one)")
    q.set_defaults(func=cmd_issuer_login)
    q = isub.add_parser("logout", help="sign out: the tokens are deleted from the keyring")
    q.add_argument("name", metavar="NAME", nargs="?", help="profile (default: the default one)")
    q.set_defaults(func=cmd_issuer_logout)
    q = isub.add_parser("outbox", help="list submitted decisions and their delivery state")
    q.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    q.set_defaults(func=cmd_issuer_outbox)
    q = isub.add_parser("retry", help="queue a rejected decision again (by submission id)")
    q.add_argument("id", metavar="ID", help="a submission id from 'issuer outbox'")
    q.add_argument("--attempt", type=int, help="which attempt (default: every rejected one)")
    q.set_defaults(func=cmd_issuer_retry)
    from reviewer_app.commands.badges import add_issuer_actions

    add_issuer_actions(isub)  # identity (the organisation that signs), ob3 (signed badges)

    p = sub.add_parser("issuer-serve", help="run the reference issuer (a local HTTP server for the "
                                            "demo and the tests)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free port)")
    # (Not "--data": argparse would take it for an abbreviation of --data-dir.)
    p.add_argument("--issuer-data", type=Path, metavar="DIR",
                   help="its own data folder (default: reference-issuer/ in the data folder)")
    p.add_argument("--faults", default="", metavar="SPEC",
                   help='inject faults, e.g. "error=0.05,drop=0.05,lose=0.05,expire=0.05,'
                        'latency=20ms,seed=7"')
    p.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                   help="add a user (repeatable; default when it has none: demo:demo)")
    p.add_argument("--package", action="append", default=[], type=Path, metavar="ZIP",
                   help="offer a submission package to the first user (repeatable)")
    p.add_argument("--demo", action="store_true", help="offer the demo packages to the first user")
    p.add_argument("--token-ttl", type=float, default=3600, metavar="SECONDS",
                   help="lifetime of access tokens (default 3600)")
    p.add_argument("--admin-key", metavar="KEY",
                   help="require this X-Admin-Key on /admin (default: /admin from this machine only)")
    p.set_defaults(func=cmd_issuer_serve)

    from reviewer_app.commands import add_all

    add_all(sub)

    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=cmd_gui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
    log.info("reviewer-app %s: %s", __version__, args.command or "gui")
    from reviewer_app.commands.storage import claim_folder

    lock = None
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
        from reviewer_app.services.context import storage_fault

        if (fault := storage_fault(paths, exc)) is not None:  # damaged, full, read-only, ...
            log.error("%s: %s", fault.message, fault.details)
            print(f"error: {fault.message}", file=sys.stderr)
            return fault.exit_status
        log.exception("unexpected error in %s", args.command)
        print(f"error: something unexpected went wrong; the details are in {paths.log_file}",
              file=sys.stderr)
        return EXIT_BUG
    finally:
        if lock is not None:
            lock.release()


def open_context(paths: AppPaths):  # noqa: ANN202 - AppContext, imported late to keep --help fast
    from reviewer_app.services.context import AppContext

    from reviewer_app.commands.storage import OPENING

    return AppContext.open(paths, **OPENING)


# -- commands --------------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.errors import PackageError
    from reviewer_app.services.imports import import_package

    status = EXIT_OK
    with open_context(paths) as ctx:
        for path in args.paths:
            with _progress_bar(path.name) as job:
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
    from reviewer_app.exports.reviews import export_reviews

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
        # Imported by name: the core must not depend on the GUI package (import-linter).
        return importlib.import_module("reviewer_app.gui.app")
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
    from reviewer_app.sync.engine import SyncSettings
    from reviewer_app.sync.service import sync_now
    from reviewer_app.sync.terminal import TerminalProgress

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


def cmd_issuer_add(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import add_profile

    with open_context(paths) as ctx:
        profile = add_profile(ctx, args.name, args.kind, args.url, args.username,
                              allow_http=bool(args.allow_http),
                              settings=profile_settings(args, args.kind), make_default=args.default)
    print(f"Added issuer profile {profile.name} ({profile.kind}, {profile.base_url})"
          f"{', the default' if profile.is_default else ''}. Sign in with: "
          f"reviewer-app issuer login {profile.name}")
    return EXIT_OK


def cmd_issuer_set(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import get_profile, update_profile

    with open_context(paths) as ctx:
        current = get_profile(ctx, args.name)
        settings = profile_settings(args, current.kind, current.settings)
        profile = update_profile(ctx, args.name, base_url=args.url, username=args.username,
                                 allow_http=args.allow_http, settings=settings,
                                 make_default=args.default)
    print(f"Updated issuer profile {profile.name} ({profile.kind}, {profile.base_url}).")
    return EXIT_OK


def cmd_issuer_list(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import list_profiles

    with open_context(paths) as ctx:
        rows = list_profiles(ctx)
    if not rows:
        print("No issuer profiles. Add one with 'reviewer-app issuer add NAME --url URL --username USER'.")
        return EXIT_OK
    for p in rows:
        last = p.last_sync_at.astimezone().strftime("%Y-%m-%d %H:%M") if p.last_sync_at else "never"
        print(f"{'*' if p.is_default else ' '} {p.name}  {p.kind}  {p.base_url}  {p.username}  "
              f"last sync: {last}")
    return EXIT_OK


def cmd_issuer_remove(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import remove_profile

    with open_context(paths) as ctx:
        remove_profile(ctx, args.name)
    print(f"Removed issuer profile {args.name} and its sign-in.")
    return EXIT_OK


def cmd_issuer_login(args: argparse.Namespace, paths: AppPaths) -> int:
    import getpass

    from reviewer_app.sync.secrets import default_store
    from reviewer_app.sync.service import get_profile, login

    with open_context(paths) as ctx:
        profile = get_profile(ctx, args.name)
        default_store().backend()  # no keyring: refuse before asking for a password
        password = os.environ.get("REVIEWER_APP_ISSUER_PASSWORD")
        if password is None:
            password = getpass.getpass(f"Password for {profile.username} at {profile.base_url}: ")
        login(ctx, profile.name, password)
    print(f"Signed in to {profile.name} as {profile.username}; the tokens are in the system keyring.")
    return EXIT_OK


def cmd_issuer_logout(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import logout

    with open_context(paths) as ctx:
        profile = logout(ctx, args.name)
    print(f"Signed out of {profile.name}; its tokens were deleted from the keyring.")
    return EXIT_OK


def cmd_issuer_outbox(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import outbox_entries

    with open_context(paths) as ctx:
        rows = outbox_entries(ctx, limit=args.limit)
    if not rows:
        print("The outbox is empty: no submitted decisions yet.")
        return EXIT_OK
    for e in rows:
        note = e.reason or (e.last_error if e.state in ("queued", "sending") else "") or ""
        print(f"{e.submission_key}  attempt {e.attempt}  {e.decision}  {e.state}"
              + (f" ({e.result})" if e.result and e.result != e.state else "")
              + (f"  {note}" if note else ""))
    return EXIT_OK


def cmd_issuer_retry(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.sync.service import outbox_entries, retry_entry

    with open_context(paths) as ctx:
        wanted = [e for e in outbox_entries(ctx) if e.submission_key == args.id
                  and e.state == "rejected" and args.attempt in (None, e.attempt)]
        if not wanted:
            raise UserError(f"No rejected decision for submission {args.id!r}"
                            + (f" attempt {args.attempt}" if args.attempt else "") + ".")
        for e in wanted:
            retry_entry(ctx, e.uid)
    print(f"Queued again: {len(wanted)} decision{'s' if len(wanted) != 1 else ''}; "
          "'reviewer-app sync' sends it.")
    return EXIT_OK


def cmd_issuer_serve(args: argparse.Namespace, paths: AppPaths) -> int:
    try:
        from reviewer_app.sync.reference_issuer.faults import FaultConfig
        from reviewer_app.sync.reference_issuer.server import IssuerConfig, IssuerServer
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("starlette", "uvicorn"):
            raise UserError("The reference issuer needs its web server, which is not installed: "
                            "pip install 'reviewer-app[issuer]'", details=str(exc)) from None
        raise

    try:
        faults = FaultConfig.parse(args.faults)
    except ValueError as exc:
        raise UserError(f"--faults: {exc}") from None
    users = []
    for item in args.user:
        name, sep, password = item.partition(":")
        if not sep or not name or not password:
            raise UserError(f"--user takes NAME:PASSWORD (got {item!r}).")
        users.append((name, password))
    data = args.issuer_data or paths.data_dir / "reference-issuer"
    first = users[0][0] if users else "demo"
    packages = [(p, first) for p in args.package]
    for p in args.package:
        if not p.is_file():
            raise UserError(f"--package: no such file {p}")
    if args.demo:
        import tempfile

        from reviewer_app.services.demo import build_demo_packages

        folder = Path(tempfile.mkdtemp(prefix="reviewer-demo-packages-"))
        packages += [(p, first) for p in build_demo_packages(folder)]
    config = IssuerConfig(data_dir=data, host=args.host, port=args.port, faults=faults, users=users,
                          packages=packages, access_ttl=args.token_ttl, admin_key=args.admin_key)
    try:
        server = IssuerServer(config)
    except OSError as exc:
        raise UserError(f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    if not server.store.has_users():
        server.store.add_user("demo", "demo")
        users = [("demo", "demo")]
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").addHandler(errors)
    print(f"Reference issuer listening on {server.url} (data in {data}"
          + (f"; user {users[0][0]}" if users else "")
          + (f"; faults {args.faults}" if args.faults else "") + "). Ctrl+C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl+C is how it is meant to stop
        pass
    print("Reference issuer stopped.", flush=True)
    return EXIT_OK

# -- helpers ---------------------------------------------------------------------------------

def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


class _BarJob(Job):
    """A Job whose progress draws a terminal bar (bytes, rate, ETA) when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self._label = label
        self._bar = None
        self._shown = 0
        self.progress = self._on_progress

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if self._bar is None:
            if not sys.stderr.isatty():
                return
            from tqdm import tqdm

            self._bar = tqdm(total=total or None, unit="B", unit_scale=True, unit_divisor=1024,
                             desc=self._label, leave=False, dynamic_ncols=True)
        self._bar.update(done - self._shown)
        self._shown = done

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> _BarJob:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_bar()


def _progress_bar(label: str) -> _BarJob:
    return _BarJob(label)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
