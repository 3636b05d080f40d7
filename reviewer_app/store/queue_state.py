"""The queue status of an attempt, derived from its reviews, and kept on the attempt row.

``status_expr`` is the one definition; ``refresh`` stores it for the attempts whose
reviews just changed (call it in the same transaction), and ``mismatches`` proves the
stored copy equals the derived one (tests, and ``reviewer-app --diagnose`` later).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, exists, select, update
from sqlalchemy.orm import Session

from reviewer_app.domain.model import ReviewStatus, SubmissionStatus
from reviewer_app.store import models as m


def status_expr():  # noqa: ANN201 - a SQL expression over m.Attempt
    # Nested, so SQLite starts from the attempt's reviews (index) and looks up each one's
    # outbox entry (unique), instead of walking every accepted entry for every attempt.
    accepted = exists().where(m.OutboxEntry.review_id == m.Review.id,
                              m.OutboxEntry.state == "accepted")
    synced = exists().where(m.Review.attempt_id == m.Attempt.id, accepted)
    submitted = exists().where(m.Review.attempt_id == m.Attempt.id,
                               m.Review.status == ReviewStatus.SUBMITTED)
    any_review = exists().where(m.Review.attempt_id == m.Attempt.id)
    # Disputes exist only in a lead assessor's database (one per attempt, unique index).
    disputed = exists().where(m.Dispute.attempt_id == m.Attempt.id, m.Dispute.state == "open")
    return case((disputed, SubmissionStatus.DISPUTED.value),
                (synced, SubmissionStatus.SYNCED.value),
                (submitted, SubmissionStatus.SUBMITTED.value),
                (any_review, SubmissionStatus.IN_PROGRESS.value),
                else_=SubmissionStatus.NEW.value)


def draft_expr():  # noqa: ANN201
    return exists().where(m.Review.attempt_id == m.Attempt.id, m.Review.status == ReviewStatus.DRAFT)


def refresh(session: Session, attempt_ids: Iterable[int] | None = None) -> None:
    """Recompute the stored status of these attempts (all when None)."""
    stmt = update(m.Attempt).values(queue_status=status_expr(), has_draft=draft_expr())
    if attempt_ids is not None:
        ids = list(attempt_ids)
        if not ids:
            return
        stmt = stmt.where(m.Attempt.id.in_(ids))
    session.execute(stmt.execution_options(synchronize_session=False))


def mismatches(session: Session) -> list[int]:
    """Attempts whose stored status differs from the one derived from their reviews."""
    return list(session.scalars(select(m.Attempt.id).where(
        (m.Attempt.queue_status != status_expr()) | (m.Attempt.has_draft != draft_expr()))))
