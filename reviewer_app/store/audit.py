"""The audit log: every score change, submission, batch import, moderation and sync event.

``append`` is called inside the transaction that makes the change, so the change and its
audit entry are committed together or not at all. It locks the single head row first
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time), so concurrent
writers still form one chain.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from reviewer_app.domain.audit_chain import (
    GENESIS,
    Break,
    ChainEntry,
    canonical_details,
    entry_hash,
    first_break,
)
from reviewer_app.store import audit_rows
from reviewer_app.store import models as m
from reviewer_app.store.bulk import insert_rows
from reviewer_app.store.types import utcnow

log = logging.getLogger(__name__)

# The actions written to the log (``action`` column); other modules use these names.
SCORE = "score.level"
COMMENT = "score.comment"
FEEDBACK = "review.feedback"
SUBMIT = "review.submit"
REOPEN = "review.reopen"
BATCH_EXPORT = "batch.export"
BATCH_IMPORT = "batch.import"
BATCH_REFUSED = "batch.refuse"
PACKAGE_REFUSED = "package.refuse"
CALIBRATION_REFUSED = "calibration.refuse"
ENROL = "reviewer.enrol"
ENROL_REFUSED = "reviewer.enrol.refuse"
REVOKE = "reviewer.revoke"
DISPUTE = "dispute.open"
MODERATE = "dispute.moderate"
FINAL = "decision.final"
LATE = "review.late"
RELEASE = "decision.release"
BACKREAD = "decision.backread"
OVERTURN = "decision.overturn"
ASSIGN = "second_read.assign"
CALIBRATION = "calibration.mark"
POLICY = "policy.change"
ROLE = "profile.role"
SYNC = "sync.result"
ROWS = "rows.audited"
BASELINE = "rows.baseline"
#: Set once this database's audit covers its rows (``ensure_rows_baseline``).
ROWS_SETTING = "audit_rows_since"


class AppContext(Protocol):
    """What the chain needs of ``store.context.AppContext`` (which opens the chain's
    baseline, ``ensure_rows_baseline``, and so is not imported here)."""

    sessions: sessionmaker[Session]

    def transaction(self) -> AbstractContextManager[Session]: ...


def append(session: Session, action: str, subject: str, details: dict[str, Any] | None = None, *,
           actor_uid: str | None = None, at: datetime | None = None) -> m.AuditEntry:
    """Add one entry to the chain, in the caller's transaction.

    The entry records the state of the audited rows the transaction wrote so far
    (``audit_rows``)."""
    states = audit_rows.take(session)
    if states:
        details = {**(details or {}), audit_rows.ROWS_KEY: states}
    head = session.scalars(select(m.AuditHead).where(m.AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = m.AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
    at = at or utcnow()
    entry_id = head.last_id + 1
    details_json = canonical_details(details)
    subject = subject[:200]
    digest = entry_hash(entry_id, at, actor_uid, action, subject, details_json, head.last_hash)
    entry = m.AuditEntry(id=entry_id, at=at, actor_uid=actor_uid, action=action, subject=subject,
                         details_json=details_json, prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.last_id, head.last_hash = entry_id, digest
    session.flush()
    return entry



@event.listens_for(Session, "before_commit")
def _record_rows(session: Session) -> None:
    """A transaction that wrote audited rows and appended no entry after them gets one
    ``rows.audited`` entry, so every audited write is in the chain."""
    session.flush()
    if not audit_rows.pending(session):  # nothing audited written, or recorded already
        return
    actor = session.scalar(select(m.Profile.uid).where(m.Profile.is_self.is_(True)))
    append(session, ROWS, "rows written", {}, actor_uid=actor)


def append_many(session: Session, entries: Iterable[tuple[str, str, dict[str, Any] | None]], *,
                actor_uid: str | None = None, at: datetime | None = None) -> int:
    """Add (action, subject, details) entries in order, in the caller's transaction.

    The same chain as calling ``append`` for each, written with one multi-row INSERT
    (a batch import's thousands of final decisions). Returns how many were added.
    """
    rows = list(entries)
    if not rows:
        return 0
    states = audit_rows.take(session)
    if states:  # recorded with the last of them
        action, subject, details = rows[-1]
        rows[-1] = (action, subject, {**(details or {}), audit_rows.ROWS_KEY: states})
    head = session.scalars(select(m.AuditHead).where(m.AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = m.AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
    at = at or utcnow()
    last_id, last_hash = head.last_id, head.last_hash
    values = []
    for action, subject, details in rows:
        last_id += 1
        details_json = canonical_details(details)
        subject = subject[:200]
        digest = entry_hash(last_id, at, actor_uid, action, subject, details_json, last_hash)
        values.append((last_id, at, actor_uid, action, subject, details_json, last_hash, digest))
        last_hash = digest
    insert_rows(session.connection(), m.AuditEntry.__table__,
                ("id", "at", "actor_uid", "action", "subject", "details_json", "prev_hash", "hash"), values)
    head.last_id, head.last_hash = last_id, last_hash
    session.flush()
    return len(values)


def ensure_rows_baseline(ctx: AppContext) -> None:
    """A database made before the audit covered the data: record, once, the state of every
    audited row as it stands (a ``rows.baseline`` entry), so that what follows is checked
    against it. Nothing is recorded if any entry already carries rows."""
    with ctx.transaction() as session:
        if session.get(m.AppSetting, ROWS_SETTING) is not None:
            return
        covered = session.scalar(select(m.AuditEntry.id).where(
            m.AuditEntry.details_json.contains(f'"{audit_rows.ROWS_KEY}":{{')).limit(1))
        if covered is None:
            states = audit_rows.current_states(session)
            if states:
                log.info("recording the state of %d rows written before the audit covered them", len(states))
                append(session, BASELINE, f"{len(states)} rows written before this version",
                       {audit_rows.ROWS_KEY: dict(sorted(states.items()))})
        session.add(m.AppSetting(key=ROWS_SETTING, value=utcnow().isoformat()))


def file_sha256(path: Path, limit: int = 512 * 1024 * 1024) -> str | None:
    """SHA-256 (hex) of a file up to ``limit`` bytes, for a refusal's entry; None for a folder
    or an unreadable or larger file."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def record_refusal(ctx: AppContext, action: str, subject: str, details: dict[str, Any]) -> None:
    """Write a refusal (an import or enrolment that stored nothing) to the log, in a
    transaction of its own, acted by this database's profile if it has one (none is made for
    it). A failure to write it is logged; the refusal stands either way."""
    try:
        with ctx.transaction() as session:
            actor = session.scalar(select(m.Profile.uid).where(m.Profile.is_self.is_(True)))
            append(session, action, subject, details, actor_uid=actor)
    except Exception:
        log.exception("could not write a refusal (%s, %s) to the audit log", action, subject)


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    problem: Break | None
    #: Audited rows checked against their last audited state, and those that differ.
    rows_checked: int = 0
    rows: tuple[audit_rows.RowProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.rows

    def lines(self) -> list[str]:
        """The result in plain words: what is intact, then every discrepancy."""
        out = []
        n = self.entries
        if self.problem is None:
            out.append(f"The audit log's chain is intact: {n} entr{'y' if n == 1 else 'ies'}, none "
                       "altered or removed.")
        else:
            out.append(f"The audit log's chain is broken: {self.problem.message}")
        r = self.rows_checked
        if not self.rows:
            out.append(f"The data matches the audit log: {r} audited row{'' if r == 1 else 's'} (reviews "
                       "and their scores, final decisions, policies, enrolments) as last audited.")
        else:
            k = len(self.rows)
            out.append(f"{k} of {r} audited row{'' if r == 1 else 's'} differ{'s' if k == 1 else ''} from "
                       "the audit log:")
            out.extend(f"  - {p.message}" for p in self.rows)
        return out


def _stream(session: Session, counter: list[int]) -> Iterator[ChainEntry]:
    rows = session.execute(
        select(m.AuditEntry.id, m.AuditEntry.at, m.AuditEntry.actor_uid, m.AuditEntry.action,
               m.AuditEntry.subject, m.AuditEntry.details_json, m.AuditEntry.prev_hash,
               m.AuditEntry.hash).order_by(m.AuditEntry.id).execution_options(yield_per=2000))
    for row in rows:
        counter[0] += 1
        yield ChainEntry(*row)


def _row_labels(session: Session) -> dict[str, str]:
    """Each audited row in plain words, as the report names it."""
    attempts = {aid: f"{key} attempt {n}" for aid, key, n in session.execute(
        select(m.Attempt.id, m.Submission.key, m.Attempt.number)
        .join(m.Submission, m.Submission.id == m.Attempt.submission_id))}
    labels = {f"attempt:{aid}": what for aid, what in attempts.items()}
    for uid, aid, name, kind in session.execute(
            select(m.Review.uid, m.Review.attempt_id, m.Profile.name, m.Review.kind)
            .join(m.Profile, m.Profile.id == m.Review.reviewer_id)):
        what = "Moderation review" if kind == "moderation" else "Review"
        labels[f"review:{uid}"] = f"{what} of {attempts.get(aid, '?')} by {name} ({uid[:8]})"
    for uid, aid in session.execute(select(m.FinalDecision.uid, m.FinalDecision.attempt_id)):
        labels[f"final:{uid}"] = f"Final decision on {attempts.get(aid, '?')} ({uid[:8]})"
    for (key,) in session.execute(select(m.CredentialPolicy.credential_key)):
        labels[f"policy:{key}"] = f"Policy of {key}"
    for key, name, fp in session.execute(select(m.Enrolment.public_key, m.Enrolment.name,
                                                m.Enrolment.fingerprint)):
        labels[f"enrolment:{key}"] = f"Enrolment of {name} ({fp})"
    return labels


def verify(ctx: AppContext, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Check the whole chain (naming the first entry altered or removed), then every audited
    row against the state its last audit entry recorded."""
    counter = [0]
    with ctx.sessions() as session:
        head_row = session.get(m.AuditHead, 1)
        head = (head_row.last_id, head_row.last_hash) if head_row else None
        problem = first_break(_stream(session, counter), head)
        recorded = audit_rows.recorded_states(session.execute(
            select(m.AuditEntry.id, m.AuditEntry.at, m.AuditEntry.details_json)
            .where(m.AuditEntry.details_json.contains(f'"{audit_rows.ROWS_KEY}":{{'))
            .order_by(m.AuditEntry.id).execution_options(yield_per=200)))
        current = audit_rows.current_states(session)
        rows = audit_rows.compare(recorded, current, _row_labels(session))
    if progress:
        progress(counter[0])
    return VerifyResult(counter[0], problem, len(current), tuple(rows))


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor_uid: str | None
    action: str
    subject: str
    details_json: str


def recent(ctx: AppContext, limit: int = 200, subject: str | None = None) -> list[AuditLine]:
    """The latest entries, newest first (optionally for one subject)."""
    with ctx.sessions() as session:
        query = select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(m.AuditEntry.subject == subject)
        return [AuditLine(r.id, r.at, r.actor_uid, r.action, r.subject, r.details_json)
                for r in session.scalars(query)]
