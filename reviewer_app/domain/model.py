"""The nouns of micro-credential review, as immutable values."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class EvidenceKind(enum.StrEnum):
    VIDEO = "video"
    PDF = "pdf"
    IMAGE = "image"
    AUDIO = "audio"
    TEXT = "text"


class Role(enum.StrEnum):
    REVIEWER = "reviewer"
    LEAD_ASSESSOR = "lead_assessor"


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Decision(enum.StrEnum):
    EARNED = "earned"
    NOT_YET = "not_yet"

    @property
    def label(self) -> str:
        return "Earned" if self is Decision.EARNED else "Not yet"


class SubmissionStatus(enum.StrEnum):
    """What the queue shows for a submission attempt."""

    NEW = "new"
    IN_PROGRESS = "in progress"
    SUBMITTED = "submitted"
    DISPUTED = "disputed"  # a lead assessor's database: reviews disagree, moderation pending
    SYNCED = "synced"


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    descriptor: str = ""


@dataclass(frozen=True)
class Criterion:
    key: str
    title: str
    required_level: int
    levels: tuple[Level, ...]  # ascending by value
    guidance: str = ""

    def level(self, value: int) -> Level | None:
        return next((lv for lv in self.levels if lv.value == value), None)

    def meets(self, value: int | None) -> bool:
        """Whether a score reaches this criterion's required level."""
        return value is not None and value >= self.required_level


@dataclass(frozen=True)
class Rubric:
    key: str
    version: str
    title: str
    criteria: tuple[Criterion, ...]

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)


@dataclass(frozen=True)
class Credential:
    key: str
    version: str
    title: str


@dataclass(frozen=True)
class Recipient:
    type: str  # email | url | telephone
    identity: str


@dataclass(frozen=True)
class Candidate:
    key: str
    display_name: str | None = None
    recipient: Recipient | None = None


@dataclass(frozen=True)
class EvidenceItem:
    key: str
    kind: EvidenceKind
    title: str
    path: str
    sha256: str
    size: int
    criteria: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    uid: str
    name: str
    role: Role

    @property
    def is_lead(self) -> bool:
        return self.role is Role.LEAD_ASSESSOR


@dataclass(frozen=True)
class CriterionScore:
    criterion_key: str
    level: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class Review:
    uid: str
    reviewer_uid: str
    status: ReviewStatus
    scores: tuple[CriterionScore, ...] = ()
    feedback: str = ""
    decision: Decision | None = None
    submitted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def levels(self) -> dict[str, int | None]:
        return {s.criterion_key: s.level for s in self.scores}


class AnnotationKind(enum.StrEnum):
    TIME = "time"  # a point or a range on a video or audio item
    PAGE = "page"  # a PDF page, or a region on it
    REGION = "region"  # a region of a photo (in the image's pixels, upright)
    QUOTE = "quote"  # a passage of a written reflection (the quoted text and where it starts)


@dataclass(frozen=True)
class Region:
    """A rectangle on a page, in PDF points, in the page's displayed (upright) orientation;
    on a photo, in the image's pixels as shown (EXIF orientation applied)."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Annotation:
    """A reviewer's note anchored to a moment or a place in one evidence item."""

    uid: str
    number: int  # 1, 2, 3... within a review; cited in comments as [note N]
    evidence_key: str
    kind: AnnotationKind
    text: str
    criterion_key: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None  # None for a point in time
    page: int | None = None  # 0-based page index
    region: Region | None = None
    quote: str | None = None  # the passage quoted (QUOTE)
    quote_at: int | None = None  # where it starts in the text, in characters (QUOTE)

    @property
    def is_range(self) -> bool:
        return self.kind is AnnotationKind.TIME and self.end_ms is not None

    def where(self) -> str:
        """Where the note points, as a reviewer reads it: '01:23.4', '01:23.4–01:30.0', 'p. 3',
        'region' (of a photo) or the first words of the passage quoted, in quotation marks."""
        if self.kind is AnnotationKind.PAGE:
            return f"p. {(self.page or 0) + 1}"
        if self.kind is AnnotationKind.REGION:
            return "region" if self.region is not None else "whole photo"
        if self.kind is AnnotationKind.QUOTE:
            quote = " ".join((self.quote or "").split())
            return f"\u201c{quote if len(quote) <= 40 else quote[:39] + chr(0x2026)}\u201d"
        start = format_ms(self.start_ms or 0)
        return f"{start}\u2013{format_ms(self.end_ms)}" if self.end_ms is not None else start

    @property
    def citation(self) -> str:
        return f"[note {self.number}]"


def format_ms(ms: int) -> str:
    """01:23.4 (or 1:02:03.4 past an hour)."""
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = rest / 1000
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:04.1f}"
    return f"{minutes:02d}:{seconds:04.1f}"
