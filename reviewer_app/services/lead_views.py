"""Small read-only look-ups the lead assessor's screens need beside the main services.

Nothing here changes the database or decides anything: who an audit entry's actor uid
names, and how many of the local profile's submitted reviews are already in a batch (so
the window can say plainly why there is nothing new to export).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.services.batches import EXPORTED_SETTING
from reviewer_app.services.profiles import current_profile
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext


def profile_names(ctx: AppContext) -> dict[str, str]:
    """Every profile this database knows (its own and reviewers' from batches): uid -> name."""
    with ctx.sessions() as session:
        return dict(session.execute(select(m.Profile.uid, m.Profile.name)).all())


@dataclass(frozen=True)
class ExportStatus:
    submitted: int  # the local profile's submitted reviews
    exported: int  # of them, those already in an earlier batch

    @property
    def new(self) -> int:
        return self.submitted - self.exported


def batch_export_status(ctx: AppContext) -> ExportStatus:
    """How many of the local profile's submitted reviews are in earlier batches."""
    me = current_profile(ctx)
    with ctx.sessions() as session:
        uids = set(session.scalars(
            select(m.Review.uid).join(m.Profile, m.Review.reviewer_id == m.Profile.id)
            .where(m.Profile.uid == me.uid, m.Review.kind == "review",
                   m.Review.status == ReviewStatus.SUBMITTED)))
        row = session.get(m.AppSetting, EXPORTED_SETTING)
        done = set(row.value.split()) if row else set()
    return ExportStatus(len(uids), len(uids & done))
