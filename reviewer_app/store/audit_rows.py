"""What the audit log says the data was: a digest of every row an audited change wrote.

The rows that make a badge decision are audited: reviews (with their scores), final
decisions, credential policies and reviewer enrolments. Whenever a transaction writes one,
the next audit entry appended in it (or, if none follows, one ``rows.audited`` entry at
commit) carries, under ``rows``, the row's *state*: its plain values (status, decision,
levels, ids) with every free text (feedback, comments, rationale) replaced by a digest
(the first 16 hex digits of its SHA-256). The entry's hash covers it, so the chain vouches
for it.

``check`` recomputes each row's state from the database and compares it with the state
its last audit entry recorded: a level, decision or policy edited outside the app, a row
that no audit entry covers (inserted outside the app), and a row removed outside it are
each reported, with what changed and when the row was last audited.

Rows written through the ORM are noticed by session events; bulk inserts (a batch import's
reviews, its final decisions) name what they wrote with ``touch``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from reviewer_app.store import models as m

ROWS_KEY = "rows"
_TOUCHED = "audit_rows_touched"
_CHUNK = 500


@functools.lru_cache(maxsize=4096)  # a batch repeats texts: empty comments, the same feedback
def text_digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


# --- what a transaction wrote -------------------------------------------------------------

@dataclass
class _Touched:
    reviews: set[int] = field(default_factory=set)
    finals: set[int] = field(default_factory=set)
    final_attempts: set[int] = field(default_factory=set)
    policies: set[str] = field(default_factory=set)
    enrolments: set[int] = field(default_factory=set)
    removed: dict[str, None] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)  # known without reading them back

    def __bool__(self) -> bool:
        return bool(self.reviews or self.finals or self.final_attempts or self.policies
                    or self.enrolments or self.removed or self.states)


def _touched(session: Session) -> _Touched:
    t = session.info.get(_TOUCHED)
    if t is None:
        t = session.info[_TOUCHED] = _Touched()
    return t


def touch(session: Session, *, reviews: Iterable[int] = (), final_attempts: Iterable[int] = (),
          states: Mapping[str, Any] | None = None) -> None:
    """Name rows written without the ORM (review ids, attempt ids of final decisions), so that
    the next audit entry of this transaction records them; or give their ``states`` (made
    by ``review_state`` and ``final_state`` from the values just written: a batch import's
    thousands of rows are then not read back)."""
    t = _touched(session)
    t.reviews.update(reviews)
    t.final_attempts.update(final_attempts)
    t.states.update(states or {})


def review_state(status: Any, decision: Any, feedback: str | None, kind: str, attempt_id: int,
                 reviewer_uid: str, scores: Mapping[str, tuple[int | None, str | None]]) -> dict[str, Any]:
    """A review's state, as ``_review_states`` reads it (scores by criterion key)."""
    return {"status": _enum(status), "decision": _enum(decision), "feedback": text_digest(feedback),
            "kind": kind, "attempt": attempt_id, "reviewer": reviewer_uid,
            "scores": {k: [level, text_digest(comment)] for k, (level, comment) in sorted(scores.items())}}


def final_state(decision: Any, source: str, rationale: str | None, attempt_id: int, review_uid: str,
                decided_by_uid: str) -> dict[str, Any]:
    """A final decision's state, as ``_final_states`` reads it."""
    return {"decision": _enum(decision), "source": source, "rationale": text_digest(rationale),
            "attempt": attempt_id, "review": review_uid, "decided_by": decided_by_uid}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    t = None
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, (m.Review, m.ReviewScore, m.FinalDecision, m.CredentialPolicy, m.Enrolment)):
            t = t or _touched(session)
            if isinstance(obj, m.Review):
                t.reviews.add(obj.id)
            elif isinstance(obj, m.ReviewScore):
                t.reviews.add(obj.review_id)
            elif isinstance(obj, m.FinalDecision):
                t.finals.add(obj.id)
            elif isinstance(obj, m.CredentialPolicy):
                t.policies.add(obj.credential_key)
            else:
                t.enrolments.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, m.Review):
            _touched(session).removed[f"review:{obj.uid}"] = None
        elif isinstance(obj, m.ReviewScore):
            _touched(session).reviews.add(obj.review_id)
        elif isinstance(obj, m.FinalDecision):
            _touched(session).removed[f"final:{obj.uid}"] = None
        elif isinstance(obj, m.CredentialPolicy):
            _touched(session).removed[f"policy:{obj.credential_key}"] = None
        elif isinstance(obj, m.Enrolment):
            _touched(session).removed[f"enrolment:{obj.public_key}"] = None


def pending(session: Session) -> bool:
    """Whether the transaction wrote audited rows that no audit entry has recorded yet (the
    chain, ``audit.py``, then appends one ``rows.audited`` entry before it commits)."""
    return bool(session.info.get(_TOUCHED))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def take(session: Session) -> dict[str, Any] | None:
    """The states of the rows this transaction wrote since the last call (None: none), to
    record in the audit entry being appended. Flushes the session first."""
    session.flush()
    t = session.info.pop(_TOUCHED, None)
    if not t:
        return None
    states: dict[str, Any] = dict(t.removed)
    states.update(_review_states(session, t.reviews))
    states.update(_final_states(session, t.finals, t.final_attempts))
    states.update(_policy_states(session, t.policies))
    states.update(_enrolment_states(session, t.enrolments))
    states.update(t.states)
    return dict(sorted(states.items()))


# --- a row's state ------------------------------------------------------------------------

def _chunks(ids: Iterable[Any]) -> Iterator[list[Any]]:
    ids = sorted(ids)
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


def _review_states(session: Session, ids: Iterable[int] | None) -> dict[str, Any]:
    """``None`` ids: every review."""
    out: dict[str, Any] = {}
    conn = session.connection()  # plain rows: no ORM bookkeeping (a batch's thousands)
    batches = [None] if ids is None else list(_chunks(ids))
    for chunk in batches:
        q = (select(m.Review.id, m.Review.uid, m.Review.status, m.Review.decision, m.Review.feedback,
                    m.Review.kind, m.Review.attempt_id, m.Profile.uid)
             .join(m.Profile, m.Profile.id == m.Review.reviewer_id))
        s = (select(m.ReviewScore.review_id, m.Criterion.key, m.ReviewScore.level, m.ReviewScore.comment)
             .join(m.Criterion, m.Criterion.id == m.ReviewScore.criterion_id))
        if chunk is not None:
            q, s = q.where(m.Review.id.in_(chunk)), s.where(m.ReviewScore.review_id.in_(chunk))
        scores: dict[int, dict[str, list[Any]]] = {}
        for rid, key, level, comment in conn.execute(s):
            scores.setdefault(rid, {})[key] = [level, text_digest(comment)]
        for rid, uid, status, decision, feedback, kind, attempt_id, reviewer in conn.execute(q):
            out[f"review:{uid}"] = {
                "status": _enum(status), "decision": _enum(decision), "feedback": text_digest(feedback),
                "kind": kind, "attempt": attempt_id, "reviewer": reviewer,
                "scores": dict(sorted(scores.get(rid, {}).items()))}  # as review_state makes it
    return out


def _final_states(session: Session, ids: Iterable[int] | None,
                  attempts: Iterable[int] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    q = (select(m.FinalDecision.uid, m.FinalDecision.decision, m.FinalDecision.source,
                m.FinalDecision.rationale, m.FinalDecision.attempt_id, m.Review.uid, m.Profile.uid)
         .join(m.Review, m.Review.id == m.FinalDecision.review_id)
         .join(m.Profile, m.Profile.id == m.FinalDecision.decided_by_id))
    queries = [q] if ids is None else (
        [q.where(m.FinalDecision.id.in_(c)) for c in _chunks(ids)]
        + [q.where(m.FinalDecision.attempt_id.in_(c)) for c in _chunks(attempts)])
    conn = session.connection()
    for query in queries:
        for uid, decision, source, rationale, attempt_id, review, by in conn.execute(query):
            out[f"final:{uid}"] = final_state(decision, source, rationale, attempt_id, review, by)
    return out


_POLICY_FIELDS = ("second_review_percent", "near_cut_margin", "first_reviews", "max_level_gap",
                  "calibration_threshold", "seed")


def _policy_states(session: Session, keys: Iterable[str] | None) -> dict[str, Any]:
    q = select(m.CredentialPolicy)
    if keys is not None:
        keys = list(keys)
        if not keys:
            return {}
        q = q.where(m.CredentialPolicy.credential_key.in_(keys))
    return {f"policy:{p.credential_key}": {f: getattr(p, f) for f in _POLICY_FIELDS}
            for p in session.scalars(q)}


def _enrolment_states(session: Session, ids: Iterable[int] | None) -> dict[str, Any]:
    q = select(m.Enrolment)
    if ids is not None:
        ids = list(ids)
        if not ids:
            return {}
        q = q.where(m.Enrolment.id.in_(ids))
    return {f"enrolment:{e.public_key}": {
        "reviewer": e.reviewer_uid, "name": e.name, "fingerprint": e.fingerprint,
        "enrolled_by": e.enrolled_by,
        "revoked_at": e.revoked_at.isoformat(timespec="microseconds") if e.revoked_at else None,
        "revoked_by": e.revoked_by} for e in session.scalars(q)}


def current_states(session: Session) -> dict[str, Any]:
    """Every audited row's state as the database holds it now."""
    states = _review_states(session, None)
    states.update(_final_states(session, None))
    states.update(_policy_states(session, None))
    states.update(_enrolment_states(session, None))
    return states


# --- comparing ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """One row that differs from what the audit log says it was."""

    key: str            # e.g. "review:<uid>"
    what: str           # the row in plain words
    changes: tuple[str, ...]
    last_entry: int | None
    last_at: datetime | None

    @property
    def message(self) -> str:
        when = (f" (last audited in entry {self.last_entry}, {self.last_at.astimezone():%Y-%m-%d %H:%M})"
                if self.last_entry is not None and self.last_at is not None else "")
        return f"{self.what}: {'; '.join(self.changes)}{when}."


def recorded_states(rows: Iterable[tuple[int, datetime, str]]) -> dict[str, tuple[int, datetime, Any]]:
    """The last recorded state of each row, from (entry id, at, details JSON) in id order."""
    last: dict[str, tuple[int, datetime, Any]] = {}
    for entry_id, at, details_json in rows:
        states = json.loads(details_json or "{}").get(ROWS_KEY)
        if isinstance(states, dict):
            for key, state in states.items():
                last[key] = (entry_id, at, state)
    return last


def _normal(state: Any) -> Any:
    return json.loads(json.dumps(state, sort_keys=True, default=str))


def _was_now(label: str, was: Any, now: Any) -> str:
    return f"{label} is {_plain(now)}, was {_plain(was)}"


def _plain(value: Any) -> str:
    return "none" if value is None else str(value).replace("_", " ")


def differences(key: str, was: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What changed between two states of one row, in plain words."""
    out: list[str] = []
    for name in sorted(set(was) | set(now)):
        a, b = was.get(name), now.get(name)
        if a == b:
            continue
        if name == "scores":
            a, b = a or {}, b or {}
            for crit in sorted(set(a) | set(b)):
                sa, sb = a.get(crit), b.get(crit)
                if sa is None:
                    out.append(f"a score for '{crit}' was added")
                elif sb is None:
                    out.append(f"the score for '{crit}' was removed")
                else:
                    if sa[0] != sb[0]:
                        out.append(_was_now(f"the level for '{crit}'", sa[0], sb[0]))
                    if sa[1] != sb[1]:
                        out.append(f"the comment on '{crit}' was changed")
        elif name in ("feedback", "rationale"):
            out.append(f"the {name} was changed")
        else:
            out.append(_was_now(f"the {name.replace('_', ' ')}", a, b))
    return out


_KINDS = {"review": "Review", "final": "Final decision", "policy": "Policy of", "enrolment": "Enrolment"}


def _removed_label(key: str, was: Any, describe: dict[str, str]) -> str:
    """A row no longer in the database, named from its recorded state (``describe`` holds
    ``attempt:<id>`` labels)."""
    kind, _, ident = key.partition(":")
    label = f"{_KINDS.get(kind, kind)} {ident[:8] if kind in ('review', 'final') else ident}"
    attempt = was.get("attempt") if isinstance(was, dict) else None
    if attempt is not None and f"attempt:{attempt}" in describe:
        label += f" on {describe[f'attempt:{attempt}']}"
    return label


NO_ENTRY = "no audit entry records it: it was written outside the app"
BACK = "it was removed when last audited, and is back: written outside the app"
REMOVED = "it was removed outside the app"


def compare(recorded: dict[str, tuple[int, datetime, Any]], current: dict[str, Any],
            describe: dict[str, str]) -> list[RowProblem]:
    """Every row whose state differs from its last audited state, has none, or was removed."""
    problems: list[RowProblem] = []
    for key in sorted(set(recorded) | set(current)):
        now = current.get(key)
        entry_id, at, was = recorded.get(key, (None, None, None))
        what = describe.get(key) or _removed_label(key, was, describe)
        if now is not None and entry_id is None:
            problems.append(RowProblem(key, what, (NO_ENTRY,), None, None))
        elif now is not None and was is None:
            problems.append(RowProblem(key, what, (BACK,), entry_id, at))
        elif now is None and was is not None:
            problems.append(RowProblem(key, what, (REMOVED,), entry_id, at))
        elif now is not None and was != now:  # (most rows are equal as they are)
            changes = differences(key, _normal(was), _normal(now))
            if changes:
                problems.append(RowProblem(key, what, tuple(changes), entry_id, at))
    return problems
