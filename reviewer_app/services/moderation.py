"""Moderation: a lead assessor settles disputes and answers for every final decision.

Every function here is for a lead assessor only (``NotAllowed`` for a reviewer). What it
returns is plain frozen dataclasses, fully loaded (nothing lazy), safe to hand to another
thread: the window shows them as they are.

* ``list_disputes`` / ``get_dispute``: the disputes, and one of them with the reviews side
  by side, criterion by criterion, with comments, feedback, decisions and every note
  (where it points in which evidence item, so the evidence can be opened at that place);
* ``moderate``: the final levels, comments, feedback and a required rationale; the
  decision follows from the rubric (``domain.rules.decide``). It is stored as the lead's
  review (kind "moderation"), becomes the final decision and is queued for the issuer,
  all in one transaction with its audit entries. A lead who scored the submission
  cannot moderate it;
* ``list_final_decisions``: every final decision and where it came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from reviewer_app.domain.model import (
    Annotation,
    Candidate,
    Credential,
    CriterionScore,
    Decision,
    EvidenceItem,
    EvidenceKind,
    Recipient,
    ReviewStatus,
    Role,
    Rubric,
)
from reviewer_app.domain.rules import decide, submission_problems
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services import dispute_ids
from reviewer_app.services.annotations import _to_annotation
from reviewer_app.services.finalize import MODERATED, attempt_subject
from reviewer_app.services.policies import policy_for
from reviewer_app.services.roles import NotAllowed, require_lead
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import audit, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow
from reviewer_app.sync.outbox import enqueue_decision

OPEN, RESOLVED = "open", "resolved"


class ModerationIncomplete(UserError):
    """The moderation was refused; ``problems`` lists why, one plain sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The moderation cannot be recorded yet: " + " ".join(problems),
                         details="\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DisputeRow:
    """One line of the moderation queue."""

    uid: str
    attempt_id: int
    submission_key: str
    attempt: int
    credential_key: str
    credential_title: str
    state: str  # open | resolved
    reasons: tuple[str, ...]
    reviewers: tuple[str, ...]  # names of the reviewers whose reviews dispute
    opened_at: datetime
    resolved_at: datetime | None
    decision: Decision | None  # the final decision once moderated


@dataclass(frozen=True)
class EvidenceNote:
    """A reviewer's note and the evidence item it points into (to open it at that place)."""

    note: Annotation  # evidence_key, kind, start_ms/end_ms or page + region; note.where()
    evidence_kind: EvidenceKind
    evidence_title: str
    evidence_path: str  # inside the evidence store, as EvidenceItem.path
    criterion_title: str | None


@dataclass(frozen=True)
class ReviewSide:
    """One review of the disputed attempt (or the lead's moderation)."""

    uid: str
    reviewer_uid: str
    reviewer_name: str
    reviewer_role: Role
    kind: str  # review | moderation
    decision: Decision | None
    feedback: str
    submitted_at: datetime | None
    scores: tuple[CriterionScore, ...]  # in rubric order
    notes: tuple[EvidenceNote, ...]
    batch_file: str | None  # the score batch it arrived in (None: scored in this database)

    def level(self, criterion_key: str) -> int | None:
        return next((s.level for s in self.scores if s.criterion_key == criterion_key), None)


@dataclass(frozen=True)
class CriterionSide:
    """One criterion across the reviews, in the order of ``DisputeDetail.reviews``."""

    criterion_key: str
    title: str
    required_level: int
    levels: tuple[int | None, ...]
    comments: tuple[str, ...]
    gap: int | None  # highest minus lowest level (None: a level missing)
    disputed: bool  # the gap is over the policy's allowed gap


@dataclass(frozen=True)
class FinalDecisionView:
    uid: str
    attempt_id: int
    submission_key: str
    attempt: int
    credential_key: str
    decision: Decision
    source: str  # single | agreed | moderated
    rationale: str
    decided_by: str  # the lead assessor's name
    decided_at: datetime
    review_uid: str  # the review holding the final levels, comments and feedback
    reviewer_name: str
    outbox_state: str | None  # queued | sending | accepted | rejected (None: not queued)


@dataclass(frozen=True)
class DisputeDetail:
    uid: str
    state: str
    reasons: tuple[str, ...]
    opened_at: datetime
    resolved_at: datetime | None
    attempt_id: int
    submission_key: str
    attempt: int
    credential: Credential
    rubric: Rubric
    candidate: Candidate
    evidence: tuple[EvidenceItem, ...]
    reviews: tuple[ReviewSide, ...]  # the disputed reviews, first submitted first
    criteria: tuple[CriterionSide, ...]
    max_level_gap: int
    moderation: ReviewSide | None  # the lead's moderation, once resolved
    final: FinalDecisionView | None
    can_moderate: bool
    why_not: str | None  # why this lead may not moderate it (None when they may)


def _reasons(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.splitlines() if line.strip())


def _self_row(session: Session) -> m.Profile:
    return session.scalars(select(m.Profile).where(m.Profile.is_self.is_(True))).one()


def list_disputes(ctx: AppContext, *, state: str | None = OPEN, credential_key: str | None = None,
                  limit: int | None = None) -> list[DisputeRow]:
    """Disputes, oldest first (``state`` None: open and resolved)."""
    require_lead(ctx, "see disputes")
    if state not in (OPEN, RESOLVED, None):
        raise UserError(f"A dispute is open or resolved, not {state!r}.")
    D, A = m.Dispute, m.Attempt  # noqa: N806 - table aliases, as in SQL
    stmt = (select(D.uid, D.attempt_id, m.Submission.key, A.number, m.Credential.key, m.Credential.title,
                   D.state, D.reasons, D.opened_at, D.resolved_at, m.FinalDecision.decision)
            .join(A, D.attempt_id == A.id).join(m.Submission, A.submission_id == m.Submission.id)
            .join(m.Credential, A.credential_id == m.Credential.id)
            .outerjoin(m.FinalDecision, D.final_decision_id == m.FinalDecision.id)
            .order_by(D.opened_at, D.id))
    if state is not None:
        stmt = stmt.where(D.state == state)
    if credential_key:
        stmt = stmt.where(m.Credential.key == credential_key)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.sessions() as session:
        rows = session.execute(stmt).all()
        names: dict[int, list[str]] = defaultdict(list)
        ids = [r[1] for r in rows]
        for start in range(0, len(ids), 500):
            for attempt_id, name in session.execute(
                    select(m.Review.attempt_id, m.Profile.name)
                    .join(m.Profile, m.Review.reviewer_id == m.Profile.id)
                    .where(m.Review.attempt_id.in_(ids[start:start + 500]),
                           m.Review.status == ReviewStatus.SUBMITTED, m.Review.kind == "review")
                    .order_by(m.Review.submitted_at, m.Review.id)):
                names[attempt_id].append(name)
    return [DisputeRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _reasons(r[7]), tuple(names[r[1]]),
                       r[8], r[9], r[10]) for r in rows]


def _side(row: m.Review, rubric: m.Rubric, items: dict[int, m.EvidenceItem]) -> ReviewSide:
    scores = {s.criterion_id: s for s in row.scores}
    notes = []
    for a in row.annotations:
        item = items.get(a.evidence_item_id) or a.evidence_item
        notes.append(EvidenceNote(_to_annotation(a), item.kind, item.title, item.path,
                                  a.criterion.title if a.criterion else None))
    return ReviewSide(
        uid=row.uid, reviewer_uid=row.reviewer.uid, reviewer_name=row.reviewer.name,
        reviewer_role=row.reviewer.role, kind=row.kind, decision=row.decision, feedback=row.feedback,
        submitted_at=row.submitted_at,
        scores=tuple(CriterionScore(c.key, scores[c.id].level if c.id in scores else None,
                                    scores[c.id].comment if c.id in scores else "")
                     for c in rubric.criteria),
        notes=tuple(notes), batch_file=None)


def _final_view(session: Session, final: m.FinalDecision) -> FinalDecisionView:
    state = session.scalar(select(m.OutboxEntry.state).where(m.OutboxEntry.review_id == final.review_id))
    attempt = final.attempt
    return FinalDecisionView(final.uid, attempt.id, attempt.submission.key, attempt.number,
                             attempt.submission.credential_key, final.decision, final.source,
                             final.rationale, final.decided_by.name, final.decided_at,
                             final.review.uid, final.review.reviewer.name, state)


def _load_dispute(session: Session, dispute_uid: str) -> m.Dispute:
    dispute = session.scalars(select(m.Dispute).where(m.Dispute.uid == dispute_uid)).first()
    if dispute is None:
        raise NotFound(f"No dispute {dispute_uid} (reviewer-app disputes lists them).")
    return dispute


def find_dispute(ctx: AppContext, ref: str, attempt: int | None = None) -> str:
    """The uid of a dispute named by its id (or a unique start of it, 4 characters or more:
    ``AmbiguousDispute`` lists the candidates when several share it) or by its submission
    id (with ``attempt``, or the latest disputed attempt)."""
    require_lead(ctx, "see disputes")
    ref = ref.strip()
    with ctx.sessions() as session:
        by_key = session.execute(
            select(m.Dispute.uid, m.Attempt.number).join(m.Attempt, m.Dispute.attempt_id == m.Attempt.id)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .where(m.Submission.key == ref).order_by(m.Attempt.number.desc())).all()
        if attempt is not None:
            by_key = [r for r in by_key if r[1] == attempt]
        if by_key:
            return by_key[0][0]
        if attempt is None:
            uid = dispute_ids.by_prefix(session, ref)
            if uid is not None:
                return uid
    raise NotFound(f"No dispute {ref!r}" + (f" on attempt {attempt}" if attempt is not None else "")
                   + " (reviewer-app disputes lists them).")


def _why_not(session: Session, attempt_id: int, lead_id: int) -> str | None:
    scored = session.scalar(select(func.count(m.Review.id)).where(
        m.Review.attempt_id == attempt_id, m.Review.reviewer_id == lead_id,
        m.Review.kind == "review", m.Review.status == ReviewStatus.SUBMITTED))
    if scored:
        return ("You scored this submission yourself; another lead assessor must moderate it.")
    return None


def attempt_reviews(session: Session, attempt_id: int) -> tuple[m.Attempt, list[ReviewSide],
                                                                 ReviewSide | None]:
    """An attempt (rubric, evidence loaded), its submitted independent reviews, first
    submitted first, and the lead's moderation review (None: none)."""
    attempt = session.scalars(
        select(m.Attempt).where(m.Attempt.id == attempt_id)
        .options(selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                 selectinload(m.Attempt.evidence),
                 selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                 .selectinload(m.Criterion.levels))).one()
    rows = session.scalars(
        select(m.Review).where(m.Review.attempt_id == attempt.id,
                               m.Review.status == ReviewStatus.SUBMITTED)
        .order_by(m.Review.submitted_at, m.Review.id)
        .options(selectinload(m.Review.scores), selectinload(m.Review.reviewer),
                 selectinload(m.Review.annotations).options(
                     selectinload(m.Annotation.evidence_item), selectinload(m.Annotation.criterion))
                 )).all()
    batches = dict(session.execute(
        select(m.ScoreBatch.id, m.ScoreBatch.file_name)
        .where(m.ScoreBatch.id.in_([r.batch_id for r in rows if r.batch_id is not None]))).all())
    items = {e.id: e for e in attempt.evidence}
    sides, moderation = [], None
    for row in rows:
        side = _side(row, attempt.rubric, items)
        if row.batch_id is not None:
            side = replace(side, batch_file=batches.get(row.batch_id) or "")
        if row.kind == "moderation":
            moderation = side
        else:
            sides.append(side)
    return attempt, sides, moderation


def criteria_sides(rubric: m.Rubric, sides: Sequence[ReviewSide],
                   max_level_gap: int) -> tuple[CriterionSide, ...]:
    """Each criterion with every side's level and comment, and whether they are too far apart."""
    criteria = []
    for c in rubric.criteria:
        levels = tuple(s.level(c.key) for s in sides)
        comments = tuple(next(x.comment for x in s.scores if x.criterion_key == c.key) for s in sides)
        known = [v for v in levels if v is not None]
        gap = max(known) - min(known) if known and len(known) == len(levels) else None
        criteria.append(CriterionSide(c.key, c.title, c.required_level, levels, comments, gap,
                                      gap is not None and gap > max_level_gap))
    return tuple(criteria)


def attempt_parts(attempt: m.Attempt) -> dict:
    """The fields of a ``DisputeDetail`` that describe the attempt itself."""
    recipient = (Recipient(attempt.recipient_type, attempt.recipient_identity)
                 if attempt.recipient_type and attempt.recipient_identity else None)
    return dict(
        attempt_id=attempt.id, submission_key=attempt.submission.key, attempt=attempt.number,
        credential=Credential(attempt.credential.key, attempt.credential.version, attempt.credential.title),
        rubric=rubric_to_domain(attempt.rubric),
        candidate=Candidate(attempt.submission.candidate_key, attempt.candidate_display_name, recipient),
        evidence=tuple(EvidenceItem(e.key, e.kind, e.title, e.path, e.sha256, e.size,
                                    tuple(e.criteria_keys.split())) for e in attempt.evidence))


def get_dispute(ctx: AppContext, dispute_uid: str) -> DisputeDetail:
    """One dispute with everything the moderation view shows."""
    require_lead(ctx, "moderate disputes")
    with ctx.sessions() as session:
        dispute = _load_dispute(session, dispute_uid)
        attempt, sides, moderation = attempt_reviews(session, dispute.attempt_id)
        rubric = attempt.rubric
        policy = policy_for(session, attempt.submission.credential_key)
        criteria = criteria_sides(rubric, sides, policy.max_level_gap)
        final = None
        if dispute.final_decision_id is not None:
            final = _final_view(session, session.get(m.FinalDecision, dispute.final_decision_id))
        lead = _self_row(session)
        why_not = _why_not(session, attempt.id, lead.id)
        if dispute.state == RESOLVED:
            why_not = "This dispute was already moderated."
        return DisputeDetail(
            uid=dispute.uid, state=dispute.state, reasons=_reasons(dispute.reasons),
            opened_at=dispute.opened_at, resolved_at=dispute.resolved_at, **attempt_parts(attempt),
            reviews=tuple(sides), criteria=tuple(criteria), max_level_gap=policy.max_level_gap,
            moderation=moderation, final=final, can_moderate=why_not is None, why_not=why_not)


def write_lead_review(session: Session, attempt: m.Attempt, lead: m.Profile, row: m.Review | None,
                      decision: Decision, levels: Mapping[str, int], comments: Mapping[str, str],
                      feedback: str, now: datetime) -> m.Review:
    """The lead's own (moderation) review of ``attempt`` with these levels and words, written
    over ``row`` (the lead's earlier review or draft of it) or as a new one; flushed."""
    if row is None:
        row = m.Review(attempt=attempt, reviewer=lead, created_at=now)
        session.add(row)
    row.kind, row.status, row.decision = "moderation", ReviewStatus.SUBMITTED, decision
    row.feedback, row.submitted_at, row.updated_at = feedback, now, now
    by_id = {s.criterion_id: s for s in row.scores}
    for c in attempt.rubric.criteria:
        score = by_id.get(c.id)
        if score is None:
            score = m.ReviewScore(criterion=c)
            row.scores.append(score)
        score.level, score.comment, score.updated_at = levels[c.key], comments.get(c.key, ""), now
    session.flush()
    return row

def moderate(ctx: AppContext, dispute_uid: str, levels: Mapping[str, int],
             comments: Mapping[str, str] | None = None, feedback: str = "",
             rationale: str = "") -> FinalDecisionView:
    """Record the final levels and decision of a dispute, with the lead's rationale.

    Refused (``UserError``) without a rationale, with a criterion unscored or given a
    level its rubric lacks, or without feedback when the decision is "not yet";
    ``NotAllowed`` for a reviewer, or for a lead who scored the submission.
    """
    me = require_lead(ctx, "moderate disputes")
    rationale = rationale.strip()
    if not rationale:
        raise UserError("A moderation needs a rationale: say why these are the final levels.")
    comments = dict(comments or {})
    with ctx.transaction() as session:
        dispute = _load_dispute(session, dispute_uid)
        if dispute.state == RESOLVED:
            raise UserError("This dispute was already moderated; its final decision stands.")
        attempt = session.scalars(
            select(m.Attempt).where(m.Attempt.id == dispute.attempt_id)
            .options(selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                     selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                     .selectinload(m.Criterion.levels))).one()
        lead = session.scalars(select(m.Profile).where(m.Profile.uid == me.uid)).one()
        why_not = _why_not(session, attempt.id, lead.id)
        if why_not:
            raise NotAllowed(why_not)
        rubric = rubric_to_domain(attempt.rubric)
        unknown = sorted(set(levels) - {c.key for c in rubric.criteria}) + \
            sorted(set(comments) - {c.key for c in rubric.criteria})
        if unknown:
            raise UserError(f"The rubric has no criterion {unknown[0]!r}.")
        problems = submission_problems(rubric, dict(levels), feedback)
        if problems:
            raise ModerationIncomplete(problems)
        decision = decide(rubric, dict(levels))
        assert decision is not None  # every criterion has a valid level
        now = utcnow()
        # (a draft the lead opened while looking at the evidence is reused)
        draft = session.scalars(select(m.Review).where(m.Review.attempt_id == attempt.id,
                                                       m.Review.reviewer_id == lead.id)).first()
        row = write_lead_review(session, attempt, lead, draft, decision, levels, comments, feedback, now)
        held = policy_for(session, attempt.submission.credential_key).hold_for_release
        final = m.FinalDecision(attempt_id=attempt.id, review_id=row.id, decision=decision,
                                source=MODERATED, rationale=rationale, decided_by_id=lead.id,
                                decided_at=now, released_at=None if held else now)
        session.add(final)
        session.flush()
        dispute.state, dispute.resolved_at, dispute.final_decision_id = RESOLVED, now, final.id
        if not held:  # held: queued for the issuer when the lead releases it
            enqueue_decision(session, row)
        session.flush()
        queue_state.refresh(session, [attempt.id])
        subject = attempt_subject(attempt.submission.key, attempt.number)
        audit.append(session, audit.MODERATE, subject, {
            "dispute": dispute.uid, "review": row.uid, "decision": decision.value,
            "levels": dict(levels), "rationale": rationale}, actor_uid=me.uid, at=now)
        audit.append(session, audit.FINAL, subject, {
            "decision": decision.value, "source": MODERATED, "review": row.uid,
            "reviewer": me.uid, "held": held}, actor_uid=me.uid, at=now)
        session.refresh(final)
        view = _final_view(session, final)
    dispute_ids.notify()  # committed: windows showing disputes refresh
    return view


def list_final_decisions(ctx: AppContext, *, credential_key: str | None = None,
                         source: str | None = None, limit: int | None = None,
                         offset: int = 0) -> list[FinalDecisionView]:
    """Final decisions, newest first, each with where it came from and its delivery state."""
    require_lead(ctx, "see final decisions")
    F, A, R = m.FinalDecision, m.Attempt, m.Review  # noqa: N806 - table aliases, as in SQL
    lead = m.Profile.__table__.alias("lead")
    reviewer = m.Profile.__table__.alias("reviewer")
    stmt = (select(F.uid, F.attempt_id, m.Submission.key, A.number, m.Submission.credential_key,
                   F.decision, F.source, F.rationale, lead.c.name, F.decided_at, R.uid,
                   reviewer.c.name, m.OutboxEntry.state)
            .join(A, F.attempt_id == A.id).join(m.Submission, A.submission_id == m.Submission.id)
            .join(R, F.review_id == R.id).join(reviewer, R.reviewer_id == reviewer.c.id)
            .join(lead, F.decided_by_id == lead.c.id)
            .outerjoin(m.OutboxEntry, m.OutboxEntry.review_id == F.review_id)
            .order_by(F.decided_at.desc(), F.id.desc()).offset(offset))
    if credential_key:
        stmt = stmt.where(m.Submission.credential_key == credential_key)
    if source:
        stmt = stmt.where(F.source == source)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.sessions() as session:
        return [FinalDecisionView(*r) for r in session.execute(stmt)]
