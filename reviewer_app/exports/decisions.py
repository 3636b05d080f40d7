"""Final decisions for lead assessors: CSV, JSON or XLSX, one row per final decision.

A row is a ``FinalDecision`` with its attempt, submission, credential, candidate, who
decided and when, the delivery state of its outbox entry, and the levels and comments
of the review that holds the final scores (``FinalDecision.review``).

**Criterion columns (wide format).** After the fixed columns (``COLUMNS``), each criterion
gets two columns, ``level:<key>`` (the final level, a number) and ``comment:<key>``,
named by the criterion's key. Credentials may have different rubrics: the criterion
columns are the union of the criterion keys of the rubrics of the exported rows, in
rubric order (rubrics ordered by credential key and rubric version; a key already seen
keeps its first column). A criterion a row's rubric does not have is left empty. When
one credential is exported (``--credential``), the columns are exactly its rubric's
criteria. Level *labels*, titles and required levels are in the JSON export.

**JSON** (``FORMAT`` = ``"reviewer-final-decisions/1"``), one object::

    {"format": "reviewer-final-decisions/1", "app_version": "...",
     "generated_at": "2025-03-01T10:00:00+00:00",
     "filters": {"credential": null, "from": null, "to": null, "decisions": [],
                 "sync_states": [], "decided_from_utc": null, "decided_before_utc": null},
     "count": 2,
     "decisions": [
       {"final_decision_id": "...", "submission_id": "DEMO-1002", "attempt": 1,
        "credential": {"id": "fa-math", "version": "1", "title": "..."},
        "rubric": {"id": "fa-math-rubric", "version": "1"},
        "candidate": {"id": "...", "name": "...", "recipient_type": "email", "recipient": "..."},
        "decision": "not_yet", "source": "single", "rationale": "", "decided_by": "...",
        "decided_at": "...", "sync_state": "queued", "feedback": "...",
        "scores": [{"criterion_id": "learning-goals", "title": "...", "level": 3,
                    "label": "Proficient", "required_level": 3, "met": true, "comment": "..."}]}]}

``count`` is the number of objects in ``decisions`` (counted in the same read
transaction as the rows, so the two agree).

**Times** are UTC, ISO 8601 to the second. The date filters are calendar days in the
exporting machine's local time, both ends included; the JSON header also gives the
exact UTC bounds used.

**Sync state** is the outbox entry's state (``queued``, ``sending``, ``accepted``,
``rejected``) or ``not_queued`` when the decision has no outbox entry yet.

Rows stream from the database with SQLAlchemy Core (``yield_per``), a few hundred at a
time, never as ORM objects; the file is written to a temporary name beside the target
and renamed at the end, so a cancelled or failed export leaves no half file and an
existing file at the target untouched.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Select, String, and_, func, select, type_coerce
from sqlalchemy.engine import Row

from reviewer_app import __version__
from reviewer_app.domain.model import Decision
from reviewer_app.errors import UserError
from reviewer_app.exports.spreadsheet import FORMULA_START
from reviewer_app.jobs import Job
from reviewer_app.store import models as m
from reviewer_app.store.atomic_files import atomic_path, atomic_text_file
from reviewer_app.store.context import AppContext

FORMAT = "reviewer-final-decisions/1"
Format = Literal["csv", "json", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "json", "xlsx")

#: The outbox states, and the state of a final decision with no outbox entry.
NOT_QUEUED = "not_queued"
SYNC_STATES: tuple[str, ...] = ("queued", "sending", "accepted", "rejected", NOT_QUEUED)

#: The fixed columns of the CSV and XLSX exports, before the criterion columns.
COLUMNS: tuple[str, ...] = (
    "final_decision_id", "submission_id", "attempt", "credential_id", "credential_version",
    "candidate_id", "candidate_name", "recipient_type", "recipient", "decision", "source",
    "rationale", "decided_by", "decided_at", "sync_state", "feedback",
)

#: Rows fetched from the database at a time; progress is reported (and a cancel
#: honoured) every ``PROGRESS_EVERY`` rows.
YIELD_PER = 1000
PROGRESS_EVERY = 500


# -- what to export ----------------------------------------------------------------------

@dataclass(frozen=True)
class DecisionFilter:
    """Which final decisions to export; empty fields select everything."""

    credential: str | None = None  # a credential key (every version)
    date_from: date | None = None  # first day included, local time
    date_to: date | None = None  # last day included, local time
    decisions: tuple[Decision, ...] = ()
    sync_states: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [s for s in self.sync_states if s not in SYNC_STATES]
        if unknown:
            raise UserError(f"Unknown sync state {unknown[0]!r}; use one of {', '.join(SYNC_STATES)}.")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UserError(f"The date range is empty: {self.date_from.isoformat()} is after "
                            f"{self.date_to.isoformat()}.")

    @property
    def decided_from(self) -> datetime | None:
        """The first moment included (UTC): local midnight starting ``date_from``."""
        return _local_midnight(self.date_from) if self.date_from else None

    @property
    def decided_before(self) -> datetime | None:
        """The first moment excluded (UTC): local midnight after ``date_to``."""
        return _local_midnight(self.date_to + timedelta(days=1)) if self.date_to else None

    def describe(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "decisions": [d.value for d in self.decisions],
            "sync_states": list(self.sync_states),
            "decided_from_utc": _iso(self.decided_from),
            "decided_before_utc": _iso(self.decided_before),
        }


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def _utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a column value: a datetime, or SQLite's stored text
    (naive UTC, "2025-03-01 12:00:00.000000"), read raw to skip two converters per row."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime | str | None) -> str | None:
    return None if value is None else _utc(value).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    count: int
    format: str
    criteria: tuple[str, ...] = ()


# -- rubrics -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionInfo:
    id: int
    key: str
    title: str
    position: int
    required_level: int
    #: value -> (label, descriptor), ascending by value
    levels: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def top_level(self) -> int | None:
        return max(self.levels) if self.levels else None

    def label(self, value: int | None) -> str | None:
        found = self.levels.get(value) if value is not None else None
        return found[0] if found else None


@dataclass(frozen=True)
class RubricInfo:
    id: int
    key: str
    version: str
    title: str
    criteria: tuple[CriterionInfo, ...]


def load_rubrics(conn: Connection, rubric_ids: Sequence[int]) -> dict[int, RubricInfo]:
    """The rubrics with these ids, their criteria (in order) and levels."""
    if not rubric_ids:
        return {}
    rubrics = conn.execute(select(m.Rubric.id, m.Rubric.key, m.Rubric.version, m.Rubric.title)
                           .where(m.Rubric.id.in_(rubric_ids))).all()
    crits = conn.execute(
        select(m.Criterion.id, m.Criterion.rubric_id, m.Criterion.key, m.Criterion.title,
               m.Criterion.position, m.Criterion.required_level)
        .where(m.Criterion.rubric_id.in_(rubric_ids))
        .order_by(m.Criterion.rubric_id, m.Criterion.position)).all()
    levels: dict[int, dict[int, tuple[str, str]]] = {}
    for cid, value, label, descriptor in conn.execute(
            select(m.CriterionLevel.criterion_id, m.CriterionLevel.value, m.CriterionLevel.label,
                   m.CriterionLevel.descriptor)
            .join(m.Criterion, m.Criterion.id == m.CriterionLevel.criterion_id)
            .where(m.Criterion.rubric_id.in_(rubric_ids))
            .order_by(m.CriterionLevel.criterion_id, m.CriterionLevel.value)):
        levels.setdefault(cid, {})[value] = (label, descriptor)
    by_rubric: dict[int, list[CriterionInfo]] = {}
    for cid, rid, key, title, position, required in crits:
        by_rubric.setdefault(rid, []).append(
            CriterionInfo(cid, key, title, position, required, levels.get(cid, {})))
    return {rid: RubricInfo(rid, key, version, title, tuple(by_rubric.get(rid, ())))
            for rid, key, version, title in rubrics}


def criterion_columns(rubrics: dict[int, RubricInfo],
                      order: Sequence[tuple[str, str, int]]) -> tuple[str, ...]:
    """The union of criterion keys, in rubric order. ``order``: (credential key, rubric
    version, rubric id) of the rubrics in the export."""
    keys: list[str] = []
    seen: set[str] = set()
    for _, _, rid in sorted(order):
        for crit in rubrics[rid].criteria:
            if crit.key not in seen:
                seen.add(crit.key)
                keys.append(crit.key)
    return tuple(keys)


# -- the queries -------------------------------------------------------------------------

_fd, _a, _s, _c, _r, _p, _o = (m.FinalDecision.__table__, m.Attempt.__table__,
                               m.Submission.__table__, m.Credential.__table__,
                               m.Review.__table__, m.Profile.__table__, m.OutboxEntry.__table__)


def _where(filters: DecisionFilter) -> list[Any]:
    cond: list[Any] = []
    if filters.credential:
        cond.append(_c.c.key == filters.credential)
    if filters.decided_from is not None:
        cond.append(_fd.c.decided_at >= filters.decided_from)
    if filters.decided_before is not None:
        cond.append(_fd.c.decided_at < filters.decided_before)
    if filters.decisions:
        cond.append(_fd.c.decision.in_(list(filters.decisions)))
    if filters.sync_states:
        states = [s for s in filters.sync_states if s != NOT_QUEUED]
        either = [_o.c.state.in_(states)] if states else []
        if NOT_QUEUED in filters.sync_states:
            either.append(_o.c.id.is_(None))
        cond.append(either[0] if len(either) == 1 else either[0] | either[1])
    return cond


def _filtered(stmt: Select[Any], filters: DecisionFilter, *, full: bool,
              credential: bool = False) -> Select[Any]:
    """``stmt`` (selecting from final_decision) joined to what its columns or the filters
    need, with the filters applied. ``full``: join everything the rows show."""
    frm = _fd.join(_a, _a.c.id == _fd.c.attempt_id)
    if full or credential or filters.credential:
        frm = frm.join(_c, _c.c.id == _a.c.credential_id)
    if full:
        frm = (frm.join(_s, _s.c.id == _a.c.submission_id)
               .join(_r, _r.c.id == _fd.c.review_id)
               .join(_p, _p.c.id == _fd.c.decided_by_id))
    if full or filters.sync_states:
        frm = frm.outerjoin(_o, _o.c.review_id == _fd.c.review_id)
    stmt = stmt.select_from(frm)
    cond = _where(filters)
    return stmt.where(and_(*cond)) if cond else stmt


def _rows_query(filters: DecisionFilter, *, raw: bool = False) -> Select[Any]:
    """The final decisions' rows. ``raw`` (SQLite): the decision and the time as the text
    stored, without the enum and datetime converters (``_utc`` reads the time)."""
    decision = type_coerce(_fd.c.decision, String) if raw else _fd.c.decision
    decided_at = type_coerce(_fd.c.decided_at, String) if raw else _fd.c.decided_at
    stmt = select(
        _fd.c.id, _fd.c.uid, _s.c.key, _a.c.number, _c.c.key, _c.c.version, _s.c.candidate_key,
        _a.c.candidate_display_name, _a.c.recipient_type, _a.c.recipient_identity,
        decision, _fd.c.source, _fd.c.rationale, _p.c.name, decided_at,
        _o.c.state, _r.c.feedback, _a.c.rubric_id, _c.c.title)
    return _filtered(stmt, filters, full=True).order_by(_fd.c.decided_at, _fd.c.id)


def _scores_query(filters: DecisionFilter) -> Select[Any]:
    rs = m.ReviewScore.__table__
    stmt = select(_fd.c.id, rs.c.criterion_id, rs.c.level, rs.c.comment)
    stmt = _filtered(stmt, filters, full=False)
    return stmt.join(rs, rs.c.review_id == _fd.c.review_id).order_by(_fd.c.decided_at, _fd.c.id)


def _rubric_counts(filters: DecisionFilter) -> Select[Any]:
    stmt = _filtered(select(_a.c.rubric_id, _c.c.key, func.count()), filters, full=False,
                     credential=True)
    return stmt.group_by(_a.c.rubric_id, _c.c.key)


# Indexes into a row of ``_rows_query``.
(R_ID, R_UID, R_SUB, R_ATT, R_CRED, R_CVER, R_CAND, R_NAME, R_RTYPE, R_RECIP, R_DEC, R_SRC,
 R_WHY, R_BY, R_AT, R_SYNC, R_FEEDBACK, R_RUBRIC, R_CTITLE) = range(19)


@dataclass
class Plan:
    """What an export will hold, read in its own transaction before the rows."""

    count: int
    rubrics: dict[int, RubricInfo]
    criteria: tuple[str, ...]


def plan(conn: Connection, filters: DecisionFilter) -> Plan:
    counts = conn.execute(_rubric_counts(filters)).all()
    rubrics = load_rubrics(conn, [rid for rid, _, _ in counts])
    order = [(cred, rubrics[rid].version, rid) for rid, cred, _ in counts]
    return Plan(sum(n for _, _, n in counts), rubrics, criterion_columns(rubrics, order))


def stream(conn: Connection, filters: DecisionFilter) -> Iterator[tuple[Row[Any], list[Row[Any]]]]:
    """Each final decision's row with its scores, oldest decision first.

    Two ordered cursors (decisions, scores) are merged, so no per-row query is made.
    """
    rows, scores = _cursors(conn, filters)
    pending = next(scores, None)
    for row in rows:
        mine = []
        fid = row[R_ID]
        while pending is not None and pending[0] == fid:
            mine.append(pending)
            pending = next(scores, None)
        yield row, mine


def _cursors(conn: Connection, filters: DecisionFilter) -> tuple[Any, Iterator[Row[Any]]]:
    """The two ordered, streamed results: final decisions, and their scores."""
    raw = conn.dialect.name == "sqlite"
    rows = conn.execution_options(yield_per=YIELD_PER).execute(_rows_query(filters, raw=raw))
    scores = conn.execution_options(yield_per=YIELD_PER * 4).execute(_scores_query(filters))
    return rows, iter(scores)


class _ReadTransaction:
    """One read transaction for the plan and the rows, so the count and rows agree."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> Connection:
        conn = self.ctx.engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self.conn = conn
        conn.begin()
        return conn

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()  # read only
        self.conn.close()


def read_transaction(ctx: AppContext) -> _ReadTransaction:
    return _ReadTransaction(ctx)


# -- the export --------------------------------------------------------------------------

def export_decisions(ctx: AppContext, fmt: str, out: Path, filters: DecisionFilter | None = None,
                     job: Job | None = None) -> ExportSummary:
    """Write the final decisions selected by ``filters`` to ``out`` in ``fmt``.

    Raises ``Cancelled`` when the job is cancelled (nothing is left at ``out``, and a file
    already there is untouched) and ``UserError`` when the file cannot be written.
    """
    if fmt not in FORMATS:
        raise UserError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    filters = filters or DecisionFilter()
    job = job or Job()
    out = Path(out)
    if out.is_dir():
        raise UserError(f"{out} is a folder; give a file name to export to.")
    writer = {"csv": _write_csv, "json": _write_json, "xlsx": _write_xlsx}[fmt]
    try:
        with read_transaction(ctx) as conn:
            p = plan(conn, filters)
            job.start(p.count, f"Exporting {p.count} final decisions")
            count = writer(conn, filters, p, out, job)
    except OSError as exc:
        raise UserError(f"Cannot write {out}: {exc.strerror or exc}", details=str(exc)) from None
    job.progress(count, p.count, f"Exported {count} final decisions")
    return ExportSummary(out, count, fmt, p.criteria)


def _slots(p: Plan) -> dict[int, int]:
    """criterion id -> index of its level column within the criterion columns."""
    index = {key: 2 * i for i, key in enumerate(p.criteria)}
    return {c.id: index[c.key] for r in p.rubrics.values() for c in r.criteria}


def _text(value: str | None) -> str:
    """A text cell: "" for none; spreadsheet formulas neutralised (``spreadsheet_safe``,
    inlined: it runs for every cell)."""
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


def _header(p: Plan) -> list[str]:
    out = list(COLUMNS)
    for key in p.criteria:
        out += [f"level:{key}", f"comment:{key}"]
    return out


def _write_csv(conn: Connection, filters: DecisionFilter, p: Plan, out: Path, job: Job) -> int:
    slots = _slots(p)
    width = 2 * len(p.criteria)
    n = 0
    safe = _text
    with atomic_text_file(out, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(_header(p))
        rows, scores = _cursors(conn, filters)
        pending = next(scores, None)
        # The merge of ``stream``, inline (this loop runs for every row).
        for (fid, uid, sub, att, cred, cver, cand, name, rtype, recip, dec, src, why, by, at,
             sync, feedback, _, _) in rows:
            crit: list[Any] = [""] * width
            while pending is not None and pending[0] == fid:
                i = slots[pending[1]]
                crit[i] = "" if pending[2] is None else pending[2]
                crit[i + 1] = safe(pending[3])
                pending = next(scores, None)
            writer.writerow([
                uid, safe(sub), att, safe(cred), safe(cver), safe(cand), safe(name), rtype or "",
                safe(recip), dec, src, safe(why), safe(by), _iso(at), sync or NOT_QUEUED,
                safe(feedback), *crit])
            n += 1
            if n % PROGRESS_EVERY == 0:
                job.check()
                job.advance(PROGRESS_EVERY)
        job.check()
    return n


def record(row: Row[Any], scores: list[Row[Any]], rubric: RubricInfo) -> dict[str, Any]:
    """One final decision as a plain dict (the JSON export's object; the letters' input)."""
    by_id = {cid: (level, comment) for _, cid, level, comment in scores}
    out_scores = []
    for crit in rubric.criteria:
        level, comment = by_id.get(crit.id, (None, ""))
        out_scores.append({
            "criterion_id": crit.key, "title": crit.title, "level": level,
            "label": crit.label(level), "required_level": crit.required_level,
            "met": level is not None and level >= crit.required_level, "comment": comment,
        })
    return {
        "final_decision_id": row[R_UID], "submission_id": row[R_SUB], "attempt": row[R_ATT],
        "credential": {"id": row[R_CRED], "version": row[R_CVER], "title": row[R_CTITLE]},
        "rubric": {"id": rubric.key, "version": rubric.version, "title": rubric.title},
        "candidate": {"id": row[R_CAND], "name": row[R_NAME], "recipient_type": row[R_RTYPE],
                      "recipient": row[R_RECIP]},
        "decision": str(row[R_DEC]), "source": row[R_SRC], "rationale": row[R_WHY],
        "decided_by": row[R_BY], "decided_at": _iso(row[R_AT]),
        "sync_state": row[R_SYNC] or NOT_QUEUED, "feedback": row[R_FEEDBACK],
        "scores": out_scores,
    }


def iter_records(conn: Connection, filters: DecisionFilter, p: Plan) -> Iterator[dict[str, Any]]:
    for row, scores in stream(conn, filters):
        yield record(row, scores, p.rubrics[row[R_RUBRIC]])


def _write_json(conn: Connection, filters: DecisionFilter, p: Plan, out: Path, job: Job) -> int:
    header = {"format": FORMAT, "app_version": __version__,
              "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "filters": filters.describe(), "count": p.count}
    n = 0
    with atomic_text_file(out) as fh:
        fh.write(json.dumps(header, ensure_ascii=False, indent=1)[:-2] + ',\n "decisions": [')
        for rec in iter_records(conn, filters, p):
            fh.write(("," if n else "") + "\n  " + json.dumps(rec, ensure_ascii=False))
            n += 1
            if n % PROGRESS_EVERY == 0:
                job.check()
                job.advance(PROGRESS_EVERY)
        job.check()
        if n != p.count:  # pragma: no cover - one read transaction: cannot happen
            raise RuntimeError(f"counted {p.count} final decisions but read {n}")
        fh.write(("\n " if n else "") + "]\n}\n")
    return n


def _write_xlsx(conn: Connection, filters: DecisionFilter, p: Plan, out: Path, job: Job) -> int:
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
    except ImportError as exc:
        raise UserError("XLSX export needs openpyxl, which is not installed: pip install openpyxl",
                        details=str(exc)) from None

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Final decisions")
    header = _header(p)
    widths = {"final_decision_id": 38, "rationale": 40, "feedback": 60, "decided_at": 20,
              "candidate_name": 22, "recipient": 28}
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = (
            widths.get(name, 40 if name.startswith("comment:") else max(12, len(name) + 2)))
    ws.freeze_panes = "C2"
    bold = Font(bold=True)

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                c = WriteOnlyCell(ws, value)
                c.data_type = "s"  # text, never a formula
                return c
        return value

    heads = []
    for name in header:
        c = WriteOnlyCell(ws, name)
        c.font = bold
        heads.append(c)
    ws.append(heads)
    try:
        n = _xlsx_rows(ws, cell, conn, filters, p, job)
        with atomic_path(out) as part:
            wb.save(part)
    except BaseException:
        _discard_sheet(ws)
        raise
    return n


def _discard_sheet(ws: Any) -> None:
    """Close a write-only sheet that will not be saved: openpyxl streams its rows to a
    temporary file of its own, which would otherwise stay until the app exits."""
    with contextlib.suppress(Exception):
        rows, writer = getattr(ws, "_rows", None), getattr(ws, "_writer", None)
        if rows is not None:
            rows.close()
        if writer is not None:
            writer.close()
            writer.cleanup()


def _xlsx_rows(ws: Any, cell: Any, conn: Connection, filters: DecisionFilter, p: Plan,
               job: Job) -> int:
    slots = _slots(p)
    width = 2 * len(p.criteria)
    n = 0
    for row, scores in stream(conn, filters):
        crit: list[Any] = [None] * width
        for _, cid, level, comment in scores:
            i = slots[cid]
            crit[i] = level
            crit[i + 1] = cell(comment) if comment else None
        at = _utc(row[R_AT]).replace(tzinfo=None)  # naive for openpyxl; UTC as elsewhere
        ws.append([
            row[R_UID], cell(row[R_SUB]), row[R_ATT], cell(row[R_CRED]), cell(row[R_CVER]),
            cell(row[R_CAND]), cell(row[R_NAME]), row[R_RTYPE], cell(row[R_RECIP]),
            str(row[R_DEC]), row[R_SRC], cell(row[R_WHY]), cell(row[R_BY]), at,
            row[R_SYNC] or NOT_QUEUED, cell(row[R_FEEDBACK]), *crit])
        n += 1
        if n % PROGRESS_EVERY == 0:
            job.check()
            job.advance(PROGRESS_EVERY)
    job.check()
    return n
