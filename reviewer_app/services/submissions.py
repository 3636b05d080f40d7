"""The queue of submission attempts, and one attempt in detail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from reviewer_app.domain.model import (
    Candidate,
    Credential,
    Criterion,
    EvidenceItem,
    Level,
    Recipient,
    Rubric,
    SubmissionStatus,
)
from reviewer_app.errors import NotFound
from reviewer_app.services.policies import BLIND_CANDIDATE, identity_withheld
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


@dataclass(frozen=True)
class SubmissionRow:
    """One line of the queue: a submission attempt."""

    attempt_id: int
    key: str
    attempt: int
    credential_key: str
    credential_title: str
    credential_version: str
    submitted_at: datetime
    status: SubmissionStatus
    evidence_count: int


@dataclass(frozen=True)
class Reflection:
    prompt: str
    text: str


@dataclass(frozen=True)
class SubmissionDetail:
    attempt_id: int
    key: str
    attempt: int
    attempts: tuple[int, ...]  # every attempt number of this submission held locally
    submitted_at: datetime
    imported_at: datetime
    credential: Credential
    rubric: Rubric
    candidate: Candidate  # display name and recipient only when revealed
    status: SubmissionStatus
    evidence: tuple[EvidenceItem, ...]
    reflections: tuple[Reflection, ...]


@dataclass(frozen=True)
class QueueQuery:
    search: str = ""
    credential_key: str | None = None
    status: SubmissionStatus | None = None
    has_draft: bool | None = None  # only attempts with (True) or without (False) a draft review
    sort: str = "submitted_at"  # a key of SORT_COLUMNS
    descending: bool = False


SORT_COLUMNS = {
    "key": m.Submission.key,
    "attempt": m.Attempt.number,
    "credential": m.Credential.title,
    "submitted_at": m.Attempt.submitted_at,
    "imported_at": m.Attempt.imported_at,
    # The status in the order work moves along, not the alphabet's.
    "status": case({s.value: i for i, s in enumerate(SubmissionStatus)}, value=m.Attempt.queue_status,
                   else_=len(SubmissionStatus)),
    "evidence": m.Attempt.evidence_count,
}


def _queue_select(session: Session, query: QueueQuery) -> Select:
    stmt = (select(m.Attempt.id, m.Submission.key, m.Attempt.number, m.Credential.key,
                   m.Credential.title, m.Credential.version, m.Attempt.submitted_at,
                   m.Attempt.queue_status, m.Attempt.evidence_count)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .join(m.Credential, m.Attempt.credential_id == m.Credential.id))
    return _filtered(session, stmt, query)


def _filtered(session: Session, stmt: Select, query: QueueQuery) -> Select:
    conditions = []
    if query.search.strip():
        conditions.append(_search_condition(session, query.search.strip()))
    if query.credential_key:
        ids = list(session.scalars(select(m.Credential.id)
                                   .where(m.Credential.key == query.credential_key)))
        # One version (the usual case) is an equality, which walks the index in date order.
        conditions.append(m.Attempt.credential_id == ids[0] if len(ids) == 1
                          else m.Attempt.credential_id.in_(ids))
    if query.status is not None:
        conditions.append(m.Attempt.queue_status == query.status.value)
    if query.has_draft is not None:
        conditions.append(m.Attempt.has_draft.is_(query.has_draft))
    return stmt.where(and_(*conditions)) if conditions else stmt


def _search_condition(session: Session, text: str):  # noqa: ANN202 - a SQL condition
    """Text in the submission id or the credential title.

    The credential table is tiny, so its matches are resolved here first; then the query
    takes the plan that fits (an OR of both makes SQLite gather and sort every match,
    five times slower on a queue of 100,000).
    """
    pattern = f"%{_escape_like(text)}%"
    by_key = select(m.Submission.id).where(m.Submission.key.ilike(pattern, escape="\\"))
    credential_ids = list(session.scalars(
        select(m.Credential.id).where(m.Credential.title.ilike(pattern, escape="\\"))))
    key_ids = list(session.scalars(by_key.limit(_FEW + 1)))
    # Few matching ids are looked up by index and sorted; many are checked along the sort.
    key_condition = (m.Attempt.submission_id.in_(key_ids) if len(key_ids) <= _FEW
                     else m.Attempt.submission_id.in_(by_key))
    if not credential_ids:
        return key_condition
    by_credential = (m.Attempt.credential_id == credential_ids[0] if len(credential_ids) == 1
                     else m.Attempt.credential_id.in_(credential_ids))
    return or_(key_condition, by_credential) if key_ids else by_credential


_FEW = 500


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _to_row(r) -> SubmissionRow:  # noqa: ANN001
    return SubmissionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], SubmissionStatus(r[7]), r[8])


def list_submissions(ctx: AppContext, query: QueueQuery = QueueQuery(), *, offset: int = 0,
                     limit: int | None = None) -> list[SubmissionRow]:
    """A page of the queue (all of it when ``limit`` is None)."""
    column = SORT_COLUMNS.get(query.sort, m.Attempt.submitted_at)
    order = [column.desc() if query.descending else column.asc(), m.Attempt.id.asc()]
    with ctx.sessions() as session:
        stmt = _queue_select(session, query).order_by(*order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_to_row(r) for r in session.execute(stmt)]


def iter_submissions(ctx: AppContext, query: QueueQuery = QueueQuery(),
                     batch: int = 1000) -> Iterator[SubmissionRow]:
    """The whole queue, in batches, without holding it all in memory."""
    offset = 0
    while True:
        rows = list_submissions(ctx, query, offset=offset, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def count_submissions(ctx: AppContext, query: QueueQuery = QueueQuery()) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(_filtered(session, select(func.count(m.Attempt.id)), query)) or 0)


def credentials(ctx: AppContext) -> list[Credential]:
    with ctx.sessions() as session:
        rows = session.scalars(select(m.Credential).order_by(m.Credential.title, m.Credential.version))
        return [Credential(r.key, r.version, r.title) for r in rows]


def rubric_to_domain(row: m.Rubric) -> Rubric:
    return Rubric(
        key=row.key, version=row.version, title=row.title,
        criteria=tuple(
            Criterion(key=c.key, title=c.title, guidance=c.guidance, required_level=c.required_level,
                      levels=tuple(Level(lv.value, lv.label, lv.descriptor) for lv in c.levels))
            for c in row.criteria))


def get_submission(ctx: AppContext, key: str, attempt: int | None = None, *,
                   reveal_candidate: bool = False) -> SubmissionDetail:
    """One attempt of a submission (the latest when ``attempt`` is None).

    The candidate's name and badge recipient are given only with ``reveal_candidate``,
    and never to a reviewer while blind review is on (the default): then even the
    candidate's id is replaced by ``policies.BLIND_CANDIDATE`` (the submission id stays).
    A lead assessor, or a reviewer with blind review off, gets them when asking.
    """
    with ctx.sessions() as session:
        withheld = identity_withheld(session)
        sub = session.scalars(select(m.Submission).where(m.Submission.key == key)
                              .options(selectinload(m.Submission.attempts))).first()
        if sub is None or not sub.attempts:
            raise NotFound(f"No submission {key!r} in this database (reviewer-app list shows them)")
        numbers = tuple(a.number for a in sub.attempts)
        wanted = numbers[-1] if attempt is None else attempt
        if wanted not in numbers:
            raise NotFound(f"Submission {key} has no attempt {wanted} (it has "
                           f"{', '.join(map(str, numbers))})")
        row = session.scalars(
            select(m.Attempt).where(m.Attempt.submission_id == sub.id, m.Attempt.number == wanted)
            .options(selectinload(m.Attempt.evidence), selectinload(m.Attempt.reflections),
                     selectinload(m.Attempt.credential),
                     selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                     .selectinload(m.Criterion.levels))).one()
        status = SubmissionStatus(row.queue_status)
        reveal = reveal_candidate and not withheld
        recipient = None
        if reveal and row.recipient_type and row.recipient_identity:
            recipient = Recipient(row.recipient_type, row.recipient_identity)
        return SubmissionDetail(
            attempt_id=row.id, key=sub.key, attempt=row.number, attempts=numbers,
            submitted_at=row.submitted_at, imported_at=row.imported_at,
            credential=Credential(row.credential.key, row.credential.version, row.credential.title),
            rubric=rubric_to_domain(row.rubric),
            candidate=Candidate(BLIND_CANDIDATE if withheld else sub.candidate_key,
                                row.candidate_display_name if reveal else None, recipient),
            status=status,
            evidence=tuple(EvidenceItem(e.key, e.kind, e.title, e.path, e.sha256, e.size,
                                        tuple(e.criteria_keys.split()))
                           for e in row.evidence),
            reflections=tuple(Reflection(r.prompt, r.text) for r in row.reflections))
