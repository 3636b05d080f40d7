"""The database schema as typed SQLAlchemy 2.0 models.

Natural keys from packages (``key`` columns) sit beside integer surrogate keys; rows
that travel between machines (profiles, reviews) also carry a ``uid`` (UUID4 text).
Change the schema only together with a new Alembic revision in ``migrations/versions``;
``tests/core/test_migrations.py`` fails when the two disagree.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from reviewer_app.domain.model import AnnotationKind, Decision, EvidenceKind, ReviewStatus, Role
from reviewer_app.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type, name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


def new_uid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), str: Text()}


class Credential(Base):
    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str]


class Rubric(Base):
    __tablename__ = "rubric"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str]
    #: SHA-256 of the rubric's canonical JSON: the same key and version must mean the same rubric.
    content_sha256: Mapped[str] = mapped_column(String(64))

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric", order_by="Criterion.position", cascade="all, delete-orphan")


class Criterion(Base):
    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("rubric_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    title: Mapped[str]
    guidance: Mapped[str] = mapped_column(default="")
    required_level: Mapped[int]

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[CriterionLevel]] = relationship(
        order_by="CriterionLevel.value", cascade="all, delete-orphan")


class CriterionLevel(Base):
    __tablename__ = "criterion_level"
    __table_args__ = (UniqueConstraint("criterion_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    value: Mapped[int]
    label: Mapped[str]
    descriptor: Mapped[str] = mapped_column(default="")


class Submission(Base):
    """A candidate's submission for a credential; each resubmission is a new attempt."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    credential_key: Mapped[str] = mapped_column(String(200))
    candidate_key: Mapped[str] = mapped_column(String(200))

    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="submission", order_by="Attempt.number", cascade="all, delete-orphan")


class Attempt(Base):
    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_attempt_imported_at", "imported_at"),
        Index("ix_attempt_submitted_at", "submitted_at"),
        Index("ix_attempt_queue_status", "queue_status", "submitted_at"),
        Index("ix_attempt_has_draft", "has_draft", "submitted_at"),
        Index("ix_attempt_credential_sort", "credential_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    number: Mapped[int]
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id"))
    submitted_at: Mapped[datetime]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    candidate_display_name: Mapped[str | None]
    recipient_type: Mapped[str | None] = mapped_column(String(20))
    recipient_identity: Mapped[str | None]
    #: SHA-256 of the canonical manifest: a second import of the same attempt is recognised.
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest_json: Mapped[str]
    #: The queue's status and draft flag, kept by ``store.queue_state.refresh`` from the
    #: attempt's reviews whenever they change, so that a queue of 100,000 filters on an index.
    queue_status: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    #: Fixed at import (evidence never changes afterwards); shown in the queue.
    evidence_count: Mapped[int] = mapped_column(default=0, server_default="0")
    has_draft: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    #: Why this attempt gets a second review ("random", "near_cut", "new_reviewer"), set by
    #: the credential's double-scoring rule when its first review arrives; None: one is enough.
    second_review: Mapped[str | None] = mapped_column(String(20))

    submission: Mapped[Submission] = relationship(back_populates="attempts")
    credential: Mapped[Credential] = relationship()
    rubric: Mapped[Rubric] = relationship()
    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="attempt", order_by="EvidenceItem.position", cascade="all, delete-orphan")
    reflections: Mapped[list[Reflection]] = relationship(
        order_by="Reflection.position", cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(back_populates="attempt")


class EvidenceItem(Base):
    __tablename__ = "evidence_item"
    __table_args__ = (UniqueConstraint("attempt_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    kind: Mapped[EvidenceKind] = mapped_column(_enum(EvidenceKind, "evidence_kind"))
    title: Mapped[str]
    path: Mapped[str]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: Space-separated keys of the rubric criteria this item supports.
    criteria_keys: Mapped[str] = mapped_column(default="")

    attempt: Mapped[Attempt] = relationship(back_populates="evidence")


class Reflection(Base):
    __tablename__ = "reflection"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]
    prompt: Mapped[str]
    text: Mapped[str]


class Profile(Base):
    """A reviewer or lead assessor. ``is_self`` marks the person using this database."""

    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    name: Mapped[str]
    role: Mapped[Role] = mapped_column(_enum(Role, "profile_role"))
    is_self: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(Base):
    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("attempt_id", "reviewer_id"),
        CheckConstraint("kind IN ('review', 'moderation')", name="kind"),
        CheckConstraint("(status = 'submitted') = (submitted_at IS NOT NULL)",
                        name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("profile.id"), index=True)
    status: Mapped[ReviewStatus] = mapped_column(
        _enum(ReviewStatus, "review_status"), default=ReviewStatus.DRAFT)
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision, "review_decision"))
    feedback: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    #: How many note numbers this review has handed out; a deleted note's number is not reused.
    notes_issued: Mapped[int] = mapped_column(default=0, server_default="0")
    #: "review" (a reviewer's scoring) or "moderation" (a lead assessor's final scoring of a
    #: dispute; never counted in agreement statistics).
    kind: Mapped[str] = mapped_column(String(12), default="review", server_default="review")
    #: The score batch this review arrived in (None: scored in this database).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("score_batch.id"), index=True)

    attempt: Mapped[Attempt] = relationship(back_populates="reviews")
    reviewer: Mapped[Profile] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(cascade="all, delete-orphan")
    annotations: Mapped[list[Annotation]] = relationship(
        back_populates="review", order_by="Annotation.number", cascade="all, delete-orphan")


class ReviewScore(Base):
    __tablename__ = "review_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    level: Mapped[int | None]
    comment: Mapped[str] = mapped_column(default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    criterion: Mapped[Criterion] = relationship()


#: What each kind of note is anchored by (migration 0005 writes the same).
ANCHOR_CHECK = (
    "(kind = 'time' AND start_ms IS NOT NULL AND start_ms >= 0 AND page IS NULL"
    " AND (end_ms IS NULL OR end_ms > start_ms) AND quote IS NULL)"
    " OR (kind = 'page' AND page IS NOT NULL AND page >= 0 AND start_ms IS NULL AND quote IS NULL)"
    " OR (kind = 'region' AND page IS NULL AND start_ms IS NULL AND quote IS NULL)"
    " OR (kind = 'quote' AND quote IS NOT NULL AND quote_at IS NOT NULL AND quote_at >= 0"
    " AND page IS NULL AND start_ms IS NULL AND x0 IS NULL)")


class Annotation(Base):
    """A reviewer's note on a moment of a video or audio item, a PDF page (or a region of
    it), a region of a photo, or a passage of a written reflection."""

    __tablename__ = "annotation"
    __table_args__ = (
        UniqueConstraint("review_id", "number"),
        CheckConstraint(ANCHOR_CHECK,
            name="anchor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    #: Stable within the review (never reused), so "[note 3]" in a comment keeps its meaning.
    number: Mapped[int]
    evidence_item_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="CASCADE"))
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criterion.id"))
    kind: Mapped[AnnotationKind] = mapped_column(_enum(AnnotationKind, "annotation_kind"))
    start_ms: Mapped[int | None]
    end_ms: Mapped[int | None]
    page: Mapped[int | None]
    x0: Mapped[float | None] = mapped_column(Float)
    y0: Mapped[float | None] = mapped_column(Float)
    x1: Mapped[float | None] = mapped_column(Float)
    y1: Mapped[float | None] = mapped_column(Float)
    quote: Mapped[str | None]
    quote_at: Mapped[int | None]
    text: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[Review] = relationship(back_populates="annotations")
    evidence_item: Mapped[EvidenceItem] = relationship()
    criterion: Mapped[Criterion | None] = relationship()


class IssuerProfile(Base):
    """A badge issuer this app syncs with (the reference issuer or a Badgr server).

    Its sign-in tokens are never stored here: they live in the OS keyring only
    (``reviewer_app.sync.secrets``). ``settings_json`` holds the kind's own options
    (for Badgr: the badge class of each credential, the evidence link, recipient hashing).
    """

    __tablename__ = "issuer_profile"
    __table_args__ = (
        CheckConstraint("kind IN ('reference', 'badgr')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str]
    username: Mapped[str]
    #: Plain http to a host other than localhost, allowed explicitly by the user.
    allow_http: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    settings_json: Mapped[str] = mapped_column(default="{}", server_default="{}")
    #: Where the next pull of assigned submissions starts (the issuer's opaque ``next_since``).
    pull_cursor: Mapped[str | None]
    last_sync_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEntry(Base):
    """A submitted decision on its way to the issuer, written in the submit transaction.

    ``uid`` is the idempotency key: made once, never changed, sent with every try, so the
    issuer can answer a replay with "duplicate" instead of recording a second decision.
    ``payload_json`` is the decision as submitted and never changes either (the
    migration adds a trigger that refuses it). Only the delivery columns move:
    queued -> sending -> accepted | rejected; a crash leaves "sending", which the next
    sync puts back in the queue (safe, because of the key).
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sending', 'accepted', 'rejected')", name="state"),
        Index("ix_sync_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="decision")
    submission_key: Mapped[str] = mapped_column(String(200))
    attempt_number: Mapped[int]
    decision: Mapped[str] = mapped_column(String(20))
    payload_json: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    tries: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_id: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    #: accepted | duplicate | rejected, as the issuer answered.
    result: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None]
    #: The issuer's id for what it recorded (a decision id, a Badgr assertion entityId).
    remote_id: Mapped[str | None] = mapped_column(String(200))
    #: The issuer profile that answered.
    issuer: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None]
    #: Where the issuer serves the Open Badge it issued (the reference issuer does), and
    #: that badge once fetched and checked (``sync.badges``).
    badge_url: Mapped[str | None] = mapped_column(String(500))
    badge_json: Mapped[str | None]


class AppSetting(Base):
    """A setting of this database (not of one window): e.g. ``blind_review``."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str]


class CredentialPolicy(Base):
    """A lead assessor's rules for one credential: double scoring, disputes, qualification.

    A credential without a row uses the defaults below (no second reviews).
    """

    __tablename__ = "credential_policy"
    __table_args__ = (
        CheckConstraint("second_review_percent BETWEEN 0 AND 100", name="percent"),
        CheckConstraint("max_level_gap >= 0", name="gap"),
        CheckConstraint("calibration_threshold BETWEEN 0 AND 1", name="threshold"),
    )

    credential_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: This share of submissions, picked at random (seeded: every machine picks the same), gets
    #: a second review.
    second_review_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    #: A review with a criterion within this many levels of its required level is "near the
    #: cut" and gets a second review; None: off.
    near_cut_margin: Mapped[int | None]
    #: A reviewer's first N reviews of this credential each get a second review; 0: off.
    first_reviews: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Two reviews dispute when their decisions differ or a criterion's levels differ by more.
    max_level_gap: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Exact agreement with calibration scores that qualifies a reviewer.
    calibration_threshold: Mapped[float] = mapped_column(Float, default=0.8, server_default="0.8")
    #: Calibration items a reviewer must have scored before they can qualify.
    calibration_items: Mapped[int] = mapped_column(default=3, server_default="3")
    #: Final decisions are held until the lead releases them (False: released when made).
    hold_for_release: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    #: The share of held final decisions the lead backreads before they can be released.
    backread_percent: Mapped[int] = mapped_column(default=5, server_default="5")
    seed: Mapped[str] = mapped_column(String(64), default=new_uid)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreBatch(Base):
    """A reviewer's exported batch of submitted reviews, as a lead assessor imported it."""

    __tablename__ = "score_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    #: SHA-256 of the batch's content, from its header and checked on import.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    reviewer_uid: Mapped[str] = mapped_column(String(36))
    reviewer_name: Mapped[str]
    exported_at: Mapped[datetime]
    review_count: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(default="")


class Enrolment(Base):
    """A reviewer a lead assessor enrolled: the public key their score batches must be signed
    with (Ed25519, raw 32 bytes in base64), their profile uid and name, and when the key was
    revoked (a revoked key signs nothing more that this database imports)."""

    __tablename__ = "reviewer_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_uid: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str]
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(40))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_by: Mapped[str | None] = mapped_column(String(36))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(36))


class FinalDecision(Base):
    """The decision that goes to the issuer for an attempt, and where it came from.

    ``review`` holds the final levels, comments and feedback: the one review when a
    single review suffices ("single"), the first of two that agree ("agreed"), or the lead
    assessor's moderation review ("moderated", with its rationale).
    """

    __tablename__ = "final_decision"
    __table_args__ = (
        CheckConstraint("source IN ('single', 'agreed', 'moderated', 'overturned')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"), unique=True)
    decision: Mapped[Decision] = mapped_column(_enum(Decision, "final_decision_decision"))
    source: Mapped[str] = mapped_column(String(12))
    rationale: Mapped[str] = mapped_column(default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("profile.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When the lead released it to the issuer (None: held; only released ones reach the outbox).
    released_at: Mapped[datetime | None] = mapped_column(index=True)
    #: When the lead backread it (confirmed or overturned); None: not backread.
    backread_at: Mapped[datetime | None]

    attempt: Mapped[Attempt] = relationship()
    review: Mapped[Review] = relationship()
    decided_by: Mapped[Profile] = relationship()


class LateReview(Base):
    """A submitted review that arrived after its attempt's final decision: kept, compared
    with the final decision (``agrees``; ``reasons`` when it does not: a backreading
    discrepancy), never changing it."""

    __tablename__ = "late_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    final_decision_id: Mapped[int] = mapped_column(ForeignKey("final_decision.id"))
    agrees: Mapped[bool]
    reasons: Mapped[str] = mapped_column(default="")
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecondReadAssignment(Base):
    """The reviewer a lead assessor asked to give an attempt its second reading."""

    __tablename__ = "second_read_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    reviewer_uid: Mapped[str] = mapped_column(String(36), index=True)
    reviewer_name: Mapped[str]
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispute(Base):
    """Two reviews of one attempt that disagree, waiting for (or settled by) moderation."""

    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'resolved')", name="state"),
        Index("ix_dispute_state", "state", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    #: Why: one plain sentence per disagreement, one per line.
    reasons: Mapped[str]
    state: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    final_decision_id: Mapped[int | None] = mapped_column(ForeignKey("final_decision.id"))

    attempt: Mapped[Attempt] = relationship()
    final_decision: Mapped[FinalDecision | None] = relationship()


class CalibrationItem(Base):
    """An attempt with agreed scores, against which reviewers are calibrated."""

    __tablename__ = "calibration_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    decision: Mapped[Decision] = mapped_column(_enum(Decision, "calibration_decision"))
    note: Mapped[str] = mapped_column(default="")
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("profile.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[Attempt] = relationship()
    scores: Mapped[list[CalibrationScore]] = relationship(cascade="all, delete-orphan")


class CalibrationScore(Base):
    __tablename__ = "calibration_score"
    __table_args__ = (UniqueConstraint("item_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("calibration_item.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    level: Mapped[int]

    criterion: Mapped[Criterion] = relationship()


class AuditEntry(Base):
    """One line of the append-only audit log; each carries the hash of the one before.

    ``hash`` is SHA-256 over the entry's canonical JSON (``domain.audit_chain``), which
    includes ``prev_hash``; triggers refuse UPDATE and DELETE. ``AuditHead`` holds the
    last entry's id and hash, so removing entries from the end is caught as well.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_uid: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    details_json: Mapped[str] = mapped_column(default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The audit log's single head row (id 1): appends lock it, so they form one chain."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))
