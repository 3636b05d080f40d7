"""Changing the local profile's role is written to the audit log; renaming is not a role change."""

from __future__ import annotations

import json

from reviewer_app.domain.model import Role
from reviewer_app.services.roles import update_self
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext


def test_a_role_change_is_audited_and_the_chain_stays_intact(app_ctx: AppContext):
    update_self(app_ctx, name="Lena")
    assert [e for e in audit.recent(app_ctx) if e.action == audit.ROLE] == []
    me = update_self(app_ctx, role=Role.LEAD_ASSESSOR)
    update_self(app_ctx, role=Role.LEAD_ASSESSOR)  # no change, no entry
    [entry] = [e for e in audit.recent(app_ctx) if e.action == audit.ROLE]
    assert entry.actor_uid == me.uid
    assert json.loads(entry.details_json) == {"from": "reviewer", "to": "lead_assessor"}
    assert audit.verify(app_ctx).ok
