"""Scoring: every change is committed the moment it is made; submitting locks a review.

Each change appends an audit entry in its own transaction (level, comment, feedback,
submit; comments and feedback by length and SHA-256, not their text, which the review
holds). Only a review's own reviewer may change it; a reviewer may read only their own
reviews (a lead assessor reads every review). Submitting hands the review to
``services.finalize``, which makes final decisions in a lead assessor's database only:
a reviewer's submit queues nothing for the issuer.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reviewer_app.domain.model import CriterionScore, Review, ReviewStatus, Role
from reviewer_app.domain.rules import decide, submission_problems
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services.finalize import Arrived, attempt_subject, evaluate_attempts
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.roles import NotAllowed
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import audit, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow


class ReviewLocked(UserError):
    """The review was submitted; its scores can no longer change."""


class ReviewIncomplete(UserError):
    """Submit was refused; ``problems`` lists why, one plain sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The review cannot be submitted yet: " + " ".join(problems),
                         details="\n".join(problems))
        self.problems = problems


def _to_review(row: m.Review) -> Review:
    scores = {s.criterion.key: s for s in row.scores}
    return Review(
        uid=row.uid, reviewer_uid=row.reviewer.uid, status=row.status,
        scores=tuple(CriterionScore(c.key, scores[c.key].level if c.key in scores else None,
                                    scores[c.key].comment if c.key in scores else "")
                     for c in row.attempt.rubric.criteria),
        feedback=row.feedback, decision=row.decision, submitted_at=row.submitted_at,
        created_at=row.created_at, updated_at=row.updated_at)


def _load(session: Session, review_uid: str) -> m.Review:
    row = session.scalars(
        select(m.Review).where(m.Review.uid == review_uid)
        .options(selectinload(m.Review.scores).selectinload(m.ReviewScore.criterion),
                 selectinload(m.Review.reviewer),
                 selectinload(m.Review.attempt).selectinload(m.Attempt.submission),
                 selectinload(m.Review.attempt).selectinload(m.Attempt.rubric)
                 .selectinload(m.Rubric.criteria).selectinload(m.Criterion.levels))).first()
    if row is None:
        raise NotFound(f"No review {review_uid}")
    return row


def _self(session: Session) -> tuple[int, Role] | None:
    row = session.execute(select(m.Profile.id, m.Profile.role).where(m.Profile.is_self.is_(True))).first()
    return (row[0], Role(row[1])) if row is not None else None


def check_readable(session: Session, reviewer_id: int) -> None:
    """A reviewer reads only their own reviews (and notes); a lead assessor reads all."""
    me = _self(session)
    if me is not None and (me[0] == reviewer_id or me[1] is Role.LEAD_ASSESSOR):
        return
    raise NotAllowed("A reviewer may see only their own reviews; this one is another reviewer's.")


def check_own(session: Session, reviewer_id: int) -> None:
    """Only a review's own reviewer may change it (or its notes)."""
    me = _self(session)
    if me is None or me[0] != reviewer_id:
        raise NotAllowed("This review is another reviewer's; only they may change it.")


def _editable(session: Session, row: m.Review) -> m.Review:
    check_own(session, row.reviewer_id)
    if row.status is ReviewStatus.SUBMITTED:
        raise ReviewLocked("This review was submitted and can no longer be changed.")
    return row


def _log(session: Session, row: m.Review, action: str, details: dict) -> None:
    attempt = row.attempt
    audit.append(session, action, attempt_subject(attempt.submission.key, attempt.number),
                 {"review": row.uid, **details}, actor_uid=row.reviewer.uid)


def _digest(text: str) -> dict:
    return {"chars": len(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def start_review(ctx: AppContext, attempt_id: int) -> Review:
    """The current profile's review of an attempt, created as a draft on first open."""
    me = current_profile(ctx)
    with ctx.transaction() as session:
        profile = session.scalars(select(m.Profile).where(m.Profile.uid == me.uid)).one()
        if session.get(m.Attempt, attempt_id) is None:
            raise NotFound(f"No submission attempt {attempt_id}")
        row = session.scalars(select(m.Review).where(m.Review.attempt_id == attempt_id,
                                                     m.Review.reviewer_id == profile.id)).first()
        if row is None:
            row = m.Review(attempt_id=attempt_id, reviewer_id=profile.id)
            session.add(row)
            session.flush()
            queue_state.refresh(session, [attempt_id])
        return _to_review(_load(session, row.uid))


def get_review(ctx: AppContext, review_uid: str) -> Review:
    """A review: the reader's own, or any review for a lead assessor (else ``NotAllowed``)."""
    with ctx.sessions() as session:
        row = _load(session, review_uid)
        check_readable(session, row.reviewer_id)
        return _to_review(row)


def _score_row(session: Session, row: m.Review, criterion_key: str) -> m.ReviewScore:
    criterion = next((c for c in row.attempt.rubric.criteria if c.key == criterion_key), None)
    if criterion is None:
        raise NotFound(f"The rubric has no criterion {criterion_key!r}")
    score = next((s for s in row.scores if s.criterion_id == criterion.id), None)
    if score is None:
        score = m.ReviewScore(criterion=criterion, comment="")
        row.scores.append(score)
    return score


def set_level(ctx: AppContext, review_uid: str, criterion_key: str, level: int | None) -> Review:
    with ctx.transaction() as session:
        row = _editable(session, _load(session, review_uid))
        score = _score_row(session, row, criterion_key)
        if level is not None and level not in {lv.value for lv in score.criterion.levels}:
            raise UserError(f"Criterion \u201c{score.criterion.title}\u201d has no level {level}.")
        before = score.level
        score.level, score.updated_at = level, utcnow()
        row.updated_at = utcnow()
        session.flush()
        if before != level:
            _log(session, row, audit.SCORE, {"criterion": criterion_key, "level": [before, level]})
        return _to_review(row)


def set_comment(ctx: AppContext, review_uid: str, criterion_key: str, comment: str) -> Review:
    with ctx.transaction() as session:
        row = _editable(session, _load(session, review_uid))
        score = _score_row(session, row, criterion_key)
        changed = score.comment != comment
        score.comment, score.updated_at = comment, utcnow()
        row.updated_at = utcnow()
        session.flush()
        if changed:
            _log(session, row, audit.COMMENT, {"criterion": criterion_key, **_digest(comment)})
        return _to_review(row)


def set_feedback(ctx: AppContext, review_uid: str, feedback: str) -> Review:
    with ctx.transaction() as session:
        row = _editable(session, _load(session, review_uid))
        changed = row.feedback != feedback
        row.feedback, row.updated_at = feedback, utcnow()
        session.flush()
        if changed:
            _log(session, row, audit.FEEDBACK, _digest(feedback))
        return _to_review(row)


def _refuse_scoring_a_dispute(session: Session, row: m.Review) -> None:
    """A lead who opened a disputed submission (to look at its evidence) moderates it; a
    review submitted there would make them one of its scorers, unable to moderate."""
    if row.reviewer.role is not Role.LEAD_ASSESSOR:
        return
    state = session.scalar(select(m.Dispute.state).where(m.Dispute.attempt_id == row.attempt_id))
    if state == "open":
        raise UserError("This submission is disputed: record its final levels in the moderation "
                        "window (Lead \u25b8 Moderation\u2026) or with 'reviewer-app moderate'. "
                        "Your scores here stay as a draft.")


def submit_review(ctx: AppContext, review_uid: str) -> Review:
    """Lock the review with its decision, or raise ``ReviewIncomplete`` saying what is missing.

    In a lead assessor's database the review then goes to ``finalize.evaluate_attempts``
    (a final decision queued for the issuer, a wait for a second review, or a dispute),
    in the same transaction; in a reviewer's database nothing is queued.
    """
    with ctx.transaction() as session:
        row = _editable(session, _load(session, review_uid))
        _refuse_scoring_a_dispute(session, row)
        review = _to_review(row)
        rubric = rubric_to_domain(row.attempt.rubric)
        problems = submission_problems(rubric, review.levels(), row.feedback)
        if problems:
            raise ReviewIncomplete(problems)
        now = utcnow()
        row.decision = decide(rubric, review.levels())
        row.status, row.submitted_at, row.updated_at = ReviewStatus.SUBMITTED, now, now
        session.flush()
        queue_state.refresh(session, [row.attempt_id])
        _log(session, row, audit.SUBMIT, {"decision": row.decision.value if row.decision else None,
                                          "levels": review.levels(), "feedback": _digest(row.feedback)})
        # A lead's final decision (if any) is queued for the issuer in this same transaction;
        # handed over as arrived, so that a review submitted after the attempt's final decision
        # (the lead scoring it here after finalisation) is recorded as late, as from a batch.
        arrived = [Arrived.of(row.id, row.uid, row.attempt_id, row.reviewer_id, row.decision, row.feedback,
                              now, {s.criterion_id: (s.level, s.comment) for s in row.scores})] \
            if row.kind == "review" else []
        evaluate_attempts(session, [row.attempt_id], row.reviewer.uid, arrived=arrived)
        return _to_review(row)


class ReopenRefused(UserError):
    """A submitted review that has left this laptop (in a score batch, or to the issuer)."""


#: The ``app_setting`` row that ``services.batches`` keeps of the reviews already exported
#: (repeated here, not imported: batches imports this module's neighbours).
_EXPORTED_SETTING = "batch_export.exported"


def reopen_refusal(session: Session, row: m.Review) -> str | None:
    """Why a submitted review can no longer be reopened, in plain words (None: it can)."""
    if row.kind != "review" or row.batch_id is not None:
        return "This review was not scored in this database, so it cannot be reopened here."
    exported = session.get(m.AppSetting, _EXPORTED_SETTING)
    if exported is not None and row.uid in exported.value.split():
        return ("It has been exported in a score batch for your lead assessor, so changing it "
                "here would no longer match what they hold. Ask your lead assessor instead.")
    state = session.scalar(select(m.OutboxEntry.state).where(m.OutboxEntry.review_id == row.id))
    if state == "accepted":
        return "Its decision has been sent to the badge issuer and accepted."
    if state is not None:
        return ("Its decision became the final one and is queued for the badge issuer; it "
                "is sent as it stands.")
    if session.scalar(select(m.FinalDecision.id).where(m.FinalDecision.review_id == row.id)):
        return "It became the final decision for this submission."
    if session.scalar(select(m.Dispute.id).where(m.Dispute.attempt_id == row.attempt_id)):
        return "This submission is disputed; its final levels are set in moderation."
    return None


def can_reopen(ctx: AppContext, review_uid: str) -> str | None:
    """None when ``reopen_review`` would succeed; otherwise the plain reason it would not."""
    with ctx.sessions() as session:
        row = _load(session, review_uid)
        if row.status is not ReviewStatus.SUBMITTED:
            return "This review has not been submitted; it can still be changed."
        try:
            check_own(session, row.reviewer_id)
        except NotAllowed as exc:
            return str(exc)
        return reopen_refusal(session, row)


def reopen_review(ctx: AppContext, review_uid: str) -> Review:
    """Make a submitted review a draft again (audited), as long as it has not left the
    laptop: not exported in a score batch, not queued or sent to the issuer, not a final
    decision or part of a dispute. Otherwise ``ReopenRefused`` says why."""
    with ctx.transaction() as session:
        row = _load(session, review_uid)
        check_own(session, row.reviewer_id)
        if row.status is not ReviewStatus.SUBMITTED:
            raise ReopenRefused("This review has not been submitted; it can still be changed.")
        reason = reopen_refusal(session, row)
        if reason is not None:
            raise ReopenRefused("This review can no longer be reopened. " + reason)
        before = row.decision
        row.status, row.decision, row.submitted_at = ReviewStatus.DRAFT, None, None
        row.updated_at = utcnow()
        session.flush()
        queue_state.refresh(session, [row.attempt_id])
        _log(session, row, audit.REOPEN, {"decision": before.value if before else None})
        return _to_review(row)
