"""Score batches: a reviewer's submitted reviews in one file, for a lead assessor to import.

The file format (``reviewer-batch/2``, described in ``BATCH_FORMAT.md``) and nothing
else: writing a batch (JSON, signed with the reviewer's Ed25519 key, and a CSV beside it
for spreadsheets), and reading one back with every check that needs no database --
format, SHA-256 of the content, the signature over the whole file's canonical bytes
against the key it names, count, the shape of each review. No Qt, no SQL:
``reviewer_app.services.batches`` checks the key is enrolled and maps the reviews onto a
database.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app import __version__
from reviewer_app.errors import UserError
from reviewer_app.exports.batch_reviews import (  # noqa: F401 - _plain_number: the tests' too
    BatchAnnotation,
    BatchReview,
    BatchScore,
    _int,
    _Invalid,
    _plain_number,
    _review,
    _review_fast,
    _str,
    _time,
)
from reviewer_app.exports.spreadsheet import spreadsheet_safe
from reviewer_app.jobs import Job
from reviewer_app.signatures import BadKey, load_public_key, public_key_text, sign, verify
from reviewer_app.store.atomic_files import atomic_text_file

FORMAT = "reviewer-batch/2"
#: Formats an earlier version wrote: unsigned, refused.
UNSIGNED_FORMATS = ("reviewer-batch/1",)
#: The members of a batch file, no more, no fewer (the signature covers all the others).
MEMBERS = frozenset({"format", "header", "reviews", "signature"})
SUFFIX = ".reviewer-batch.json"
CSV_SUFFIX = ".reviewer-batch.csv"

CSV_COLUMNS = [
    "batch_id", "reviewer", "reviewer_uid", "review_id", "submission_id", "attempt",
    "credential_id", "credential_version", "rubric_id", "rubric_version", "status", "decision",
    "submitted_at", "criterion_id", "level", "comment", "feedback", "notes",
]

_ROLES = {"reviewer", "lead_assessor"}


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


def signed_bytes(header: Mapping[str, Any], reviews_json: bytes) -> bytes:
    """What the signature covers: the canonical JSON (UTF-8) of the whole file but its
    ``signature``, i.e. ``{"format":...,"header":...,"reviews":[...]}`` with sorted keys and
    no whitespace; ``reviews_json`` is the canonical JSON of the reviews array."""
    return (b'{"format":' + canonical(FORMAT).encode("utf-8") + b',"header":'
            + canonical(dict(header)).encode("utf-8") + b',"reviews":' + reviews_json + b"}")


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
    #: The Ed25519 public key the batch is signed with (base64 of the raw 32 bytes).
    public_key: str = ""


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
                             "role": self.reviewer.role, "public_key": self.reviewer.public_key},
                "exported_at": iso(self.exported_at), "count": self.count,
                "content_sha256": self.content_sha256, "app_version": __version__}


@dataclass(frozen=True)
class WrittenBatch:
    json_path: Path
    csv_path: Path
    header: Header


def write_batch(folder: Path, batch_id: str, reviewer: Reviewer, reviews: Sequence[Mapping[str, Any]],
                *, key: Ed25519PrivateKey, exported_at: datetime | None = None,
                job: Job | None = None) -> WrittenBatch:
    """Write ``<stem>.reviewer-batch.json`` and ``<stem>.reviewer-batch.csv`` into ``folder``,
    the JSON signed with ``key`` (the header names its public key).

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
    reviewer = Reviewer(reviewer.uid, reviewer.name, reviewer.role, public_key_text(key))
    header = Header(batch_id, reviewer, exported_at, len(lines), digest.hexdigest())
    signature = sign(key, signed_bytes(header.as_json(),
                                       ("[" + ",".join(lines) + "]").encode("utf-8")))
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
        fj.write(("\n " if lines else "") + '],\n "signature": ' + json.dumps(signature) + "}\n")
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

@dataclass(frozen=True)
class Batch:
    path: Path
    header: Header
    reviews: list[BatchReview]

    @property
    def name(self) -> str:
        return self.path.name


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
        if fmt in UNSIGNED_FORMATS:
            raise BatchRefused(source, f"is an unsigned score batch in the old format {fmt}; only "
                                       f"signed batches ({FORMAT}) are imported: ask the reviewer "
                                       "to update Reviewer and export it again.")
        if fmt.startswith("reviewer-batch/"):
            raise BatchRefused(source, f"is a score batch in format {fmt}, which this version of "
                                       f"Reviewer cannot read (it reads {FORMAT}).")
        raise BatchRefused(source, f"is not a score batch (its format is {fmt!r}, not {FORMAT}).")
    raw_header, reviews = data.get("header"), data.get("reviews")
    if not isinstance(raw_header, dict) or not isinstance(reviews, list):
        raise BatchRefused(source, "is not a complete score batch: its header or its reviews are missing.")
    if "signature" not in data:
        raise BatchRefused(source, "is not signed, so it was not imported: ask the reviewer to "
                                   "export it again with Reviewer.")
    if set(data) != MEMBERS:
        extra = ", ".join(sorted(map(str, set(data) - MEMBERS)))[:100]
        raise BatchRefused(source, f"is not a valid score batch: it holds members a batch does not "
                                   f"have ({extra}).")
    try:
        header = _header(raw_header)
    except _Invalid as exc:
        raise BatchRefused(source, f"is not a valid score batch: its header {exc}.") from None
    fast: list[BatchReview | None] | None = None
    if exact:
        try:
            reviews_json = canonical(reviews).encode("utf-8")
        except ValueError:  # NaN or infinity: never written by an export
            reviews_json = b""
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
        reviews_json = orjson.dumps(reviews, option=orjson.OPT_SORT_KEYS)
    actual = hashlib.sha256(reviews_json).hexdigest() if reviews_json else ""
    if actual != header.content_sha256:
        raise BatchRefused(
            source, "was changed after it was exported (its content does not match its SHA-256), "
                    "so it was not imported; ask the reviewer to export it again.",
            details=f"header: {header.content_sha256}\ncontent: {actual}")
    try:
        signed = verify(header.reviewer.public_key, data["signature"],
                        signed_bytes(raw_header, reviews_json))
    except ValueError:  # a header that canonical JSON cannot hold (NaN): never signed
        signed = False
    if not signed:
        raise BatchRefused(
            source, "does not carry a valid signature of the key it names (it was changed after "
                    "the reviewer signed it, or signed with another key), so it was not imported.",
            details=f"public key: {header.reviewer.public_key}")
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
    public_key = _str(reviewer, "public_key")
    try:
        load_public_key(public_key)
    except BadKey as exc:
        raise _Invalid(f"gives no valid public key ({exc})") from None
    return Header(_str(d, "batch_id"), Reviewer(_str(reviewer, "uid"), name, role, public_key),
                  _time(d, "exported_at"), _int(d, "count", minimum=0), sha)


def find_batches(paths: Iterable[Path]) -> list[Path]:
    """The batch files named, a folder standing for the ``*.reviewer-batch.json`` in it."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(path.glob("*" + SUFFIX)))
        else:
            out.append(path)
    return out
