"""Final decisions, made only in a lead assessor's database.

``evaluate_attempts`` runs in the caller's transaction whenever submitted reviews arrive
(the lead's own submit, or a batch of reviewers' reviews imported), and does nothing in a
reviewer's database (a reviewer's submit queues nothing: their reviews reach the lead as
batches). For each attempt that has no final decision and no dispute yet:

* its first submitted review meets the credential's double-scoring rule
  (``domain.moderation.second_review_reason``, then calibration: an unqualified reviewer's
  review is second-read, ``services.qualification``): when a second review is needed the
  reason is stored on the attempt and it waits; otherwise that review becomes the final
  decision ("single");
* with two (or more) submitted reviews they are compared: disagreement opens a dispute
  for moderation (with its reasons), agreement makes the first review the final decision
  ("agreed"). Reviews found together (two in one batch) are compared even when the
  rule did not ask for a second one: a disagreement on the table is never ignored.

A final decision is held for the lead's release (``services.release``) unless the
credential's policy releases decisions when made; only a released decision is queued in the
outbox for the issuer. A review of an attempt that already has a final decision is a late
review (``services.late_reviews``): kept and compared, never changing the decision.

Calibration submissions are practice with agreed scores: their reviews make no decision.

The work is set-based (a few queries per 500 attempts, multi-row inserts), so a batch
of thousands of reviews is evaluated in its import's transaction in seconds. A batch
import hands over the reviews it has just written (``Arrived``: no reading them back)
and asks for its consequences in the audit log as one entry per kind under the batch's
subject (``summary``), listing every attempt, instead of one entry per attempt. Outbox
payloads are built here from plain rows in exactly the format of
``sync.outbox.decision_payload`` (a test holds the two equal) and written as compact JSON.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, exists, select
from sqlalchemy.orm import Session

from reviewer_app.domain.model import ReviewStatus, Role
from reviewer_app.domain.moderation import (
    UNQUALIFIED,
    ScoredReview,
    all_disagreements,
    second_review_reason,
)
from reviewer_app.services import draw_seed, late_reviews
from reviewer_app.services.decision_inputs import (
    CHUNK,
    Arrived,
    DecisionInputs,
    ReviewRow,
    RubricInfo,
    Scores,
    attempt_subject,
    levels_of,
)
from reviewer_app.store import audit, audit_rows, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.bulk import insert_rows, new_uids
from reviewer_app.store.types import utcnow
from reviewer_app.sync.outbox import PAYLOAD_FORMAT, QUEUED

SINGLE, AGREED, MODERATED = "single", "agreed", "moderated"


@dataclass
class Evaluated:
    """What ``evaluate_attempts`` did, by attempt id."""

    final: list[int] = field(default_factory=list)
    disputed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # a second review is needed
    held: list[int] = field(default_factory=list)  # final, held for the lead's release
    #: Why each attempt that waits (or waited) for a second review gets one.
    reasons: dict[int, str] = field(default_factory=dict)
    #: Late reviews: (attempt id, review id, whether it agrees with the final decision).
    late: list[tuple[int, int, bool]] = field(default_factory=list)


_NO_SCORE = (None, "")


def payload(info: RubricInfo, credential: tuple[str, str, str], submission_key: str, number: int,
            candidate_key: str, review: ReviewRow, scores: dict[int, tuple[int | None, str]],
            reviewer: tuple[str, str, str]) -> dict[str, Any]:
    """The decision as the issuer receives it: ``sync.outbox.decision_payload``'s format."""
    criteria = []
    entries = info.entries
    for cid, key, title, required, labels in info.criteria:
        level, comment = scores.get(cid, _NO_SCORE)
        entry = entries.get((cid, level))
        if entry is None:
            entry = entries[(cid, level)] = {
                "criterion_id": key, "title": title, "level": level,
                "label": labels.get(level) if level is not None else None, "required_level": required,
                "met": level is not None and level >= required}
        criteria.append({**entry, "comment": comment})
    return {
        "format": PAYLOAD_FORMAT,
        "review_id": review.uid,
        "submission_id": submission_key,
        "attempt": number,
        "candidate_id": candidate_key,
        "credential": {"id": credential[0], "version": credential[1], "title": credential[2]},
        "rubric": {"id": info.key, "version": info.version, "title": info.title},
        "decision": review.decision.value if review.decision else None,
        "criteria": criteria,
        "feedback": review.feedback,
        "reviewer": {"id": reviewer[0], "name": reviewer[1], "role": reviewer[2]},
        "decided_at": (review.submitted_at or utcnow()).isoformat(),
    }


def self_lead_id(session: Session) -> int | None:
    """The local profile's id if it is a lead assessor's, else None."""
    row = session.execute(select(m.Profile.id, m.Profile.role).where(m.Profile.is_self.is_(True))).first()
    if row is None or Role(row[1]) is not Role.LEAD_ASSESSOR:
        return None
    return row[0]


def evaluate_attempts(session: Session, attempt_ids: Iterable[int], actor_uid: str | None, *,
                      arrived: Iterable[Arrived] = (), summary: str | None = None) -> Evaluated:
    """Decide what the submitted reviews of these attempts lead to, in the caller's transaction.

    Does nothing unless this is a lead assessor's database. ``actor_uid`` is written to
    the audit log as who caused it (the submitting lead, or the lead importing a batch).
    ``arrived``: reviews the caller has just written (their rows are not read back; any
    other submitted review of these attempts is). ``summary``: the audit subject (a batch
    import's "batch <id>") under which the final decisions and the disputes are logged as
    one entry each, every attempt listed; without it, one entry per attempt.
    """
    out = Evaluated()
    lead_id = self_lead_id(session)
    if lead_id is None:
        return out
    draw_seed.ensure_seed(session, actor_uid)  # a lead database from before its seed gets one
    ids = sorted(set(attempt_ids))
    session.flush()  # the reviews the caller just wrote are read below, as plain rows
    cache = DecisionInputs(session)
    known = {a.review.id: a for a in arrived}
    log: list[tuple[str, str, dict[str, Any]]] = []
    now = utcnow()
    if known:  # before any decision is made here: a late review meets an earlier decision
        out.late = late_reviews.record(session, known, cache, log, now)
    for start in range(0, len(ids), CHUNK):
        _evaluate_chunk(session, ids[start:start + CHUNK], lead_id, cache, known, now, out, log)
    if summary is not None:
        log = _summarised(log, summary)
    audit.append_many(session, log, actor_uid=actor_uid, at=now)
    return out


def _summarised(log: list[tuple[str, str, dict[str, Any]]],
                subject: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The per-attempt entries as one entry per action, each attempt listed with its details."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for action, attempt, details in log:
        grouped.setdefault(action, []).append({"attempt": attempt, **details})
    key = {audit.FINAL: "decisions", audit.DISPUTE: "disputes", audit.LATE: "late_reviews"}
    return [(action, subject, {"count": len(items), key.get(action, "items"): items})
            for action, items in grouped.items()]


_SUBMITTED_OF = select(m.Review.id, m.Review.attempt_id).where(
    m.Review.attempt_id.in_(bindparam("attempts", expanding=True)),
    m.Review.status == ReviewStatus.SUBMITTED, m.Review.kind == "review")
_OPEN_ATTEMPTS = (
    select(m.Attempt.id, m.Attempt.number, m.Attempt.second_review, m.Attempt.rubric_id,
           m.Attempt.credential_id, m.Submission.key, m.Submission.candidate_key, m.Submission.credential_key)
    .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
    .where(m.Attempt.id.in_(bindparam("ids", expanding=True)),
           ~exists().where(m.FinalDecision.attempt_id == m.Attempt.id),
           ~exists().where(m.Dispute.attempt_id == m.Attempt.id),
           ~exists().where(m.CalibrationItem.attempt_id == m.Attempt.id)))


def _submitted_reviews(conn: Connection, attempt_ids: Sequence[int], known: Mapping[int, Arrived],
                       ) -> tuple[dict[int, list[ReviewRow]], dict[int, Scores]]:
    """Each attempt's submitted reviews (kind "review"), oldest first, and their scores.

    Reviews the caller handed over (``known``) are taken as they are; only the others are
    read (with their scores)."""
    R = m.Review  # noqa: N806 - table aliases, as in SQL
    reviews: dict[int, list[ReviewRow]] = defaultdict(list)
    scores: dict[int, Scores] = {}
    where = (R.attempt_id.in_(attempt_ids), R.status == ReviewStatus.SUBMITTED, R.kind == "review")
    if known:
        others = []
        for rid, aid in conn.execute(_SUBMITTED_OF, {"attempts": attempt_ids}):
            arrived = known.get(rid)
            if arrived is None:
                others.append(rid)
            else:
                reviews[aid].append(arrived.review)
                scores[rid] = arrived.scores
        if not others:
            return _oldest_first(reviews), scores
        where = (R.id.in_(others),)
    for r in conn.execute(select(R.id, R.uid, R.attempt_id, R.reviewer_id, R.decision, R.feedback,
                                 R.submitted_at).where(*where)):
        reviews[r[2]].append(ReviewRow(*r))
        scores[r[0]] = {}
    read = [rid for rid, s in scores.items() if not s and rid not in known]
    for start in range(0, len(read), CHUNK):
        for rid, cid, level, comment in conn.execute(
                select(m.ReviewScore.review_id, m.ReviewScore.criterion_id, m.ReviewScore.level,
                       m.ReviewScore.comment)
                .where(m.ReviewScore.review_id.in_(read[start:start + CHUNK]))):
            scores[rid][cid] = (level, comment)
    return _oldest_first(reviews), scores


def _oldest_first(reviews: dict[int, list[ReviewRow]]) -> dict[int, list[ReviewRow]]:
    for rows in reviews.values():
        if len(rows) > 1:  # by submission time, then id (a missing time first, as SQLite sorts)
            rows.sort(key=lambda r: (r.submitted_at is not None, r.submitted_at or datetime.min, r.id))
    return reviews


def _evaluate_chunk(session: Session, ids: Sequence[int], lead_id: int, cache: DecisionInputs,
                    known: Mapping[int, Arrived], now: datetime, out: Evaluated,
                    log: list[tuple[str, str, dict[str, Any]]]) -> None:
    conn = session.connection()  # plain rows: no ORM loading for thousands of them
    # Attempts with no final decision, no dispute, and not for calibration.
    attempts = conn.execute(_OPEN_ATTEMPTS, {"ids": list(ids)}).all()
    if not attempts:
        return
    reviews, scores = _submitted_reviews(conn, [a[0] for a in attempts], known)
    if not scores:
        return
    cache.load_profiles(r.reviewer_id for rows in reviews.values() for r in rows)

    reasons_set: list[dict[str, Any]] = []
    reason_of: dict[int, str | None] = {}
    finals: list[tuple[Any, ReviewRow, str]] = []  # (attempt row, review, source)
    disputes: list[tuple[Any, list[str], list[ReviewRow]]] = []
    for a in attempts:
        rows = reviews.get(a[0])
        if not rows:
            continue
        info = cache.rubric(a[3])
        policy = cache.policy(a[7])
        first = rows[0]
        reason = a[2]
        if reason is None:
            earlier = (cache.earlier_reviews(first.reviewer_id, a[7], first)
                       if policy.first_reviews else 0)
            reason = second_review_reason(cache.rule(a[7]), info.domain, a[5],
                                          levels_of(info, scores[first.id]), earlier)
            if reason is None and not cache.qualified(first.reviewer_id, a[7]):
                reason = UNQUALIFIED
            if reason is not None:
                reasons_set.append({"b_id": a[0], "b_reason": reason})
        reason_of[a[0]] = reason
        if reason is not None:
            out.reasons[a[0]] = reason
        if len(rows) == 1:
            if reason is not None:
                out.waiting.append(a[0])
            else:
                finals.append((a, first, SINGLE))
            continue
        scored = [ScoredReview(cache.profiles[r.reviewer_id][1], levels_of(info, scores[r.id]), r.decision)
                  for r in rows]
        why = all_disagreements(info.domain, scored, policy.max_level_gap)
        if why:
            disputes.append((a, why, rows))
        else:
            finals.append((a, first, AGREED))

    # Thousands of rows per batch import: written with one executemany per table.
    if reasons_set:
        table = m.Attempt.__table__
        conn.execute(
            table.update().where(table.c.id == bindparam("b_id")).values(second_review=bindparam("b_reason")),
            reasons_set)
    if finals:
        # A review just written has no outbox entry yet; any other might (queued before).
        read = [r.id for _, r, _ in finals if r.id not in known]
        already = set(session.scalars(select(m.OutboxEntry.review_id).where(
            m.OutboxEntry.review_id.in_(read)))) if read else set()
        uids = new_uids(2 * len(finals))
        held = {a[0] for a, _, _ in finals if cache.policy(a[7]).hold_for_release}
        insert_rows(conn, m.FinalDecision.__table__,
                    ("uid", "attempt_id", "review_id", "decision", "source", "rationale",
                     "decided_by_id", "decided_at", "released_at"),
                    [(uids[i], a[0], r.id, r.decision, source, "", lead_id, now,
                      None if a[0] in held else now)
                     for i, (a, r, source) in enumerate(finals)])
        lead_uid = session.scalar(select(m.Profile.uid).where(m.Profile.id == lead_id))
        audit_rows.touch(session, states={f"final:{uids[i]}": audit_rows.final_state(
            r.decision, source, "", a[0], r.uid, lead_uid) for i, (a, r, source) in enumerate(finals)})
        entries = []
        dumps, sort_keys = orjson.dumps, orjson.OPT_SORT_KEYS
        for i, (a, r, _source) in enumerate(finals, len(finals)):
            if r.id in already or a[0] in held:  # held: queued when the lead releases it
                continue
            body = payload(cache.rubric(a[3]), cache.credential(a[4]), a[5], a[1], a[6], r,
                           scores[r.id], cache.profiles[r.reviewer_id])
            entries.append((uids[i], r.id, "decision", a[5], a[1], body["decision"] or "",
                            dumps(body, option=sort_keys).decode(), now, QUEUED, 0, now))
        insert_rows(conn, m.OutboxEntry.__table__,
                    ("uid", "review_id", "kind", "submission_key", "attempt_number", "decision",
                     "payload_json", "created_at", "state", "tries", "next_attempt_at"), entries)
        for a, r, source in finals:
            out.final.append(a[0])
            if a[0] in held:
                out.held.append(a[0])
            log.append((audit.FINAL, attempt_subject(a[5], a[1]), {
                "decision": r.decision.value if r.decision else None, "source": source,
                "review": r.uid, "reviewer": cache.profiles[r.reviewer_id][0],
                "second_review": reason_of.get(a[0]), "held": a[0] in held}))
    if disputes:
        insert_rows(conn, m.Dispute.__table__, ("uid", "attempt_id", "reasons", "state", "opened_at"),
                    [(uid, a[0], "\n".join(why), "open", now)
                     for uid, (a, why, _) in zip(new_uids(len(disputes)), disputes)])
        for a, why, rows in disputes:
            out.disputed.append(a[0])
            log.append((audit.DISPUTE, attempt_subject(a[5], a[1]), {
                "reasons": why, "reviews": [r.uid for r in rows],
                "reviewers": [cache.profiles[r.reviewer_id][0] for r in rows]}))
    # A dispute shows in the queue. (A final decision leaves the status as it is: "submitted"
    # until the issuer accepts it; callers refresh for the reviews they wrote.)
    if disputes:
        queue_state.refresh(session, [a[0] for a, _, _ in disputes])
