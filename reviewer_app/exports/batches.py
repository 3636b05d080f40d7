"""Score batches: a reviewer's submitted reviews in one file, for a lead assessor to import.

The file format (``reviewer-batch/1``, described in ``BATCH_FORMAT.md``) and nothing
else: writing a batch (JSON, and a CSV beside it for spreadsheets), and reading one back
with every check that needs no database -- format, SHA-256 of the content, count, the
shape of each review. No Qt, no SQL: ``reviewer_app.services.batches`` maps the reviews
onto a database.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reviewer_app import __version__
from reviewer_app.errors import UserError
from reviewer_app.exports.files import atomic_text_file, spreadsheet_safe
from reviewer_app.jobs import Job

FORMAT = "reviewer-batch/1"
SUFFIX = ".reviewer-batch.json"
CSV_SUFFIX = ".reviewer-batch.csv"

CSV_COLUMNS = [
    "batch_id", "reviewer", "reviewer_uid", "review_id", "submission_id", "attempt",
    "credential_id", "credential_version", "rubric_id", "rubric_version", "status", "decision",
    "submitted_at", "criterion_id", "level", "comment", "feedback", "notes",
]

_STATUSES = {"draft", "submitted"}
_DECISIONS = {"earned", "not_yet"}
_ROLES = {"reviewer", "lead_assessor"}
_KINDS = {"time", "page", "region", "quote"}


class BatchRefused(UserError):
    """A batch file was not imported; nothing from it was stored."""

    def __init__(self, source: str, message: str, details: str = "") -> None:
        super().__init__(f"{source}: {message}", details)
        self.source = source
        self.reason = message


# -- canonical form and names ------------------------------------------------------------

def canonical(value: Any) -> str:
    """The canonical JSON text: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_sha256(reviews: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the ``reviews`` array (what the header records)."""
    return hashlib.sha256(canonical(list(reviews)).encode("utf-8")).hexdigest()


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40] or "reviewer"


def batch_stem(reviewer_name: str, exported_at: datetime, batch_id: str) -> str:
    """``<reviewer>-<date>-<short id>``: sorts by reviewer and day (``write_batch`` takes the
    whole id when a file of that name exists)."""
    return (f"{_slug(reviewer_name)}-{exported_at.astimezone(UTC):%Y-%m-%d}-"
            f"{batch_id.replace('-', '')[:8]}")


# -- writing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reviewer:
    uid: str
    name: str
    role: str


@dataclass(frozen=True)
class Header:
    batch_id: str
    reviewer: Reviewer
    exported_at: datetime
    count: int
    content_sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id,
                "reviewer": {"uid": self.reviewer.uid, "name": self.reviewer.name,
                             "role": self.reviewer.role},
                "exported_at": iso(self.exported_at), "count": self.count,
                "content_sha256": self.content_sha256, "app_version": __version__}


@dataclass(frozen=True)
class WrittenBatch:
    json_path: Path
    csv_path: Path
    header: Header


def write_batch(folder: Path, batch_id: str, reviewer: Reviewer, reviews: Sequence[Mapping[str, Any]],
                *, exported_at: datetime | None = None, job: Job | None = None) -> WrittenBatch:
    """Write ``<stem>.reviewer-batch.json`` and ``<stem>.reviewer-batch.csv`` into ``folder``.

    Both are written to temporary names and renamed only when complete, so a failure or a
    cancel (``job.check``) leaves no half file. Each review is written on a line of its own,
    in canonical form, so the file reads (and diffs) one review per line.
    """
    job = job or Job()
    exported_at = exported_at or datetime.now(UTC)
    lines = []
    digest = hashlib.sha256(b"[")
    for i, review in enumerate(reviews):
        if i % 200 == 0:
            job.check()
        text = canonical(review)
        digest.update((b"," if i else b"") + text.encode("utf-8"))
        lines.append(text)
    digest.update(b"]")
    header = Header(batch_id, reviewer, exported_at, len(lines), digest.hexdigest())
    stem = batch_stem(reviewer.name, exported_at, batch_id)
    if (Path(folder) / (stem + SUFFIX)).exists():  # never replace another batch: use the whole id
        stem = batch_stem(reviewer.name, exported_at, "") + batch_id.replace("-", "")
    json_path, csv_path = Path(folder) / (stem + SUFFIX), Path(folder) / (stem + CSV_SUFFIX)
    job.start(len(lines), f"Writing {len(lines)} reviews")
    with atomic_text_file(json_path) as fj, atomic_text_file(csv_path, newline="") as fc:
        fj.write('{"format": ' + json.dumps(FORMAT) + ',\n "header": '
                 + json.dumps(header.as_json(), ensure_ascii=False, sort_keys=True)
                 + ',\n "reviews": [')
        writer = csv.writer(fc)
        writer.writerow(CSV_COLUMNS)
        for i, (text, review) in enumerate(zip(lines, reviews)):
            fj.write(("," if i else "") + "\n  " + text)
            writer.writerows(_csv_rows(header, review))
            if i % 200 == 199:
                job.check()
                job.advance(200)
        fj.write(("\n " if lines else "") + "]}\n")
        job.check()
    job.advance(len(lines) % 200)
    return WrittenBatch(json_path, csv_path, header)


def _csv_rows(header: Header, review: Mapping[str, Any]) -> Iterator[list[object]]:
    notes: dict[str | None, int] = {}
    for note in review.get("annotations") or ():
        notes[note.get("criterion")] = notes.get(note.get("criterion"), 0) + 1
    base = {"batch_id": header.batch_id, "reviewer": header.reviewer.name,
            "reviewer_uid": header.reviewer.uid, "review_id": review["uid"],
            "submission_id": review["submission"], "attempt": review["attempt"],
            "credential_id": review["credential"]["key"],
            "credential_version": review["credential"]["version"],
            "rubric_id": review["rubric"]["key"], "rubric_version": review["rubric"]["version"],
            "status": review["status"], "decision": review.get("decision") or "",
            "submitted_at": review.get("submitted_at") or "", "feedback": review.get("feedback", "")}
    for score in review["scores"]:
        row = {**base, "criterion_id": score["criterion"], "level": score.get("level"),
               "comment": score.get("comment", ""), "notes": notes.get(score["criterion"], 0)}
        yield [_cell(row[c]) for c in CSV_COLUMNS]


def _cell(value: object) -> object:
    return "" if value is None else spreadsheet_safe(value)


# -- reading -------------------------------------------------------------------------------

@dataclass(slots=True)
class BatchScore:
    criterion: str
    level: int | None
    comment: str


@dataclass(slots=True)
class BatchAnnotation:
    uid: str
    number: int
    evidence: str
    criterion: str | None
    kind: str
    start_ms: int | None
    end_ms: int | None
    page: int | None
    region: tuple[float, float, float, float] | None
    text: str
    created_at: datetime
    updated_at: datetime
    quote: tuple[str, int] | None = None  # a quoted passage and where it starts


@dataclass(slots=True)
class BatchReview:
    uid: str
    submission: str
    attempt: int
    credential: tuple[str, str]  # key, version
    rubric: tuple[str, str, str]  # key, version, content_sha256
    reviewer_uid: str
    status: str
    decision: str | None
    feedback: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    scores: list[BatchScore]
    annotations: list[BatchAnnotation]
    raw: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.submission} attempt {self.attempt}"


@dataclass(frozen=True)
class Batch:
    path: Path
    header: Header
    reviews: list[BatchReview]

    @property
    def name(self) -> str:
        return self.path.name


class _Invalid(Exception):
    """A review's shape is wrong; the message says where (turned into a ``BatchRefused``)."""


def read_batch(path: Path) -> Batch:
    """Read a batch file and check everything a database is not needed for.

    Raises ``BatchRefused`` (one plain sentence) when the file is not a batch, cannot be
    read, was changed after it was exported (its content's SHA-256 differs from the
    header's), holds a different number of reviews than the header says, or a review in it
    is malformed.

    The file is parsed with orjson and, when every review has exactly the layout an export
    writes, hashed from orjson's sorted, compact encoding: for that layout it is byte for
    byte the canonical form (``canonical``; held by ``tests/core/test_batches_orjson.py``),
    several times faster. Anything else -- a review with other fields, an integer beyond
    64 bits (which orjson reads as a float), a float orjson writes differently (below 1e-4
    or from 1e16 on), JSON orjson refuses -- is read and hashed by the standard library
    exactly as before, so every verdict and message is the same either way.
    """
    path = Path(path)
    source = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BatchRefused(source, f"cannot be read ({exc.strerror or exc}).") from None
    data = _orjson_data(raw)
    if data is not None:
        batch = _read(path, data, exact=False)
        if batch is not None:
            return batch
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BatchRefused(source, "is not a score batch: it is not readable JSON.",
                           details=str(exc)) from None
    batch = _read(path, data, exact=True)
    assert batch is not None
    return batch


def _orjson_data(raw: bytes) -> dict[str, Any] | None:
    """The file as orjson reads it, or None where the standard library must read it (not
    JSON for orjson, not an object, or a float outside the reviews: an integer beyond 64
    bits that orjson turned into one, which no hash would catch there)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or any(_holds_float(v) for k, v in data.items() if k != "reviews"):
        return None
    return data


def _holds_float(value: Any) -> bool:
    if type(value) is dict:
        return any(_holds_float(v) for v in value.values())
    if type(value) is list:
        return any(_holds_float(v) for v in value)
    return type(value) is float


def _read(path: Path, data: Any, *, exact: bool) -> Batch | None:
    """The checks of ``read_batch`` on parsed data. ``exact``: parsed by the standard library.
    Not exact (orjson's), None when the reviews need the standard library after all."""
    source = path.name
    if not isinstance(data, dict) or "format" not in data:
        raise BatchRefused(source, f"is not a score batch (it has no \"format\": \"{FORMAT}\").")
    if data["format"] != FORMAT:
        fmt = str(data["format"])[:60]
        if fmt.startswith("reviewer-batch/"):
            raise BatchRefused(source, f"is a score batch in format {fmt}, which this version of "
                                       f"Reviewer cannot read (it reads {FORMAT}).")
        raise BatchRefused(source, f"is not a score batch (its format is {fmt!r}, not {FORMAT}).")
    raw_header, reviews = data.get("header"), data.get("reviews")
    if not isinstance(raw_header, dict) or not isinstance(reviews, list):
        raise BatchRefused(source, "is not a complete score batch: its header or its reviews are missing.")
    try:
        header = _header(raw_header)
    except _Invalid as exc:
        raise BatchRefused(source, f"is not a valid score batch: its header {exc}.") from None
    fast: list[BatchReview | None] | None = None
    if exact:
        try:
            actual = content_sha256(reviews)
        except ValueError:  # NaN or infinity: never written by an export
            actual = ""
    else:
        # Every review in an export's very layout (``_review_fast``: known fields only, exact
        # types, region numbers orjson writes as Python does): then orjson's encoding is the
        # canonical one. Otherwise the standard library reads and hashes the file.
        fast = []
        for raw in reviews:
            try:
                review = _review_fast(raw)
            except _Invalid:
                return None
            if review is None:
                return None
            fast.append(review)
        actual = hashlib.sha256(orjson.dumps(reviews, option=orjson.OPT_SORT_KEYS)).hexdigest()
    if actual != header.content_sha256:
        raise BatchRefused(
            source, "was changed after it was exported (its content does not match its SHA-256), "
                    "so it was not imported; ask the reviewer to export it again.",
            details=f"header: {header.content_sha256}\ncontent: {actual}")
    if header.count != len(reviews):
        raise BatchRefused(source, f"says it holds {header.count} reviews but holds {len(reviews)}.")
    parsed = []
    seen_uids: set[str] = set()
    seen_attempts: set[tuple[str, int]] = set()
    for i, raw in enumerate(reviews, 1):
        try:
            review = fast[i - 1] if fast is not None else (_review_fast(raw) or _review(raw))
        except _Invalid as exc:
            raise BatchRefused(source, f"is not a valid score batch: review {i} {exc}.") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BatchRefused(source, f"is not a valid score batch: review {i} is malformed.",
                               details=repr(exc)) from None
        if review.reviewer_uid != header.reviewer.uid:
            raise BatchRefused(source, f"is not a valid score batch: review {i} ({review.label}) was "
                                       "not made by the reviewer named in its header.")
        key = (review.submission, review.attempt)
        if review.uid in seen_uids or key in seen_attempts:
            raise BatchRefused(source, f"is not a valid score batch: {review.label} appears in it twice.")
        seen_uids.add(review.uid)
        seen_attempts.add(key)
        parsed.append(review)
    return Batch(path, header, parsed)


def _str(d: Mapping[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"has no {key!r}" if value is None else f"has a {key!r} that is not text")
    return value


def _int(d: Mapping[str, Any], key: str, *, optional: bool = False, minimum: int | None = None) -> int | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"has no {key!r}" if value is None else f"has a {key!r} that is not a whole number")
    if minimum is not None and value < minimum:
        raise _Invalid(f"has a {key!r} below {minimum}")
    return value


def _time(d: Mapping[str, Any], key: str, *, optional: bool = False) -> datetime | None:
    text = _str(d, key, optional=optional)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"has a {key!r} that is not a date and time") from None
    if value.tzinfo is None:
        raise _Invalid(f"has a {key!r} without a time zone")
    return value.astimezone(UTC)


def _header(d: Mapping[str, Any]) -> Header:
    reviewer = d.get("reviewer")
    if not isinstance(reviewer, dict):
        raise _Invalid("names no reviewer")
    role = _str(reviewer, "role")
    if role not in _ROLES:
        raise _Invalid(f"gives the reviewer an unknown role {role!r}")
    sha = _str(d, "content_sha256")
    if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
        raise _Invalid("has no valid content_sha256")
    name = _str(reviewer, "name").strip()
    if not name:
        raise _Invalid("gives the reviewer no name")
    return Header(_str(d, "batch_id"), Reviewer(_str(reviewer, "uid"), name, role),
                  _time(d, "exported_at"), _int(d, "count", minimum=0), sha)


def _review(d: Any) -> BatchReview:
    if not isinstance(d, dict):
        raise _Invalid("is not an object")
    cred, rubric = d.get("credential"), d.get("rubric")
    if not isinstance(cred, dict) or not isinstance(rubric, dict):
        raise _Invalid("names no credential or rubric")
    status = _str(d, "status")
    if status not in _STATUSES:
        raise _Invalid(f"has an unknown status {status!r}")
    decision = _str(d, "decision", optional=True)
    if decision is not None and decision not in _DECISIONS:
        raise _Invalid(f"has an unknown decision {decision!r}")
    scores = d.get("scores")
    notes = d.get("annotations", [])
    if not isinstance(scores, list) or not isinstance(notes, list):
        raise _Invalid("has no list of scores or annotations")
    parsed_scores, criteria = [], set()
    for s in scores:
        if not isinstance(s, dict):
            raise _Invalid("has a score that is not an object")
        score = BatchScore(_str(s, "criterion"), _int(s, "level", optional=True), _str(s, "comment"))
        if score.criterion in criteria:
            raise _Invalid(f"scores criterion {score.criterion!r} twice")
        criteria.add(score.criterion)
        parsed_scores.append(score)
    return BatchReview(
        uid=_str(d, "uid"), submission=_str(d, "submission"), attempt=_int(d, "attempt", minimum=1),
        credential=(_str(cred, "key"), _str(cred, "version")),
        rubric=(_str(rubric, "key"), _str(rubric, "version"), _str(rubric, "content_sha256")),
        reviewer_uid=_str(d, "reviewer_uid"), status=status, decision=decision,
        feedback=_str(d, "feedback"), created_at=_time(d, "created_at"),
        updated_at=_time(d, "updated_at"), submitted_at=_time(d, "submitted_at", optional=True),
        scores=parsed_scores, annotations=[_annotation(a) for a in notes], raw=d)


def _utc(text: Any) -> datetime:
    value = datetime.fromisoformat(text)  # TypeError, ValueError: not a time
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


#: The fields of a review, a score and a note as an export writes them (``review_records``).
_REVIEW_FIELDS, _SCORE_FIELDS, _NOTE_FIELDS, _REGION_FIELDS = 14, 3, 12, 4


def _review_fast(d: Any) -> BatchReview | None:
    """A review laid out exactly as an export writes it (its fields and no others, exact
    types), checked with as few operations as possible; None when anything is unusual
    (``_review`` then finds it and says what). ``read_batch`` relies on the exactness:
    for such a review orjson's encoding is the canonical one."""
    try:
        if type(d) is not dict or len(d) != _REVIEW_FIELDS:
            return None
        cred, rubric, uid, sub, attempt = (d["credential"], d["rubric"], d["uid"], d["submission"],
                                           d["attempt"])
        ruid, status, decision, feedback = d["reviewer_uid"], d["status"], d["decision"], d["feedback"]
        if type(cred) is not dict or type(rubric) is not dict or len(cred) != 2 or len(rubric) != 3:
            return None
        ck, cv, rk, rv, rs = (cred["key"], cred["version"], rubric["key"], rubric["version"],
                              rubric["content_sha256"])
        scores, notes = d["scores"], d["annotations"]
        times = (_utc(d["created_at"]), _utc(d["updated_at"]),
                 None if d["submitted_at"] is None else _utc(d["submitted_at"]))
    except (KeyError, TypeError, ValueError):
        return None
    if not (type(uid) is str and type(sub) is str and type(attempt) is int and attempt >= 1
            and type(ruid) is str and type(status) is str and status in _STATUSES
            and (decision is None or (type(decision) is str and decision in _DECISIONS))
            and type(feedback) is str and type(ck) is str and type(cv) is str and type(rk) is str
            and type(rv) is str and type(rs) is str and type(scores) is list and type(notes) is list):
        return None
    parsed, seen = [], set()
    for s in scores:
        if type(s) is not dict or len(s) != _SCORE_FIELDS:
            return None
        criterion, level, comment = s.get("criterion"), s.get("level"), s.get("comment")
        if (type(criterion) is not str or type(comment) is not str or criterion in seen
                or not (level is None or type(level) is int)):
            return None
        seen.add(criterion)
        parsed.append(BatchScore(criterion, level, comment))
    annotations = []
    for a in notes:
        note = _annotation_fast(a)
        if note is None:
            return None
        annotations.append(note)
    return BatchReview(uid, sub, attempt, (ck, cv), (rk, rv, rs), ruid, status, decision, feedback,
                       *times, parsed, annotations, d)


def _plain_number(value: Any) -> bool:
    """An int, or a float Python and orjson write alike (0, or 1e-4 <= |x| < 1e16)."""
    if type(value) is int:
        return True
    return type(value) is float and (value == 0.0 or 1e-4 <= abs(value) < 1e16)


def _whole(value: Any) -> bool:
    return value is None or type(value) is int


def _annotation_fast(a: Any) -> BatchAnnotation | None:
    """A note as an export writes it, and valid; None otherwise (``_annotation`` says why)."""
    try:
        if type(a) is not dict or len(a) != _NOTE_FIELDS:
            return None
        uid, number, evidence, criterion, kind = a["uid"], a["number"], a["evidence"], a["criterion"], a["kind"]
        start, end, page, region, text = a["start_ms"], a["end_ms"], a["page"], a["region"], a["text"]
        created, updated = _utc(a["created_at"]), _utc(a["updated_at"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (type(uid) is str and type(number) is int and number >= 1 and type(evidence) is str
            and (criterion is None or type(criterion) is str) and type(text) is str
            and _whole(start) and _whole(end) and _whole(page)
            and (start is None or start >= 0) and (page is None or page >= 0)):
        return None
    if kind == "time":
        if start is None or page is not None or (end is not None and end <= start):
            return None
    elif kind != "page" or page is None or start is not None:
        return None  # (photo regions and quotes too: the careful reading takes them)
    box = None
    if region is not None:
        if type(region) is not dict or len(region) != _REGION_FIELDS:
            return None
        try:
            values = (region["x0"], region["y0"], region["x1"], region["y1"])
        except KeyError:
            return None
        if not all(_plain_number(v) for v in values):
            return None
        box = (float(values[0]), float(values[1]), float(values[2]), float(values[3]))
    return BatchAnnotation(uid, number, evidence, criterion, kind, start, end, page, box, text,
                           created, updated)


def _annotation(a: Any) -> BatchAnnotation:
    if not isinstance(a, dict):
        raise _Invalid("has a note that is not an object")
    kind = _str(a, "kind")
    if kind not in _KINDS:
        raise _Invalid(f"has a note of unknown kind {kind!r}")
    start, end = _int(a, "start_ms", optional=True, minimum=0), _int(a, "end_ms", optional=True)
    page = _int(a, "page", optional=True, minimum=0)
    if kind == "time" and (start is None or page is not None or (end is not None and end <= start)):
        raise _Invalid("has a note on a video or audio item without a valid time")
    if kind == "page" and (page is None or start is not None):
        raise _Invalid("has a note on a page without a valid page number")
    q = a.get("quote")  # {"text", "at"}: on a quote note (which has no region), on no other
    if kind in ("region", "quote") and (page is not None or start is not None) or (q is not None or kind == "quote") \
            and not (kind == "quote" and isinstance(q, dict) and a.get("region") is None
                     and isinstance(q.get("text"), str) and q["text"].strip() and type(q.get("at")) is int and q["at"] >= 0):
        raise _Invalid(f"has a {kind} note with an anchor it cannot have (a time, a page, or a missing or malformed quote)")
    region = a.get("region")
    box = None
    if region is not None:
        if not isinstance(region, dict) or not all(
                isinstance(region.get(k), (int, float)) and not isinstance(region.get(k), bool)
                for k in ("x0", "y0", "x1", "y1")):
            raise _Invalid("has a note with a malformed region")
        box = (float(region["x0"]), float(region["y0"]), float(region["x1"]), float(region["y1"]))
    return BatchAnnotation(
        uid=_str(a, "uid"), number=_int(a, "number", minimum=1), evidence=_str(a, "evidence"),
        criterion=_str(a, "criterion", optional=True), kind=kind, start_ms=start, end_ms=end,
        page=page, region=box, text=_str(a, "text"), created_at=_time(a, "created_at"),
        updated_at=_time(a, "updated_at"), quote=(q["text"], q["at"]) if kind == "quote" else None)


def find_batches(paths: Iterable[Path]) -> list[Path]:
    """The batch files named, a folder standing for the ``*.reviewer-batch.json`` in it."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(path.glob("*" + SUFFIX)))
        else:
            out.append(path)
    return out
