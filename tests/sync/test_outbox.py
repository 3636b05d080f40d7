"""The outbox without a network: written in the submit transaction, frozen, and a state
machine whose every step is crash-safe."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from reviewer_app.domain import Decision, ReviewStatus
from reviewer_app.services import reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow
from reviewer_app.sync import outbox
from reviewer_app.sync.outbox import Backoff, Outcome

from support import bulk_decisions, outbox_rows, payload_of


def _complete_review(ctx: AppContext, key: str = "DEMO-1002", attempt: int = 2):
    review = reviews.start_review(ctx, get_submission(ctx, key, attempt).attempt_id)
    for crit, level in [("learning-goals", 3), ("checks-for-understanding", 4), ("feedback", 3),
                        ("adjusting-instruction", 2)]:
        reviews.set_level(ctx, review.uid, crit, level)
        reviews.set_comment(ctx, review.uid, crit, f"Comment on {crit}.")
    reviews.set_feedback(ctx, review.uid, "Keep the exit tickets.")
    return review


def test_submitting_writes_one_outbox_entry_in_the_same_transaction(demo_ctx: AppContext):
    before = {r["review_id"] for r in outbox_rows(demo_ctx)}
    review = _complete_review(demo_ctx)
    assert len(outbox_rows(demo_ctx)) == len(before)  # drafts are not queued
    done = reviews.submit_review(demo_ctx, review.uid)
    assert done.status is ReviewStatus.SUBMITTED
    rows = [r for r in outbox_rows(demo_ctx) if r["review_id"] not in before]
    assert len(rows) == 1
    row = rows[0]
    assert row["state"] == "queued" and row["tries"] == 0
    payload = payload_of(row)
    assert payload["review_id"] == review.uid
    assert (payload["submission_id"], payload["attempt"]) == ("DEMO-1002", 2)
    assert payload["decision"] == "earned" and row["decision"] == "earned"
    assert [c["level"] for c in payload["criteria"]] == [3, 4, 3, 2]
    assert payload["criteria"][0]["comment"] == "Comment on learning-goals."
    assert payload["feedback"] == "Keep the exit tickets."
    assert "recipient" not in row["payload_json"] and "@example.org" not in row["payload_json"]


def test_a_refused_submit_queues_nothing(demo_ctx: AppContext):
    review = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-2001", 1).attempt_id)
    count = len(outbox_rows(demo_ctx))
    with pytest.raises(reviews.ReviewIncomplete):
        reviews.submit_review(demo_ctx, review.uid)
    assert len(outbox_rows(demo_ctx)) == count


def test_a_failing_submit_rolls_back_the_entry_with_the_decision(demo_ctx: AppContext, monkeypatch):
    from reviewer_app.services import finalize

    review = _complete_review(demo_ctx)
    count = len(outbox_rows(demo_ctx))
    real = finalize.payload

    def boom(*args):
        real(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(finalize, "payload", boom)
    with pytest.raises(RuntimeError):
        reviews.submit_review(demo_ctx, review.uid)
    assert reviews.get_review(demo_ctx, review.uid).status is ReviewStatus.DRAFT
    assert len(outbox_rows(demo_ctx)) == count


def test_a_reviewers_submit_queues_nothing(demo_data_dir):
    """Only a lead assessor's final decisions go to the issuer: a reviewer's submitted review
    reaches the lead in a score batch, and a sync of the reviewer's laptop sends nothing."""
    from reviewer_app.config import resolve_paths

    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:  # the demo: a reviewer
        review = _complete_review(ctx)
        done = reviews.submit_review(ctx, review.uid)
        assert done.status is ReviewStatus.SUBMITTED
        assert outbox_rows(ctx) == []
        assert outbox.enqueue_missing(ctx.sessions) == 0  # nor does a sync queue it later
        assert outbox_rows(ctx) == []


def test_key_and_decision_are_frozen_by_the_database(app: AppContext):
    bulk_decisions(app, 1)
    for column, value in [("payload_json", "'{}'"), ("uid", "'other'"), ("decision", "'not_yet'")]:
        with pytest.raises(DBAPIError, match="never change"):
            with app.engine.begin() as conn:
                conn.execute(text(f"UPDATE sync_outbox SET {column} = {value}"))
    with app.engine.begin() as conn:  # delivery columns do move
        conn.execute(text("UPDATE sync_outbox SET tries = tries + 1"))


def test_claim_acknowledge_release_and_recover(app: AppContext):
    bulk_decisions(app, 5)
    batch = outbox.claim(app.sessions, 3, "claim-1")
    assert len(batch) == 3
    assert outbox.counts(app.sessions) == {"queued": 2, "sending": 3, "accepted": 0, "rejected": 0}
    # A second claimer never gets the same entries.
    other = outbox.claim(app.sessions, 10, "claim-2")
    assert {e.uid for e in other}.isdisjoint({e.uid for e in batch}) and len(other) == 2
    # Answers: accepted, duplicate (done too), rejected; the third is released with backoff.
    got = outbox.acknowledge(app.sessions, [Outcome(batch[0].uid, "accepted", remote_id="d1"),
                                            Outcome(batch[0].uid, "accepted", remote_id="d1"),
                                            Outcome(batch[1].uid, "rejected", "submission withdrawn")],
                             "ref")
    assert got == {"accepted": 1, "duplicate": 0, "rejected": 1}
    when = outbox.release(app.sessions, [batch[2]], "timeout", Backoff(base=10, cap=60))
    assert when is not None and when > utcnow() + timedelta(seconds=4)
    # The "crash": claim-2's entries are left sending; recover puts them back.
    assert outbox.recover(app.sessions) == 2
    counts = outbox.counts(app.sessions)
    assert counts == {"queued": 3, "sending": 0, "accepted": 1, "rejected": 1}
    # Accepted is final: a later "rejected" answer for it changes nothing.
    outbox.acknowledge(app.sessions, [Outcome(batch[0].uid, "rejected", "late")], "ref")
    views = {v.uid: v for v in outbox.list_entries(app.sessions)}
    assert views[batch[0].uid].state == "accepted" and views[batch[0].uid].remote_id == "d1"
    assert views[batch[1].uid].reason == "submission withdrawn"
    assert views[batch[2].uid].tries == 1 and views[batch[2].uid].last_error == "timeout"
    # Not due yet: the entry in its backoff is not claimed.
    assert batch[2].uid not in {e.uid for e in outbox.claim(app.sessions, 10, "claim-3")}
    # Retry puts a rejected entry back, same key.
    assert outbox.retry(app.sessions, batch[1].uid)
    assert {v.uid: v for v in outbox.list_entries(app.sessions)}[batch[1].uid].state == "queued"
    assert not outbox.retry(app.sessions, batch[0].uid)  # accepted ones never go back


def test_backoff_doubles_with_jitter_and_a_cap():
    backoff, rng = Backoff(base=2, cap=60), random.Random(3)
    for tries, (low, high) in {1: (1, 2), 2: (2, 4), 3: (4, 8), 4: (8, 16), 10: (30, 60)}.items():
        delays = [backoff.delay(tries, rng) for _ in range(200)]
        assert low <= min(delays) and max(delays) <= high
        assert max(delays) - min(delays) > (high - low) / 2  # jittered, not fixed


def test_older_final_decisions_are_queued_once(demo_ctx: AppContext):
    # The demo holds a review submitted by the local profile (a lead here: a final decision);
    # a database from before the outbox would have it with no entry: a sync queues it, once.
    with demo_ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_outbox"))
    assert outbox.enqueue_missing(demo_ctx.sessions) == 1
    assert outbox.enqueue_missing(demo_ctx.sessions) == 0
    row = outbox_rows(demo_ctx)[0]
    assert payload_of(row)["submission_id"] == "DEMO-1002"
    assert row["decision"] in {d.value for d in Decision}
