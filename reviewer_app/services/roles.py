"""Who may do what: the checks every service makes before acting for a lead assessor.

The window hides what a reviewer may not use, but the refusal lives here, so the CLI,
the window and any future caller get the same answer.
"""

from __future__ import annotations

from sqlalchemy import select

from reviewer_app.domain.model import Profile, Role
from reviewer_app.errors import UserError
from reviewer_app.services import lead_database
from reviewer_app.services.profiles import current_profile, to_profile
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


class NotAllowed(UserError):
    """The current profile's role does not allow this."""


ROLE_NAMES = {Role.REVIEWER: "reviewer", Role.LEAD_ASSESSOR: "lead assessor"}


def require_lead(ctx: AppContext, action: str) -> Profile:
    """The current profile, if it is a lead assessor; otherwise ``NotAllowed``.

    ``action`` completes "Only a lead assessor may ...", e.g. "moderate disputes".
    """
    me = current_profile(ctx)
    if me.role is not Role.LEAD_ASSESSOR:
        raise NotAllowed(f"Only a lead assessor may {action}; this profile ({me.name}) is a reviewer.")
    lead_database.require_lead_key(ctx, me.uid)
    return me


def is_lead(ctx: AppContext) -> bool:
    return current_profile(ctx).role is Role.LEAD_ASSESSOR


def update_self(ctx: AppContext, *, name: str | None = None, role: Role | None = None) -> Profile:
    """Rename the local profile or change its role.

    Made a lead, a new database becomes the lead's, bound to this profile's key (read from
    the keyring first, made on first use); a reviewer's database stays one
    (``services.lead_database``)."""
    current_profile(ctx)  # made on first use
    public_key = None
    if role is Role.LEAD_ASSESSOR and lead_database.could_become_lead(ctx):
        from reviewer_app.services.identity import identity

        public_key = identity(ctx).public_key
    with ctx.transaction() as session:
        row = session.scalars(select(m.Profile).where(m.Profile.is_self.is_(True))).one()
        if name is not None:
            name = name.strip()
            if not name:
                raise UserError("A profile needs a name.")
            row.name = name
        if role is not None and role is not row.role:
            audit.append(session, audit.ROLE, f"profile {row.uid}",
                         {"from": row.role.value, "to": role.value}, actor_uid=row.uid)
            row.role = role
        if role is Role.LEAD_ASSESSOR:
            lead_database.make_lead_database(session, public_key)
        session.flush()
        if row.role is Role.LEAD_ASSESSOR:  # a lead database draws with a seed of its own
            from reviewer_app.services.draw_seed import ensure_seed

            ensure_seed(session, row.uid)
        return to_profile(row)
