"""One held final decision as the lead backreads it: every submitted review of the attempt
side by side with the final decision's levels, the notes on the evidence, whether it is in
the backreading sample and done, and any late review that disagrees with it.

The view is made of the moderation view's parts (``services.moderation``), so the GUI shows
it with the same widgets; confirming and overturning are ``services.release.backread`` and
``services.release.overturn``, exactly as on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.errors import NotFound
from reviewer_app.services import release
from reviewer_app.services.moderation import (
    DisputeDetail,
    attempt_parts,
    attempt_reviews,
    criteria_sides,
)
from reviewer_app.services.policies import policy_for
from reviewer_app.services.roles import require_lead
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

FINAL_LABEL = "Final decision"


@dataclass(frozen=True)
class BackreadDetail:
    held: release.HeldDecision
    #: Every submitted review, then the final decision's own levels when they are the lead's
    #: (moderated or overturned); the first column's reasons say where the decision came from.
    view: DisputeDetail
    #: The final decision alone: the overturn form starts from its levels.
    form: DisputeDetail
    late_discrepancies: tuple[str, ...]
    can_overturn: bool
    why_not: str | None  # why this lead may not overturn it (None: they may)


def backread_detail(ctx: AppContext, submission_key: str, attempt: int) -> BackreadDetail:
    """The held final decision of ``submission_key`` attempt ``attempt``, to backread."""
    require_lead(ctx, "backread final decisions")
    with ctx.sessions() as session:
        held = next((h for h in release._held(session)  # noqa: SLF001 - the sample is release's
                     if h.submission_key == submission_key and h.attempt == attempt), None)
        if held is None:
            raise NotFound(f"No final decision of {submission_key} attempt {attempt} is held "
                           "(it was released, or never made).")
        final = session.scalars(select(m.FinalDecision).where(m.FinalDecision.uid == held.uid)).one()
        row, sides, moderation = attempt_reviews(session, held.attempt_id)
        policy = policy_for(session, held.credential_key)
        final_side = next((s for s in sides if s.uid == final.review.uid), None)
        columns = list(sides)
        if final_side is None and moderation is not None and moderation.uid == final.review.uid:
            final_side = replace(moderation, reviewer_name=f"{FINAL_LABEL} ({moderation.reviewer_name})")
            columns.append(final_side)
        elif final_side is not None:
            at = columns.index(final_side)
            final_side = replace(final_side,
                                 reviewer_name=f"{final_side.reviewer_name} ({FINAL_LABEL.lower()})")
            columns[at] = final_side
        if final_side is None:  # cannot happen: a final decision's review is submitted
            raise NotFound(f"The review behind the final decision of {submission_key} is missing.")
        late = session.execute(
            select(m.Profile.name, m.LateReview.reasons).join(m.Review, m.LateReview.review_id == m.Review.id)
            .join(m.Profile, m.Review.reviewer_id == m.Profile.id)
            .where(m.LateReview.final_decision_id == final.id, m.LateReview.agrees.is_(False))
            .order_by(m.LateReview.arrived_at)).all()
        late_lines = tuple(f"{name}'s late review disagrees: {reason}"
                           for name, reasons in late for reason in reasons.splitlines() if reason)
        lead_id = session.scalar(select(m.Profile.id).where(m.Profile.is_self.is_(True)))
        scored = session.scalar(select(func.count(m.Review.id)).where(
            m.Review.attempt_id == held.attempt_id, m.Review.reviewer_id == lead_id,
            m.Review.kind == "review", m.Review.status == ReviewStatus.SUBMITTED))
        why_not = ("You scored this submission yourself: you may confirm its final decision, but "
                   "another lead assessor must overturn it." if scored else None)
        source = {"single": "one review, no second reading asked",
                  "agreed": "two reviews that agree",
                  "moderated": "a moderation of a dispute",
                  release.OVERTURNED: "an earlier backreading that overturned it",
                  }.get(final.source, final.source)
        reasons = (f"Final decision: {held.decision.replace('_', ' ')}, from {source}.",
                   ("In the backreading sample: " + ("backread." if held.backread_at else
                                                     "read it again, then agree or overturn it."))
                   if held.sampled else "Not in the backreading sample (you may still backread it).",
                   *late_lines)
        parts = attempt_parts(row)
        common = dict(uid=held.uid, state="open", reasons=reasons, opened_at=held.decided_at,
                      resolved_at=held.backread_at, **parts, max_level_gap=policy.max_level_gap,
                      moderation=None, final=None, can_moderate=why_not is None, why_not=why_not)
        view = DisputeDetail(reviews=tuple(columns), criteria=criteria_sides(row.rubric, columns,
                                                                              policy.max_level_gap),
                             **common)
        form = DisputeDetail(reviews=(final_side,), criteria=criteria_sides(row.rubric, [final_side],
                                                                             policy.max_level_gap),
                             **common)
        return BackreadDetail(held, view, form, late_lines, why_not is None, why_not)
