"""``reviewer-app issuer``: issuer profiles and sign-in (add, set, list, remove, login,
logout), the outbox of submitted decisions (outbox, retry), and ``reviewer-app
issuer-serve``, the reference issuer for the demo and the tests.

The options of ``issuer add`` and ``issuer set`` are in ``issuer_profiles``; the signed
Open Badges actions (``issuer identity``, ``issuer ob3``) in ``badges``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from reviewer_app.commands.badges import add_issuer_actions
from reviewer_app.commands.issuer_profiles import add_profile_options, profile_settings
from reviewer_app.config import AppPaths
from reviewer_app.errors import UserError

EXIT_OK = 0


def add_commands(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--issuer-name", default="Reviewer reference issuer", metavar="NAME",
                   help="the organisation named as the issuer of its Open Badges")
    p.add_argument("--public-url", metavar="URL",
                   help="its web address in the badges (default: the address it listens on)")
    p.set_defaults(func=cmd_issuer_serve)


def cmd_issuer_add(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import add_profile

    with open_context(paths) as ctx:
        profile = add_profile(ctx, args.name, args.kind, args.url, args.username,
                              allow_http=bool(args.allow_http),
                              settings=profile_settings(args, args.kind), make_default=args.default)
    print(f"Added issuer profile {profile.name} ({profile.kind}, {profile.base_url})"
          f"{', the default' if profile.is_default else ''}. Sign in with: "
          f"reviewer-app issuer login {profile.name}")
    return EXIT_OK


def cmd_issuer_set(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import get_profile, update_profile

    with open_context(paths) as ctx:
        current = get_profile(ctx, args.name)
        settings = profile_settings(args, current.kind, current.settings)
        profile = update_profile(ctx, args.name, base_url=args.url, username=args.username,
                                 allow_http=args.allow_http, settings=settings,
                                 make_default=args.default)
    print(f"Updated issuer profile {profile.name} ({profile.kind}, {profile.base_url}).")
    return EXIT_OK


def cmd_issuer_list(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import list_profiles

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
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import remove_profile

    with open_context(paths) as ctx:
        remove_profile(ctx, args.name)
    print(f"Removed issuer profile {args.name} and its sign-in.")
    return EXIT_OK


def cmd_issuer_login(args: argparse.Namespace, paths: AppPaths) -> int:
    import getpass

    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import get_profile, login
    from reviewer_app.sync.secrets import default_store

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
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import logout

    with open_context(paths) as ctx:
        profile = logout(ctx, args.name)
    print(f"Signed out of {profile.name}; its tokens were deleted from the keyring.")
    return EXIT_OK


def cmd_issuer_outbox(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import outbox_entries

    with open_context(paths) as ctx:
        rows = outbox_entries(ctx, limit=args.limit)
    if not rows:
        print("The outbox is empty: no submitted decisions yet.")
        return EXIT_OK
    for e in rows:
        note = e.reason or (e.last_error if e.state in ("queued", "sending") else "") or ""
        print(f"{e.submission_key}  attempt {e.attempt}  {e.decision}  {e.state}"
              + (f" ({e.result})" if e.result and e.result != e.state else "")
              + (f"  {note}" if note else "")
              + ("  badge issued" if e.badge_url else ""))
    return EXIT_OK


def cmd_issuer_retry(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import outbox_entries, retry_entry

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
                          packages=packages, access_ttl=args.token_ttl, admin_key=args.admin_key,
                          issuer_name=args.issuer_name, public_url=args.public_url)
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
