"""Reviews by several reviewers, made through the real services (for the statistics tests).

One database belongs to one person (``Profile.is_self``); to record a second reviewer's
review the way the app does, ``act_as`` hands the "self" mark to that reviewer's profile,
and the reviews are then started, scored and submitted with ``services.reviews``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update

from reviewer_app.domain.model import Role
from reviewer_app.services import reviews
from reviewer_app.services.profiles import current_profile
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


def act_as(ctx: AppContext, name: str, role: Role = Role.REVIEWER) -> int:
    """Make ``name``'s profile (created if new) the one using the database; its id."""
    current_profile(ctx)  # the first profile exists
    with ctx.transaction() as s:
        row = s.scalars(select(m.Profile).where(m.Profile.name == name)).first()
        if row is None:
            row = m.Profile(name=name, role=role)
            s.add(row)
            s.flush()
        s.execute(update(m.Profile).values(is_self=False))
        row.is_self, row.role = True, role
        return row.id


def submit(ctx: AppContext, attempt_id: int, levels: Mapping[str, int],
           feedback: str = "Next time, show how you act on what the checks tell you.") -> str:
    """The current profile scores every criterion of an attempt and submits; the review uid."""
    review = reviews.start_review(ctx, attempt_id)
    for key, level in levels.items():
        reviews.set_level(ctx, review.uid, key, level)
    reviews.set_feedback(ctx, review.uid, feedback)
    return reviews.submit_review(ctx, review.uid).uid


def attempt_ids(ctx: AppContext) -> dict[tuple[str, int], int]:
    """(submission key, attempt number) -> attempt id."""
    with ctx.sessions() as s:
        return {(key, number): aid for aid, key, number in s.execute(
            select(m.Attempt.id, m.Submission.key, m.Attempt.number).join(m.Submission))}


FA = ("learning-goals", "checks-for-understanding", "feedback", "adjusting-instruction")
CL = ("group-structures", "discourse-moves", "equitable-participation")


def two_reviewers_over_demo(ctx: AppContext) -> dict[str, dict[tuple[str, int], dict[str, int]]]:
    """On the demo data: a second reviewer (Blake) and the demo's own reviewer both review
    every demo attempt (the demo's draft is finished); then the profile is made lead.

    Returns each reviewer's levels: name -> (submission, attempt) -> criterion -> level.
    """
    ids = attempt_ids(ctx)
    me = current_profile(ctx).name
    plan = {
        me: {("DEMO-1001", 1): dict(zip(FA, (4, 3, 3, 2))),
             ("DEMO-1002", 2): dict(zip(FA, (3, 3, 4, 3))),
             ("DEMO-2001", 1): dict(zip(CL, (2, 2, 3)))},
        "Blake Okafor": {("DEMO-1001", 1): dict(zip(FA, (4, 2, 3, 3))),
                         ("DEMO-1002", 1): dict(zip(FA, (3, 2, 2, 2))),
                         ("DEMO-1002", 2): dict(zip(FA, (3, 3, 3, 3))),
                         ("DEMO-2001", 1): dict(zip(CL, (3, 2, 1)))},
    }
    act_as(ctx, me)
    for attempt, levels in plan[me].items():
        submit(ctx, ids[attempt], levels)
    # The demo already holds my submitted review of DEMO-1002 attempt 1: 3, 2, 3, 2.
    plan[me][("DEMO-1002", 1)] = dict(zip(FA, (3, 2, 3, 2)))
    act_as(ctx, "Blake Okafor")
    for attempt, levels in plan["Blake Okafor"].items():
        submit(ctx, ids[attempt], levels)
    act_as(ctx, me, Role.LEAD_ASSESSOR)
    return plan
