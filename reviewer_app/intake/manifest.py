"""Submission package format, version 1 (documented in ``FORMAT.md`` beside this file).

Parsed strictly: a string where an integer belongs is refused rather than coerced.
Fields may be added by producers (forward compatible), never renamed or dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from reviewer_app.domain import model as domain
from reviewer_app.intake.refusals import MALFORMED, NEWER_FORMAT

FORMAT_V1 = "mcred-submission/1"
MAX_JSON_BYTES = 1024 * 1024  # manifest.json and the rubric, each

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]


def _version(value: Any) -> Any:
    # A credential or rubric version may be written as 1 or "1"; both mean the same.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Version = Annotated[str, BeforeValidator(_version), StringConstraints(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class CredentialRef(_Strict):
    id: Key
    title: Text
    version: Version


class Recipient(_Strict):
    type: Literal["email", "url", "telephone"]
    identity: Text


class SealedIdentity(_Strict):
    """The identity sealed to the lead's key (``intake.sealed``): ciphertext, base64."""

    alg: Annotated[str, StringConstraints(max_length=100)]
    to: Annotated[str, StringConstraints(max_length=100)]
    epk: Annotated[str, StringConstraints(max_length=100)]
    nonce: Annotated[str, StringConstraints(max_length=100)]
    ciphertext: Annotated[str, StringConstraints(max_length=20_000)]


class Candidate(_Strict):
    id: Key
    display_name: str | None = None
    recipient: Recipient | None = None
    sealed: SealedIdentity | None = None

    @property
    def identified(self) -> bool:
        """Whether the package names the candidate in plain text."""
        return self.display_name is not None or self.recipient is not None


#: What names a candidate in a manifest, beside the pseudonym ``candidate.id``.
IDENTITY_FIELDS = ("display_name", "recipient")


def pseudonymous(data: Any, *, keep_sealed: bool = True) -> Any:
    """A manifest (parsed JSON) without the candidate's plain identity: what a reviewer's
    database stores, and what the attempt's manifest SHA-256 is taken over, so the lead's
    copy of a package and the reviewer's are recognised as the same attempt."""
    if not isinstance(data, dict) or not isinstance(data.get("candidate"), dict):
        return data
    drop = IDENTITY_FIELDS if keep_sealed else (*IDENTITY_FIELDS, "sealed")
    candidate = {k: v for k, v in data["candidate"].items() if k not in drop}
    return {**data, "candidate": candidate}


class EvidenceEntry(_Strict):
    id: Key
    kind: Literal["video", "pdf", "image", "audio", "text"]
    path: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    sha256: Sha256
    size: int = Field(ge=0, le=2**63 - 1)
    title: Text
    criteria: list[Key] = Field(default_factory=list)


class ReflectionEntry(_Strict):
    prompt: str
    text: str


class Manifest(_Strict):
    format: Literal["mcred-submission/1"]
    submission_id: Key
    attempt: int = Field(ge=1, le=1_000_000)
    submitted_at: str
    credential: CredentialRef
    candidate: Candidate
    rubric: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    evidence: list[EvidenceEntry]
    reflections: list[ReflectionEntry] = Field(default_factory=list)

    @field_validator("submitted_at")
    @classmethod
    def _iso_with_offset(cls, value: str) -> str:
        parse_timestamp(value)
        return value

    @model_validator(mode="after")
    def _unique(self) -> Manifest:
        _no_duplicates([e.id for e in self.evidence], "evidence id")
        _no_duplicates([e.path for e in self.evidence], "evidence path")
        return self

    @property
    def submitted_at_dt(self) -> datetime:
        return parse_timestamp(self.submitted_at)


class LevelDef(_Strict):
    value: int = Field(ge=-1_000_000, le=1_000_000)
    label: Text
    descriptor: str = ""


class CriterionDef(_Strict):
    id: Key
    title: Text
    guidance: str | None = None
    required_level: int = Field(ge=-1_000_000, le=1_000_000)
    levels: list[LevelDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels(self) -> CriterionDef:
        _no_duplicates([lv.value for lv in self.levels], f"level value in criterion {self.id!r}")
        if self.required_level not in {lv.value for lv in self.levels}:
            raise ValueError(f"required_level {self.required_level} is not one of criterion "
                             f"{self.id!r}'s level values")
        return self


class RubricDef(_Strict):
    id: Key
    version: Version
    title: Text
    criteria: list[CriterionDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RubricDef:
        _no_duplicates([c.id for c in self.criteria], "criterion id")
        return self

    def to_domain(self) -> domain.Rubric:
        return domain.Rubric(
            key=self.id, version=self.version, title=self.title,
            criteria=tuple(
                domain.Criterion(
                    key=c.id, title=c.title, guidance=c.guidance or "",
                    required_level=c.required_level,
                    levels=tuple(domain.Level(lv.value, lv.label, lv.descriptor)
                                 for lv in sorted(c.levels, key=lambda lv: lv.value)))
                for c in self.criteria))

    def content_sha256(self) -> str:
        return canonical_sha256(self.model_dump(mode="json"))


def _no_duplicates(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 date and time with an explicit offset (``Z`` or ``+02:00``)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time "
                         "(for example 2026-05-01T14:30:00+02:00)") from None
    if parsed.tzinfo is None or not _OFFSET.search(value.strip()):
        raise ValueError(f"{value!r} has no UTC offset (write it like 2026-05-01T14:30:00+02:00)")
    return parsed


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# -- turning bytes into models, with one clear line on failure ------------------------------

class FormatError(Exception):
    """The JSON or its fields are wrong; the message names the field (the technical details
    of a refusal); ``kind`` says what the reviewer is told (see ``refusals``)."""

    def __init__(self, message: str, kind: str = MALFORMED) -> None:
        super().__init__(message)
        self.kind = kind


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers could take different values from a repeated key: refuse it.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def load_json(data: bytes, what: str) -> Any:
    if len(data) > MAX_JSON_BYTES:
        raise FormatError(f"{what} is {len(data):,} bytes; the limit is {MAX_JSON_BYTES:,} (1 MiB)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                          f"column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{what} is not valid JSON: {exc}") from None


def parse_manifest(data: bytes) -> Manifest:
    raw = load_json(data, "manifest.json")
    if not isinstance(raw, dict):
        raise FormatError("manifest.json must hold a JSON object")
    fmt = raw.get("format")
    if fmt is None:
        raise FormatError("manifest.json: field 'format' is missing (expected \"mcred-submission/1\")")
    if fmt != FORMAT_V1:
        raise FormatError(f"manifest.json: unknown format {fmt!r}; this version of Reviewer reads "
                          f"\"{FORMAT_V1}\"", NEWER_FORMAT)
    return _validate(Manifest, raw, "manifest.json")


def parse_rubric(data: bytes, path: str) -> RubricDef:
    raw = load_json(data, path)
    if not isinstance(raw, dict):
        raise FormatError(f"{path} must hold a JSON object")
    return _validate(RubricDef, raw, path)


def _validate(model: type[BaseModel], raw: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise FormatError(f"{what}: {describe_error(exc.errors()[0], raw)}") from None


_TYPE_WORDS = {
    "string_type": "a string", "int_type": "an integer", "list_type": "a list",
    "model_type": "an object", "dict_type": "an object", "bool_type": "true or false",
    "model_attributes_type": "an object",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def describe_error(error: dict[str, Any], raw: Any) -> str:
    """One pydantic error as a plain sentence that names the field."""
    loc = tuple(p for p in error.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-")))
    where = _field_path(loc)
    kind = error.get("type", "")
    if kind == "missing":
        return f"field '{where}' is missing"
    if kind in _TYPE_WORDS:
        return f"field '{where}' must be {_TYPE_WORDS[kind]}, not {_json_type(error.get('input'))}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"field '{where}' must be one of {expected} (got {error.get('input')!r})"
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("ctx", {}).get("error", error.get("msg", "")))
        return f"{message}" if not where else f"field '{where}': {message}"
    if kind == "string_pattern_mismatch" and where.endswith("sha256"):
        return f"field '{where}' must be 64 hexadecimal characters (a SHA-256 digest)"
    if kind == "string_pattern_mismatch":
        return f"field '{where}' must not be blank or start or end with spaces"
    if kind in ("less_than_equal", "greater_than_equal", "greater_than", "less_than"):
        limit = next(iter(error.get("ctx", {}).values()), "")
        words = {"less_than_equal": "at most", "greater_than_equal": "at least",
                 "greater_than": "more than", "less_than": "less than"}[kind]
        return f"field '{where}' must be {words} {limit} (got {error.get('input')!r})"
    if kind == "string_too_short":
        return f"field '{where}' must not be empty"
    msg = error.get("msg", "is not valid")
    return f"field '{where}': {msg[0].lower() + msg[1:] if msg else msg}"
