"""Final decisions in a lead assessor's database: one review, two that agree, two that
dispute, the double-scoring rule, and the outbox (only final decisions reach the issuer)."""

from __future__ import annotations

import json

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from reviewer_app.domain.model import Decision, SubmissionStatus
from reviewer_app.services import policies
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import audit, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox

from lead_support import (
    CL_EARNED,
    FA_EARNED,
    FA_NOT_YET,
    add_profile,
    arrive,
    attempt_id,
    make_lead,
    rows,
    score,
    score_as,
)


def _outbox(ctx: AppContext) -> list[dict]:
    with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM sync_outbox ORDER BY id"))]


def _actions(ctx: AppContext, subject: str) -> list[str]:
    return [line.action for line in reversed(audit.recent(ctx, subject=subject))]


def test_a_reviewers_submit_records_the_review_and_queues_nothing(demo_ctx: AppContext):
    uid = score(demo_ctx, "DEMO-1002", 2, FA_EARNED)
    assert _outbox(demo_ctx) == []
    assert rows(demo_ctx, m.FinalDecision) == [] and rows(demo_ctx, m.Dispute) == []
    assert "review.submit" in _actions(demo_ctx, "DEMO-1002 attempt 2")
    assert get_submission(demo_ctx, "DEMO-1002", 2).status is SubmissionStatus.SUBMITTED
    assert uid


def test_a_leads_single_review_is_final_and_queued_with_the_outbox_payload(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    uid = score(demo_ctx, "DEMO-1002", 2, FA_EARNED, comments={"feedback": "Specific \u2013 and kind."})
    [final] = rows(demo_ctx, m.FinalDecision)
    assert (final.source, final.decision, final.rationale) == ("single", Decision.EARNED, "")
    [entry] = _outbox(demo_ctx)
    assert entry["state"] == "queued" and entry["decision"] == "earned"
    # The payload is exactly what sync.outbox.decision_payload makes of the same review.
    with demo_ctx.sessions() as s:
        review = s.scalars(select(m.Review).where(m.Review.uid == uid).options(
            selectinload(m.Review.scores), selectinload(m.Review.reviewer))).one()
        assert final.review_id == review.id == entry["review_id"]
        assert json.loads(entry["payload_json"]) == outbox.decision_payload(review)
    assert _actions(demo_ctx, "DEMO-1002 attempt 2")[-2:] == ["review.submit", "decision.final"]
    [line] = [a for a in audit.recent(demo_ctx) if a.action == "decision.final"]
    assert line.actor_uid == lead and json.loads(line.details_json)["source"] == "single"


def test_a_random_pick_waits_for_a_second_review_and_agreement_is_final(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    policies.set_policy(demo_ctx, "fa-math", second_review_percent=100, max_level_gap=1)
    ana, ben = add_profile(demo_ctx, "Ana"), add_profile(demo_ctx, "Ben")
    target = attempt_id(demo_ctx, "DEMO-1002", 2)
    first = score_as(demo_ctx, ana, "DEMO-1002", 2, FA_EARNED)
    result = arrive(demo_ctx, [target])
    assert (result.final, result.disputed, result.waiting) == ([], [], [target])
    with demo_ctx.sessions() as s:
        assert s.get(m.Attempt, target).second_review == "random"
    assert _outbox(demo_ctx) == []
    # Ben differs by one level on one criterion: within the allowed gap, same decision.
    score_as(demo_ctx, ben, "DEMO-1002", 2, {**FA_EARNED, "checks-for-understanding": 3})
    result = arrive(demo_ctx, [target])
    assert result.final == [target]
    [final] = rows(demo_ctx, m.FinalDecision)
    assert final.source == "agreed"
    [entry] = _outbox(demo_ctx)
    assert json.loads(entry["payload_json"])["review_id"] == first  # the first review's levels
    # Evaluating again changes nothing.
    again = arrive(demo_ctx, [target])
    assert (again.final, again.disputed, again.waiting) == ([], [], [])
    assert len(_outbox(demo_ctx)) == 1 and len(rows(demo_ctx, m.FinalDecision)) == 1
    assert lead


def test_disagreement_opens_a_dispute_with_reasons_and_queues_nothing(demo_ctx: AppContext):
    make_lead(demo_ctx)
    ana, ben = add_profile(demo_ctx, "Ana"), add_profile(demo_ctx, "Ben")
    target = attempt_id(demo_ctx, "DEMO-1002", 2)
    score_as(demo_ctx, ana, "DEMO-1002", 2, FA_EARNED)
    score_as(demo_ctx, ben, "DEMO-1002", 2, FA_NOT_YET)
    # Both arrive together (one batch): they are compared even though no rule asked.
    result = arrive(demo_ctx, [target])
    assert result.disputed == [target] and result.final == []
    [dispute] = rows(demo_ctx, m.Dispute)
    reasons = dispute.reasons.splitlines()
    assert reasons[0] == "Ana decided \u201cearned\u201d and Ben decided \u201cnot yet\u201d."
    assert any(r.startswith("Criterion \u201cClear learning goals\u201d: Ana gave 3 (Proficient) and "
                            "Ben gave 2 (Developing)") for r in reasons)
    assert dispute.state == "open" and _outbox(demo_ctx) == []
    assert get_submission(demo_ctx, "DEMO-1002", 2).status is SubmissionStatus.DISPUTED
    assert "dispute.open" in _actions(demo_ctx, "DEMO-1002 attempt 2")
    with demo_ctx.sessions() as s:
        assert queue_state.mismatches(s) == []  # the stored status is the derived one


def test_near_the_cut_gets_a_second_review_far_from_it_does_not(demo_ctx: AppContext):
    make_lead(demo_ctx)
    policies.set_policy(demo_ctx, "cl-discussion", near_cut_margin=0)
    ana = add_profile(demo_ctx, "Ana")
    near = {"group-structures": 2, "discourse-moves": 3, "equitable-participation": 3}  # 2 is the cut
    score_as(demo_ctx, ana, "DEMO-2001", 1, near)
    assert arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-2001")]).waiting
    with demo_ctx.sessions() as s:
        assert s.get(m.Attempt, attempt_id(demo_ctx, "DEMO-2001")).second_review == "near_cut"
    policies.set_policy(demo_ctx, "fa-math", near_cut_margin=0)
    far = {"learning-goals": 4, "checks-for-understanding": 4, "feedback": 4, "adjusting-instruction": 4}
    score_as(demo_ctx, ana, "DEMO-1002", 2, far)
    assert arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", 2)]).final


def test_a_new_reviewers_first_reviews_get_a_second_one(demo_ctx: AppContext):
    make_lead(demo_ctx)
    policies.set_policy(demo_ctx, "fa-math", first_reviews=1)
    ana = add_profile(demo_ctx, "Ana")
    ids = []
    for key, number in [("DEMO-1001", 1), ("DEMO-1002", 2)]:
        score_as(demo_ctx, ana, key, number, FA_EARNED)
        ids.append(attempt_id(demo_ctx, key, number))
    # Both arrive in one batch: her first review (by submission time) waits, the next is final.
    result = arrive(demo_ctx, ids)
    assert result.waiting == ids[:1] and result.final == ids[1:]
    with demo_ctx.sessions() as s:
        assert [s.get(m.Attempt, i).second_review for i in ids] == ["new_reviewer", None]


def test_calibration_reviews_make_no_decision(demo_ctx: AppContext):
    from reviewer_app.services import calibration

    make_lead(demo_ctx)
    target = attempt_id(demo_ctx, "DEMO-2001")
    calibration.mark_calibration(demo_ctx, target, CL_EARNED)
    ana = add_profile(demo_ctx, "Ana")
    score_as(demo_ctx, ana, "DEMO-2001", 1, CL_EARNED)
    result = arrive(demo_ctx, [target])
    assert (result.final, result.disputed, result.waiting) == ([], [], [])
    assert rows(demo_ctx, m.FinalDecision) == [] and _outbox(demo_ctx) == []


def test_enqueue_missing_queues_final_decisions_only(demo_ctx: AppContext):
    # The demo's own submitted review (a reviewer's) is never queued.
    assert outbox.enqueue_missing(demo_ctx.sessions) == 0
    make_lead(demo_ctx)
    score(demo_ctx, "DEMO-2001", 1, CL_EARNED)
    with demo_ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_outbox"))
    assert outbox.enqueue_missing(demo_ctx.sessions) == 1
    assert outbox.enqueue_missing(demo_ctx.sessions) == 0
    [entry] = _outbox(demo_ctx)
    assert json.loads(entry["payload_json"])["submission_id"] == "DEMO-2001"


def test_many_attempts_in_one_call(demo_ctx: AppContext):
    """Attempts are evaluated in chunks: more than one chunk gives the same results."""
    from reviewer_app.services import finalize

    make_lead(demo_ctx)
    ana = add_profile(demo_ctx, "Ana")
    ids = []
    for key, number, levels in [("DEMO-1001", 1, FA_EARNED), ("DEMO-1002", 2, FA_NOT_YET),
                                ("DEMO-2001", 1, CL_EARNED)]:
        score_as(demo_ctx, ana, key, number, levels)
        ids.append(attempt_id(demo_ctx, key, number))
    old = finalize.CHUNK
    finalize.CHUNK = 2
    try:
        result = arrive(demo_ctx, ids + [10_000])  # an unknown id is ignored
    finally:
        finalize.CHUNK = old
    assert sorted(result.final) == sorted(ids)
    assert sorted(e["decision"] for e in _outbox(demo_ctx)) == ["earned", "earned", "not_yet"]
    verdict = audit.verify(demo_ctx)
    assert verdict.ok, verdict.problem
    with demo_ctx.sessions() as s:
        assert queue_state.mismatches(s) == []
