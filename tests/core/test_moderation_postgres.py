"""The lead assessor's flow on a real PostgreSQL server (``.ci/run`` starts one)."""

from __future__ import annotations

from sqlalchemy import text

from reviewer_app.services import moderation, policies
from reviewer_app.services.imports import import_package
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, FA_NOT_YET, add_profile, arrive, attempt_id, make_lead, score, score_as
from postgres_support import needs_postgres

pytestmark = needs_postgres

FINAL = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3, "adjusting-instruction": 2}


def _outbox(ctx: AppContext) -> list[dict]:
    with ctx.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM sync_outbox ORDER BY id"))]


def test_the_lead_flow_on_postgresql(pg_paths, demo_packages):
    """Double scoring, a dispute, moderation, the outbox and the audit chain on PostgreSQL."""
    with AppContext.open(pg_paths) as ctx:
        for package in demo_packages:
            import_package(ctx, package)
        make_lead(ctx, "Lena Lead")
        policies.set_policy(ctx, "fa-math", second_review_percent=100)
        ana, ben = add_profile(ctx, "Ana Silva"), add_profile(ctx, "Ben Okoye")
        score_as(ctx, ana, "DEMO-1002", 2, FA_EARNED)
        assert arrive(ctx, [attempt_id(ctx, "DEMO-1002", 2)]).waiting
        score_as(ctx, ben, "DEMO-1002", 2, FA_NOT_YET)
        assert arrive(ctx, [attempt_id(ctx, "DEMO-1002", 2)]).disputed
        [row] = moderation.list_disputes(ctx)
        assert moderation.find_dispute(ctx, row.uid[:8]) == row.uid
        final = moderation.moderate(ctx, row.uid, FINAL, feedback="Well done.", rationale="Video 00:02.")
        assert final.outbox_state == "queued" and _outbox(ctx)[0]["decision"] == "earned"
        score(ctx, "DEMO-2001", 1, {"group-structures": 3, "discourse-moves": 3,
                                    "equitable-participation": 3})  # the lead's own: single
        assert {f.source for f in moderation.list_final_decisions(ctx)} == {"moderated", "single"}
        result = audit.verify(ctx)
        assert result.ok and result.rows_checked >= 6, result.lines()
        # A moderated decision flipped and a policy loosened in SQL are both named.
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE final_decision SET decision = 'not_yet' WHERE source = 'moderated'"))
            conn.execute(text("UPDATE credential_policy SET second_review_percent = 0"))
        problems = {p.what.split(" (")[0]: p.changes for p in audit.verify(ctx).rows}
        assert problems == {"Final decision on DEMO-1002 attempt 2": ("the decision is not yet, was earned",),
                            "Policy of fa-math": ("the second review percent is 0, was 100",)}
