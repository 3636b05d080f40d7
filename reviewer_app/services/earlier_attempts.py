"""The previous attempt of a resubmission, as the reviewer of the new one sees it beside the
rubric: its decision, levels and feedback.

The review shown is the one that counted: the final decision's (in a lead assessor's
database), else the reader's own submitted review; a lead assessor may also see another
reviewer's submitted one. Drafts are never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.errors import NotFound
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


@dataclass(frozen=True)
class EarlierScore:
    criterion_key: str
    criterion_title: str
    level: int | None
    level_label: str
    comment: str


@dataclass(frozen=True)
class EarlierAttempt:
    attempt: int
    reviewed: bool  # False: no submitted review of it is held here (or readable)
    decision: Decision | None = None
    feedback: str = ""
    submitted_at: datetime | None = None
    source: str = ""  # "final decision", "your review", "another reviewer's review"
    scores: tuple[EarlierScore, ...] = ()


def previous_attempt(ctx: AppContext, attempt_id: int) -> EarlierAttempt | None:
    """The attempt before ``attempt_id`` of the same submission (None: it is the first one
    held here)."""
    with ctx.sessions() as session:
        current = session.get(m.Attempt, attempt_id)
        if current is None:
            raise NotFound(f"No submission attempt {attempt_id}")
        earlier = session.scalars(
            select(m.Attempt).where(m.Attempt.submission_id == current.submission_id,
                                    m.Attempt.number < current.number)
            .order_by(m.Attempt.number.desc()).limit(1)).first()
        if earlier is None:
            return None
        me = session.execute(select(m.Profile.id, m.Profile.role)
                             .where(m.Profile.is_self.is_(True))).first()
        reviews = list(session.scalars(
            select(m.Review).where(m.Review.attempt_id == earlier.id,
                                   m.Review.status == ReviewStatus.SUBMITTED)
            .options(selectinload(m.Review.scores).selectinload(m.ReviewScore.criterion)
                     .selectinload(m.Criterion.levels))
            .order_by(m.Review.submitted_at, m.Review.id)))
        final_review = session.scalar(select(m.FinalDecision.review_id)
                                      .where(m.FinalDecision.attempt_id == earlier.id))
        lead = me is not None and Role(me[1]) is Role.LEAD_ASSESSOR
        chosen, source = None, ""
        for review in reviews:
            if review.id == final_review and (lead or (me is not None and review.reviewer_id == me[0])):
                chosen, source = review, "final decision"
                break
        if chosen is None and me is not None:
            chosen = next((r for r in reviews if r.reviewer_id == me[0]), None)
            source = "your review"
        if chosen is None and lead and reviews:
            chosen, source = reviews[0], "another reviewer's review"
        if chosen is None:
            return EarlierAttempt(earlier.number, reviewed=False)
        by_criterion = {s.criterion_id: s for s in chosen.scores}
        criteria = session.scalars(select(m.Criterion).where(m.Criterion.rubric_id == earlier.rubric_id)
                                   .options(selectinload(m.Criterion.levels))
                                   .order_by(m.Criterion.position)).all()
        scores = []
        for criterion in criteria:
            score = by_criterion.get(criterion.id)
            level = score.level if score is not None else None
            label = next((lv.label for lv in criterion.levels if lv.value == level), "")
            scores.append(EarlierScore(criterion.key, criterion.title, level, label,
                                       score.comment if score is not None else ""))
        return EarlierAttempt(earlier.number, True, chosen.decision, chosen.feedback,
                              chosen.submitted_at, source, tuple(scores))
