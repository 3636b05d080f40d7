"""Which reviewers are qualified to score a credential alone: calibration that counts.

A reviewer qualifies once they have scored at least the policy's number of calibration
items (3 by default) with exact agreement at or above its threshold (80% by default,
BloomBoard's). While a credential has no calibration items at all there is nothing to
qualify on and every reviewer counts as qualified; once it has one, an unqualified
reviewer's reviews never become final alone: each one is second-read.

Set-based (one query per credential), so a batch import of thousands of reviews asks once.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.store import models as m


def calibration_counts(session: Session, credential_key: str) -> dict[int, tuple[int, int, int]] | None:
    """Per reviewer id: (calibration items scored, criterion levels compared, exact matches);
    None when the credential has no calibration item."""
    A, R, S = m.Attempt, m.Review, m.ReviewScore  # noqa: N806 - table aliases, as in SQL
    CI, CS = m.CalibrationItem, m.CalibrationScore  # noqa: N806 - table aliases, as in SQL
    has_items = session.scalar(
        select(func.count(CI.id)).join(A, CI.attempt_id == A.id)
        .join(m.Submission, A.submission_id == m.Submission.id)
        .where(m.Submission.credential_key == credential_key))
    if not has_items:
        return None
    rows = session.execute(
        select(R.reviewer_id, R.id, S.level, CS.level)
        .join(A, R.attempt_id == A.id).join(m.Submission, A.submission_id == m.Submission.id)
        .join(CI, CI.attempt_id == A.id)
        .join(CS, CS.item_id == CI.id)
        .outerjoin(S, and_(S.review_id == R.id, S.criterion_id == CS.criterion_id))
        .where(m.Submission.credential_key == credential_key, R.kind == "review",
               R.status == ReviewStatus.SUBMITTED)).all()
    reviews: dict[int, set[int]] = defaultdict(set)
    compared: dict[int, int] = defaultdict(int)
    exact: dict[int, int] = defaultdict(int)
    for reviewer_id, review_id, given, agreed in rows:
        reviews[reviewer_id].add(review_id)
        compared[reviewer_id] += 1
        exact[reviewer_id] += 1 if given is not None and given == agreed else 0
    return {rid: (len(reviews[rid]), compared[rid], exact[rid]) for rid in reviews}


def is_qualified(counts: tuple[int, int, int] | None, items_needed: int, threshold: float) -> bool:
    """Enough calibration items scored, at or above the exact-agreement threshold."""
    if counts is None:
        return False
    items, compared, exact = counts
    return items >= items_needed and compared > 0 and exact / compared >= threshold - 1e-12


def unqualified(session: Session, credential_key: str, reviewer_ids: set[int], items_needed: int,
                threshold: float) -> set[int]:
    """The reviewers among ``reviewer_ids`` not qualified for this credential (none while it
    has no calibration item)."""
    counts = calibration_counts(session, credential_key)
    if counts is None:
        return set()
    return {rid for rid in reviewer_ids if not is_qualified(counts.get(rid), items_needed, threshold)}
