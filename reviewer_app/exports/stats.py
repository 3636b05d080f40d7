"""Agreement statistics as files a lead can open: CSV, XLSX or JSON.

**CSV** (UTF-8 with a byte-order mark, so that Excel reads accents right): one table in
long form, one line per figure row, with a ``section`` column: ``credential`` (every
criterion pooled), ``criterion``, ``pair`` (two reviewers), ``period`` (every pair, week
or month), ``drift`` (one reviewer against the others, by month), ``moderated`` (one
reviewer against the lead's moderated result), then ``confusion`` lines: per criterion,
how many pairs had ``level_first`` and ``level_second`` (the pair's first reviewer in
canonical order). The first lines, section ``summary``, give in ``name`` and ``value``
the time (UTC), the filters, the number of pairs and the reviews left out and why.

**XLSX**: a *Summary* sheet (when, filters, pairs, reviews left out and why), then one
sheet per credential (its rows of figures, then each criterion's confusion matrix, whose
size depends on the credential's levels) and an *Over time* sheet. Times are written in
UTC and shown with "UTC" in their number format (a spreadsheet cell has no time zone).

**JSON**: ``StatsReport.as_dict()`` with ``format`` and ``generated_at``.

Each file is written beside the target and renamed into place (``store.atomic_files``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer_app.domain.agreement import Agreement
from reviewer_app.domain.stats_report import StatsReport
from reviewer_app.errors import UserError
from reviewer_app.exports.spreadsheet import spreadsheet_safe
from reviewer_app.store.atomic_files import atomic_path, atomic_text_file

FORMATS = ("csv", "xlsx", "json")
FORMAT = "reviewer-agreement-stats/1"
FIGURES = ("pairs", "exact", "adjacent", "kappa", "weighted_kappa", "alpha_ordinal",
           "alpha_interval", "decision_pairs", "decision_exact", "decision_kappa")
COLUMNS = ("section", "credential", "credential_title", "criterion", "criterion_title",
           "reviewer", "other", "period", "period_start", *FIGURES,
           "level_first", "level_second", "count", "name", "value")
TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'


def _figures(scores: Agreement, decisions: Agreement | None) -> list[Any]:
    out = [scores.n, scores.exact, scores.adjacent, scores.kappa, scores.weighted_kappa,
           scores.alpha, scores.alpha_interval]
    if decisions is None:
        return [*out, None, None, None]
    return [*out, decisions.n, decisions.exact, decisions.kappa]


def rows(report: StatsReport) -> Iterator[dict[str, Any]]:
    """Every row of figures, then every confusion cell, as plain dicts (``COLUMNS``)."""
    def row(section: str, **kw: Any) -> dict[str, Any]:
        return {c: kw.get(c) for c in COLUMNS} | {"section": section}

    def figures(scores: Agreement, decisions: Agreement | None = None) -> dict[str, Any]:
        return dict(zip(FIGURES, _figures(scores, decisions), strict=True))

    for r in report.by_credential:
        yield row("credential", credential=r.credential_key, credential_title=r.credential_title,
                  **figures(r.scores, r.decisions))
    for r in report.by_criterion:
        yield row("criterion", credential=r.credential_key, credential_title=r.credential_title,
                  criterion=r.criterion_key, criterion_title=r.criterion_title, **figures(r.scores))
    for r in report.by_pair:
        a, b = r.reviewers or (None, None)
        yield row("pair", credential=r.credential_key, credential_title=r.credential_title,
                  reviewer=a.name if a else None, other=b.name if b else None,
                  **figures(r.scores, r.decisions))
    for p in report.over_time:
        yield row("period", period=p.period, period_start=p.start.isoformat(), **figures(p.scores))
    for r in report.drift:
        yield row("drift", credential=r.credential_key, credential_title=r.credential_title,
                  reviewer=r.reviewer.name, other="other reviewers", period=r.period,
                  period_start=r.start.isoformat() if r.start else None, **figures(r.scores))
    for r in report.against_moderation:
        yield row("moderated", credential=r.credential_key, credential_title=r.credential_title,
                  reviewer=r.reviewer.name, other="moderated result",
                  **figures(r.scores, r.decisions))
    for r in report.by_criterion:
        for i, first in enumerate(r.levels):
            for j, second in enumerate(r.levels):
                yield row("confusion", credential=r.credential_key,
                          credential_title=r.credential_title, criterion=r.criterion_key,
                          criterion_title=r.criterion_title, level_first=first,
                          level_second=second, count=r.confusion[i][j] if r.confusion else 0)


def _summary(report: StatsReport, now: datetime) -> list[tuple[str, Any]]:
    q = report.query
    return [("generated_at_utc", now), ("credential", q.credential_key or "all"),
            ("from_utc", q.since), ("until_utc", q.until), ("period", q.period),
            ("review_pairs", report.pairs),
            ("left_out_moderation_reviews", report.excluded.get("moderation", 0)),
            ("left_out_calibration_reviews", report.excluded.get("calibration", 0))]


def export_stats(report: StatsReport, fmt: str, out: Path, *, now: datetime | None = None) -> Path:
    """Write ``report`` to ``out`` as ``fmt`` (csv, xlsx or json); returns ``out``."""
    if fmt not in FORMATS:
        raise UserError(f"Statistics export as csv, xlsx or json, not {fmt!r}.")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    out = Path(out)
    if fmt == "json":
        with atomic_text_file(out) as fh:
            json.dump({"format": FORMAT, "generated_at": now.isoformat(), **report.as_dict()},
                      fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    elif fmt == "csv":
        _write_csv(report, out, now)
    else:
        _write_xlsx(report, out, now)
    return out


def _write_csv(report: StatsReport, out: Path, now: datetime) -> None:
    with atomic_text_file(out, newline="") as fh:
        fh.write("\ufeff")  # Excel takes the file for UTF-8 only with a byte-order mark
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for name, value in _summary(report, now):
            text = value.isoformat() if isinstance(value, datetime) else value
            writer.writerow([*(["summary"] + [None] * (len(COLUMNS) - 3)), name, text])
        for r in rows(report):
            writer.writerow([spreadsheet_safe(r[c]) for c in COLUMNS])


def _sheet_name(text: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", "-", text).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write_xlsx(report: StatsReport, out: Path, now: datetime) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError as exc:
        raise UserError("XLSX export needs openpyxl, which is not installed: pip install openpyxl",
                        details=str(exc)) from None
    bold = Font(bold=True)
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    used = {"summary"}
    for name, value in _summary(report, now):
        if isinstance(value, datetime):
            summary.append([name, value.astimezone(UTC).replace(tzinfo=None)])
            summary.cell(summary.max_row, 2).number_format = TIME_FORMAT
        else:
            summary.append([name, value])
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 24
    all_rows = list(rows(report))
    figure_cols = ("section", "criterion", "criterion_title", "reviewer", "other", "period",
                   "period_start", *FIGURES)
    for cred in [r.credential_key for r in report.by_credential]:
        ws = wb.create_sheet(_sheet_name(cred, used))
        ws.append(list(figure_cols))
        for c in ws[1]:
            c.font = bold
        mine = [r for r in all_rows if r["credential"] == cred]
        for r in mine:
            if r["section"] != "confusion":
                ws.append([spreadsheet_safe(r[c]) for c in figure_cols])
        for crit in (r for r in report.by_criterion if r.credential_key == cred):
            ws.append([])
            ws.append([f"Confusion: {crit.criterion_title} ({crit.criterion_key})",
                       "rows: first reviewer of the pair; columns: the other"])
            ws.cell(ws.max_row, 1).font = bold
            ws.append(["level", *crit.levels])
            for level, counts in zip(crit.levels, crit.confusion or ((),) * len(crit.levels),
                                     strict=True):
                ws.append([level, *counts])
        ws.column_dimensions["A"].width = 14
        ws.freeze_panes = "B2"
    ws = wb.create_sheet(_sheet_name("Over time", used))
    period_cols = ("period", "period_start", *FIGURES[:7])
    ws.append(list(period_cols))
    for r in all_rows:
        if r["section"] == "period":
            ws.append([r[c] for c in period_cols])
    with atomic_path(out) as part:
        wb.save(part)
