"""The outbox: submitted decisions waiting to reach the issuer, exactly once.

* Only final decisions are queued, in the transaction that makes them (a lead assessor's
  submit, batch import or moderation; ``services.finalize``): a decision is made and
  queued together, or neither happens.
* An entry's ``uid`` is the idempotency key sent with every try; the issuer answers a
  replay with "duplicate" and the original result, so a retry can never record a second
  decision. The payload is frozen (a database trigger refuses changes).
* The sync claims due entries (queued, ``next_attempt_at`` passed) by marking them
  "sending" with a claim id, then acknowledges the issuer's answer per entry, or releases
  the batch with exponential backoff and jitter (``next_attempt_at`` in the row, so it
  survives restarts). An entry left "sending" by a crash is queued again by ``recover``.
* States: queued -> sending -> accepted | rejected; "accepted" is final and is never
  changed by a later answer; a rejected entry goes back to the queue only when the user
  asks (``retry``), with the same key.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.store import audit, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.types import utcnow

PAYLOAD_FORMAT = "reviewer-decision/1"

QUEUED, SENDING, ACCEPTED, REJECTED = "queued", "sending", "accepted", "rejected"
PENDING_STATES = (QUEUED, SENDING)


# -- writing an entry ---------------------------------------------------------------------

def decision_payload(review: m.Review) -> dict[str, Any]:
    """The decision as the issuer receives it (everything but the idempotency key).

    Candidate identity (name, badge recipient) is not part of it: the issuer knows its
    candidate by the submission id.
    """
    attempt = review.attempt
    rubric = attempt.rubric
    scores = {s.criterion_id: s for s in review.scores}
    criteria = []
    for crit in rubric.criteria:
        score = scores.get(crit.id)
        level = score.level if score else None
        found = next((lv for lv in crit.levels if lv.value == level), None)
        criteria.append({
            "criterion_id": crit.key, "title": crit.title, "level": level,
            "label": found.label if found else None, "required_level": crit.required_level,
            "met": level is not None and level >= crit.required_level,
            "comment": score.comment if score else "",
        })
    decided = review.submitted_at or utcnow()
    return {
        "format": PAYLOAD_FORMAT,
        "review_id": review.uid,
        "submission_id": attempt.submission.key,
        "attempt": attempt.number,
        "candidate_id": attempt.submission.candidate_key,
        "credential": {"id": attempt.credential.key, "version": attempt.credential.version,
                       "title": attempt.credential.title},
        "rubric": {"id": rubric.key, "version": rubric.version, "title": rubric.title},
        "decision": review.decision.value if review.decision else None,
        "criteria": criteria,
        "feedback": review.feedback,
        "reviewer": {"id": review.reviewer.uid, "name": review.reviewer.name,
                     "role": review.reviewer.role.value},
        "decided_at": decided.isoformat(),
    }


def enqueue_decision(session: Session, review: m.Review) -> m.OutboxEntry:
    """Queue a just-submitted review's decision, in the caller's transaction."""
    existing = session.scalars(select(m.OutboxEntry).where(m.OutboxEntry.review_id == review.id)).first()
    if existing is not None:
        return existing
    payload = decision_payload(review)
    now = utcnow()
    entry = m.OutboxEntry(
        review_id=review.id, kind="decision", submission_key=payload["submission_id"],
        attempt_number=payload["attempt"], decision=payload["decision"] or "",
        payload_json=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        created_at=now, state=QUEUED, tries=0, next_attempt_at=now)
    session.add(entry)
    session.flush()
    return entry


def enqueue_missing(sessions) -> int:  # noqa: ANN001 - a sessionmaker
    """Queue the released final decisions that have no outbox entry (none is ever lost; a
    held one waits for the lead's release).

    Only final decisions go to the issuer (made in a lead assessor's database by
    ``services.finalize``), never a reviewer's own review.
    """
    from sqlalchemy.orm import selectinload

    count = 0
    with sessions() as session, session.begin():
        rows = session.scalars(
            select(m.Review).join(m.FinalDecision, m.FinalDecision.review_id == m.Review.id)
            .outerjoin(m.OutboxEntry, m.OutboxEntry.review_id == m.Review.id)
            .where(m.Review.status == ReviewStatus.SUBMITTED, m.OutboxEntry.id.is_(None),
                   m.FinalDecision.released_at.is_not(None))
            .options(selectinload(m.Review.scores), selectinload(m.Review.reviewer),
                     selectinload(m.Review.attempt).options(
                         selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                         selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                         .selectinload(m.Criterion.levels)))).all()
        for review in rows:
            enqueue_decision(session, review)
            count += 1
    return count


# -- delivery ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claimed:
    """A claimed entry: its frozen payload as stored (JSON text, parsed only if an adapter
    asks for ``payload``) and the columns written from it."""

    id: int
    uid: str
    tries: int
    payload_json: str
    submission_key: str
    attempt: int
    decision: str

    @cached_property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_json)

    @property
    def label(self) -> str:
        return f"{self.submission_key} attempt {self.attempt}"


@dataclass(frozen=True)
class Outcome:
    """The issuer's answer for one entry."""

    uid: str
    result: str  # accepted | duplicate | rejected
    reason: str | None = None
    remote_id: str | None = None
    #: Where the issuer serves the Open Badge it issued for it (a link on its origin).
    badge_url: str | None = None

    @property
    def done(self) -> bool:
        return self.result in ("accepted", "duplicate")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: try n waits base * 2**(n-1), capped, times 0.5..1."""

    base: float = 2.0
    cap: float = 600.0

    def delay(self, tries: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap, self.base * (2 ** max(0, tries - 1)))
        return raw * (0.5 + 0.5 * (rng or random).random())


def recover(sessions, *, lease: timedelta | None = None) -> int:  # noqa: ANN001
    """Put entries left "sending" (by a crash or a kill) back in the queue.

    Called by a sync pass that holds the sync lock, so no other pass is sending them. With
    ``lease``, only claims older than that are recovered.
    """
    now = utcnow()
    stmt = (update(m.OutboxEntry).where(m.OutboxEntry.state == SENDING)
            .values(state=QUEUED, claim_id=None, next_attempt_at=now,
                    last_error="interrupted while sending; it will be sent again"))
    if lease is not None:
        stmt = stmt.where(m.OutboxEntry.claimed_at < now - lease)
    with sessions() as session, session.begin():
        return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def claim(sessions, limit: int, claim_id: str, *, now: datetime | None = None) -> list[Claimed]:  # noqa: ANN001
    """Mark up to ``limit`` due entries as "sending" under ``claim_id`` and return them.

    The UPDATE comes first, so the transaction takes the write lock at once (a second
    process cannot claim the same entries, and SQLite never has to upgrade a read lock).
    """
    now = now or utcnow()
    due = (select(m.OutboxEntry.id)
           .where(m.OutboxEntry.state == QUEUED, m.OutboxEntry.next_attempt_at <= now)
           .order_by(m.OutboxEntry.next_attempt_at, m.OutboxEntry.id).limit(limit))
    with sessions() as session, session.begin():
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        session.execute(
            update(m.OutboxEntry).where(m.OutboxEntry.id.in_(due.scalar_subquery()))
            .values(state=SENDING, claim_id=claim_id, claimed_at=now)
            .execution_options(synchronize_session=False))
        rows = session.execute(
            select(m.OutboxEntry.id, m.OutboxEntry.uid, m.OutboxEntry.tries, m.OutboxEntry.payload_json,
                   m.OutboxEntry.submission_key, m.OutboxEntry.attempt_number, m.OutboxEntry.decision)
            .where(m.OutboxEntry.claim_id == claim_id, m.OutboxEntry.state == SENDING)
            .order_by(m.OutboxEntry.id)).all()
    return [Claimed(*r) for r in rows]


def acknowledge(sessions, outcomes: Iterable[Outcome], issuer: str) -> dict[str, int]:  # noqa: ANN001
    """Record the issuer's answers. "accepted" is final: no later answer changes it."""
    now = utcnow()
    done, rejected = [], []
    seen: set[str] = set()
    for o in outcomes:
        if o.uid in seen:  # an answer repeated in one reply counts once
            continue
        seen.add(o.uid)
        if o.done:
            done.append({"b_uid": o.uid, "b_result": o.result, "b_remote": o.remote_id,
                         "b_reason": o.reason, "b_badge": (o.badge_url or "")[:500] or None})
        else:
            rejected.append({"b_uid": o.uid, "b_reason": o.reason or "rejected by the issuer",
                             "b_remote": o.remote_id})
    table = m.OutboxEntry.__table__
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    with sessions() as session, session.begin():
        conn = session.connection()
        # The entries these answers change (an accepted one never changes), for the audit log.
        changing = {}
        answered = [d["b_uid"] for d in done] + [r["b_uid"] for r in rejected]
        for start in range(0, len(answered), 500):
            changing.update((uid, (key, number)) for uid, key, number in conn.execute(
                select(table.c.uid, table.c.submission_key, table.c.attempt_number)
                .where(table.c.uid.in_(answered[start:start + 500]), table.c.state != ACCEPTED)).all())
        if done:
            _record_done(conn, done, now, issuer)
        if rejected:
            conn.execute(
                table.update().where(table.c.uid == bindparam("b_uid"), table.c.state != ACCEPTED)
                .values(state=REJECTED, result="rejected", reason=bindparam("b_reason"),
                        remote_id=bindparam("b_remote"), claim_id=None, last_error=None,
                        done_at=now, issuer=issuer),
                rejected)
        if done:  # the queue shows these attempts as synced now
            uids = [d["b_uid"] for d in done]
            attempts = select(m.Review.attempt_id).join(
                m.OutboxEntry, m.OutboxEntry.review_id == m.Review.id).where(m.OutboxEntry.uid.in_(uids))
            queue_state.refresh(session, session.scalars(attempts).all())
        if changing:
            _audit_answers(session, [*done, *rejected], changing, issuer)
    for o in done:
        counts[o["b_result"]] += 1
    counts["rejected"] = len(rejected)
    return counts


def _record_done(conn: Connection, done: list[dict[str, Any]], now: datetime, issuer: str) -> None:
    """Mark the answered entries accepted (one executemany). On SQLite the rows go straight
    to the driver: SQLAlchemy's per-row parameter processing was a fifth of the CPU time
    of recording a batch's answers, for values that need none (text; one time, made once)."""
    table = m.OutboxEntry.__table__
    dialect = conn.dialect
    if dialect.name != "sqlite":
        conn.execute(
            table.update().where(table.c.uid == bindparam("b_uid"), table.c.state != ACCEPTED)
            .values(state=ACCEPTED, result=bindparam("b_result"), remote_id=bindparam("b_remote"),
                    reason=bindparam("b_reason"), claim_id=None, last_error=None, done_at=now,
                    issuer=issuer, badge_url=bindparam("b_badge")),
            done)
        return
    to_db = table.c.done_at.type.dialect_impl(dialect).bind_processor(dialect)
    done_at = to_db(now) if to_db else now
    q = dialect.identifier_preparer.quote
    c = table.c
    sql = (f"UPDATE {q(table.name)} SET {q(c.state.name)} = ?, {q(c.result.name)} = ?, "
           f"{q(c.remote_id.name)} = ?, {q(c.reason.name)} = ?, {q(c.claim_id.name)} = NULL, "
           f"{q(c.last_error.name)} = NULL, {q(c.done_at.name)} = ?, {q(c.issuer.name)} = ?, "
           f"{q(c.badge_url.name)} = ? WHERE {q(c.uid.name)} = ? AND {q(c.state.name)} != ?")
    conn.exec_driver_sql(sql, [(ACCEPTED, d["b_result"], d["b_remote"], d["b_reason"], done_at, issuer,
                                d["b_badge"], d["b_uid"], ACCEPTED) for d in done])


def _audit_answers(session: Session, answers: list[dict[str, Any]],
                   changing: dict[str, tuple[str, int]], issuer: str) -> None:
    """One audit entry per decision whose delivery state the issuer's answer changed."""
    me = session.scalar(select(m.Profile.uid).where(m.Profile.is_self.is_(True)))
    entries = []
    for a in answers:
        if a["b_uid"] not in changing:
            continue
        key, number = changing[a["b_uid"]]
        details = {"result": a.get("b_result", "rejected"), "issuer": issuer,
                   "remote_id": a["b_remote"], "outbox": a["b_uid"]}
        if a.get("b_reason"):
            details["reason"] = a["b_reason"]
        entries.append((audit.SYNC, f"{key} attempt {number}", details))
    audit.append_many(session, entries, actor_uid=me)


def release(sessions, entries: Sequence[Claimed], error: str | None, backoff: Backoff,  # noqa: ANN001
            *, count_try: bool = True, rng: random.Random | None = None) -> datetime | None:
    """Put claimed entries back in the queue after a failed try, each with its backoff
    (``error`` None: they were not sent at all; their last error stays as it was)."""
    if not entries:
        return None
    now = utcnow()
    params = []
    earliest: datetime | None = None
    for e in entries:
        tries = e.tries + 1 if count_try else e.tries
        when = now + timedelta(seconds=backoff.delay(tries, rng) if count_try else 0)
        earliest = when if earliest is None or when < earliest else earliest
        params.append({"b_id": e.id, "b_tries": tries, "b_next": when})
    table = m.OutboxEntry.__table__
    changes: dict[str, Any] = {} if error is None else {"last_error": error[:1000]}
    with sessions() as session, session.begin():
        session.connection().execute(
            table.update().where(table.c.id == bindparam("b_id"), table.c.state == SENDING)
            .values(state=QUEUED, tries=bindparam("b_tries"), next_attempt_at=bindparam("b_next"),
                    claim_id=None, **changes),
            params)
    return earliest


def retry(sessions, uid: str) -> bool:  # noqa: ANN001
    """Queue a rejected entry again (same key, same decision), to be sent at once."""
    with sessions() as session, session.begin():
        result = session.execute(
            update(m.OutboxEntry).where(m.OutboxEntry.uid == uid, m.OutboxEntry.state == REJECTED)
            .values(state=QUEUED, tries=0, next_attempt_at=utcnow(), result=None, done_at=None,
                    last_error="queued again by the reviewer")
            .execution_options(synchronize_session=False))
        return bool(result.rowcount)


def send_now(sessions) -> int:  # noqa: ANN001
    """Make every queued entry due now (the user pressed "Sync now")."""
    with sessions() as session, session.begin():
        return session.execute(
            update(m.OutboxEntry).where(m.OutboxEntry.state == QUEUED,
                                        m.OutboxEntry.next_attempt_at > utcnow())
            .values(next_attempt_at=utcnow()).execution_options(synchronize_session=False)).rowcount or 0


# -- reading ----------------------------------------------------------------------------------

def counts(sessions) -> dict[str, int]:  # noqa: ANN001
    with sessions() as session:
        rows = session.execute(select(m.OutboxEntry.state, func.count()).group_by(m.OutboxEntry.state))
        out = {QUEUED: 0, SENDING: 0, ACCEPTED: 0, REJECTED: 0}
        out.update({state: n for state, n in rows})
        return out


def next_pending_at(sessions) -> datetime | None:  # noqa: ANN001
    """When the earliest queued entry comes due (None when nothing is queued)."""
    with sessions() as session:
        return session.scalar(select(func.min(m.OutboxEntry.next_attempt_at))
                              .where(m.OutboxEntry.state == QUEUED))


@dataclass(frozen=True)
class EntryView:
    """One outbox entry as the window and the CLI show it."""

    uid: str
    submission_key: str
    attempt: int
    decision: str
    state: str
    result: str | None
    reason: str | None
    last_error: str | None
    tries: int
    created_at: datetime
    next_attempt_at: datetime
    done_at: datetime | None
    issuer: str | None
    remote_id: str | None
    badge_url: str | None = None
    badge_fetched: bool = False


def list_entries(sessions, *, limit: int | None = None,  # noqa: ANN001
                 states: Sequence[str] | None = None) -> list[EntryView]:
    """Entries, the ones that need attention first (rejected, then pending), newest first."""
    order = {REJECTED: 0, SENDING: 1, QUEUED: 2, ACCEPTED: 3}
    from sqlalchemy import case

    rank = case(*[(m.OutboxEntry.state == s, r) for s, r in order.items()], else_=9)
    stmt = select(m.OutboxEntry.uid, m.OutboxEntry.submission_key, m.OutboxEntry.attempt_number,
                  m.OutboxEntry.decision, m.OutboxEntry.state, m.OutboxEntry.result,
                  m.OutboxEntry.reason, m.OutboxEntry.last_error, m.OutboxEntry.tries,
                  m.OutboxEntry.created_at, m.OutboxEntry.next_attempt_at, m.OutboxEntry.done_at,
                  m.OutboxEntry.issuer, m.OutboxEntry.remote_id, m.OutboxEntry.badge_url,
                  m.OutboxEntry.badge_json.is_not(None)).order_by(rank, m.OutboxEntry.id.desc())
    if states:
        stmt = stmt.where(m.OutboxEntry.state.in_(list(states)))
    if limit is not None:
        stmt = stmt.limit(limit)
    with sessions() as session:
        return [EntryView(*r) for r in session.execute(stmt)]


class Recipients:
    """``recipient_for`` for a sync pass: the recipients of a whole claimed batch are read
    in one query (``read``) and handed to the adapter before the batch is sent (``use``),
    not one query per decision; a decision outside them is looked up on its own."""

    def __init__(self, sessions) -> None:  # noqa: ANN001 - a sessionmaker
        self.sessions = sessions
        self._known: dict[tuple[str, int], tuple[str, str] | None] = {}

    def read(self, entries: Sequence[Claimed]) -> dict[tuple[str, int], tuple[str, str] | None]:
        wanted = {(e.submission_key, e.attempt) for e in entries if e.decision == "earned"}
        found: dict[tuple[str, int], tuple[str, str] | None] = dict.fromkeys(wanted)
        keys = sorted({key for key, _ in wanted})
        with self.sessions() as session:
            for start in range(0, len(keys), 500):
                rows = session.execute(
                    select(m.Submission.key, m.Attempt.number, m.Attempt.recipient_type,
                           m.Attempt.recipient_identity)
                    .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
                    .where(m.Submission.key.in_(keys[start:start + 500])))
                for key, number, kind, identity in rows:
                    if (key, number) in found and kind and identity:
                        found[key, number] = (kind, identity)
        return found

    def use(self, known: dict[tuple[str, int], tuple[str, str] | None]) -> None:
        self._known = known

    def __call__(self, submission_key: str, attempt: int) -> tuple[str, str] | None:
        pair = (str(submission_key), int(attempt))
        if pair in self._known:
            return self._known[pair]
        return recipient_for(self.sessions, submission_key, attempt)


def newest_entry(session: Session, submission_key: str, attempt: int | None = None, *,
                 state: str | None = None) -> m.OutboxEntry | None:
    """The outbox entry of ``submission_key``'s latest attempt (or of ``attempt``), in
    ``state`` if given."""
    q = (select(m.OutboxEntry).where(m.OutboxEntry.submission_key == submission_key)
         .order_by(m.OutboxEntry.attempt_number.desc()))
    if attempt is not None:
        q = q.where(m.OutboxEntry.attempt_number == attempt)
    if state is not None:
        q = q.where(m.OutboxEntry.state == state)
    return session.scalars(q).first()


def recipient_for(sessions, submission_key: str, attempt: int) -> tuple[str, str] | None:  # noqa: ANN001
    """The badge recipient (type, identity) the package named, for issuing a badge."""
    with sessions() as session:
        row = session.execute(
            select(m.Attempt.recipient_type, m.Attempt.recipient_identity)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .where(m.Submission.key == submission_key, m.Attempt.number == attempt)).first()
    if row is None or not row[0] or not row[1]:
        return None
    return row[0], row[1]
