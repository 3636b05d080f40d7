"""Moderation by a lead assessor: the disputed reviews side by side with their notes, the
final levels with a required rationale, the final decision queued for the issuer."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from reviewer_app.domain.model import AnnotationKind, Decision, EvidenceKind, Region, SubmissionStatus
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services import annotations, moderation, reviews
from reviewer_app.services.roles import NotAllowed
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import (
    FA_EARNED,
    FA_NOT_YET,
    add_profile,
    arrive,
    attempt_id,
    become,
    make_lead,
    rows,
    score,
    score_as,
)


@dataclass(frozen=True)
class Disputed:
    ctx: AppContext
    lead: str
    ana: str
    ben: str
    dispute: str
    ana_review: str


def _outbox(ctx: AppContext) -> list[dict]:
    with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM sync_outbox ORDER BY id"))]


@pytest.fixture
def disputed(demo_ctx: AppContext) -> Disputed:
    """DEMO-1002 attempt 2: Ana (earned, with two notes) and Ben (not yet) disagree."""
    lead = make_lead(demo_ctx, "Lena Lead")
    ana, ben = add_profile(demo_ctx, "Ana Silva"), add_profile(demo_ctx, "Ben Okoye")
    become(demo_ctx, ana)
    review = reviews.start_review(demo_ctx, attempt_id(demo_ctx, "DEMO-1002", 2))
    for crit, level in FA_EARNED.items():
        reviews.set_level(demo_ctx, review.uid, crit, level)
    reviews.set_comment(demo_ctx, review.uid, "learning-goals", "Goals on the board [note 1].")
    annotations.add_time_note(demo_ctx, review.uid, "video", 2_000, 4_500, "Hinge question here",
                              "checks-for-understanding")
    annotations.add_page_note(demo_ctx, review.uid, "plan", 0, Region(72, 100, 300, 180),
                              "Success criteria", "learning-goals")
    reviews.set_feedback(demo_ctx, review.uid, "Keep the hinge questions.")
    reviews.submit_review(demo_ctx, review.uid)
    become(demo_ctx, lead)
    score_as(demo_ctx, ben, "DEMO-1002", 2, FA_NOT_YET, comments={"learning-goals": "Goals not revisited."},
             feedback="Return to the goals at the end.")
    assert arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", 2)]).disputed
    [row] = moderation.list_disputes(demo_ctx)
    return Disputed(demo_ctx, lead, ana, ben, row.uid, review.uid)


FINAL = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3, "adjusting-instruction": 2}


def test_the_queue_lists_the_dispute_with_its_reasons(disputed: Disputed):
    ctx = disputed.ctx
    [row] = moderation.list_disputes(ctx)
    assert (row.submission_key, row.attempt, row.credential_key, row.state) \
        == ("DEMO-1002", 2, "fa-math", "open")
    assert row.reviewers == ("Ana Silva", "Ben Okoye")
    assert row.reasons[0] == "Ana Silva decided \u201cearned\u201d and Ben Okoye decided \u201cnot yet\u201d."
    assert moderation.list_disputes(ctx, credential_key="cl-discussion") == []
    assert moderation.list_disputes(ctx, state="resolved") == []
    assert len(moderation.list_disputes(ctx, state=None)) == 1


def test_the_dispute_shows_the_reviews_side_by_side_with_their_notes(disputed: Disputed):
    d = moderation.get_dispute(disputed.ctx, disputed.dispute)
    assert (d.submission_key, d.attempt, d.state, d.can_moderate) == ("DEMO-1002", 2, "open", True)
    assert [r.reviewer_name for r in d.reviews] == ["Ana Silva", "Ben Okoye"]
    assert [r.decision for r in d.reviews] == [Decision.EARNED, Decision.NOT_YET]
    assert d.reviews[1].feedback == "Return to the goals at the end."
    goals = next(c for c in d.criteria if c.criterion_key == "learning-goals")
    assert (goals.levels, goals.comments, goals.gap, goals.disputed) == (
        (3, 2), ("Goals on the board [note 1].", "Goals not revisited."), 1, True)
    feedback = next(c for c in d.criteria if c.criterion_key == "feedback")
    assert (feedback.levels, feedback.disputed) == ((3, 3), False)
    time_note, page_note = d.reviews[0].notes
    assert (time_note.note.kind, time_note.note.evidence_key, time_note.note.start_ms,
            time_note.note.end_ms, time_note.evidence_kind) == (AnnotationKind.TIME, "video", 2_000, 4_500,
                                                                EvidenceKind.VIDEO)
    assert time_note.criterion_title == "Checks for understanding"
    note = page_note.note
    assert (note.page, note.region, page_note.evidence_kind, page_note.evidence_title) == (
        0, Region(72, 100, 300, 180), EvidenceKind.PDF, "Lesson plan")
    assert page_note.evidence_path in {e.path for e in d.evidence}
    assert d.reviews[1].notes == ()
    assert d.candidate.display_name == "Sam Rivera"  # a lead assessor sees the candidate
    assert d.final is None and d.moderation is None


def test_moderation_needs_a_rationale_every_level_and_feedback_for_not_yet(disputed: Disputed):
    ctx = disputed.ctx
    with pytest.raises(UserError, match="rationale"):
        moderation.moderate(ctx, disputed.dispute, FINAL, rationale="  ")
    with pytest.raises(moderation.ModerationIncomplete) as missing:
        moderation.moderate(ctx, disputed.dispute, {"learning-goals": 3}, rationale="Video at 00:02.")
    assert any("Checks for understanding" in p for p in missing.value.problems)
    with pytest.raises(moderation.ModerationIncomplete, match="Feedback to the candidate is required"):
        moderation.moderate(ctx, disputed.dispute, FA_NOT_YET, rationale="Goals never revisited.")
    with pytest.raises(UserError, match="no level 7"):
        moderation.moderate(ctx, disputed.dispute, {**FINAL, "feedback": 7}, rationale="x")
    with pytest.raises(UserError, match="no criterion 'charisma'"):
        moderation.moderate(ctx, disputed.dispute, {**FINAL, "charisma": 3}, rationale="x")
    assert rows(ctx, m.FinalDecision) == [] and _outbox(ctx) == []


def test_moderation_is_the_final_decision_sent_to_the_issuer(disputed: Disputed):
    ctx = disputed.ctx
    final = moderation.moderate(ctx, disputed.dispute, FINAL,
                                comments={"learning-goals": "Shared and revisited (video 00:02)."},
                                feedback="Well done.", rationale="The video shows the hinge question.")
    assert (final.decision, final.source, final.decided_by, final.outbox_state) == (
        Decision.EARNED, "moderated", "Lena Lead", "queued")
    assert final.rationale == "The video shows the hinge question."
    [entry] = _outbox(ctx)
    payload = json.loads(entry["payload_json"])
    assert payload["reviewer"] == {"id": disputed.lead, "name": "Lena Lead", "role": "lead_assessor"}
    assert [c["level"] for c in payload["criteria"]] == [3, 3, 3, 2]
    assert payload["criteria"][0]["comment"] == "Shared and revisited (video 00:02)."
    assert payload["decision"] == "earned" and payload["feedback"] == "Well done."
    d = moderation.get_dispute(ctx, disputed.dispute)
    assert d.state == "resolved" and d.final.uid == final.uid and not d.can_moderate
    assert d.moderation.kind == "moderation" and d.moderation.level("checks-for-understanding") == 3
    assert len(d.reviews) == 2  # the reviewers' reviews are kept as they were
    assert moderation.list_disputes(ctx) == []
    assert [r.decision for r in moderation.list_disputes(ctx, state="resolved")] == [Decision.EARNED]
    assert get_submission(ctx, "DEMO-1002", 2).status is SubmissionStatus.SUBMITTED
    actions = [a.action for a in audit.recent(ctx, subject="DEMO-1002 attempt 2")]
    assert actions[:2] == ["decision.final", "dispute.moderate"]
    assert audit.verify(ctx).ok
    with pytest.raises(UserError, match="already moderated"):
        moderation.moderate(ctx, disputed.dispute, FINAL, feedback="x", rationale="again")
    # The lead's overview of final decisions: the demo's own single review and this one.
    listed = moderation.list_final_decisions(ctx)
    assert [(f.submission_key, f.attempt, f.source) for f in listed][0] == ("DEMO-1002", 2, "moderated")
    assert {f.source for f in listed} == {"moderated"}  # the demo's review was a reviewer's
    assert moderation.list_final_decisions(ctx, source="single") == []


def test_a_lead_who_scored_the_submission_cannot_moderate_it(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    ana = add_profile(demo_ctx, "Ana Silva")
    score(demo_ctx, "DEMO-2001", 1, {"group-structures": 3, "discourse-moves": 3,
                                     "equitable-participation": 3})  # the lead: final at once
    assert rows(demo_ctx, m.FinalDecision)
    # A second pair where the lead scored and disagrees with Ana, arriving together.
    from reviewer_app.services import policies

    policies.set_policy(demo_ctx, "fa-math", second_review_percent=100)
    score(demo_ctx, "DEMO-1002", 2, FA_EARNED)
    score_as(demo_ctx, ana, "DEMO-1002", 2, FA_NOT_YET)
    assert arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", 2)]).disputed
    [row] = moderation.list_disputes(demo_ctx)
    detail = moderation.get_dispute(demo_ctx, row.uid)
    assert not detail.can_moderate and "scored this submission yourself" in detail.why_not
    with pytest.raises(NotAllowed, match="another lead assessor"):
        moderation.moderate(demo_ctx, row.uid, FINAL, feedback="x", rationale="mine")
    assert lead


def test_a_draft_the_lead_opened_becomes_the_moderation(disputed: Disputed):
    ctx = disputed.ctx
    draft = reviews.start_review(ctx, attempt_id(ctx, "DEMO-1002", 2))  # looking at the evidence
    annotations.add_time_note(ctx, draft.uid, "video", 1_000, None, "Compare both readings")
    final = moderation.moderate(ctx, disputed.dispute, FINAL, feedback="Well done.", rationale="Video.")
    assert final.review_uid == draft.uid
    d = moderation.get_dispute(ctx, disputed.dispute)
    assert d.moderation.uid == draft.uid
    assert [n.note.text for n in d.moderation.notes] == ["Compare both readings"]
    with pytest.raises(reviews.ReviewLocked):
        reviews.set_level(ctx, draft.uid, "feedback", 1)


def test_unknown_dispute(disputed: Disputed):
    with pytest.raises(NotFound):
        moderation.get_dispute(disputed.ctx, "no-such-dispute")



def test_a_lead_who_opened_the_disputed_submission_moderates_it_instead_of_submitting(disputed: Disputed):
    ctx = disputed.ctx
    draft = reviews.start_review(ctx, attempt_id(ctx, "DEMO-1002", 2))  # the workspace opened it
    for crit, level in FA_NOT_YET.items():
        reviews.set_level(ctx, draft.uid, crit, level)
    reviews.set_feedback(ctx, draft.uid, "Return to the goals at the end.")
    with pytest.raises(UserError, match="disputed: record its final levels"):
        reviews.submit_review(ctx, draft.uid)
    assert reviews.get_review(ctx, draft.uid).status.value == "draft"
    final = moderation.moderate(ctx, disputed.dispute, FA_NOT_YET,
                                feedback="Return to the goals at the end.",
                                rationale="Goals were never revisited.")
    assert final.source == "moderated" and final.review_uid == draft.uid
    assert [e["submission_key"] for e in _outbox(ctx)] == ["DEMO-1002"]
