"""The audit log: a hash chain that real actions extend and that names what was tampered with.

Tampering is done the way someone with the database file would: with ``sqlite3``, after
dropping the triggers that make the log append-only inside the app.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from reviewer_app.domain.model import Role
from reviewer_app.services import reviews
from reviewer_app.services.batches import export_batch
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox
from reviewer_app.sync.outbox import Outcome

from lead_support import as_lead_database


def _act(ctx: AppContext, out: Path) -> None:
    """Real work through the services: score, comment, submit, export a batch."""
    review = reviews.start_review(ctx, get_submission(ctx, "DEMO-1002", 2).attempt_id)
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 3), ("feedback", 3),
                       ("adjusting-instruction", 2)]:
        reviews.set_level(ctx, review.uid, key, level)
    reviews.set_comment(ctx, review.uid, "feedback", "Specific comments on the worksheet.")
    reviews.submit_review(ctx, review.uid)
    export_batch(ctx, out)


@pytest.fixture
def acted(demo_ctx: AppContext, tmp_path: Path) -> Iterator[AppContext]:
    _act(demo_ctx, tmp_path / "batches")
    yield demo_ctx


def _tamper(ctx: AppContext, *statements: str) -> None:
    con = sqlite3.connect(ctx.paths.sqlite_path)
    try:
        con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        con.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for sql in statements:
            con.execute(sql)
        con.commit()
    finally:
        con.close()


def _count(ctx: AppContext) -> int:
    with ctx.sessions() as s:
        return len(s.scalars(select(m.AuditEntry.id)).all())


def test_real_actions_extend_an_intact_chain(acted: AppContext):
    result = audit.verify(acted)
    assert result.ok and result.entries == _count(acted)
    actions = [e.action for e in audit.recent(acted)]
    for action in (audit.SCORE, audit.COMMENT, audit.SUBMIT, audit.BATCH_EXPORT):
        assert action in actions
    assert actions[0] == audit.BATCH_EXPORT  # the newest first


def test_an_altered_entry_is_named(acted: AppContext):
    target = _count(acted) // 2
    _tamper(acted, f"UPDATE audit_log SET details_json = '{{\"level\":[null,4]}}' WHERE id = {target}")
    result = audit.verify(acted)
    assert not result.ok and result.problem.entry_id == target
    assert f"Audit entry {target} " in result.problem.message and "altered" in result.problem.message


def test_a_removed_entry_is_named(acted: AppContext):
    target = 3
    _tamper(acted, f"DELETE FROM audit_log WHERE id = {target}")
    result = audit.verify(acted)
    assert not result.ok and result.problem.entry_id == target
    assert f"Audit entry {target} was removed" in result.problem.message


def test_removing_the_last_entries_is_caught_by_the_head(acted: AppContext):
    last = _count(acted)
    _tamper(acted, f"DELETE FROM audit_log WHERE id >= {last - 1}")
    result = audit.verify(acted)
    assert not result.ok and result.problem.entry_id == last - 1
    assert f"entries {last - 1} to {last} were removed from the end" in result.problem.message


def test_the_app_cannot_update_or_delete_entries(acted: AppContext):
    before = audit.recent(acted, limit=1000)
    for sql in ("UPDATE audit_log SET subject = 'nothing happened' WHERE id = 1",
                "DELETE FROM audit_log WHERE id = 1"):
        with pytest.raises(DBAPIError, match="the audit log can only be appended to"):
            with acted.engine.begin() as conn:
                conn.execute(text(sql))
    assert audit.recent(acted, limit=1000) == before and audit.verify(acted).ok


def test_the_issuers_answers_are_audited_with_the_delivery(demo_ctx: AppContext):
    update_self(demo_ctx, role=Role.LEAD_ASSESSOR)
    as_lead_database(demo_ctx)
    with demo_ctx.transaction() as s:  # the demo's submitted review, queued as a final decision
        row = s.scalars(select(m.Review).where(m.Review.status == "submitted").options(
            selectinload(m.Review.scores), selectinload(m.Review.reviewer),
            selectinload(m.Review.attempt).options(
                selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                .selectinload(m.Criterion.levels)))).first()
        if s.scalar(select(m.OutboxEntry.id).where(m.OutboxEntry.review_id == row.id)) is None:
            outbox.enqueue_decision(s, row)
    [entry] = outbox.claim(demo_ctx.sessions, 10, "claim-1")
    before = _count(demo_ctx)
    outbox.acknowledge(demo_ctx.sessions, [Outcome(entry.uid, "rejected", "unknown badge class")], "ref")
    outbox.retry(demo_ctx.sessions, entry.uid)
    [entry] = outbox.claim(demo_ctx.sessions, 10, "claim-2")
    outbox.acknowledge(demo_ctx.sessions, [Outcome(entry.uid, "accepted", remote_id="dec-42")], "ref")
    # A late repeat of the answer changes nothing, so it adds nothing to the log.
    outbox.acknowledge(demo_ctx.sessions, [Outcome(entry.uid, "duplicate", remote_id="dec-42")], "ref")
    assert _count(demo_ctx) == before + 2
    accepted, rejected = [e for e in audit.recent(demo_ctx, limit=2)]
    assert (accepted.action, accepted.subject) == (audit.SYNC, "DEMO-1002 attempt 1")
    assert json.loads(accepted.details_json) == {"result": "accepted", "issuer": "ref",
                                                 "remote_id": "dec-42", "outbox": entry.uid}
    assert json.loads(rejected.details_json)["reason"] == "unknown badge class"
    assert audit.verify(demo_ctx).ok


def test_details_are_stored_as_the_canonical_json_they_always_were():
    """orjson writes audit details; the text is json.dumps' canonical form (sorted keys, no
    spaces, UTF-8, str() for the rest), so entries made before and after read alike."""
    import json
    from dataclasses import dataclass
    from datetime import UTC, datetime

    from reviewer_app.domain.audit_chain import canonical_details
    from reviewer_app.domain.model import Decision

    @dataclass(frozen=True)
    class Thing:
        name: str

    details = {"b": [1, 0.8, 2.5, None, True, False, "é ✓ \u2028 \x7f \x01 \"q\" \\ 😀", Thing("x")],
               "a": {"z": 1, "ä": 2, "Z": 3, "10": 4, "9": 5, "": None},
               "when": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "decision": Decision.NOT_YET,
               "rows": {f"review:{i}": {"scores": {"x": [i, "ab" * 8]}} for i in range(50)}}
    reference = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert canonical_details(details) == reference
    assert canonical_details(None) == "{}"
    huge = {"n": 2**70, "m": [1e-7]}  # orjson refuses a 70-bit integer: json writes it
    assert json.loads(canonical_details(huge)) == huge
