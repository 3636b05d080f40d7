"""``reviewer-app audit``: check the audit log's hash chain; list its latest entries.

Exit status of ``audit verify``: 0 when the chain is intact and every audited row matches
its last audited state, 3 when an entry was altered or removed (the message names the first
one) or rows differ (each is listed), 2 for the usual refusals (the database
cannot be opened, ...), so a script can tell "tampered" from "could not check".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from reviewer_app.config import AppPaths

EXIT_OK, EXIT_TAMPERED = 0, 3


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the audit log: verify its hash chain, list recent entries")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    q = asub.add_parser(
        "verify", help="check that no audit entry was altered or removed, and the data against it",
        description="Check the audit log's hash chain, then every review, score, final decision, "
                    "policy and enrolment against the state its last audit entry recorded. Exit "
                    "status: 0 intact; 3 an entry was altered or removed (the first one is named) or "
                    "rows differ (each is listed); 2 the check could not be made.")
    q.add_argument("--head", type=Path, nargs="+", default=[], metavar="FILE",
                   help="signed audit heads kept outside the database (audit head, the lead's "
                        "exports): check that the log still holds each one's entry")
    q.set_defaults(func=cmd_audit_verify)
    q = asub.add_parser("head", help="write the log's head, signed with your key, to keep outside "
                                     "the database")
    q.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the file to write (.audit-head.json is added if need be)")
    q.set_defaults(func=cmd_audit_head)
    q = asub.add_parser("log", help="list the latest audit entries, newest first")
    q.add_argument("--limit", type=int, default=50, metavar="N", help="at most N entries (default 50)")
    q.add_argument("--subject", help="only entries about this subject (as shown in the list)")
    q.set_defaults(func=cmd_audit_log)


def cmd_audit_verify(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.audit_head import check
    from reviewer_app.store.audit import verify

    with open_context(paths) as ctx:
        result = verify(ctx)
        heads = [check(ctx, path) for path in args.head]
    print("\n".join(result.lines()))
    if heads:
        print(f"Signed heads: {sum(h.ok for h in heads)} of {len(heads)} intact.")
        for head in heads:
            print(f"  {'ok' if head.ok else 'BROKEN'}: {head.message}")
    return EXIT_OK if result.ok and all(h.ok for h in heads) else EXIT_TAMPERED


def cmd_audit_head(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.audit_head import write_head

    with open_context(paths) as ctx:
        out = write_head(ctx, args.out)
    print(f"Signed the audit log's head into {out}; keep it outside this computer's data folder "
          "(check it with: audit verify --head FILE).")
    return EXIT_OK


def cmd_audit_log(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.errors import UserError
    from reviewer_app.services.lead_views import profile_names
    from reviewer_app.store.audit import recent

    if args.limit < 1:
        raise UserError("--limit takes a number of entries, 1 or more.")
    with open_context(paths) as ctx:
        lines = recent(ctx, limit=args.limit, subject=args.subject)
        names = profile_names(ctx)
    if not lines:
        print("The audit log is empty." if args.subject is None
              else f"No audit entries about {args.subject!r}.")
        return EXIT_OK
    for line in lines:
        details = json.loads(line.details_json or "{}")
        shown = ", ".join(f"{k}={_short(v)}" for k, v in details.items())
        actor = names.get(line.actor_uid or "", (line.actor_uid or "-")[:8])
        print(f"{line.id:>6}  {line.at.astimezone():%Y-%m-%d %H:%M:%S}  {actor:<14}  {line.action:<16}  "
              f"{line.subject}" + (f"  ({shown})" if shown else ""))
    return EXIT_OK


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "\u2026"
