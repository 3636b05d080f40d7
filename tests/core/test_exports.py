"""Exports of reviews and decisions: CSV and JSON, empty or not, never half written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from reviewer_app.errors import Cancelled
from reviewer_app.jobs import Job
from reviewer_app.services.review_exports import CSV_COLUMNS, export_reviews

from lead_support import FA_EARNED, add_profile, make_lead, score_as


def test_empty_export_is_valid(app_ctx, tmp_path: Path):
    export_reviews(app_ctx, "csv", tmp_path / "e.csv")
    export_reviews(app_ctx, "json", tmp_path / "e.json")
    with open(tmp_path / "e.csv", newline="") as fh:
        assert list(csv.reader(fh)) == [CSV_COLUMNS]
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["reviews"] == [] and data["count"] == 0 and data["format"] == "reviewer-export/1"


def test_csv_has_a_row_per_review_and_criterion(demo_ctx, tmp_path: Path):
    summary = export_reviews(demo_ctx, "csv", tmp_path / "e.csv")
    with open(tmp_path / "e.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert summary.reviews == 2 and len(rows) == summary.rows == 8
    submitted = [r for r in rows if r["status"] == "submitted"]
    assert {r["decision"] for r in submitted} == {"not_yet"}
    checks = next(r for r in submitted if r["criterion_id"] == "checks-for-understanding")
    assert (checks["level"], checks["level_label"], checks["meets_required"]) == ("2", "Developing", "no")
    assert "mini whiteboards" in checks["feedback"]


def test_json_carries_reviews_with_their_criteria(demo_ctx, tmp_path: Path):
    export_reviews(demo_ctx, "json", tmp_path / "e.json")
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["count"] == 2
    done = next(r for r in data["reviews"] if r["status"] == "submitted")
    assert done["submission_id"] == "DEMO-1002" and done["decision"] == "not_yet"
    assert [c["criterion_id"] for c in done["criteria"]] == [
        "learning-goals", "checks-for-understanding", "feedback", "adjusting-instruction"]
    text = (tmp_path / "e.json").read_text()
    assert "Sam Rivera" not in text and "sam.rivera@example.org" not in text  # blind


def test_spreadsheet_formulas_in_text_are_neutralised(demo_ctx, tmp_path: Path):
    from reviewer_app.services import reviews
    from reviewer_app.services.submissions import get_submission

    review = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-2001").attempt_id)
    reviews.set_comment(demo_ctx, review.uid, "group-structures", "=HYPERLINK(\"http://x\")")
    export_reviews(demo_ctx, "csv", tmp_path / "e.csv")
    with open(tmp_path / "e.csv", newline="") as fh:
        comments = [r["comment"] for r in csv.DictReader(fh)]
    assert "'=HYPERLINK(\"http://x\")" in comments


def test_cancelled_export_leaves_no_file_and_keeps_the_old_one(demo_ctx, tmp_path: Path):
    out = tmp_path / "exports" / "e.csv"
    out.parent.mkdir()
    out.write_text("previous export\n")
    job = Job()
    job.progress = lambda done, total, msg: job.cancel() if done >= 1 else None
    with pytest.raises(Cancelled):
        export_reviews(demo_ctx, "csv", out, job)
    assert out.read_text() == "previous export\n"
    assert [p.name for p in out.parent.iterdir()] == ["e.csv"]  # no half-written temporary


def test_a_reviewer_exports_only_their_own_reviews_and_no_candidate_id(demo_ctx, tmp_path: Path):
    other = add_profile(demo_ctx, "Ben Okoye")
    score_as(demo_ctx, other, "DEMO-1001", 1, FA_EARNED)
    mine = export_reviews(demo_ctx, "json", tmp_path / "mine.json")
    data = json.loads((tmp_path / "mine.json").read_text())
    assert mine.reviews == 2 and "Ben Okoye" not in {r["reviewer"]["name"] for r in data["reviews"]}
    assert {r["candidate_id"] for r in data["reviews"]} == {"Candidate (blind)"}

    make_lead(demo_ctx)
    everything = export_reviews(demo_ctx, "json", tmp_path / "all.json")
    data = json.loads((tmp_path / "all.json").read_text())
    assert everything.reviews == 3 and "Candidate (blind)" not in {r["candidate_id"] for r in data["reviews"]}
