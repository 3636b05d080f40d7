"""Final decisions exported for lead assessors: CSV, JSON and XLSX, filtered, never half written."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from reviewer_app.domain.model import Decision, Role
from reviewer_app.errors import Cancelled, UserError
from reviewer_app.exports.decisions import COLUMNS, DecisionFilter
from reviewer_app.jobs import Job
from reviewer_app.services.final_exports import (
    count_final_decisions,
    credential_choices,
    export_final_decisions,
)
from reviewer_app.services.roles import NotAllowed, update_self

from final_decisions_support import (
    FORMULA_COMMENT,
    RITA,
    add_bulk_final_decisions,
    seed_final_decisions,
)
from postgres_support import PG_URL

FA = ["learning-goals", "checks-for-understanding", "feedback", "adjusting-instruction"]
CL = ["group-structures", "discourse-moves", "equitable-participation"]


@pytest.fixture
def lead_ctx(demo_ctx):
    seed_final_decisions(demo_ctx)
    return demo_ctx


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_csv_has_one_row_per_final_decision_with_levels_by_criterion(lead_ctx, tmp_path: Path):
    summary = export_final_decisions(lead_ctx, "csv", tmp_path / "final.csv")
    header, rows = _csv(tmp_path / "final.csv")
    assert summary.count == len(rows) == 4
    # Two rubrics: the union of their criteria, rubric by rubric (credentials in key order).
    assert header == [*COLUMNS, *(f"{kind}:{k}" for k in CL + FA for kind in ("level", "comment"))]
    # Oldest decision first.
    assert [(r["submission_id"], r["attempt"]) for r in rows] == [
        ("DEMO-1002", "1"), ("DEMO-1001", "1"), ("DEMO-2001", "1"), ("DEMO-1002", "2")]
    first, agreed, moderated, again = rows
    assert (first["decision"], first["source"], first["sync_state"]) == ("not_yet", "single", "accepted")
    assert first["candidate_name"] == "Sam Rivera" and first["recipient"] == "sam.rivera@example.org"
    assert first["credential_id"] == "fa-math" and first["credential_version"] == "1"
    assert first["decided_at"] == "2025-03-03T12:00:00+00:00" and first["decided_by"] == "Lena Lead"
    assert first["level:checks-for-understanding"] == "2"
    assert "mini whiteboards" in first["comment:checks-for-understanding"]
    assert first["level:group-structures"] == ""  # not in this credential's rubric
    assert (agreed["decision"], agreed["source"], agreed["sync_state"]) == ("earned", "agreed", "queued")
    assert agreed["level:checks-for-understanding"] == "4"
    # The moderated decision carries the moderation's levels, not the first reviewer's.
    assert (moderated["source"], moderated["sync_state"]) == ("moderated", "not_queued")
    assert [moderated[f"level:{k}"] for k in CL] == ["3", "2", "3"]
    assert moderated["rationale"].startswith("The role cards are visible")
    assert moderated["candidate_name"] == "Jordan Lee" and moderated["recipient_type"] == "url"
    assert again["sync_state"] == "rejected" and again["feedback"].startswith("Try an exit ticket")


def test_csv_neutralises_spreadsheet_formulas(lead_ctx, tmp_path: Path):
    export_final_decisions(lead_ctx, "csv", tmp_path / "final.csv")
    _, rows = _csv(tmp_path / "final.csv")
    agreed = next(r for r in rows if r["submission_id"] == "DEMO-1001")
    assert agreed["comment:feedback"] == "'" + FORMULA_COMMENT


def test_one_credential_gets_exactly_its_rubric_columns(lead_ctx, tmp_path: Path):
    export_final_decisions(lead_ctx, "csv", tmp_path / "cl.csv", DecisionFilter(credential="cl-discussion"))
    header, rows = _csv(tmp_path / "cl.csv")
    assert header[len(COLUMNS):] == [f"{kind}:{k}" for k in CL for kind in ("level", "comment")]
    assert [r["submission_id"] for r in rows] == ["DEMO-2001"]


@pytest.mark.parametrize(("filters", "expected"), [
    (DecisionFilter(credential="fa-math"), ["DEMO-1002/1", "DEMO-1001/1", "DEMO-1002/2"]),
    (DecisionFilter(date_from=date(2025, 3, 10)), ["DEMO-1001/1", "DEMO-2001/1", "DEMO-1002/2"]),
    (DecisionFilter(date_to=date(2025, 3, 10)), ["DEMO-1002/1", "DEMO-1001/1"]),
    (DecisionFilter(date_from=date(2025, 3, 4), date_to=date(2025, 3, 31)),
     ["DEMO-1001/1", "DEMO-2001/1"]),
    (DecisionFilter(decisions=(Decision.NOT_YET,)), ["DEMO-1002/1", "DEMO-1002/2"]),
    (DecisionFilter(sync_states=("not_queued",)), ["DEMO-2001/1"]),
    (DecisionFilter(sync_states=("rejected", "queued")), ["DEMO-1001/1", "DEMO-1002/2"]),
    (DecisionFilter(credential="fa-math", decisions=(Decision.EARNED,),
                    sync_states=("queued", "not_queued")), ["DEMO-1001/1"]),
    (DecisionFilter(credential="no-such-credential"), []),
])
def test_filters(lead_ctx, tmp_path: Path, filters: DecisionFilter, expected: list[str]):
    summary = export_final_decisions(lead_ctx, "json", tmp_path / "f.json", filters)
    data = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert [f"{d['submission_id']}/{d['attempt']}" for d in data["decisions"]] == expected
    assert data["count"] == summary.count == len(expected) == count_final_decisions(lead_ctx, filters)


def test_json_has_a_header_and_nested_scores(lead_ctx, tmp_path: Path):
    filters = DecisionFilter(credential="fa-math", date_from=date(2025, 3, 1))
    export_final_decisions(lead_ctx, "json", tmp_path / "f.json", filters)
    data = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert data["format"] == "reviewer-final-decisions/1"
    assert data["generated_at"].endswith("+00:00") and data["count"] == 3
    assert data["filters"]["credential"] == "fa-math" and data["filters"]["from"] == "2025-03-01"
    assert data["filters"]["decided_from_utc"] is not None and data["filters"]["to"] is None
    first = data["decisions"][0]
    assert first["candidate"] == {"id": first["candidate"]["id"], "name": "Sam Rivera",
                                  "recipient_type": "email", "recipient": "sam.rivera@example.org"}
    assert first["rubric"] == {"id": "fa-math-rubric", "version": "1",
                               "title": "Formative Assessment in Mathematics"}
    assert [s["criterion_id"] for s in first["scores"]] == FA
    checks = first["scores"][1]
    assert checks == {"criterion_id": "checks-for-understanding", "title": "Checks for understanding",
                      "level": 2, "label": "Developing", "required_level": 3, "met": False,
                      "comment": checks["comment"]}
    assert "mini whiteboards" in checks["comment"]
    # JSON keeps text as it is (no spreadsheet prefix).
    agreed = data["decisions"][1]
    assert agreed["scores"][2]["comment"] == FORMULA_COMMENT


def test_xlsx_holds_the_same_rows(lead_ctx, tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    export_final_decisions(lead_ctx, "csv", tmp_path / "f.csv")
    summary = export_final_decisions(lead_ctx, "xlsx", tmp_path / "f.xlsx")
    header, rows = _csv(tmp_path / "f.csv")
    book = openpyxl.load_workbook(tmp_path / "f.xlsx")
    values = list(book["Final decisions"].iter_rows(values_only=True))
    assert summary.count == 4 and list(values[0]) == header
    by_name = [dict(zip(header, v, strict=True)) for v in values[1:]]
    assert [r["submission_id"] for r in by_name] == [r["submission_id"] for r in rows]
    moderated = by_name[2]
    assert moderated["level:group-structures"] == 3  # a number, not text
    assert moderated["decided_at"].isoformat() == "2025-03-20T12:00:00"  # UTC
    # A comment starting with "=" is text in the workbook, never a formula.
    assert by_name[1]["comment:feedback"] == FORMULA_COMMENT
    cell = next(c for c in book["Final decisions"][3] if c.value == FORMULA_COMMENT)
    assert cell.data_type == "s"


def test_empty_export_is_valid(app_ctx, tmp_path: Path):
    update_self(app_ctx, role=Role.LEAD_ASSESSOR)
    export_final_decisions(app_ctx, "csv", tmp_path / "e.csv")
    export_final_decisions(app_ctx, "json", tmp_path / "e.json")
    header, rows = _csv(tmp_path / "e.csv")
    assert header == list(COLUMNS) and rows == []
    data = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert data["count"] == 0 and data["decisions"] == []


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_cancel_leaves_no_file_and_the_old_one_untouched(lead_ctx, tmp_path: Path, fmt: str):
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    add_bulk_final_decisions(lead_ctx, 1500)
    out = tmp_path / "exports" / f"final.{fmt}"
    out.parent.mkdir()
    out.write_text("previous export\n")
    seen: list[int] = []
    job = Job()

    def progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        if done >= 500:
            job.cancel()

    job.progress = progress
    with pytest.raises(Cancelled):
        export_final_decisions(lead_ctx, fmt, out, job=job)
    assert seen[0] == 0 and max(seen) >= 500  # it had started writing rows
    assert out.read_text() == "previous export\n"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


def test_progress_reaches_the_total(lead_ctx, tmp_path: Path):
    add_bulk_final_decisions(lead_ctx, 1200)
    seen: list[tuple[int, int]] = []
    summary = export_final_decisions(lead_ctx, "csv", tmp_path / "f.csv",
                                     job=Job(progress=lambda d, t, m: seen.append((d, t))))
    assert summary.count == 1204
    assert seen[0] == (0, 1204) and seen[-1] == (1204, 1204)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_reviewer_is_refused(demo_ctx, tmp_path: Path):
    update_self(demo_ctx, role=Role.REVIEWER)
    with pytest.raises(NotAllowed, match="Only a lead assessor may export final decisions"):
        export_final_decisions(demo_ctx, "csv", tmp_path / "f.csv")
    with pytest.raises(NotAllowed):
        credential_choices(demo_ctx)
    assert not (tmp_path / "f.csv").exists()


def test_credential_choices_count_final_decisions(lead_ctx):
    choices = {c.key: (c.title, c.decisions) for c in credential_choices(lead_ctx)}
    assert choices == {"cl-discussion": ("Collaborative Learning: Small-Group Discussion", 1),
                       "fa-math": ("Formative Assessment in Mathematics", 3)}


def test_plain_refusals(lead_ctx, tmp_path: Path):
    with pytest.raises(UserError, match="Unknown export format"):
        export_final_decisions(lead_ctx, "pdf", tmp_path / "f.pdf")
    with pytest.raises(UserError, match="is a folder"):
        export_final_decisions(lead_ctx, "csv", tmp_path)
    with pytest.raises(UserError, match="date range is empty"):
        DecisionFilter(date_from=date(2025, 4, 1), date_to=date(2025, 3, 1))
    with pytest.raises(UserError, match="Unknown sync state"):
        DecisionFilter(sync_states=("lost",))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(UserError, match="Cannot write"):
        export_final_decisions(lead_ctx, "csv", blocker / "f.csv")


def test_reviewer_name_is_not_the_decider(lead_ctx, tmp_path: Path):
    """'decided_by' names who made the final decision, whoever scored the review."""
    export_final_decisions(lead_ctx, "csv", tmp_path / "f.csv")
    _, rows = _csv(tmp_path / "f.csv")
    assert {r["decided_by"] for r in rows} == {"Lena Lead"}
    assert RITA not in (tmp_path / "f.csv").read_text(encoding="utf-8")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="set REVIEWER_APP_TEST_DATABASE_URL")
def test_the_same_export_on_postgresql(pg_paths, tmp_path: Path):
    from reviewer_app.services.demo import load_demo
    from reviewer_app.store.context import AppContext

    with AppContext.open(pg_paths) as ctx:
        load_demo(ctx)
        seed_final_decisions(ctx)
        export_final_decisions(ctx, "csv", tmp_path / "pg.csv",
                               DecisionFilter(sync_states=("not_queued", "rejected")))
        summary = export_final_decisions(ctx, "json", tmp_path / "pg.json")
    _, rows = _csv(tmp_path / "pg.csv")
    assert [(r["submission_id"], r["sync_state"], r["decided_at"]) for r in rows] == [
        ("DEMO-2001", "not_queued", "2025-03-20T12:00:00+00:00"),
        ("DEMO-1002", "rejected", "2025-04-02T12:00:00+00:00")]
    assert [r["level:group-structures"] for r in rows] == ["3", ""]
    data = json.loads((tmp_path / "pg.json").read_text(encoding="utf-8"))
    assert summary.count == data["count"] == len(data["decisions"]) == 4
