"""Score batches between databases: a reviewer exports, a lead assessor imports.

* ``export_batch``: the current profile's submitted reviews as one batch file (and a CSV
  beside it); by default only those not in an earlier batch (remembered in the
  ``app_setting`` row ``batch_export.exported``), ``include_all`` for every one.
* ``import_batches``: a lead assessor imports batch files, each in a transaction of its
  own (all of a batch or nothing of it); a refused batch does not stop the others, and its
  refusal is written to the audit log (in a transaction of its own: nothing of the batch
  is stored). The file is checked first (``exports.batches.read_batch``: format, SHA-256,
  signature, count), then against this database (the signing key enrolled for the reviewer
  it names, submissions held, rubrics, evidence, reviews already here);
  only then are rows written, in bulk (no ORM object per row), so 100 batches of 1,000
  reviews import in seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from reviewer_app.domain.model import AnnotationKind, Decision, EvidenceKind, ReviewStatus, Role
from reviewer_app.domain.rules import decide
from reviewer_app.errors import UserError
from reviewer_app.exports.batches import (
    Batch,
    BatchRefused,
    BatchReview,
    Reviewer,
    canonical,
    find_batches,
    iso,
    read_batch,
    write_batch,
)
from reviewer_app.jobs import Job, cycle_collector_paused
from reviewer_app.services import finalize
from reviewer_app.services.batch_lines import review_lines as _review_lines
from reviewer_app.services.batch_records import chunks as _chunks
from reviewer_app.services.batch_records import review_records
from reviewer_app.services.decision_inputs import Arrived
from reviewer_app.services.enrolment import check_signer
from reviewer_app.services.identity import signing_key
from reviewer_app.services.roles import require_lead
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import audit, audit_rows, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.bulk import insert_rows
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

#: The ``app_setting`` key listing (one per line) the review uids already exported.
EXPORTED_SETTING = "batch_export.exported"


class NothingToExport(UserError):
    """Every submitted review is already in an earlier batch (or none was submitted)."""


# -- export -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportedBatch:
    json_path: Path
    csv_path: Path
    batch_id: str
    count: int
    content_sha256: str

    def describe(self) -> str:
        return (f"Exported {self.count} review{'s' if self.count != 1 else ''} to {self.json_path} "
                f"(spreadsheet: {self.csv_path.name}).")


def _exported_uids(session: Session) -> set[str]:
    row = session.get(m.AppSetting, EXPORTED_SETTING)
    return set(row.value.split()) if row else set()


def export_batch(ctx: AppContext, folder: Path, *, include_all: bool = False,
                 job: Job | None = None) -> ExportedBatch:
    """Write this profile's submitted reviews as a batch into ``folder``.

    Raises ``NothingToExport`` when there is nothing new (``include_all`` exports every
    submitted review again; the lead assessor's import skips the ones it already holds).
    """
    job = job or Job()
    me, key = signing_key(ctx)  # no keyring: refused before anything is collected
    with ctx.sessions() as session:
        rows = session.execute(
            select(m.Review.id, m.Review.uid).join(m.Profile, m.Review.reviewer_id == m.Profile.id)
            .where(m.Profile.uid == me.uid, m.Review.kind == "review",
                   m.Review.status == ReviewStatus.SUBMITTED)
            .order_by(m.Review.submitted_at, m.Review.id)).all()
        done = set() if include_all else _exported_uids(session)
        wanted = [(rid, uid) for rid, uid in rows if uid not in done]
        if not wanted:
            if rows:
                what = ("Your submitted review is" if len(rows) == 1
                        else f"All {len(rows)} of your submitted reviews are")
                raise NothingToExport(
                    f"{what} in earlier batches; export again with --all to include them (the "
                    "lead assessor's import skips the reviews it already holds).")
            raise NothingToExport("You have no submitted reviews to export yet.")
        job.start(len(wanted), f"Collecting {len(wanted)} reviews")
        job.check()
        records = review_records(session, [rid for rid, _ in wanted])
    reviews = [records[rid] for rid, _ in wanted]
    batch_id = m.new_uid()
    written = write_batch(Path(folder), batch_id, Reviewer(me.uid, me.name, me.role.value), reviews,
                          key=key, job=job)
    # The files are complete and in place; only now are the reviews counted as exported (if
    # this transaction failed, the next export would simply include them again).
    with ctx.transaction() as session:
        exported = _exported_uids(session) | {uid for _, uid in wanted}
        setting = session.get(m.AppSetting, EXPORTED_SETTING)
        value = "\n".join(sorted(exported))
        if setting is None:
            session.add(m.AppSetting(key=EXPORTED_SETTING, value=value))
        else:
            setting.value = value
        audit.append(session, audit.BATCH_EXPORT, f"batch {batch_id}",
                     {"reviews": len(reviews), "content_sha256": written.header.content_sha256,
                      "file": written.json_path.name, "all": include_all}, actor_uid=me.uid)
    return ExportedBatch(written.json_path, written.csv_path, batch_id, len(reviews),
                         written.header.content_sha256)


# -- import -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch file."""

    path: Path
    status: str  # imported | already imported | refused
    message: str
    batch_id: str | None = None
    reviewer: str | None = None
    imported: int = 0
    skipped: int = 0
    #: What the lead's rules made of the attempts: final decisions, disputes, second reviews
    #: still needed.
    final: int = 0
    disputed: int = 0
    waiting: int = 0
    attempt_ids: tuple[int, ...] = field(default=(), repr=False)
    #: One line per review imported: what became of it (for the reviewer who sent it).
    lines: tuple[str, ...] = field(default=(), repr=False)
    late: int = 0
    held: int = 0

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    def describe(self) -> str:
        return self.message


def _names(labels: list[str], shown: int = 3) -> str:
    if len(labels) <= shown:
        return ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]
    return f"{', '.join(labels[:shown])} and {len(labels) - shown} more"


@dataclass
class _Rubric:
    ident: tuple[str, str, str]  # key, version, content_sha256
    domain: Any  # reviewer_app.domain.model.Rubric
    criteria: dict[str, tuple[int, frozenset[int]]]  # key -> (id, level values)
    decisions: dict[tuple[int | None, ...], str | None] = field(default_factory=dict)
    #: Scores already found valid: their (criterion, level) pairs, in order -> the decision
    #: they derive. A batch's levels repeat, so most reviews are checked by one lookup.
    valid: dict[tuple[tuple[str, int | None], ...], str | None] = field(default_factory=dict)

    def decision(self, levels: dict[str, int | None]) -> str | None:
        """The decision the rule derives from these levels (remembered: levels repeat)."""
        key = tuple(levels.get(c.key) for c in self.domain.criteria)
        if key not in self.decisions:
            derived = decide(self.domain, levels)
            self.decisions[key] = derived.value if derived is not None else None
        return self.decisions[key]


class _Lookups:
    """Rubrics and credentials, loaded once for all the batches of one import."""

    def __init__(self) -> None:
        self.rubrics: dict[int, _Rubric] = {}
        self.credentials: dict[int, tuple[str, str]] = {}

    def load(self, session: Session, rubric_ids: set[int], credential_ids: set[int]) -> None:
        missing = rubric_ids - self.rubrics.keys()
        if missing:
            for row in session.scalars(select(m.Rubric).where(m.Rubric.id.in_(missing)).options(
                    selectinload(m.Rubric.criteria).selectinload(m.Criterion.levels))):
                self.rubrics[row.id] = _Rubric(
                    (row.key, row.version, row.content_sha256), rubric_to_domain(row),
                    {c.key: (c.id, frozenset(lv.value for lv in c.levels)) for c in row.criteria})
        missing = credential_ids - self.credentials.keys()
        if missing:
            self.credentials.update((cid, (key, version)) for cid, key, version in session.execute(
                select(m.Credential.id, m.Credential.key, m.Credential.version)
                .where(m.Credential.id.in_(missing))))


def _in(name: str):  # noqa: ANN202
    """A bound list for ``column.in_(...)``: one statement whatever the values (compiled
    once, cached), instead of a literal per value made anew on every call."""
    return bindparam(name, expanding=True)


_ATTEMPTS_OF_KEYS = (
    select(m.Submission.key, m.Attempt.number, m.Attempt.id, m.Attempt.rubric_id, m.Attempt.credential_id)
    .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
    .where(m.Submission.key.in_(_in("keys"))))
_REVIEWS_OF_UIDS = select(m.Review.uid, m.Review.id).where(m.Review.uid.in_(_in("uids")))
_REVIEWERS_CLASH = select(m.Review.attempt_id).where(
    m.Review.reviewer_id == bindparam("reviewer"), m.Review.attempt_id.in_(_in("attempts")))
_EVIDENCE_OF = (select(m.EvidenceItem.attempt_id, m.EvidenceItem.key, m.EvidenceItem.id, m.EvidenceItem.kind)
                .where(m.EvidenceItem.attempt_id.in_(_in("attempts"))))
# What each kind of note may be anchored to (as services.annotations allows them).
_NOTE_ON = {"time": {EvidenceKind.VIDEO, EvidenceKind.AUDIO}, "page": {EvidenceKind.PDF},
            "region": {EvidenceKind.IMAGE}, "quote": {EvidenceKind.TEXT}}


def _check_scores(source: str, r: BatchReview, rubric: _Rubric) -> str | None:
    """The decision a review's scores derive, or ``BatchRefused`` saying what is wrong with
    them (remembered per set of scores: ``_Rubric.valid``)."""
    levels = {}
    for s in r.scores:
        crit = rubric.criteria.get(s.criterion)
        if crit is None:
            raise BatchRefused(source, f"holds a review of {r.label} that scores criterion "
                                       f"{s.criterion!r}, which its rubric does not have.")
        if s.level is not None and s.level not in crit[1]:
            raise BatchRefused(source, f"holds a review of {r.label} that gives criterion "
                                       f"{s.criterion!r} level {s.level}, which its rubric does not have.")
        levels[s.criterion] = s.level
    if len(levels) != len(rubric.criteria) or None in levels.values():
        raise BatchRefused(source, f"holds a review of {r.label} that does not give every "
                                   "criterion of its rubric a level.")
    derived = rubric.decision(levels)
    rubric.valid[tuple([(s.criterion, s.level) for s in r.scores])] = derived
    return derived


def _check_against_database(session: Session, batch: Batch, reviewer_id: int | None,
                            lookups: _Lookups) -> tuple[list[tuple[BatchReview, tuple[int, int, int]]],
                                                        list[BatchReview], dict[tuple[int, str], int]]:
    """Every review mapped onto this database, or ``BatchRefused`` saying what does not fit.

    Returns (new reviews with their attempt, reviews already here unchanged, evidence ids).
    """
    source = batch.name
    reviews = batch.reviews
    conn = session.connection()
    keys = sorted({r.submission for r in reviews})
    attempts: dict[tuple[str, int], tuple[int, int, int]] = {}
    for chunk in _chunks(keys):
        for key, number, aid, rubric_id, cred_id in conn.execute(_ATTEMPTS_OF_KEYS, {"keys": chunk}):
            attempts[(key, number)] = (aid, rubric_id, cred_id)
    missing = sorted({(r.submission, r.attempt) for r in reviews} - attempts.keys())
    if missing:
        held = {k for k, _ in attempts}
        labels = [k if k not in held else f"{k} attempt {n}" for k, n in missing]
        labels = list(dict.fromkeys(labels))
        raise BatchRefused(
            source, f"holds reviews of {len(missing)} submission"
                    f"{' attempts' if len(missing) != 1 else ' attempt'} this database does not hold "
                    f"({_names(labels)}); import those submissions first.",
            details="\n".join(f"{k} attempt {n}" for k, n in missing))

    lookups.load(session, {v[1] for v in attempts.values()}, {v[2] for v in attempts.values()})
    rubrics, credentials = lookups.rubrics, lookups.credentials
    submitted = ReviewStatus.SUBMITTED.value
    placed = [attempts[(r.submission, r.attempt)] for r in reviews]
    for r, (_, rubric_id, cred_id) in zip(reviews, placed):
        rubric = rubrics[rubric_id]
        if r.status != submitted:
            raise BatchRefused(source, f"holds a review of {r.label} that was not submitted; "
                                       "only submitted reviews travel in batches.")
        if r.credential != credentials[cred_id]:
            raise BatchRefused(source, f"holds a review of {r.label} for credential "
                                       f"{r.credential[0]} version {r.credential[1]}, but this "
                                       "database holds that submission for a different credential.")
        if r.rubric != rubric.ident:
            same_name = r.rubric[:2] == rubric.ident[:2]
            raise BatchRefused(
                source, f"holds a review of {r.label} scored with rubric {r.rubric[0]} version "
                        f"{r.rubric[1]}, but this database holds "
                        + ("a different rubric under that name and version for it."
                           if same_name else f"rubric {rubric.ident[0]} version {rubric.ident[1]} for it."))
        scores = tuple([(s.criterion, s.level) for s in r.scores])
        derived = rubric.valid[scores] if scores in rubric.valid else _check_scores(source, r, rubric)
        if derived != r.decision:
            raise BatchRefused(source, f"holds a review of {r.label} whose decision "
                                       f"({r.decision or 'none'}) does not follow from its levels.")
        for a in r.annotations:
            if a.criterion is not None and a.criterion not in rubric.criteria:
                raise BatchRefused(source, f"holds a note on {r.label} about criterion "
                                           f"{a.criterion!r}, which its rubric does not have.")

    # Reviews already in this database: the same content is skipped, different content refused.
    present: dict[str, int] = {}
    for chunk in _chunks([r.uid for r in reviews]):
        present.update(conn.execute(_REVIEWS_OF_UIDS, {"uids": chunk}).all())
    skipped: list[BatchReview] = []
    if present:
        held = review_records(session, list(present.values()))
        for r in reviews:
            rid = present.get(r.uid)
            if rid is None:
                continue
            if canonical(held[rid]) != canonical(r.raw):
                raise BatchRefused(
                    source, f"holds a review of {r.label} ({r.uid[:8]}) that this database already "
                            "holds with different content; the batch was not imported.")
            skipped.append(r)
        new = [(r, a) for r, a in zip(reviews, placed) if r.uid not in present]
    else:
        new = list(zip(reviews, placed))
    new_attempts = {a[0]: r for r, a in new}
    if reviewer_id is not None and new_attempts:
        for chunk in _chunks(list(new_attempts)):
            clash = conn.execute(_REVIEWERS_CLASH, {"reviewer": reviewer_id, "attempts": chunk}).first()
            if clash is not None:
                r = new_attempts[clash[0]]
                raise BatchRefused(source, f"holds a review of {r.label} by {batch.header.reviewer.name}, "
                                           "who already has a different review of it in this database.")

    evidence: dict[tuple[int, str], int] = {}
    kinds: dict[tuple[int, str], EvidenceKind] = {}
    noted = sorted({a[0] for r, a in new if r.annotations})
    for chunk in _chunks(noted):
        for aid, key, eid, kind in conn.execute(_EVIDENCE_OF, {"attempts": chunk}):
            evidence[(aid, key)] = eid
            kinds[(aid, key)] = kind
    for r, (aid, _, _) in new:
        for a in r.annotations:
            if (aid, a.evidence) not in evidence:
                raise BatchRefused(source, f"holds a note on {r.label} about evidence {a.evidence!r}, "
                                           "which this database does not hold for that submission.")
            if kinds[(aid, a.evidence)] not in _NOTE_ON[a.kind]:
                raise BatchRefused(source, f"holds a {a.kind} note on {r.label} about evidence "
                                           f"{a.evidence!r}, which is a {kinds[(aid, a.evidence)].value} "
                                           "item: that kind of note cannot be on it.")
    return new, skipped, evidence


def _reviewer_profile(session: Session, batch: Batch) -> tuple[int | None, bool]:
    """(profile id or None if absent, whether it is this database's own profile)."""
    row = session.execute(select(m.Profile.id, m.Profile.is_self)
                          .where(m.Profile.uid == batch.header.reviewer.uid)).first()
    return (row[0], bool(row[1])) if row else (None, False)


def _finalize(session: Session, attempt_ids: list[int], actor_uid: str,
              arrived: Sequence[tuple[Any, ...]] = (), summary: str | None = None,
              ) -> finalize.Evaluated:
    """Let the lead's rules (double scoring, disputes, final decisions) look at the attempts
    that just got a review; returns the attempts now final, disputed, and waiting for a
    second review. ``arrived``: the reviews just written (``_insert_reviews``), so that they
    are not read back; ``summary``: the audit subject their consequences are logged under.
    """
    return finalize.evaluate_attempts(session, attempt_ids, actor_uid, summary=summary,
                                      arrived=[Arrived.of(*a) for a in arrived])


def _import_one(ctx: AppContext, actor_uid: str, path: Path, job: Job,
                lookups: _Lookups | None = None) -> BatchOutcome:
    batch = read_batch(path)
    job.check()
    header = batch.header
    with ctx.transaction() as session:
        signer = check_signer(session, header.reviewer.uid, header.reviewer.name,
                              header.reviewer.public_key)
        if signer is not None:
            raise BatchRefused(batch.name, signer)
        known = session.execute(
            select(m.ScoreBatch.uid, m.ScoreBatch.sha256, m.ScoreBatch.imported_at)
            .where(or_(m.ScoreBatch.sha256 == header.content_sha256,
                       m.ScoreBatch.uid == header.batch_id))).first()
        if known is not None:
            if known.sha256 != header.content_sha256:
                raise BatchRefused(batch.name, "has the id of a batch imported on "
                                               f"{known.imported_at.astimezone():%Y-%m-%d} but "
                                               "different content; it was not imported.")
            return BatchOutcome(
                Path(path), "already imported",
                f"{batch.name}: already imported on {known.imported_at.astimezone():%Y-%m-%d %H:%M}; "
                "nothing changed.", header.batch_id, header.reviewer.name)
        reviewer_id, _ = _reviewer_profile(session, batch)
        lookups = lookups or _Lookups()
        new, skipped, evidence = _check_against_database(session, batch, reviewer_id, lookups)
        job.check()
        now = utcnow()
        try:
            if reviewer_id is None:
                reviewer_id = session.execute(insert(m.Profile).values(
                    uid=header.reviewer.uid, name=header.reviewer.name,
                    role=Role(header.reviewer.role), is_self=False, created_at=now)
                    .returning(m.Profile.id)).scalar_one()
            batch_row_id = session.execute(insert(m.ScoreBatch).values(
                uid=header.batch_id, sha256=header.content_sha256, reviewer_uid=header.reviewer.uid,
                reviewer_name=header.reviewer.name, exported_at=header.exported_at,
                review_count=header.count, imported_at=now, file_name=batch.name[:255])
                .returning(m.ScoreBatch.id)).scalar_one()
            arrived = (_insert_reviews(session, new, reviewer_id, batch_row_id, lookups.rubrics, evidence)
                       if new else [])
        except IntegrityError as exc:
            raise BatchRefused(batch.name, "conflicts with data already in this database "
                                           "(a review or note with the same id); it was not imported.",
                               details=str(exc.orig)) from None
        attempt_ids = sorted({a[0] for _, a in new})
        audit.append(session, audit.BATCH_IMPORT, f"batch {header.batch_id}",
                     {"file": batch.name, "reviewer_uid": header.reviewer.uid,
                      "reviewer": header.reviewer.name, "content_sha256": header.content_sha256,
                      "exported_at": iso(header.exported_at), "reviews": header.count,
                      "imported": len(new), "skipped": len(skipped)},
                     actor_uid=actor_uid, at=now)
        job.check()
        result = None
        if attempt_ids:
            result = _finalize(session, attempt_ids, actor_uid, arrived, f"batch {header.batch_id}")
            queue_state.refresh(session, attempt_ids)
    final, disputed, waiting, late, held = (list(getattr(result, name, ())) for name in
                                            ("final", "disputed", "waiting", "late", "held"))
    message = (f"{batch.name}: imported {len(new)} review{'s' if len(new) != 1 else ''} "
               f"by {header.reviewer.name}")
    if skipped:
        message += f" ({len(skipped)} already held, skipped)"
    results = [f"{n} {what}" for n, what in (
        (len(final), "final decisions" if len(final) != 1 else "final decision"),
        (len(disputed), "disputes" if len(disputed) != 1 else "dispute"),
        (len(held), "of them held for release"),
        (len(waiting), "waiting for a second review"),
        (len(late), "late (after a final decision)" if len(late) == 1 else "late (after final decisions)"),
        (sum(1 for *_, agrees in late if not agrees), "late and differing")) if n]
    if results:
        message += ": " + ", ".join(results)
    return BatchOutcome(Path(path), "imported", message + ".", header.batch_id, header.reviewer.name,
                        len(new), len(skipped), len(final), len(disputed), len(waiting),
                        tuple(attempt_ids), _review_lines(new, result), len(late), len(held))


_REVIEW_COLUMNS = ("uid", "attempt_id", "reviewer_id", "status", "decision", "feedback", "created_at",
                   "updated_at", "submitted_at", "notes_issued", "kind", "batch_id")
_SCORE_COLUMNS = ("review_id", "criterion_id", "level", "comment", "updated_at")
_NOTE_COLUMNS = ("uid", "review_id", "number", "evidence_item_id", "criterion_id", "kind", "start_ms",
                 "end_ms", "page", "x0", "y0", "x1", "y1", "text", "created_at", "updated_at", "quote",
                 "quote_at")


def _insert_reviews(session: Session, new: list[tuple[BatchReview, tuple[int, int, int]]],
                    reviewer_id: int, batch_id: int, rubrics: dict[int, _Rubric],
                    evidence: dict[tuple[int, str], int]) -> list[tuple[Any, ...]]:
    """Write the reviews, their scores and notes; returns each as the lead's rules need it
    (``Arrived.of``'s arguments), so that they are not read back."""
    # Straight to the session's connection (executemany): no ORM bookkeeping per row.
    conn = session.connection()
    submitted = ReviewStatus.SUBMITTED
    decisions = {d.value: d for d in Decision}
    decisions[None] = None
    insert_rows(conn, m.Review.__table__, _REVIEW_COLUMNS, [
        (r.uid, aid, reviewer_id, submitted, decisions[r.decision], r.feedback, r.created_at,
         r.updated_at, r.submitted_at, max([a.number for a in r.annotations]) if r.annotations else 0,
         "review", batch_id)
        for r, (aid, _, _) in new])
    ids = dict(conn.execute(select(m.Review.uid, m.Review.id).where(m.Review.batch_id == batch_id)).all())
    who = session.scalar(select(m.Profile.uid).where(m.Profile.id == reviewer_id))  # audited as written
    audit_rows.touch(session, states={f"review:{r.uid}": audit_rows.review_state(
        submitted, decisions[r.decision], r.feedback, "review", aid, who,
        {s.criterion: (s.level, s.comment) for s in r.scores}) for r, (aid, _, _) in new})
    scores = []
    arrived = []
    for r, (aid, rubric_id, _) in new:
        rid, criteria, when = ids[r.uid], rubrics[rubric_id].criteria, r.updated_at
        rows = [(rid, criteria[s.criterion][0], s.level, s.comment, when) for s in r.scores]
        scores += rows
        arrived.append((rid, r.uid, aid, reviewer_id, decisions[r.decision], r.feedback, r.submitted_at,
                        {row[1]: (row[2], row[3]) for row in rows}))
    insert_rows(conn, m.ReviewScore.__table__, _SCORE_COLUMNS, scores)
    kinds = {k.value: k for k in AnnotationKind}
    notes = []
    for r, (aid, rubric_id, _) in new:
        if not r.annotations:
            continue
        criteria = rubrics[rubric_id].criteria
        for a in r.annotations:
            box = a.region or (None, None, None, None)
            notes.append((a.uid, ids[r.uid], a.number, evidence[(aid, a.evidence)],
                          criteria[a.criterion][0] if a.criterion else None, kinds[a.kind],
                          a.start_ms, a.end_ms, a.page, *box, a.text, a.created_at, a.updated_at,
                          *(a.quote or (None, None))))
    insert_rows(conn, m.Annotation.__table__, _NOTE_COLUMNS, notes)
    return arrived



def import_batch(ctx: AppContext, path: Path, job: Job | None = None) -> BatchOutcome:
    """Import one batch file, all or nothing; raises ``BatchRefused`` when it is refused."""
    me = require_lead(ctx, "import score batches")
    try:
        with cycle_collector_paused():
            return _import_one(ctx, me.uid, Path(path), job or Job())
    except BatchRefused as exc:
        record_refusal(ctx, Path(path), exc)
        raise


def import_batches(ctx: AppContext, paths: Iterable[Path], job: Job | None = None,
                   on_outcome: Callable[[BatchOutcome], None] | None = None) -> list[BatchOutcome]:
    """Import batch files (a folder stands for the batches in it), each in its own transaction.

    A refused batch is reported in its outcome and does not stop the others; ``on_outcome``
    hears each outcome as it comes. Progress counts bytes of the files; a cancel stops
    before the next batch (``Cancelled`` is raised; the batches already imported stay
    imported, the one in progress is rolled back).
    """
    me = require_lead(ctx, "import score batches")
    job = job or Job()
    files = find_batches(paths)
    sizes = []
    for p in files:
        try:
            sizes.append(p.stat().st_size)
        except OSError:
            sizes.append(0)
    job.start(sum(sizes), f"Importing {len(files)} score batch{'es' if len(files) != 1 else ''}")
    outcomes = []
    lookups = _Lookups()
    for path, size in zip(files, sizes):
        job.check()
        try:
            with cycle_collector_paused():
                outcome = _import_one(ctx, me.uid, path, job, lookups)
        except BatchRefused as exc:
            record_refusal(ctx, path, exc)
            outcome = BatchOutcome(path, "refused", exc.message)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        job.advance(size, path.name)
    return outcomes


def _claimed(path: Path) -> dict[str, Any]:
    """What a refused file says of itself (best effort, for the audit log): its SHA-256, and
    the batch id, reviewer and key its header claims."""
    out: dict[str, Any] = {}
    try:
        raw = path.read_bytes()
    except OSError:
        return out
    out["file_sha256"] = hashlib.sha256(raw).hexdigest()
    try:
        header = orjson.loads(raw).get("header")
        reviewer = header.get("reviewer") or {}
    except (orjson.JSONDecodeError, AttributeError):
        return out
    for key, value in (("batch_id", header.get("batch_id")), ("reviewer", reviewer.get("name")),
                       ("reviewer_uid", reviewer.get("uid")), ("public_key", reviewer.get("public_key"))):
        if isinstance(value, str):
            out[key] = value[:200]
    return out


def record_refusal(ctx: AppContext, path: Path, exc: BatchRefused) -> None:
    """Write a refused batch to the audit log (``batch.refuse``), in a transaction of its own."""
    audit.record_refusal(ctx, audit.BATCH_REFUSED, f"batch file {path.name}",
                         {"file": path.name, "reason": exc.reason, **_claimed(path)})
