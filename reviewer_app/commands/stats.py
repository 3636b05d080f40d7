"""``reviewer-app stats``: how well reviewers agree (a lead assessor)."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path

from reviewer_app.config import AppPaths

EXIT_OK = 0
BY = ("credential", "criterion", "pair", "reviewer", "drift", "moderated", "week", "month")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats", help="agreement between reviewers: exact, adjacent, Cohen's kappa, "
                      "quadratic-weighted kappa, Krippendorff's alpha (lead assessor)",
        description="Agreement between reviewers who reviewed the same submission attempt "
                    "(pairs of independent submitted reviews: a lead's moderation and "
                    "calibration submissions are left out). Figures: exact and adjacent "
                    "agreement, Cohen's kappa, quadratic-weighted kappa (QWK), Krippendorff's "
                    "alpha (ordinal and interval); '-' where a figure is undefined. --explain "
                    "says what each one means.")
    p.add_argument("--credential", metavar="KEY", help="only this credential (its id in packages)")
    p.add_argument("--by", choices=BY, default="credential",
                   help="one line per credential (default), criterion, pair of reviewers, "
                        "reviewer (how often each gave each level), drift (each reviewer "
                        "against the others, month by month), moderated (each reviewer "
                        "against the lead's moderated result), week or month")
    p.add_argument("--from", dest="since", type=_day, metavar="DATE",
                   help="only pairs whose later review was submitted on or after DATE (UTC)")
    p.add_argument("--to", dest="until", type=_day, metavar="DATE",
                   help="only pairs whose later review was submitted on or before DATE (UTC)")
    p.add_argument("--json", action="store_true", help="every figure as JSON")
    p.add_argument("--format", choices=("csv", "xlsx", "json"),
                   help="write every figure to --out: CSV (UTF-8, opens in Excel), XLSX (a "
                        "sheet per credential with its confusion matrices) or JSON")
    p.add_argument("--out", type=Path, metavar="FILE", help="the file --format writes")
    p.add_argument("--explain", action="store_true", help="what each figure means, then the figures")
    p.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.domain.stats_report import StatsQuery
    from reviewer_app.services.stats import agreement_stats, day_start

    query = StatsQuery(
        credential_key=args.credential,
        since=day_start(args.since) if args.since else None,
        until=day_start(args.until + timedelta(days=1)) if args.until else None,
        period="month" if args.by == "month" else "week")
    if (args.format is None) != (args.out is None):
        from reviewer_app.errors import UserError

        raise UserError("--format and --out go together: stats --format csv|xlsx|json --out FILE")
    with open_context(paths) as ctx:
        report = agreement_stats(ctx, query)
    if args.format:
        from reviewer_app.exports.stats import export_stats

        export_stats(report, args.format, args.out)
        print(f"Wrote {args.out} ({report.pairs} pairs of submitted reviews).")
        return EXIT_OK
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return EXIT_OK
    if args.explain:
        print(explanations())
    if report.pairs == 0:
        print("No pairs of submitted reviews yet: agreement needs two reviewers' submitted "
              "reviews of the same submission attempt.")
        return EXIT_OK
    print(f"{report.pairs} pair{'s' if report.pairs != 1 else ''} of submitted reviews. N counts "
          "pairs of levels: one for each criterion both reviews scored.")
    print(excluded_line(report.excluded))
    print()
    print(render(report, args.by))
    return EXIT_OK


def explanations() -> str:
    import textwrap

    from reviewer_app.domain.agreement import EXPLANATIONS

    return "\n\n".join(textwrap.fill(text, 88) for text in EXPLANATIONS.values()) + "\n"


def excluded_line(excluded: dict[str, int]) -> str:
    return (f"Left out of the pairs: {excluded.get('moderation', 0)} moderation review(s) "
            f"(--by moderated), {excluded.get('calibration', 0)} review(s) of calibration "
            "submissions (reviewer-app calibration agreement).")


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def kappa(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _figures(a) -> list[str]:  # noqa: ANN001 - an Agreement
    return [str(a.n), pct(a.exact), pct(a.adjacent), kappa(a.kappa), kappa(a.weighted_kappa),
            kappa(a.alpha), kappa(a.alpha_interval)]


def _table(header: list[str], rows: list[list[str]], right_from: int) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i >= right_from else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join(line(r) for r in (header, *rows))


FIGURES = ["N", "EXACT", "ADJACENT", "KAPPA", "QWK", "ALPHA-ORD", "ALPHA-INT"]


def render(report, by: str) -> str:  # noqa: ANN001 - a StatsReport
    """The report as a plain-text table, one line per ``by``."""
    if by == "credential":
        rows = [[r.credential_key, *_figures(r.scores), str(r.decisions.n), pct(r.decisions.exact),
                 kappa(r.decisions.kappa)] for r in report.by_credential]
        return ("Criterion levels, every criterion pooled; then the decisions (earned / not yet).\n"
                + _table(["CREDENTIAL", *FIGURES, "DECISIONS", "SAME", "KAPPA"], rows, 1))
    if by == "criterion":
        rows = [[r.credential_key, r.criterion_key, *_figures(r.scores)] for r in report.by_criterion]
        return _table(["CREDENTIAL", "CRITERION", *FIGURES], rows, 2)
    if by == "pair":
        rows = [[r.credential_key, r.label, *_figures(r.scores), str(r.decisions.n),
                 pct(r.decisions.exact), kappa(r.decisions.kappa)] for r in report.by_pair]
        return _table(["CREDENTIAL", "REVIEWERS", *FIGURES, "DECISIONS", "SAME", "KAPPA"], rows, 2)
    if by == "reviewer":
        rows = [[d.credential_key, d.criterion_key, d.reviewer.name, str(d.total),
                 " ".join(f"{level}:{d.counts.get(level, 0)}" for level in d.levels)]
                for d in report.distributions]
        return ("How often each reviewer gave each level (level:count), submitted reviews.\n"
                + _table(["CREDENTIAL", "CRITERION", "REVIEWER", "SCORES", "LEVELS"], rows, 3))
    if by == "drift":
        rows = [[r.credential_key, r.reviewer.name, r.period, *_figures(r.scores)] for r in report.drift]
        return ("Each reviewer's levels against the other reviewers', every criterion pooled, "
                "by month.\n" + _table(["CREDENTIAL", "REVIEWER", "MONTH", *FIGURES], rows, 3))
    if by == "moderated":
        rows = [[r.credential_key, r.reviewer.name, *_figures(r.scores), str(r.decisions.n),
                 pct(r.decisions.exact)] for r in report.against_moderation]
        return ("Each reviewer's levels against the lead's moderated result (not rater pairs).\n"
                + _table(["CREDENTIAL", "REVIEWER", *FIGURES, "DECISIONS", "SAME"], rows, 2))
    rows = [[p.period, p.start.isoformat(), *_figures(p.scores)] for p in report.over_time]
    return ("Criterion levels, every criterion pooled, by the later review's date.\n"
            + _table([by.upper(), "FROM", *FIGURES], rows, 2))
