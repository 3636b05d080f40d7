"""Scoring through the services: each change is stored at once; submit checks and locks."""

from __future__ import annotations

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.domain import Decision, ReviewStatus, SubmissionStatus
from reviewer_app.errors import UserError
from reviewer_app.services import reviews
from reviewer_app.services.submissions import QueueQuery, get_submission, list_submissions
from reviewer_app.store.context import AppContext


def _fresh_review(ctx: AppContext):
    return reviews.start_review(ctx, get_submission(ctx, "DEMO-1002", 2).attempt_id)


def test_each_change_is_committed_at_once(demo_ctx: AppContext, demo_data_dir):
    review = _fresh_review(demo_ctx)
    reviews.set_level(demo_ctx, review.uid, "learning-goals", 4)
    reviews.set_comment(demo_ctx, review.uid, "learning-goals", "Goals revisited at 02:10.")
    reviews.set_feedback(demo_ctx, review.uid, "Strong start.")
    # A second, independent connection (as after a restart) sees every change.
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as other:
        again = reviews.get_review(other, review.uid)
    assert again.levels()["learning-goals"] == 4
    assert dict((s.criterion_key, s.comment) for s in again.scores)["learning-goals"] == \
        "Goals revisited at 02:10."
    assert again.feedback == "Strong start."


def test_opening_twice_gives_the_same_draft(demo_ctx: AppContext):
    assert _fresh_review(demo_ctx).uid == _fresh_review(demo_ctx).uid


def test_submit_refuses_an_incomplete_review_and_says_why(demo_ctx: AppContext):
    review = _fresh_review(demo_ctx)
    reviews.set_level(demo_ctx, review.uid, "learning-goals", 1)
    with pytest.raises(reviews.ReviewIncomplete) as refused:
        reviews.submit_review(demo_ctx, review.uid)
    text = " ".join(refused.value.problems)
    assert "Checks for understanding" in text and "Feedback" in text
    assert reviews.get_review(demo_ctx, review.uid).status is ReviewStatus.DRAFT


def test_submitted_review_is_locked_with_its_decision(demo_ctx: AppContext):
    review = _fresh_review(demo_ctx)
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 4), ("feedback", 3),
                       ("adjusting-instruction", 2)]:
        reviews.set_level(demo_ctx, review.uid, key, level)
    done = reviews.submit_review(demo_ctx, review.uid)
    assert done.status is ReviewStatus.SUBMITTED and done.decision is Decision.EARNED
    with pytest.raises(reviews.ReviewLocked):
        reviews.set_level(demo_ctx, review.uid, "feedback", 1)
    assert reviews.get_review(demo_ctx, review.uid).levels()["feedback"] == 3
    statuses = {(r.key, r.attempt): r.status for r in list_submissions(demo_ctx)}
    assert statuses[("DEMO-1002", 2)] is SubmissionStatus.SUBMITTED


def test_a_level_outside_the_rubric_is_refused(demo_ctx: AppContext):
    review = _fresh_review(demo_ctx)
    with pytest.raises(UserError, match="no level 9"):
        reviews.set_level(demo_ctx, review.uid, "learning-goals", 9)


def test_queue_filters_and_status(demo_ctx: AppContext):
    rows = list_submissions(demo_ctx)
    assert len(rows) == 4
    assert {r.status for r in rows} == {SubmissionStatus.NEW, SubmissionStatus.IN_PROGRESS,
                                       SubmissionStatus.SUBMITTED}
    only_new = list_submissions(demo_ctx, QueueQuery(status=SubmissionStatus.NEW))
    assert {(r.key, r.attempt) for r in only_new} == {("DEMO-1002", 2), ("DEMO-2001", 1)}
    discussion = list_submissions(demo_ctx, QueueQuery(credential_key="cl-discussion"))
    assert [r.key for r in discussion] == ["DEMO-2001"]
    assert [r.key for r in list_submissions(demo_ctx, QueueQuery(search="1001"))] == ["DEMO-1001"]
    # LIKE wildcards typed by the user are literal.
    assert list_submissions(demo_ctx, QueueQuery(search="%")) == []


def test_blind_review_hides_the_candidate_unless_revealed(demo_ctx: AppContext):
    from reviewer_app.domain import Role
    from reviewer_app.services.roles import update_self

    from lead_support import as_lead_database

    blind = get_submission(demo_ctx, "DEMO-1001")
    assert blind.candidate.display_name is None and blind.candidate.recipient is None
    # A reviewer never gets the identity while blind review is on (tests/core/test_roles.py);
    # a lead assessor gets it when asking.
    update_self(demo_ctx, role=Role.LEAD_ASSESSOR)
    as_lead_database(demo_ctx)  # the lead's database, with the lead's copies of the packages
    open_ = get_submission(demo_ctx, "DEMO-1001", reveal_candidate=True)
    assert open_.candidate.display_name == "Alex Morgan"
    assert open_.candidate.recipient.identity == "alex.morgan@example.org"


def test_has_a_draft_filter(demo_ctx: AppContext):
    drafts = list_submissions(demo_ctx, QueueQuery(has_draft=True))
    assert [(r.key, r.attempt) for r in drafts] == [("DEMO-1001", 1)]
    assert len(list_submissions(demo_ctx, QueueQuery(has_draft=False))) == 3


def test_the_stored_queue_status_always_equals_the_derived_one(demo_ctx: AppContext):
    from reviewer_app.store import queue_state

    review = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-2001").attempt_id)
    for key, level in [("group-structures", 2), ("discourse-moves", 3), ("equitable-participation", 3)]:
        reviews.set_level(demo_ctx, review.uid, key, level)
    reviews.submit_review(demo_ctx, review.uid)
    with demo_ctx.sessions() as session:
        assert queue_state.mismatches(session) == []
    statuses = {(r.key, r.attempt): r.status for r in list_submissions(demo_ctx)}
    assert statuses[("DEMO-2001", 1)] is SubmissionStatus.SUBMITTED
