"""``reviewer-app batch``: export your submitted reviews as a score batch; import batches
(a lead assessor)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewer_app.config import AppPaths

EXIT_OK, EXIT_REFUSED = 0, 2


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="score batches: export your submitted reviews; import "
                                     "reviewers' batches (lead assessor)")
    bsub = p.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    q = bsub.add_parser("export", help="write your submitted reviews as a batch file "
                                       "(<name>-<date>-<id>.reviewer-batch.json, and a .csv beside it)")
    q.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                   help="the folder to write it to (default: the current folder)")
    q.add_argument("--all", action="store_true", dest="include_all",
                   help="every submitted review, also those in earlier batches "
                        "(default: only those not exported yet)")
    q.set_defaults(func=cmd_batch_export)
    q = bsub.add_parser("import", help="import reviewers' batch files (lead assessor); each is "
                                       "imported whole or not at all",
                        description="Import score batches. Exit status 0 when every batch was "
                                    "imported or was already imported, 2 when any was refused "
                                    "(the others are imported all the same).")
    q.add_argument("paths", nargs="+", type=Path, metavar="FILE",
                   help="a .reviewer-batch.json file, or a folder of them")
    q.set_defaults(func=cmd_batch_import)


def cmd_batch_export(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.batches import NothingToExport, export_batch

    with open_context(paths) as ctx, TerminalProgress(" reviews") as job:
        try:
            result = export_batch(ctx, args.out, include_all=args.include_all, job=job)
        except NothingToExport as exc:
            job.close_bar()
            print(exc.message)
            return EXIT_OK
        except KeyboardInterrupt:
            job.close_bar()
            print("Export cancelled: no batch file was written.", file=sys.stderr)
            return 130
    print(result.describe())
    return EXIT_OK


def cmd_batch_import(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.progress import TerminalProgress
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.batches import import_batches

    outcomes = []
    with open_context(paths) as ctx, TerminalProgress() as job:
        try:
            import_batches(ctx, args.paths, job, on_outcome=outcomes.append)
        except KeyboardInterrupt:
            job.close_bar()
            _report(outcomes)
            print("Import cancelled: the batch in progress was not stored"
                  + (" (those listed above were)." if outcomes else "."), file=sys.stderr)
            return 130
        job.close_bar()
    if not outcomes:
        print("No score batches found (files ending in .reviewer-batch.json).", file=sys.stderr)
        return EXIT_REFUSED
    _report(outcomes)
    refused = sum(o.refused for o in outcomes)
    if len(outcomes) > 1:
        imported = sum(o.imported for o in outcomes)
        print(f"{len(outcomes)} batches: {imported} reviews imported, "
              f"{sum(o.status == 'already imported' for o in outcomes)} batches already imported, "
              f"{refused} refused.")
    return EXIT_REFUSED if refused else EXIT_OK


def _report(outcomes: list) -> None:
    for outcome in outcomes:
        if outcome.refused:
            print(f"error: {outcome.message}", file=sys.stderr)
        else:
            print(outcome.message)
            for line in outcome.lines:
                print(f"  {line}")
