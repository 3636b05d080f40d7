"""The reviews of a score batch as read: their shapes, and the checks of each review,
note and score (``exports.batches.read_batch`` calls them).

``_review_fast`` reads a review laid out exactly as an export writes it, with as few
operations as possible; anything unusual falls to ``_review``, which says what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_STATUSES = {"draft", "submitted"}
_DECISIONS = {"earned", "not_yet"}
_KINDS = {"time", "page", "region", "quote"}


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


class _Invalid(Exception):
    """A review's shape is wrong; the message says where (turned into a ``BatchRefused``)."""


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
        uid, number, evidence = a["uid"], a["number"], a["evidence"]
        criterion, kind = a["criterion"], a["kind"]
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
    quote_ok = (kind == "quote" and isinstance(q, dict) and a.get("region") is None
                and isinstance(q.get("text"), str) and q["text"].strip()
                and type(q.get("at")) is int and q["at"] >= 0)
    if (kind in ("region", "quote") and (page is not None or start is not None)
            or (q is not None or kind == "quote") and not quote_ok):
        raise _Invalid(f"has a {kind} note with an anchor it cannot have "
                       "(a time, a page, or a missing or malformed quote)")
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
