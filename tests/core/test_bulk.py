"""``store.bulk.insert_rows`` stores exactly what the ORM stores, only faster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.store import models as m
from reviewer_app.store.bulk import insert_rows
from reviewer_app.store.context import AppContext


def _raw(ctx: AppContext, uid: str) -> tuple:
    with ctx.engine.connect() as conn:
        row = conn.execute(text("SELECT status, decision, feedback, created_at, updated_at, submitted_at,"
                                " kind FROM review WHERE uid = :u"), {"u": uid}).one()
    return tuple(row)


def test_rows_are_stored_as_the_orm_stores_them(app_ctx: AppContext):
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))  # stored as 07:30 UTC
    whole = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)  # no microseconds: the text still has them
    with app_ctx.transaction() as s:
        profile = m.Profile(name="Ana", role=Role.REVIEWER)
        cred = m.Credential(key="c", version="1", title="C")
        rubric = m.Rubric(key="r", version="1", title="R", content_sha256="0" * 64)
        s.add_all([profile, cred, rubric])
        s.flush()
        sub = m.Submission(key="S-1", credential_key="c", candidate_key="k")
        s.add(sub)
        s.flush()
        for number in (1, 2):
            s.add(m.Attempt(submission_id=sub.id, number=number, credential_id=cred.id,
                            rubric_id=rubric.id, submitted_at=whole, manifest_sha256="0" * 64,
                            manifest_json="{}"))
        s.flush()
        s.add(m.Review(uid="orm", attempt_id=1, reviewer_id=profile.id, status=ReviewStatus.SUBMITTED,
                       decision=Decision.NOT_YET, feedback="x", created_at=when, updated_at=whole,
                       submitted_at=when, kind="review"))
        s.flush()
        insert_rows(s.connection(), m.Review.__table__,
                    ("uid", "attempt_id", "reviewer_id", "status", "decision", "feedback", "created_at",
                     "updated_at", "submitted_at", "notes_issued", "kind"),
                    [("bulk", 2, profile.id, ReviewStatus.SUBMITTED, Decision.NOT_YET, "x", when, whole,
                      when, 0, "review")])
    assert _raw(app_ctx, "bulk") == _raw(app_ctx, "orm")


def test_a_time_without_a_zone_is_refused(app_ctx: AppContext):
    with pytest.raises(ValueError, match="naive"):
        with app_ctx.transaction() as s:
            insert_rows(s.connection(), m.AppSetting.__table__, ("key", "value"), [("k", "v")])
            insert_rows(s.connection(), m.Profile.__table__, ("uid", "name", "role", "is_self", "created_at"),
                        [("u", "n", Role.REVIEWER, False, datetime(2026, 1, 1))])
    with app_ctx.sessions() as s:
        assert s.get(m.AppSetting, "k") is None  # rolled back with the refusal


def test_new_uids_are_unique_version_7_uuids_in_the_order_made():
    import uuid

    from reviewer_app.store.bulk import new_uids

    first, later = new_uids(5000), new_uids(3)
    assert len(set(first + later)) == 5003
    for uid in first + later:
        parsed = uuid.UUID(uid)
        assert (str(parsed), parsed.version, parsed.variant) == (uid, 7, uuid.RFC_4122)
    # Within a call (up to 4,096) and from call to call, ids sort in the order they were made:
    # a unique index on them grows at its end.
    assert first[:4096] == sorted(first[:4096])
    assert max(first[:4096])[:13] <= min(later)[:13]
    assert new_uids(0) == []
