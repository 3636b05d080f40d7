"""The audit covers the data: every level, decision and policy the app wrote is checked against
the state its audit entry recorded, and edits made outside the app are each named.

Tampering is done the way someone with the database file would: with ``sqlite3``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from reviewer_app.services import policies
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, make_lead, score


@pytest.fixture
def lead(demo_ctx: AppContext) -> Iterator[AppContext]:
    """A lead's database with a policy, a submitted review and its final decision (earned)."""
    make_lead(demo_ctx)
    policies.set_policy(demo_ctx, "fa-math", max_level_gap=1)
    score(demo_ctx, "DEMO-1002", 2, FA_EARNED, comments={"feedback": "Specific."})  # final at once
    yield demo_ctx


def _sql(ctx: AppContext, *statements: str) -> None:
    con = sqlite3.connect(ctx.paths.sqlite_path)
    try:
        con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        con.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for sql in statements:
            con.execute(sql)
        con.commit()
    finally:
        con.close()


def _final(ctx: AppContext) -> m.FinalDecision:
    with ctx.sessions() as s:
        final = s.scalars(select(m.FinalDecision)).one()
        assert final.decision.value == "earned" and final.source == "single"
        return final


def test_what_the_app_wrote_matches_the_log(lead: AppContext):
    result = audit.verify(lead)
    assert result.ok, result.lines()
    # the demo's two reviews, the new one, the final decision and the two credentials' policies
    assert result.rows_checked == 6
    assert "The data matches the audit log: 6 audited rows" in result.lines()[1]


def test_levels_decisions_and_policies_edited_in_sql_are_each_named(lead: AppContext):
    final = _final(lead)
    _sql(lead,
         "UPDATE review_score SET level = 1 WHERE criterion_id = (SELECT id FROM criterion WHERE "
         "key = 'learning-goals' AND rubric_id = "
         f"(SELECT rubric_id FROM review WHERE id = {final.review_id})) AND review_id = {final.review_id}",
         f"UPDATE review_score SET comment = 'Forged.' WHERE review_id = {final.review_id} "
         "AND comment = 'Specific.'",
         f"UPDATE final_decision SET decision = 'not_yet' WHERE id = {final.id}",
         "UPDATE credential_policy SET max_level_gap = 3 WHERE credential_key = 'fa-math'")
    result = audit.verify(lead)
    assert not result.ok and result.problem is None  # the chain itself is intact
    by_what = {p.what.split(" (")[0]: p for p in result.rows}
    assert set(by_what) == {"Review of DEMO-1002 attempt 2 by Lena Lead",
                            "Final decision on DEMO-1002 attempt 2", "Policy of fa-math"}
    review = by_what["Review of DEMO-1002 attempt 2 by Lena Lead"]
    assert review.changes == ("the comment on 'feedback' was changed",
                              "the level for 'learning-goals' is 1, was 3")
    final_row = by_what["Final decision on DEMO-1002 attempt 2"]
    assert final_row.changes == ("the decision is not yet, was earned",)
    assert by_what["Policy of fa-math"].changes == ("the max level gap is 3, was 1",)
    for problem in result.rows:  # when each row was last audited, from its entry
        assert problem.last_entry is not None
        assert f"last audited in entry {problem.last_entry}, " in problem.message
    assert "3 of 6 audited rows differ from the audit log:" in result.lines()


def test_rows_inserted_or_deleted_in_sql_are_named(lead: AppContext):
    final = _final(lead)
    _sql(lead,
         f"DELETE FROM review_score WHERE review_id = {final.review_id} AND level = 2",
         "INSERT INTO credential_policy (credential_key, second_review_percent, first_reviews, "
         "max_level_gap, calibration_threshold, seed, updated_at) "
         "VALUES ('ghost-credential', 0, 0, 5, 0.5, 'x', '2026-01-01')",
         "DELETE FROM sync_outbox",
         f"DELETE FROM final_decision WHERE id = {final.id}")
    problems = {p.what.split(" (")[0]: p.changes for p in audit.verify(lead).rows}
    assert problems == {
        "Review of DEMO-1002 attempt 2 by Lena Lead": ("the score for 'adjusting-instruction' was removed",),
        "Policy of ghost-credential": ("no audit entry records it: it was written outside the app",),
        f"Final decision {final.uid[:8]} on DEMO-1002 attempt 2": ("it was removed outside the app",)}


def test_the_last_entries_removed_and_the_head_rewound_leave_their_rows_unaccounted(lead: AppContext):
    with lead.sessions() as s:
        last = s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id.desc())).first()
        before = s.get(m.AuditEntry, last.id - 1)
    assert last.action == audit.FINAL
    _sql(lead, f"DELETE FROM audit_log WHERE id = {last.id}",
         f"UPDATE audit_head SET last_id = {before.id}, last_hash = '{before.hash}'")
    result = audit.verify(lead)
    assert result.problem is None  # the chain alone cannot tell: it was cut cleanly
    [problem] = result.rows
    assert problem.what.startswith("Final decision on DEMO-1002 attempt 2")
    assert problem.changes == ("no audit entry records it: it was written outside the app",)


def test_a_database_from_before_is_baselined_once_then_checked(lead: AppContext):
    # As a database made by an earlier version: a log whose entries carry no rows.
    lead.close()
    _sql(lead, "DELETE FROM audit_log", "DELETE FROM audit_head",
         f"DELETE FROM app_setting WHERE key = '{audit.ROWS_SETTING}'")
    reopened = AppContext.open(lead.paths)
    try:
        [entry] = audit.recent(reopened)
        assert entry.action == audit.BASELINE and entry.subject == "6 rows written before this version"
        assert audit.verify(reopened).ok
        reopened.close()
        reopened = AppContext.open(lead.paths)  # once only
        assert len(audit.recent(reopened)) == 1
        _sql(reopened, "UPDATE credential_policy SET max_level_gap = 4 WHERE credential_key = 'fa-math'")
        [problem] = audit.verify(reopened).rows
        assert problem.changes == ("the max level gap is 4, was 1",) and problem.last_entry == 1
    finally:
        reopened.close()
