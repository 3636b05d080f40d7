"""Reviews as score-batch records (``exports/BATCH_FORMAT.md``), read in bulk: what an
export writes, and what an import compares a held review with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer_app.exports.batches import iso
from reviewer_app.store import models as m

CHUNK = 500  # values per IN (...) list


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def review_records(session: Session, review_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Reviews as the batch format holds them (``BATCH_FORMAT.md``), by review id."""
    records: dict[int, dict[str, Any]] = {}
    for chunk in chunks(list(review_ids)):
        rows = session.execute(
            select(m.Review.id, m.Review.uid, m.Submission.key, m.Attempt.number, m.Credential.key,
                   m.Credential.version, m.Rubric.key, m.Rubric.version, m.Rubric.content_sha256,
                   m.Profile.uid, m.Review.status, m.Review.decision, m.Review.feedback,
                   m.Review.created_at, m.Review.updated_at, m.Review.submitted_at)
            .join(m.Attempt, m.Review.attempt_id == m.Attempt.id)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .join(m.Credential, m.Attempt.credential_id == m.Credential.id)
            .join(m.Rubric, m.Attempt.rubric_id == m.Rubric.id)
            .join(m.Profile, m.Review.reviewer_id == m.Profile.id)
            .where(m.Review.id.in_(chunk)).order_by(m.Review.id))
        for (rid, uid, sub, number, ckey, cver, rkey, rver, rsha, ruid, status, decision, feedback,
             created, updated, submitted) in rows:
            records[rid] = {
                "uid": uid, "submission": sub, "attempt": number,
                "credential": {"key": ckey, "version": cver},
                "rubric": {"key": rkey, "version": rver, "content_sha256": rsha},
                "reviewer_uid": ruid, "status": status.value,
                "decision": decision.value if decision else None, "feedback": feedback,
                "created_at": iso(created), "updated_at": iso(updated), "submitted_at": iso(submitted),
                "scores": [], "annotations": [],
            }
        for rid, ckey, level, comment in session.execute(
                select(m.ReviewScore.review_id, m.Criterion.key, m.ReviewScore.level, m.ReviewScore.comment)
                .join(m.Criterion, m.ReviewScore.criterion_id == m.Criterion.id)
                .where(m.ReviewScore.review_id.in_(chunk))
                .order_by(m.ReviewScore.review_id, m.Criterion.position)):
            records[rid]["scores"].append({"criterion": ckey, "level": level, "comment": comment})
        for (rid, uid, number, ekey, ckey, kind, start, end, page, x0, y0, x1, y1, text, created,
             updated, quote, quote_at) in session.execute(
                select(m.Annotation.review_id, m.Annotation.uid, m.Annotation.number, m.EvidenceItem.key,
                       m.Criterion.key, m.Annotation.kind, m.Annotation.start_ms, m.Annotation.end_ms,
                       m.Annotation.page, m.Annotation.x0, m.Annotation.y0, m.Annotation.x1,
                       m.Annotation.y1, m.Annotation.text, m.Annotation.created_at,
                       m.Annotation.updated_at, m.Annotation.quote, m.Annotation.quote_at)
                .join(m.EvidenceItem, m.Annotation.evidence_item_id == m.EvidenceItem.id)
                .outerjoin(m.Criterion, m.Annotation.criterion_id == m.Criterion.id)
                .where(m.Annotation.review_id.in_(chunk))
                .order_by(m.Annotation.review_id, m.Annotation.number)):
            region = None
            if None not in (x0, y0, x1, y1):
                region = {"x0": float(x0), "y0": float(y0), "x1": float(x1), "y1": float(y1)}
            note = {
                "uid": uid, "number": number, "evidence": ekey, "criterion": ckey, "kind": kind.value,
                "start_ms": start, "end_ms": end, "page": page, "region": region, "text": text,
                "created_at": iso(created), "updated_at": iso(updated)}
            if quote is not None:  # (only a quote carries it: other notes keep their layout)
                note["quote"] = {"text": quote, "at": quote_at}
            records[rid]["annotations"].append(note)
    return records
