"""The queue of submission attempts, and one attempt in detail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, literal_column, or_, select, table
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

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
from reviewer_app.jobs import Job
from reviewer_app.services.policies import BLIND_CANDIDATE, identity_withheld
from reviewer_app.store import models as m
from reviewer_app.store import search_index
from reviewer_app.store.context import AppContext
from reviewer_app.store.interrupt import interruptible


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
    return _filtered(session, stmt, query, joined=True)


def _filtered(session: Session, stmt: Select, query: QueueQuery, *, joined: bool = False) -> Select:
    """``stmt`` (over attempts) narrowed to the query; joined to the submission when the
    search checks ids row by row."""
    conditions = []
    few = False
    if search := _search_text(query):
        condition, few, along = _search_condition(session, search)
        conditions.append(condition)
        if along and not joined:
            stmt = stmt.join(m.Submission, m.Attempt.submission_id == m.Submission.id)
    # With few matching ids, those drive the query: the other filters' indexes are not
    # wanted (SQLite, without statistics, would walk a status's 700,000 rows instead).
    col = _unindexed if few and session.get_bind().dialect.name == "sqlite" else (lambda c: c)
    if query.credential_key:
        ids = list(session.scalars(select(m.Credential.id)
                                   .where(m.Credential.key == query.credential_key)))
        # One version (the usual case) is an equality, which walks the index in date order.
        conditions.append(col(m.Attempt.credential_id) == ids[0] if len(ids) == 1
                          else col(m.Attempt.credential_id).in_(ids))
    if query.status is not None:
        conditions.append(col(m.Attempt.queue_status) == query.status.value)
    if query.has_draft is not None:
        conditions.append(col(m.Attempt.has_draft).is_(query.has_draft))
    return stmt.where(and_(*conditions)) if conditions else stmt


def _unindexed(column):  # noqa: ANN001, ANN202
    """SQLite's ``+column``: the same value, but no index of it is used."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _search_condition(session: Session, text: str):  # noqa: ANN202 - (condition, few, along)
    """Text in the submission id or the credential title: the condition, whether few ids
    match (they then drive the query), and whether it checks the submission row by row.

    The credential table is tiny, so its matches are resolved here first. Ids are found
    in the trigram index (``store.search_index``) where there is one and the text is long
    enough (else by ``LIKE``). Up to ``_FEW`` of them are looked up by index and sorted.
    More matches than that, or a text of one or two characters, are common enough to be
    met soon along the sort order, so each row is checked as it comes (an OR of both
    makes SQLite gather and sort every match).
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    pattern = f"%{_escape_like(text)}%"

    def like(column):  # noqa: ANN001, ANN202 - SQLite's LIKE ignores ASCII case by itself
        return (column.like if sqlite else column.ilike)(pattern, escape="\\")

    credential_ids = list(session.scalars(select(m.Credential.id).where(like(m.Credential.title))))
    along = like(m.Submission.key)
    if len(text) < search_index.MIN_LENGTH:
        key_condition, few, matched = along, False, True
    elif search_index.present(session):
        by_key = (select(literal_column("rowid")).select_from(table(search_index.TABLE))
                  .where(literal_column(search_index.TABLE).op("MATCH")(search_index.phrase(text))))
        found = session.scalar(select(func.count()).select_from(by_key.limit(_FEW + 1).subquery()))
        few, matched = found <= _FEW, found > 0
        key_condition = m.Attempt.submission_id.in_(by_key) if few else along
    else:
        key_ids = list(session.scalars(select(m.Submission.id).where(along).limit(_FEW_LISTED + 1)))
        few, matched = len(key_ids) <= _FEW_LISTED, bool(key_ids)
        key_condition = m.Attempt.submission_id.in_(key_ids) if few else along
    if not credential_ids:
        return key_condition, few, key_condition is along
    by_credential = (m.Attempt.credential_id == credential_ids[0] if len(credential_ids) == 1
                     else m.Attempt.credential_id.in_(credential_ids))
    if not matched:
        return by_credential, False, False
    return or_(key_condition, by_credential), False, key_condition is along


_FEW = 20_000  # ids from the index (a subquery)
_FEW_LISTED = 500  # ids found by LIKE, listed in the query


def _search_text(query: QueueQuery) -> str:
    # (SQLite's LIKE ends a pattern at a NUL character: it would then match everything.)
    return query.search.replace("\x00", "").strip()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _to_row(r) -> SubmissionRow:  # noqa: ANN001
    return SubmissionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], SubmissionStatus(r[7]), r[8])


def list_submissions(ctx: AppContext, query: QueueQuery = QueueQuery(), *, offset: int = 0,
                     limit: int | None = None, job: Job | None = None) -> list[SubmissionRow]:
    """A page of the queue (all of it when ``limit`` is None). Cancelling ``job`` stops
    the query where it is (``Cancelled``): a newer query needs the connection."""
    column = SORT_COLUMNS.get(query.sort, m.Attempt.submitted_at)
    order = [column.desc() if query.descending else column.asc(), m.Attempt.id.asc()]
    with ctx.sessions() as session, interruptible(session, job):
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


def count_submissions(ctx: AppContext, query: QueueQuery = QueueQuery(), *,
                      job: Job | None = None) -> int:
    """How many attempts match; cancelling ``job`` stops the count (``Cancelled``)."""
    with ctx.sessions() as session, interruptible(session, job):
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
