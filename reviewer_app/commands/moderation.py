"""Lead assessors' commands: ``disputes``, ``moderate``, ``policy``, ``blind`` and
``calibration``. The services refuse a reviewer (exit status 2, one line), except where a
reviewer has a part: ``calibration import`` and ``calibration result``, their own
``calibration agreement`` line, and ``blind`` / ``policy`` shown without changes (blind only).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from reviewer_app.config import AppPaths

EXIT_OK = 0


def _level_arg(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    try:
        if not sep or not key.strip():
            raise ValueError
        return key.strip(), int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes CRITERION=LEVEL, e.g. learning-goals=3 (got {text!r})") from None


def _comment_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"takes CRITERION=TEXT (got {text!r})")
    return key.strip(), value


def _near_cut_arg(text: str) -> int | None:
    if text.strip().lower() == "off":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a number of levels or 'off' (got {text!r})") from None


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("disputes", help="disputed submissions waiting for moderation (lead assessor)")
    p.add_argument("--credential", metavar="ID", help="only this credential")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--all", action="store_true", help="open and resolved disputes")
    shown.add_argument("--resolved", action="store_true", help="only resolved disputes")
    p.set_defaults(func=cmd_disputes)
    dsub = p.add_subparsers(dest="disputes_command", metavar="ACTION")
    q = dsub.add_parser("show", help="one dispute: the reviews side by side, criterion by criterion")
    q.add_argument("ref", metavar="ID", help="a submission id, or a dispute id from the list")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest disputed)")
    q.set_defaults(func=cmd_disputes_show)

    p = sub.add_parser("moderate", help="record the final levels and decision of a dispute "
                                        "(lead assessor); the decision follows from the rubric")
    p.add_argument("ref", metavar="ID", help="a submission id, or a dispute id from 'disputes'")
    p.add_argument("--attempt", type=int, help="which attempt (default: the latest disputed)")
    p.add_argument("--level", action="append", type=_level_arg, default=[], metavar="CRITERION=LEVEL",
                   required=True, help="the final level of a criterion (one per criterion)")
    p.add_argument("--comment", action="append", type=_comment_arg, default=[], metavar="CRITERION=TEXT",
                   help="a comment on a criterion (repeatable)")
    p.add_argument("--feedback", default="", help="feedback to the candidate (required for 'not yet')")
    p.add_argument("--rationale", required=True, help="why these are the final levels (required)")
    p.set_defaults(func=cmd_moderate)

    p = sub.add_parser("policy", help="a credential's double scoring, dispute and qualification "
                                      "rules (lead assessor)")
    p.add_argument("credential", nargs="?", metavar="CREDENTIAL", help="a credential id (default: list all)")
    p.add_argument("--second-percent", type=int, metavar="N",
                   help="this share of submissions (0-100) gets a second review, picked at random")
    p.add_argument("--near-cut", type=_near_cut_arg, metavar="N|off", default=argparse.SUPPRESS,
                   help="a second review when any level is within N of the required one")
    p.add_argument("--first-reviews", type=int, metavar="N",
                   help="each reviewer's first N reviews of this credential get a second one")
    p.add_argument("--max-gap", type=int, metavar="N",
                   help="two reviews dispute when a criterion's levels differ by more than N")
    p.add_argument("--threshold", type=float, metavar="X",
                   help="exact agreement with calibration scores that qualifies a reviewer (0.8: 80%%)")
    p.add_argument("--calibration-items", type=int, metavar="N",
                   help="calibration items a reviewer must score before they can qualify")
    p.add_argument("--hold", choices=["on", "off"],
                   help="hold final decisions until the lead releases them (on) or release them when made")
    p.add_argument("--backread-percent", type=int, metavar="N",
                   help="the share of held final decisions backread before release")
    p.add_argument("--new-seed", action="store_true", help="pick a new random sample from now on")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("blind", help="blind review: reviewers do not see who the candidate is "
                                     "(on by default; a lead assessor switches it)")
    p.add_argument("state", nargs="?", choices=["on", "off"], help="switch it (default: show it)")
    p.set_defaults(func=cmd_blind)

    p = sub.add_parser("calibration", help="calibration submissions with agreed scores; reviewers' "
                                           "agreement and qualification")
    csub = p.add_subparsers(dest="calibration_command", metavar="ACTION", required=True)
    q = csub.add_parser("mark", help="make a submission a calibration item with agreed levels (lead)")
    q.add_argument("id", metavar="ID", help="a submission id")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest)")
    q.add_argument("--level", action="append", type=_level_arg, default=[], required=True,
                   metavar="CRITERION=LEVEL", help="the agreed level of a criterion (one per criterion)")
    q.add_argument("--note", default="", help="a note for the record")
    q.set_defaults(func=cmd_calibration_mark)
    q = csub.add_parser("unmark", help="stop using a submission for calibration (lead)")
    q.add_argument("id", metavar="ID")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest)")
    q.set_defaults(func=cmd_calibration_unmark)
    q = csub.add_parser("list", help="the calibration items and their agreed levels (lead)")
    q.add_argument("--credential", metavar="ID", help="only this credential")
    q.set_defaults(func=cmd_calibration_list)
    q = csub.add_parser("agreement", help="each reviewer's agreement with the calibration scores, "
                                          "and who is qualified")
    q.add_argument("credential", metavar="CREDENTIAL")
    q.set_defaults(func=cmd_calibration_agreement)
    q = csub.add_parser("result", help="where your submitted review matched the agreed scores")
    q.add_argument("id", metavar="ID", help="a submission id")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest)")
    q.set_defaults(func=cmd_calibration_result)
    q = csub.add_parser("export", help="write the agreed scores to a file for reviewers (lead)")
    q.add_argument("--out", type=Path, required=True, metavar="FILE")
    q.add_argument("--credential", metavar="ID", help="only this credential")
    q.set_defaults(func=cmd_calibration_export)
    q = csub.add_parser("import", help="import a lead assessor's calibration file")
    q.add_argument("file", type=Path, metavar="FILE")
    q.set_defaults(func=cmd_calibration_import)


# -- helpers ---------------------------------------------------------------------------------

def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for line in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def _levels(pairs: list[tuple[str, int]]) -> dict[str, int]:
    from reviewer_app.errors import UserError

    out: dict[str, int] = {}
    for key, level in pairs:
        if key in out:
            raise UserError(f"--level {key} is given twice.")
        out[key] = level
    return out


def _attempt_id(ctx, key: str, attempt: int | None) -> int:  # noqa: ANN001
    from reviewer_app.services.submissions import get_submission

    return get_submission(ctx, key, attempt).attempt_id


def _level_text(rubric, key: str, value: int | None) -> str:  # noqa: ANN001
    if value is None:
        return "-"
    criterion = rubric.criterion(key)
    level = criterion.level(value) if criterion else None
    return f"{value} {level.label}" if level else str(value)


def _decision(decision) -> str:  # noqa: ANN001
    return decision.label.lower() if decision else "-"


# -- disputes and moderation -----------------------------------------------------------------

def cmd_disputes(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.moderation import OPEN, RESOLVED, list_disputes

    state = None if args.all else RESOLVED if args.resolved else OPEN
    with open_context(paths) as ctx:
        rows = list_disputes(ctx, state=state, credential_key=args.credential)
    if not rows:
        print("No disputes" + ("" if state is None else f" {state}")
              + (f" for {args.credential}" if args.credential else "") + ".")
        return EXIT_OK
    from reviewer_app.services.dispute_ids import short_ids

    short = short_ids(r.uid for r in rows)
    _table(("ID", "SUBMISSION", "ATTEMPT", "CREDENTIAL", "STATE", "OPENED", "REVIEWERS", "WHY"),
           [(short[r.uid], r.submission_key, str(r.attempt), r.credential_key,
             r.state + (f" ({_decision(r.decision)})" if r.decision else ""), _when(r.opened_at),
             ", ".join(r.reviewers), f"{len(r.reasons)} reason{'s' if len(r.reasons) != 1 else ''}")
            for r in rows])
    return EXIT_OK


def cmd_disputes_show(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.moderation import find_dispute, get_dispute

    with open_context(paths) as ctx:
        d = get_dispute(ctx, find_dispute(ctx, args.ref, args.attempt))
    out = [f"Dispute {d.uid[:8]} ({d.state}), opened {_when(d.opened_at)}"
           + (f", resolved {_when(d.resolved_at)}" if d.resolved_at else ""),
           f"Submission {d.submission_key}, attempt {d.attempt}: {d.credential.title} "
           f"({d.credential.key}, version {d.credential.version})",
           f"Candidate: {d.candidate.display_name or '-'} ({d.candidate.key})",
           "", "Why:"]
    out += [f"  - {reason}" for reason in d.reasons]
    out.append("")
    names = [r.reviewer_name for r in d.reviews] + (["FINAL"] if d.moderation else [])
    rows = []
    for c in d.criteria:
        cells = [_level_text(d.rubric, c.criterion_key, v) for v in c.levels]
        if d.moderation:
            cells.append(_level_text(d.rubric, c.criterion_key, d.moderation.level(c.criterion_key)))
        rows.append((f"{'* ' if c.disputed else '  '}{c.title} (required {c.required_level})", *cells))
    decisions = [_decision(r.decision) for r in d.reviews] + ([_decision(d.moderation.decision)]
                                                              if d.moderation else [])
    rows.append(("  Decision", *decisions))
    lines = []
    for c in d.criteria:
        said = [(r.reviewer_name, text) for r, text in zip(d.reviews, c.comments) if text]
        if said:
            lines.append(f"  {c.title}:")
            lines += [f"    {name}: {text}" for name, text in said]
    feedback = [(r.reviewer_name, r.feedback) for r in d.reviews if r.feedback]
    notes = [(r.reviewer_name, n) for r in d.reviews for n in r.notes]
    extra = []
    if lines:
        extra += ["", "Comments:", *lines]
    if feedback:
        extra += ["", "Feedback to the candidate:", *[f"  {name}: {text}" for name, text in feedback]]
    if notes:
        extra += ["", "Notes (evidence, where):"]
        for name, n in notes:
            about = f" ({n.criterion_title})" if n.criterion_title else ""
            extra.append(f"  {name} {n.note.citation} {n.note.evidence_key} [{n.evidence_kind.value}] "
                         f"{n.note.where()}{about}: {n.note.text}")
    if d.final:
        extra += ["", f"Final decision: {_decision(d.final.decision)} ({d.final.source}) by "
                      f"{d.final.decided_by}, {_when(d.final.decided_at)}", f"Rationale: {d.final.rationale}"]
    elif d.why_not:
        extra += ["", d.why_not]
    else:
        levels = " ".join(f"--level {c.key}=N" for c in d.rubric.criteria)
        extra += ["", f"Moderate with: reviewer-app moderate {d.submission_key} --attempt {d.attempt} "
                      f"{levels} --rationale TEXT [--feedback TEXT]"]
    print("\n".join(out))
    _table(("  CRITERION", *names), rows)
    print("\n".join(extra))
    return EXIT_OK


def cmd_moderate(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.moderation import find_dispute, moderate

    levels = _levels(args.level)
    with open_context(paths) as ctx:
        uid = find_dispute(ctx, args.ref, args.attempt)
        final = moderate(ctx, uid, levels, dict(args.comment), args.feedback, args.rationale)
    print(f"Moderated {final.submission_key} attempt {final.attempt}: {_decision(final.decision)}. "
          + ("The final decision is held for your release ('reviewer-app release')."
             if final.outbox_state is None
             else "The final decision is queued for the issuer ('reviewer-app sync' sends it)."))
    return EXIT_OK


# -- policy and blind review -----------------------------------------------------------------

def cmd_policy(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.errors import UserError
    from reviewer_app.services import policies

    changes = {}
    if args.second_percent is not None:
        changes["second_review_percent"] = args.second_percent
    if hasattr(args, "near_cut"):
        changes["near_cut_margin"] = args.near_cut
    if args.first_reviews is not None:
        changes["first_reviews"] = args.first_reviews
    if args.max_gap is not None:
        changes["max_level_gap"] = args.max_gap
    if args.threshold is not None:
        changes["calibration_threshold"] = args.threshold
    if args.calibration_items is not None:
        changes["calibration_items"] = args.calibration_items
    if args.hold is not None:
        changes["hold_for_release"] = args.hold == "on"
    if args.backread_percent is not None:
        changes["backread_percent"] = args.backread_percent
    with open_context(paths) as ctx:
        if args.credential is None:
            if changes or args.new_seed:
                raise UserError(
                    "Name the credential whose policy to change: reviewer-app policy CREDENTIAL ...")
            shown = policies.list_policies(ctx)
        elif changes or args.new_seed:
            shown = [policies.set_policy(ctx, args.credential, new_seed=args.new_seed, **changes)]
        else:
            shown = [policies.get_policy(ctx, args.credential)]
    if not shown:
        print("No credentials yet: import submissions first.")
    for p in shown:
        print(f"{p.credential_key}{'' if p.stored else ' (defaults)'}: {p.describe()}")
    return EXIT_OK


def cmd_blind(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services import policies

    with open_context(paths) as ctx:
        on = policies.blind_review(ctx) if args.state is None else \
            policies.set_blind_review(ctx, args.state == "on")
    print("Blind review is on: reviewers do not see who the candidate is." if on
          else "Blind review is off: reviewers using this database see the candidate's name and "
               "badge recipient (a reviewer's own laptop never holds them).")
    return EXIT_OK


# -- calibration -----------------------------------------------------------------------------

def cmd_calibration_mark(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import mark_calibration

    with open_context(paths) as ctx:
        item = mark_calibration(ctx, _attempt_id(ctx, args.id, args.attempt), _levels(args.level),
                                note=args.note)
    print(f"{item.submission_key} attempt {item.attempt} is a calibration item for {item.credential_key}: "
          + ", ".join(f"{k}={v}" for k, v in item.levels) + f" ({_decision(item.decision)}).")
    return EXIT_OK


def cmd_calibration_unmark(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import unmark_calibration

    with open_context(paths) as ctx:
        done = unmark_calibration(ctx, _attempt_id(ctx, args.id, args.attempt))
    print(f"{args.id} is no longer a calibration item." if done else f"{args.id} was not a calibration item.")
    return EXIT_OK


def cmd_calibration_list(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import list_calibration

    with open_context(paths) as ctx:
        items = list_calibration(ctx, args.credential)
    if not items:
        print("No calibration items. Mark one with 'reviewer-app calibration mark ID --level C=N ...'.")
        return EXIT_OK
    _table(("SUBMISSION", "ATTEMPT", "CREDENTIAL", "AGREED LEVELS", "DECISION", "MARKED BY"),
           [(i.submission_key, str(i.attempt), i.credential_key, " ".join(f"{k}={v}" for k, v in i.levels),
             _decision(i.decision), i.marked_by) for i in items])
    return EXIT_OK


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def cmd_calibration_agreement(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import reviewer_agreement

    with open_context(paths) as ctx:
        rows = reviewer_agreement(ctx, args.credential)
    if not rows:
        print(f"No reviewer has scored a calibration item of {args.credential} yet.")
        return EXIT_OK
    _table(("REVIEWER", "ITEMS", "EXACT", "WITHIN ONE", "DECISIONS", "QUALIFIED"),
           [(r.reviewer_name, str(r.items), _pct(r.exact_rate), _pct(r.adjacent_rate),
             f"{r.decisions_matched}/{r.items}",
             ("yes" if r.qualified else "no") + f" (at {r.threshold:.0%})") for r in rows])
    return EXIT_OK


def cmd_calibration_result(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import my_result

    with open_context(paths) as ctx:
        result = my_result(ctx, _attempt_id(ctx, args.id, args.attempt))
    if result is None:
        print(f"{args.id} is not a calibration item.")
        return EXIT_OK
    _table(("CRITERION", "AGREED", "YOURS", "MATCH"),
           [(c.title, f"{c.agreed} {c.agreed_label}",
             f"{c.given} {c.given_label}" if c.given is not None else "-",
             "exact" if c.exact else "within one" if c.adjacent else "no") for c in result.criteria])
    print(f"Decision: agreed {_decision(result.agreed_decision)}, yours {_decision(result.given_decision)}. "
          f"Exact agreement: {result.exact} of {len(result.criteria)} ({_pct(result.exact_rate)}).")
    return EXIT_OK


def cmd_calibration_export(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import export_calibration

    with open_context(paths) as ctx:
        done = export_calibration(ctx, args.out, args.credential)
    print(f"Wrote {done.items} calibration item{'s' if done.items != 1 else ''} to {done.path}; "
          "reviewers import it with 'reviewer-app calibration import FILE'.")
    return EXIT_OK


def cmd_calibration_import(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.calibration import import_calibration

    with open_context(paths) as ctx:
        print(import_calibration(ctx, args.file).describe())
    return EXIT_OK
