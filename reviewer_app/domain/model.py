"""The nouns of micro-credential review, as immutable values."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
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
    extra: dict[str, str] = field(default_factory=dict)

    def levels(self) -> dict[str, int | None]:
        return {s.criterion_key: s.level for s in self.scores}
