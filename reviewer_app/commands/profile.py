"""``reviewer-app profile``: who is using this database, and in which role."""

from __future__ import annotations

import argparse

from reviewer_app.config import AppPaths
from reviewer_app.domain.model import Role

ROLE_ARGS = {"reviewer": Role.REVIEWER, "lead": Role.LEAD_ASSESSOR}


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="show or change this database's profile (name, role)")
    p.add_argument("--name", help="the name shown on reviews and batches")
    p.add_argument("--role", choices=sorted(ROLE_ARGS),
                   help="reviewer, or lead (a lead assessor: moderation, batches, statistics)")
    p.set_defaults(func=cmd_profile)


def cmd_profile(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.lead_database import is_lead_database
    from reviewer_app.services.roles import ROLE_NAMES, update_self

    with open_context(paths) as ctx:
        me = update_self(ctx, name=args.name, role=ROLE_ARGS[args.role] if args.role else None)
        lead_db = is_lead_database(ctx)
    print(f"{me.name} ({ROLE_NAMES[me.role]}), profile {me.uid}")
    if me.role is Role.LEAD_ASSESSOR and not lead_db:
        print("This data folder is a reviewer's (its submissions came without the candidates' "
              "names): lead actions stay refused here. A lead works in a lead's database, made "
              "with `reviewer-app --data-dir NEW-FOLDER profile --role lead`.")
    return 0
