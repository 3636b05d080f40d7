"""Holding, backreading and releasing final decisions (a lead assessor's database).

A final decision is held (``final_decision.released_at`` empty) unless its credential's
policy releases decisions when made. Before held decisions can go, the lead backreads a
sample of them: per credential, at least the policy's share (5% by default, NAEP's floor),
picked reproducibly (SHA-256 of the policy's seed, the submission and the attempt; the
decisions already backread count first). Backreading confirms a decision (``backread``) or
overturns it with new levels and a rationale (``overturn``, audited with the decision
before and after). ``release`` releases every held decision not waiting for its
backreading, in bulk, and only then queues each for the issuer (the outbox).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.domain.rules import decide, submission_problems
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services import dispute_ids
from reviewer_app.services.finalize import attempt_subject
from reviewer_app.services.moderation import write_lead_review
from reviewer_app.services.policies import Policy, policy_for
from reviewer_app.services.roles import NotAllowed, require_lead
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import audit, queue_state
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow
from reviewer_app.sync.outbox import enqueue_decision

OVERTURNED = "overturned"


@dataclass(frozen=True)
class HeldDecision:
    """A final decision held for release, and whether it is in the backreading sample."""

    uid: str
    attempt_id: int
    submission_key: str
    attempt: int
    credential_key: str
    decision: str
    source: str
    decided_at: datetime
    backread_at: datetime | None
    sampled: bool  # in the backreading sample

    @property
    def waits_for_backreading(self) -> bool:
        return self.sampled and self.backread_at is None


def _rank(seed: str, submission_key: str, attempt: int) -> bytes:
    return hashlib.sha256(f"{seed}\0backread\0{submission_key}\0{attempt}".encode()).digest()


def _held(session, credential_key: str | None = None) -> list[HeldDecision]:  # noqa: ANN001
    F, A, S = m.FinalDecision, m.Attempt, m.Submission  # noqa: N806 - table aliases, as in SQL
    stmt = (select(F.uid, F.attempt_id, S.key, A.number, S.credential_key, F.decision, F.source,
                   F.decided_at, F.backread_at)
            .join(A, F.attempt_id == A.id).join(S, A.submission_id == S.id)
            .where(F.released_at.is_(None)))
    if credential_key:
        stmt = stmt.where(S.credential_key == credential_key)
    by_credential: dict[str, list[tuple]] = defaultdict(list)
    for row in session.execute(stmt):
        by_credential[row[4]].append(tuple(row))
    out = []
    for key, rows in by_credential.items():
        policy: Policy = policy_for(session, key)
        wanted = math.ceil(policy.backread_percent * len(rows) / 100)
        order = sorted(rows, key=lambda r: (r[8] is None, _rank(policy.seed, r[2], r[3])))
        sampled = {r[0] for r in order[:wanted]}
        out += [HeldDecision(r[0], r[1], r[2], r[3], r[4], r[5].value, r[6], r[7], r[8], r[0] in sampled)
                for r in rows]
    return sorted(out, key=lambda h: (not h.waits_for_backreading, h.submission_key, h.attempt))


def held_decisions(ctx: AppContext, credential_key: str | None = None) -> list[HeldDecision]:
    """The final decisions held for release; those waiting for backreading first."""
    require_lead(ctx, "see held final decisions")
    with ctx.sessions() as session:
        return _held(session, credential_key)


def _final(session, submission_key: str, attempt: int | None) -> m.FinalDecision:  # noqa: ANN001
    stmt = (select(m.FinalDecision).join(m.Attempt, m.FinalDecision.attempt_id == m.Attempt.id)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .where(m.Submission.key == submission_key).order_by(m.Attempt.number.desc()))
    if attempt is not None:
        stmt = stmt.where(m.Attempt.number == attempt)
    final = session.scalars(stmt.limit(1)).first()
    if final is None:
        raise NotFound(f"No final decision for {submission_key!r}"
                       + (f" attempt {attempt}" if attempt is not None else "") + ".")
    return final


def _still_held(final: m.FinalDecision) -> None:
    if final.released_at is not None:
        raise UserError("This final decision was already released to the issuer; it can no longer "
                        "be backread or overturned here.")


def backread(ctx: AppContext, submission_key: str, attempt: int | None = None, note: str = "") -> None:
    """Confirm a held final decision after reading it again."""
    me = require_lead(ctx, "backread final decisions")
    with ctx.transaction() as session:
        final = _final(session, submission_key, attempt)
        _still_held(final)
        final.backread_at = utcnow()
        audit.append(session, audit.BACKREAD, attempt_subject(submission_key, final.attempt.number),
                     {"decision": final.decision.value, "confirmed": True, "note": note},
                     actor_uid=me.uid)
    dispute_ids.notify()  # committed: windows showing held decisions refresh


def overturn(ctx: AppContext, submission_key: str, levels: Mapping[str, int], rationale: str, *,
             attempt: int | None = None, feedback: str = "",
             comments: Mapping[str, str] | None = None) -> str:
    """Replace a held final decision's levels with the lead's, with a rationale (audited: the
    decision before and after); returns the decision now final."""
    me = require_lead(ctx, "overturn final decisions")
    rationale = rationale.strip()
    if not rationale:
        raise UserError("Overturning a final decision needs a rationale: say why.")
    comments = dict(comments or {})
    with ctx.transaction() as session:
        final = _final(session, submission_key, attempt)
        _still_held(final)
        att = session.scalars(select(m.Attempt).where(m.Attempt.id == final.attempt_id).options(
            selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
            .selectinload(m.Criterion.levels))).one()
        lead = session.scalars(select(m.Profile).where(m.Profile.uid == me.uid)).one()
        mine = session.scalars(select(m.Review).where(m.Review.attempt_id == att.id,
                                                      m.Review.reviewer_id == lead.id)).first()
        if mine is not None and mine.kind == "review" and mine.status == ReviewStatus.SUBMITTED:
            raise NotAllowed("You scored this submission yourself; another lead assessor must "
                             "backread it.")
        rubric = rubric_to_domain(att.rubric)
        unknown = sorted(set(levels) - {c.key for c in rubric.criteria})
        if unknown:
            raise UserError(f"The rubric has no criterion {unknown[0]!r}.")
        problems = submission_problems(rubric, dict(levels), feedback)
        if problems:
            raise UserError(" ".join(problems))
        decision = decide(rubric, dict(levels))
        assert decision is not None
        now = utcnow()
        before = {"decision": final.decision.value, "source": final.source,
                  "review": final.review.uid,
                  "levels": {s.criterion.key: s.level for s in final.review.scores}}
        row = write_lead_review(session, att, lead, mine, decision, levels, comments, feedback, now)
        final.review_id, final.decision, final.source = row.id, decision, OVERTURNED
        final.rationale, final.decided_by_id, final.decided_at, final.backread_at = \
            rationale, lead.id, now, now
        session.flush()
        queue_state.refresh(session, [att.id])
        audit.append(session, audit.OVERTURN, attempt_subject(submission_key, att.number), {
            "before": before, "after": {"decision": decision.value, "review": row.uid,
                                        "levels": dict(levels)},
            "rationale": rationale}, actor_uid=me.uid, at=now)
    dispute_ids.notify()
    return decision.value


@dataclass(frozen=True)
class Released:
    released: int
    waiting_for_backreading: int

    def describe(self) -> str:
        text = (f"Released {self.released} final decision{'s' if self.released != 1 else ''} "
                "to the issuer.")
        if self.waiting_for_backreading:
            text += (f" {self.waiting_for_backreading} still wait for backreading "
                     "(reviewer-app backread lists them).")
        return text


def release(ctx: AppContext, credential_key: str | None = None) -> Released:
    """Release every held final decision not waiting for its backreading, and queue each for
    the issuer."""
    me = require_lead(ctx, "release final decisions")
    with ctx.transaction() as session:
        held = _held(session, credential_key)
        ready = [h for h in held if not h.waits_for_backreading]
        now = utcnow()
        for start in range(0, len(ready), 500):
            chunk = {h.uid for h in ready[start:start + 500]}
            finals = session.scalars(select(m.FinalDecision).where(m.FinalDecision.uid.in_(chunk)).options(
                selectinload(m.FinalDecision.review).options(
                    selectinload(m.Review.scores), selectinload(m.Review.reviewer),
                    selectinload(m.Review.attempt).options(
                        selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                        selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                        .selectinload(m.Criterion.levels))))).all()
            for final in finals:
                final.released_at = now
                enqueue_decision(session, final.review)
        if ready:
            audit.append(session, audit.RELEASE, f"credential {credential_key}" if credential_key
                         else "all credentials",
                         {"count": len(ready), "decisions": [
                             {"attempt": attempt_subject(h.submission_key, h.attempt),
                              "decision": h.decision} for h in ready]}, actor_uid=me.uid, at=now)
        out = Released(len(ready), sum(1 for h in held if h.waits_for_backreading))
    if out.released:
        dispute_ids.notify()
    return out


def version(ctx: AppContext) -> tuple:
    """A value that changes whenever a final decision is made, backread, overturned or
    released, or a late review or a dispute arrives (one short read)."""
    F = m.FinalDecision  # noqa: N806 - table aliases, as in SQL
    with ctx.sessions() as session:
        row = session.execute(select(func.count(F.id), func.count(F.released_at), func.count(F.backread_at),
                                     func.max(F.decided_at), func.max(F.backread_at))).one()
        late = session.scalar(select(func.count(m.LateReview.id)))
        waiting = session.scalar(select(func.count(m.Attempt.id)).where(m.Attempt.second_review.is_not(None)))
    return (*(str(v) if v is not None else None for v in row), late, waiting, dispute_ids.version(ctx))
