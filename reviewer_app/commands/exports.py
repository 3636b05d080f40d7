"""``reviewer-app decisions export`` and ``reviewer-app letters``: a lead assessor's exports.

Both take the same filters (credential, decision dates, decision, sync state), show a
progress bar on a terminal, and stop cleanly on Ctrl+C: an export leaves no file (and
an existing one untouched); letters already finished stay, complete, and no half letter
is left.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.config import AppPaths
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.exports.decisions import DecisionFilter

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INTERRUPTED = 0, 130
FORMATS = ("csv", "json", "xlsx")
DECISIONS = ("earned", "not_yet")
SYNC_STATES = ("queued", "sending", "accepted", "rejected", "not_queued")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decisions", help="final decisions (lead assessors): export")
    dsub = p.add_subparsers(dest="decisions_command", metavar="ACTION", required=True)
    q = dsub.add_parser("export", help="export final decisions with their per-criterion levels "
                                       "as CSV, JSON or XLSX")
    q.add_argument("--format", choices=FORMATS, dest="fmt",
                   help="file format (default: from the --out file's extension)")
    q.add_argument("--out", type=Path, required=True, metavar="FILE")
    _filter_options(q)
    q.set_defaults(func=cmd_decisions_export)

    p = sub.add_parser("letters", help="write a PDF feedback letter per final decision "
                                       "(lead assessors)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for the letters (one PDF each); with --combined, the PDF file")
    p.add_argument("--combined", action="store_true", help="one PDF holding every letter")
    _filter_options(p)
    p.set_defaults(func=cmd_letters)


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--credential", metavar="ID", help="only this credential (any version)")
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="decided on or after this day (YYYY-MM-DD, local time)")
    p.add_argument("--to", dest="date_to", metavar="DATE",
                   help="decided on or before this day (YYYY-MM-DD, local time)")
    p.add_argument("--decision", action="append", choices=DECISIONS, default=[],
                   help="only this decision (repeatable)")
    p.add_argument("--sync-state", action="append", choices=SYNC_STATES, default=[],
                   help="only final decisions in this outbox state (repeatable; not_queued: "
                        "not in the outbox)")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} takes a day as YYYY-MM-DD (got {text!r}).") from None


def _filters(args: argparse.Namespace) -> DecisionFilter:
    from reviewer_app.domain.model import Decision
    from reviewer_app.exports.decisions import DecisionFilter

    return DecisionFilter(
        credential=args.credential, date_from=_day(args.date_from, "--from"),
        date_to=_day(args.date_to, "--to"),
        decisions=tuple(dict.fromkeys(Decision(d) for d in args.decision)),
        sync_states=tuple(dict.fromkeys(args.sync_state)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_decisions_export(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.final_exports import export_final_decisions

    fmt = args.fmt or args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"Say which format with --format ({', '.join(FORMATS)}); "
                        f"{args.out.name} does not end in one.")
    filters = _filters(args)
    with open_context(paths) as ctx, TerminalProgress() as job:
        try:
            summary = export_final_decisions(ctx, fmt, args.out, filters, job)
        except KeyboardInterrupt:
            job.close_bar()
            print(f"Export cancelled: nothing was written"
                  f"{' (the existing file is unchanged)' if args.out.exists() else ''}.",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        head = _sign_head_beside(ctx, summary.path)
    print(f"Exported {_plural(summary.count, 'final decision')} to {summary.path} "
          f"({fmt.upper()}; levels and comments of {len(summary.criteria)} criteria).")
    if head is not None:
        print(f"The audit log's head, signed with your key, is in {head.name} beside it.")
    return EXIT_OK


def _sign_head_beside(ctx, path: Path) -> Path | None:  # noqa: ANN001
    """The signed audit head beside an export, which carries the log's state out of this
    computer; with no keyring, the export stands without it (logged)."""
    from reviewer_app.services.audit_head import write_head

    try:
        return write_head(ctx, path)
    except (UserError, OSError) as exc:  # NoKeyring is a UserError
        log.warning("no signed audit head beside %s: %s", path, exc)
        return None


def cmd_letters(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.final_exports import write_feedback_letters

    filters = _filters(args)
    with open_context(paths) as ctx, TerminalProgress(" letters") as job:
        try:
            summary = write_feedback_letters(ctx, args.out, filters, combined=args.combined,
                                             job=job)
        except KeyboardInterrupt:
            job.close_bar()
            if args.combined:
                print("Letters cancelled: no combined PDF was written.", file=sys.stderr)
            else:
                print(f"Letters cancelled: {_plural(job.done, 'letter')} written to {args.out}, "
                      "each complete; none is half written.", file=sys.stderr)
            return EXIT_INTERRUPTED
    if summary.combined:
        print(f"Wrote {_plural(summary.count, 'feedback letter')} to {summary.path}.")
    elif summary.count:
        print(f"Wrote {_plural(summary.count, 'feedback letter')} to {summary.path}"
              f"{'' if summary.count > 1 else ': ' + summary.files[0].name}.")
    else:
        print("No final decisions match: no letters were written.")
    return EXIT_OK
