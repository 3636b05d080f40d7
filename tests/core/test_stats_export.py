"""Agreement statistics exported as CSV, XLSX and JSON (issue #13, item 6), read back with
the csv module and openpyxl as a spreadsheet would read them."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from reviewer_app.domain.model import Role
from reviewer_app.exports.stats import export_stats
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.stats import agreement_stats
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database
from stats_support import CL, FA, act_as, attempt_ids, submit

NOW = datetime(2026, 9, 14, 8, 30, 5, tzinfo=UTC)


@pytest.fixture
def report(demo_ctx: AppContext):
    """Zoë Ångström and Blake score the demo attempts apart (accents in a name)."""
    ids = attempt_ids(demo_ctx)
    lead = current_profile(demo_ctx).name
    plan = {"Zoë Ångström": ((4, 3, 3, 2), (3, 3, 4, 3), (2, 2, 3)),
            "Blake Okafor": ((4, 2, 3, 3), (3, 3, 3, 3), (3, 2, 1))}
    for name, (a, b, c) in plan.items():
        act_as(demo_ctx, name)
        submit(demo_ctx, ids[("DEMO-1001", 1)], dict(zip(FA, a)))
        submit(demo_ctx, ids[("DEMO-1002", 2)], dict(zip(FA, b)))
        submit(demo_ctx, ids[("DEMO-2001", 1)], dict(zip(CL, c)))
    act_as(demo_ctx, lead, Role.LEAD_ASSESSOR)
    as_lead_database(demo_ctx)
    return agreement_stats(demo_ctx)


def test_csv_keeps_accents_for_excel_and_every_figure(report, tmp_path: Path):
    out = export_stats(report, "csv", tmp_path / "stats.csv", now=NOW)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ångström".encode() in raw  # UTF-8, not a legacy code page
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    summary = {r["name"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["generated_at_utc"] == "2026-09-14T08:30:05+00:00"
    assert summary["review_pairs"] == "3"
    for r in report.by_criterion:
        line = next(x for x in rows if x["section"] == "criterion" and x["criterion"] == r.criterion_key)
        assert int(line["pairs"]) == r.scores.n
        assert (line["kappa"] or None) == (None if r.scores.kappa is None else repr(r.scores.kappa))
        cells = [x for x in rows if x["section"] == "confusion" and x["criterion"] == r.criterion_key]
        assert len(cells) == len(r.levels) ** 2
        assert sum(int(x["count"]) for x in cells) == r.scores.n
    pair = next(x for x in rows if x["section"] == "pair")
    assert {pair["reviewer"], pair["other"]} == {"Zoë Ångström", "Blake Okafor"}


def test_xlsx_has_a_sheet_per_credential_with_confusion_matrices_and_utc_times(
        report, tmp_path: Path):
    out = export_stats(report, "xlsx", tmp_path / "stats.xlsx", now=NOW)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "cl-discussion", "fa-math", "Over time"]
    when = wb["Summary"]["B1"]
    assert when.value == NOW.replace(tzinfo=None) and "UTC" in when.number_format
    fa = wb["fa-math"]
    values = [[c.value for c in row] for row in fa.iter_rows()]
    assert values[0][:2] == ["section", "criterion"]
    # fa-math's 4-level confusion matrices: a heading, the levels, then one row per level
    heading = next(i for i, v in enumerate(values) if str(v[0]).startswith("Confusion:")
                   and "(feedback)" in str(v[0]))
    assert values[heading + 1][:5] == ["level", 1, 2, 3, 4]
    matrix = [row[1:5] for row in values[heading + 2:heading + 6]]
    # Zoë gave 3 and 4, Blake 3 and 3 (either may be the pair's first reviewer)
    assert sum(map(sum, matrix)) == 2 and (matrix[2][2] == 1)
    assert matrix[3][2] + matrix[2][3] == 1
    # the cl-discussion sheet's matrices are 3 by 3: columns differ by credential
    cl = [[c.value for c in row] for row in wb["cl-discussion"].iter_rows()]
    assert ["level", 1, 2, 3] in [row[:4] for row in cl]


def test_json_is_the_report_with_a_format(report, tmp_path: Path):
    data = json.loads((export_stats(report, "json", tmp_path / "s.json", now=NOW)).read_text("utf-8"))
    assert data["format"] == "reviewer-agreement-stats/1"
    assert data["review_pairs"] == 3 and data["excluded_reviews"] == {"moderation": 0, "calibration": 0}
