"""Late reviews: a submitted review that arrives after its attempt's final decision.

It comes by any route: in a score batch (a reviewer's review, a second reading assigned
before the decision and answered after it was made or released), or submitted in the
lead's own database after finalisation (``services.reviews.submit_review`` hands it over
as arrived). It is kept, compared with the final decision by the credential's
dispute rule, and recorded in ``late_review``: when it disagrees, as a backreading
discrepancy the lead sees (``list_late_reviews``, ``reviewer-app late``). It never changes
the final decision: the lead decides whether to overturn it (``services.release``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from reviewer_app.domain.moderation import ScoredReview, all_disagreements
from reviewer_app.services.decision_inputs import CHUNK, Arrived, DecisionInputs, attempt_subject, levels_of
from reviewer_app.services.roles import require_lead
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.bulk import insert_rows
from reviewer_app.store.context import AppContext


def record(session, known: Mapping[int, Arrived], cache: DecisionInputs,  # noqa: ANN001
           log: list[tuple[str, str, dict[str, Any]]], now: datetime) -> list[tuple[int, int, bool]]:
    """Record the just-arrived reviews whose attempt already has a final decision;
    returns (attempt id, review id, agrees) for each."""

    by_attempt: dict[int, list[Arrived]] = {}
    for a in known.values():
        by_attempt.setdefault(a.review.attempt_id, []).append(a)
    ids = sorted(by_attempt)
    F, A, S = m.FinalDecision, m.Attempt, m.Submission  # noqa: N806 - table aliases, as in SQL
    finals = []
    for start in range(0, len(ids), CHUNK):
        finals += session.execute(
            select(F.id, F.attempt_id, F.review_id, F.decision, A.rubric_id, S.key, A.number,
                   S.credential_key)
            .join(A, F.attempt_id == A.id).join(S, A.submission_id == S.id)
            .where(F.attempt_id.in_(ids[start:start + CHUNK]))).all()
    if not finals:
        return []
    final_scores: dict[int, dict[int, int | None]] = {}
    for rid, cid, level in session.execute(
            select(m.ReviewScore.review_id, m.ReviewScore.criterion_id, m.ReviewScore.level)
            .where(m.ReviewScore.review_id.in_([f[2] for f in finals]))):
        final_scores.setdefault(rid, {})[cid] = level
    cache.load_profiles(a.review.reviewer_id for f in finals for a in by_attempt[f[1]])
    rows, out = [], []
    for fid, aid, final_review, decision, rubric_id, key, number, credential in finals:
        info = cache.rubric(rubric_id)
        levels = {c: (lv, "") for c, lv in final_scores.get(final_review, {}).items()}
        final = ScoredReview("the final decision", levels_of(info, levels), decision)
        gap = cache.policy(credential).max_level_gap
        for a in by_attempt[aid]:
            name = cache.profiles[a.review.reviewer_id][1]
            late = ScoredReview(name, levels_of(info, a.scores), a.review.decision)
            why = all_disagreements(info.domain, [final, late], gap)
            rows.append((a.review.id, aid, fid, not why, "\n".join(why), now))
            out.append((aid, a.review.id, not why))
            log.append((audit.LATE, attempt_subject(key, number), {
                "review": a.review.uid, "reviewer": cache.profiles[a.review.reviewer_id][0],
                "agrees": not why, "reasons": why}))
    insert_rows(session.connection(), m.LateReview.__table__,
                ("review_id", "attempt_id", "final_decision_id", "agrees", "reasons", "arrived_at"), rows)
    return out


@dataclass(frozen=True)
class LateReviewView:
    submission_key: str
    attempt: int
    reviewer: str
    review_uid: str
    decision: str | None
    final_decision: str
    agrees: bool
    reasons: tuple[str, ...]
    arrived_at: datetime


def list_late_reviews(ctx: AppContext, *, discrepancies_only: bool = False) -> list[LateReviewView]:
    """Reviews that arrived after their final decision, newest first (discrepancies only:
    those that disagree with it)."""
    require_lead(ctx, "see late reviews")
    L, R = m.LateReview, m.Review  # noqa: N806 - table aliases, as in SQL
    F, A, S = m.FinalDecision, m.Attempt, m.Submission  # noqa: N806 - table aliases, as in SQL
    stmt = (select(S.key, A.number, m.Profile.name, R.uid, R.decision, F.decision, L.agrees, L.reasons,
                   L.arrived_at)
            .join(R, L.review_id == R.id).join(m.Profile, R.reviewer_id == m.Profile.id)
            .join(F, L.final_decision_id == F.id).join(A, L.attempt_id == A.id)
            .join(S, A.submission_id == S.id).order_by(L.arrived_at.desc(), L.id.desc()))
    if discrepancies_only:
        stmt = stmt.where(L.agrees.is_(False))
    with ctx.sessions() as session:
        return [LateReviewView(key, number, name, uid, d.value if d else None, fd.value, bool(agrees),
                               tuple(r for r in reasons.splitlines() if r), at)
                for key, number, name, uid, d, fd, agrees, reasons, at in session.execute(stmt)]
