"""Calibration: agreed scores marked by a lead assessor, a reviewer's result after
submitting (never before), agreement rates and qualification, and the calibration file
that carries the agreed scores to a reviewer's laptop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Decision
from reviewer_app.errors import UserError
from reviewer_app.services import calibration, policies
from reviewer_app.services.roles import NotAllowed
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext

from lead_support import CL_EARNED, FA_EARNED, add_profile, attempt_id, become, make_lead, score, score_as

FA_AGREED = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 2, "adjusting-instruction": 2}
CL_AGREED = {"group-structures": 2, "discourse-moves": 3, "equitable-participation": 3}


def test_a_lead_marks_calibration_items_and_can_change_them(demo_ctx: AppContext):
    make_lead(demo_ctx, "Lena Lead")
    target = attempt_id(demo_ctx, "DEMO-2001")
    item = calibration.mark_calibration(demo_ctx, target, CL_AGREED, note="Typical discussion")
    assert (item.submission_key, item.attempt, item.credential_key, item.decision, item.marked_by) == (
        "DEMO-2001", 1, "cl-discussion", Decision.EARNED, "Lena Lead")
    assert dict(item.levels) == CL_AGREED and item.note == "Typical discussion"
    again = calibration.mark_calibration(demo_ctx, target, {**CL_AGREED, "equitable-participation": 2})
    assert again.decision is Decision.NOT_YET  # the rubric rule decides
    assert [i.submission_key for i in calibration.list_calibration(demo_ctx)] == ["DEMO-2001"]
    assert calibration.list_calibration(demo_ctx, "fa-math") == []
    with pytest.raises(UserError, match="every criterion"):
        calibration.mark_calibration(demo_ctx, target, {"group-structures": 2})
    with pytest.raises(UserError, match="no level 9"):
        calibration.mark_calibration(demo_ctx, target, {**CL_AGREED, "discourse-moves": 9})
    assert [a.action for a in audit.recent(demo_ctx, subject="DEMO-2001 attempt 1")] == \
        ["calibration.mark", "calibration.mark"]
    assert calibration.unmark_calibration(demo_ctx, target)
    assert not calibration.unmark_calibration(demo_ctx, target)
    assert calibration.list_calibration(demo_ctx) == []


def test_a_reviewer_sees_where_they_matched_only_after_submitting(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    calibration.mark_calibration(demo_ctx, attempt_id(demo_ctx, "DEMO-2001"), CL_AGREED)
    ana, ben = add_profile(demo_ctx, "Ana"), add_profile(demo_ctx, "Ben")
    become(demo_ctx, ana)
    draft = score(demo_ctx, "DEMO-2001", 1, CL_EARNED, submit=False)
    with pytest.raises(UserError, match="once the review is submitted"):
        calibration.calibration_result(demo_ctx, draft)
    from reviewer_app.services import reviews

    reviews.submit_review(demo_ctx, draft)
    result = calibration.calibration_result(demo_ctx, draft)
    assert [(c.criterion_key, c.agreed, c.given, c.exact, c.adjacent) for c in result.criteria] == [
        ("group-structures", 2, 3, False, True), ("discourse-moves", 3, 3, True, True),
        ("equitable-participation", 3, 3, True, True)]
    assert result.criteria[0].agreed_label == "Emerging" and result.criteria[0].given_label == "Established"
    assert (result.exact, result.exact_rate, result.decision_matched) == (2, pytest.approx(2 / 3), True)
    become(demo_ctx, ben)
    with pytest.raises(NotAllowed):
        calibration.calibration_result(demo_ctx, draft)
    become(demo_ctx, lead)
    assert calibration.calibration_result(demo_ctx, draft).exact == 2
    # A review of a submission that is not a calibration item has no result.
    plain = score_as(demo_ctx, ana, "DEMO-1002", 2, FA_EARNED)
    assert calibration.calibration_result(demo_ctx, plain) is None


def test_agreement_rates_and_qualification_by_the_policy_threshold(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    for key, number in [("DEMO-1001", 1), ("DEMO-1002", 2)]:
        calibration.mark_calibration(demo_ctx, attempt_id(demo_ctx, key, number), FA_AGREED)
    ana, ben = add_profile(demo_ctx, "Ana"), add_profile(demo_ctx, "Ben")
    for key, number in [("DEMO-1001", 1), ("DEMO-1002", 2)]:
        score_as(demo_ctx, ana, key, number, FA_AGREED)
    # Ben: 3 of 4 on one item, 2 of 4 on the other: 5 of 8 exact, 7 of 8 within one level.
    score_as(demo_ctx, ben, "DEMO-1001", 1, {**FA_AGREED, "feedback": 3})
    score_as(demo_ctx, ben, "DEMO-1002", 2, {**FA_AGREED, "feedback": 3, "learning-goals": 1})
    rows = {r.reviewer_name: r for r in calibration.reviewer_agreement(demo_ctx, "fa-math")}
    assert set(rows) == {"Ana", "Ben"}
    assert (rows["Ana"].items, rows["Ana"].exact_rate, rows["Ana"].qualified) == (2, 1.0, True)
    assert (rows["Ben"].items, rows["Ben"].criteria, rows["Ben"].exact_rate, rows["Ben"].adjacent_rate) == (
        2, 8, 0.625, 0.875)
    assert (rows["Ben"].threshold, rows["Ben"].qualified, rows["Ben"].decisions_matched) == (0.8, False, 1)
    policies.set_policy(demo_ctx, "fa-math", calibration_threshold=0.6)
    assert {r.reviewer_name: r.qualified for r in calibration.reviewer_agreement(demo_ctx, "fa-math")} == \
        {"Ana": True, "Ben": True}
    # A reviewer sees their own line only.
    become(demo_ctx, ben)
    [own] = calibration.reviewer_agreement(demo_ctx, "fa-math")
    assert own.reviewer_name == "Ben" and own.exact_rate == 0.625
    become(demo_ctx, lead)
    # The lead's database made no decision from calibration reviews.
    from reviewer_app.services import moderation

    assert moderation.list_final_decisions(demo_ctx) == [] and moderation.list_disputes(demo_ctx) == []


@pytest.fixture
def reviewer_ctx(tmp_path: Path, _demo_data_template: Path):
    """A second laptop: a reviewer's own copy of the demo data."""
    folder = tmp_path / "reviewer"
    shutil.copytree(_demo_data_template, folder)
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        yield ctx


def test_the_calibration_file_carries_the_agreed_scores_to_a_reviewer(demo_ctx: AppContext,
                                                                      reviewer_ctx: AppContext,
                                                                      tmp_path: Path):
    lead = make_lead(demo_ctx, "Lena Lead")
    calibration.mark_calibration(demo_ctx, attempt_id(demo_ctx, "DEMO-2001"), CL_AGREED)
    out = calibration.export_calibration(demo_ctx, tmp_path / "cal.json")
    assert out.items == 1
    data = json.loads(out.path.read_text())
    assert data["format"] == "reviewer-calibration/1" and data["header"]["lead"]["uid"] == lead
    # On the reviewer's laptop: imported, then scored and submitted, then the result.
    imported = calibration.import_calibration(reviewer_ctx, out.path)
    assert (imported.imported, imported.missing) == (1, ())
    assert calibration.import_calibration(reviewer_ctx, out.path).imported == 1  # again: the same
    review = score(reviewer_ctx, "DEMO-2001", 1, CL_EARNED)
    result = calibration.calibration_result(reviewer_ctx, review)
    assert [c.exact for c in result.criteria] == [False, True, True]
    with pytest.raises(NotAllowed):  # the reviewer cannot list the agreed scores
        calibration.list_calibration(reviewer_ctx)
    # An altered file is refused, and says so.
    data["items"][0]["levels"][0]["level"] = 3
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    with pytest.raises(UserError, match="altered after it was exported") as refused:
        calibration.import_calibration(reviewer_ctx, altered)
    [entry] = audit.recent(reviewer_ctx, limit=1)  # the refusal is in the reviewer's audit log
    assert (entry.action, json.loads(entry.details_json)["reason"]) == \
        (audit.CALIBRATION_REFUSED, refused.value.message)
    # A submission the laptop does not hold is named.
    data["items"][0]["levels"][0]["level"] = 2
    data["items"].append({**data["items"][0], "submission": "DEMO-9999"})
    import hashlib

    data["header"]["content_sha256"] = hashlib.sha256(json.dumps(
        data["items"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    more = tmp_path / "more.json"
    more.write_text(json.dumps(data))
    outcome = calibration.import_calibration(reviewer_ctx, more)
    assert outcome.missing == ("DEMO-9999 attempt 1",) and "DEMO-9999 attempt 1" in outcome.describe()
