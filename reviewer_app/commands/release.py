"""Lead assessors' scoring-centre commands: ``second-reads`` (the second-reading queue,
assigning and exporting assignments), ``assignments`` (a reviewer's), ``late`` (reviews
after a final decision), ``held`` / ``backread`` / ``overturn`` / ``release``."""

from __future__ import annotations

import argparse
from pathlib import Path

from reviewer_app.commands.moderation import _comment_arg, _level_arg, _levels
from reviewer_app.config import AppPaths

EXIT_OK = 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("second-reads", help="what waits for a second reviewer; assign a second "
                                            "reader; export their assignment files (lead assessor)")
    ssub = p.add_subparsers(dest="second_command", metavar="ACTION")
    p.add_argument("--credential", metavar="KEY", help="one credential only")
    p.set_defaults(func=cmd_second_reads)
    q = ssub.add_parser("assign", help="ask an enrolled reviewer for a submission's second reading")
    q.add_argument("submission", metavar="SUBMISSION")
    q.add_argument("reviewer", metavar="REVIEWER", help="an enrolled reviewer's name or profile id")
    q.add_argument("--attempt", type=int)
    q.set_defaults(func=cmd_second_assign)
    q = ssub.add_parser("export", help="write each assigned reviewer's assignment file")
    q.add_argument("--out", type=Path, default=Path("."), metavar="DIR")
    q.set_defaults(func=cmd_second_export)

    p = sub.add_parser("assignments", help="the second readings your lead assessor asked of you")
    p.add_argument("--import", dest="file", type=Path, metavar="FILE",
                   help="take the assignment file the lead sent you")
    p.set_defaults(func=cmd_assignments)

    p = sub.add_parser("late", help="reviews that arrived after a final decision (lead assessor)")
    p.add_argument("--discrepancies", action="store_true", help="only those that disagree with it")
    p.set_defaults(func=cmd_late)

    p = sub.add_parser("held", help="final decisions held for release; those to backread first "
                                    "(lead assessor)")
    p.add_argument("--credential", metavar="KEY")
    p.set_defaults(func=cmd_held)
    p = sub.add_parser("backread", help="confirm a held final decision after reading it again")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--attempt", type=int)
    p.add_argument("--note", default="")
    p.set_defaults(func=cmd_backread)
    p = sub.add_parser("overturn", help="replace a held final decision's levels, with a rationale")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--attempt", type=int)
    p.add_argument("--level", action="append", type=_level_arg, default=[], metavar="CRITERION=LEVEL",
                   required=True)
    p.add_argument("--comment", action="append", type=_comment_arg, default=[], metavar="CRITERION=TEXT")
    p.add_argument("--feedback", default="")
    p.add_argument("--rationale", required=True)
    p.set_defaults(func=cmd_overturn)
    p = sub.add_parser("release", help="release the held final decisions (all but those still to "
                                       "backread) to the issuer")
    p.add_argument("--credential", metavar="KEY")
    p.set_defaults(func=cmd_release)


def cmd_second_reads(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.second_reads import second_reading_queue

    with open_context(paths) as ctx:
        queue = second_reading_queue(ctx, args.credential)
    if not queue:
        print("Nothing waits for a second reading.")
    for s in queue:
        print(f"{s.submission_key} attempt {s.attempt}  {s.credential_key}  first: {s.first_reviewer}  "
              f"why: {s.reason_text}  second reader: {s.assigned_to or '(not assigned)'}")
    return EXIT_OK


def cmd_second_assign(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.second_reads import assign

    with open_context(paths) as ctx:
        s = assign(ctx, args.submission, args.reviewer, args.attempt)
    print(f"{s.submission_key} attempt {s.attempt}: second reading assigned to {s.assigned_to}.")
    return EXIT_OK


def cmd_second_export(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.second_reads import export_assignments

    with open_context(paths) as ctx:
        for path in export_assignments(ctx, args.out):
            print(f"Wrote {path}")
    return EXIT_OK


def cmd_assignments(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.second_reads import import_assignments, my_assignments

    with open_context(paths) as ctx:
        mine = import_assignments(ctx, args.file) if args.file else my_assignments(ctx)
    if not mine:
        print("No second readings are assigned to you.")
    for a in mine:
        state = "done" if a.reviewed else ("to score" if a.held_here else
                                           "to score (import its submission package first)")
        print(f"{a.submission_key} attempt {a.attempt}: {state}")
    return EXIT_OK


def cmd_late(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.late_reviews import list_late_reviews

    with open_context(paths) as ctx:
        late = list_late_reviews(ctx, discrepancies_only=args.discrepancies)
    if not late:
        print("No review arrived after a final decision.")
    for r in late:
        head = (f"{r.submission_key} attempt {r.attempt}: {r.reviewer} decided {r.decision or 'nothing'}, "
                f"final decision {r.final_decision}")
        print(head + (" (agrees)" if r.agrees else " (DISCREPANCY)"))
        for reason in r.reasons:
            print(f"  {reason}")
    return EXIT_OK


def cmd_held(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.release import held_decisions

    with open_context(paths) as ctx:
        held = held_decisions(ctx, args.credential)
    if not held:
        print("No final decision is held.")
    for h in held:
        state = ("to backread" if h.waits_for_backreading else
                 "backread" if h.backread_at else "ready")
        print(f"{h.submission_key} attempt {h.attempt}  {h.credential_key}  "
              f"{h.decision} ({h.source})  {state}")
    return EXIT_OK


def cmd_backread(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.release import backread

    with open_context(paths) as ctx:
        backread(ctx, args.submission, args.attempt, args.note)
    print(f"{args.submission}: final decision confirmed by backreading.")
    return EXIT_OK


def cmd_overturn(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.release import overturn

    with open_context(paths) as ctx:
        decision = overturn(ctx, args.submission, _levels(args.level), args.rationale,
                            attempt=args.attempt, feedback=args.feedback, comments=dict(args.comment))
    print(f"{args.submission}: final decision overturned, now {decision} (held for release).")
    return EXIT_OK


def cmd_release(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.release import release

    with open_context(paths) as ctx:
        print(release(ctx, args.credential).describe())
    return EXIT_OK
