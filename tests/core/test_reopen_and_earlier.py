"""Reopening a submitted review (audited) until it leaves the laptop, and the previous
attempt of a resubmission shown beside the rubric."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reviewer_app.domain import Decision, ReviewStatus, SubmissionStatus
from reviewer_app.services import batches, reviews
from reviewer_app.services.earlier_attempts import previous_attempt
from reviewer_app.services.submissions import get_submission, list_submissions
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, make_lead


def _submitted(ctx: AppContext) -> str:
    review = reviews.start_review(ctx, get_submission(ctx, "DEMO-1002", 2).attempt_id)
    for key, level in FA_EARNED.items():
        reviews.set_level(ctx, review.uid, key, level)
    reviews.submit_review(ctx, review.uid)
    return review.uid


def _status(ctx: AppContext) -> SubmissionStatus:
    return {(r.key, r.attempt): r.status for r in list_submissions(ctx)}[("DEMO-1002", 2)]


def test_a_submitted_review_reopens_as_a_draft_and_the_log_says_so(demo_ctx: AppContext):
    uid = _submitted(demo_ctx)
    assert reviews.can_reopen(demo_ctx, uid) is None
    again = reviews.reopen_review(demo_ctx, uid)
    assert again.status is ReviewStatus.DRAFT and again.decision is None and again.submitted_at is None
    assert again.levels() == FA_EARNED  # the scores stay
    assert _status(demo_ctx) is SubmissionStatus.IN_PROGRESS
    reviews.set_level(demo_ctx, uid, "feedback", 4)  # changeable again
    with demo_ctx.sessions() as session:
        entry = session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == audit.REOPEN)).one()
        assert uid in entry.details_json and "earned" in entry.details_json
        assert entry.subject == "DEMO-1002 attempt 2"
    assert audit.verify(demo_ctx).ok
    done = reviews.submit_review(demo_ctx, uid)
    assert done.status is ReviewStatus.SUBMITTED and done.decision is Decision.EARNED


def test_a_draft_cannot_be_reopened(demo_ctx: AppContext):
    review = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 2).attempt_id)
    with pytest.raises(reviews.ReopenRefused, match="not been submitted"):
        reviews.reopen_review(demo_ctx, review.uid)


def test_reopening_is_refused_once_exported_in_a_score_batch(demo_ctx: AppContext, tmp_path):
    uid = _submitted(demo_ctx)
    batches.export_batch(demo_ctx, tmp_path)
    reason = reviews.can_reopen(demo_ctx, uid)
    assert reason is not None and "score batch" in reason
    with pytest.raises(reviews.ReopenRefused, match="score batch"):
        reviews.reopen_review(demo_ctx, uid)
    assert reviews.get_review(demo_ctx, uid).status is ReviewStatus.SUBMITTED
    with demo_ctx.sessions() as session:
        assert not session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == audit.REOPEN)).all()


def test_reopening_is_refused_once_the_decision_is_queued_or_sent(demo_ctx: AppContext):
    make_lead(demo_ctx)  # a lead's own submit makes the final decision, queued for the issuer
    uid = _submitted(demo_ctx)
    with pytest.raises(reviews.ReopenRefused, match="queued for the badge issuer"):
        reviews.reopen_review(demo_ctx, uid)
    with demo_ctx.transaction() as session:
        session.scalars(select(m.OutboxEntry)).one().state = "accepted"
    with pytest.raises(reviews.ReopenRefused, match="sent to the badge issuer"):
        reviews.reopen_review(demo_ctx, uid)
    assert reviews.get_review(demo_ctx, uid).status is ReviewStatus.SUBMITTED


def test_the_previous_attempt_brings_its_decision_levels_and_feedback(demo_ctx: AppContext):
    second = get_submission(demo_ctx, "DEMO-1002", 2)
    earlier = previous_attempt(demo_ctx, second.attempt_id)
    # The demo holds the reviewer's submitted "not yet" review of attempt 1.
    assert earlier is not None and earlier.attempt == 1 and earlier.reviewed
    assert earlier.decision is Decision.NOT_YET and earlier.source == "your review"
    assert earlier.feedback.strip()
    assert [s.criterion_key for s in earlier.scores] == [c.key for c in second.rubric.criteria]
    assert all(s.level is not None and s.level_label for s in earlier.scores)
    first = get_submission(demo_ctx, "DEMO-1002", 1)
    assert previous_attempt(demo_ctx, first.attempt_id) is None


def test_a_draft_of_the_previous_attempt_is_not_shown(demo_ctx: AppContext):
    first = get_submission(demo_ctx, "DEMO-1002", 1)
    uid = reviews.start_review(demo_ctx, first.attempt_id).uid
    reviews.reopen_review(demo_ctx, uid)  # attempt 1's review back to a draft
    earlier = previous_attempt(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 2).attempt_id)
    assert earlier is not None and not earlier.reviewed and earlier.scores == ()
