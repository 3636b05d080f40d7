"""``reviewer-app identity``: your signing key's fingerprint and enrolment file;
``enrol``, ``enrolled`` and ``revoke``: the reviewers a lead assessor accepts batches from."""

from __future__ import annotations

import argparse
from pathlib import Path

from reviewer_app.config import AppPaths


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("identity", help="your signing key's fingerprint (the key is made on first "
                                        "use and kept in the system keyring); --export writes the "
                                        "enrolment file for your lead assessor")
    p.add_argument("--export", type=Path, metavar="PATH",
                   help="write your enrolment file (<name>.reviewer-enrolment.json) into this "
                        "folder, or to this file")
    p.add_argument("--new-key", action="store_true",
                   help="replace your key with a new one (your lead assessor must enrol it)")
    p.set_defaults(func=cmd_identity)
    p = sub.add_parser("enrol", help="enrol a reviewer from their enrolment file (lead assessor), "
                                     "checking the fingerprint they read out to you")
    p.add_argument("file", type=Path, metavar="FILE", help="the reviewer's .reviewer-enrolment.json")
    p.add_argument("--fingerprint", required=True, metavar="XXXX-XXXX-XXXX-XXXX-XXXX",
                   help="the fingerprint the reviewer read out to you (reviewer-app identity)")
    p.set_defaults(func=cmd_enrol)
    p = sub.add_parser("enrolled", help="the reviewers enrolled here, their key fingerprints, "
                                        "and which keys were revoked (lead assessor)")
    p.set_defaults(func=cmd_enrolled)
    p = sub.add_parser("revoke", help="revoke a reviewer's key: their batches signed with it are "
                                      "refused from now on (lead assessor)")
    p.add_argument("who", metavar="NAME|FINGERPRINT",
                   help="the reviewer's name, or their key's fingerprint (its first group at least)")
    p.set_defaults(func=cmd_revoke)


def cmd_identity(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services import identity

    with open_context(paths) as ctx:
        me = identity.new_key(ctx) if args.new_key else identity.identity(ctx)
        if args.new_key:
            print("Made a new signing key; ask your lead assessor to enrol it (and to revoke the old one).")
        print(me.describe())
        if args.export is not None:
            path, _ = identity.export_enrolment(ctx, args.export)
            print(f"Enrolment file written to {path}: send it to your lead assessor, and read them "
                  "the fingerprint yourself.")
    return 0


def cmd_enrol(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services import enrolment

    with open_context(paths) as ctx:
        done = enrolment.enrol(ctx, args.file, args.fingerprint)
    print(f"Enrolled {done.name} (key {done.fingerprint}): their signed score batches can be imported.")
    return 0


def cmd_enrolled(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services import enrolment

    with open_context(paths) as ctx:
        rows = enrolment.enrolled(ctx)
    if not rows:
        print("No reviewers are enrolled yet (reviewer-app enrol FILE --fingerprint ...).")
    for row in rows:
        print(row.describe())
    return 0


def cmd_revoke(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services import enrolment

    with open_context(paths) as ctx:
        done = enrolment.revoke(ctx, args.who)
    print(f"Revoked the key of {done.name} ({done.fingerprint}): batches signed with it are refused "
          "from now on; those imported before stay.")
    return 0
