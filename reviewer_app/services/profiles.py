"""Who is using this database: the local profile (reviewer or lead assessor)."""

from __future__ import annotations

import getpass

from sqlalchemy import select

from reviewer_app.domain.model import Profile, Role
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


def to_profile(row: m.Profile) -> Profile:
    return Profile(uid=row.uid, name=row.name, role=row.role)


def current_profile(ctx: AppContext) -> Profile:
    """The profile of the person using this database, made on first use (a reviewer)."""
    with ctx.transaction() as session:
        row = session.scalars(select(m.Profile).where(m.Profile.is_self.is_(True))).first()
        if row is None:
            row = m.Profile(name=_default_name(), role=Role.REVIEWER, is_self=True)
            session.add(row)
            session.flush()
        return to_profile(row)


def _default_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this system
        return "Reviewer"
