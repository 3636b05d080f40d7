"""Sync with the reference issuer over real loopback HTTP: push exactly once through faults,
token refresh, rejections with their reason, pull with resumed downloads."""

from __future__ import annotations

import io
import json
import socket
import time
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from filelock import FileLock

from reviewer_app.errors import UserError
from reviewer_app.services import reviews, sync
from reviewer_app.services.submissions import get_submission, list_submissions
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox
from reviewer_app.sync.client import SignInRequired
from reviewer_app.sync.engine import SyncBusy, SyncSettings
from reviewer_app.sync.reference_issuer.faults import FaultConfig
from reviewer_app.sync.reference_issuer.server import IssuerServer
from reviewer_app.sync.secrets import KeyringTokenStore

from support import FAST, USER, assign_on_issuer, bulk_decisions, outbox_rows, simple_rules, sync_until_done


def _states(ctx: AppContext) -> Counter:
    return Counter(r["state"] for r in outbox_rows(ctx))


def _exactly_once(issuer: IssuerServer, ctx: AppContext) -> None:
    stored = issuer.store.decisions()
    keys = [d["idempotency_key"] for d in stored]
    assert len(keys) == len(set(keys))
    attempts = Counter((d["submission_id"], d["attempt"]) for d in stored)
    assert max(attempts.values(), default=1) == 1
    client = {r["uid"] for r in outbox_rows(ctx) if r["state"] == "accepted"}
    assert client == set(keys)


def test_pull_imports_assigned_packages_then_a_decision_reaches_the_issuer_once(
        signed_in: AppContext, issuer: IssuerServer, demo_packages: list[Path]):
    for package in demo_packages:
        issuer.store.add_package(package.read_bytes(), USER)
    report = sync.sync_now(signed_in, settings=FAST)
    assert report.online and report.problems == []
    assert sorted(report.imported) == sorted(f"{k} attempt {n}: imported" for k, n in
                                             [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2),
                                              ("DEMO-2001", 1)])
    assert len(list_submissions(signed_in)) == 4
    simple_rules(signed_in)  # a lead's single review is final and released at once
    assert not list((signed_in.paths.data_dir / "sync" / "downloads").glob("*"))
    # Score and submit one: the next sync delivers it.
    review = reviews.start_review(signed_in, get_submission(signed_in, "DEMO-2001", 1).attempt_id)
    for crit, level in [("group-structures", 3), ("discourse-moves", 2), ("equitable-participation", 2)]:
        reviews.set_level(signed_in, review.uid, crit, level)
    reviews.set_feedback(signed_in, review.uid, "Track talk turns for the quieter students.")
    reviews.submit_review(signed_in, review.uid)
    status = lambda: {(r.key, r.attempt): r.status.value for r in list_submissions(signed_in)}  # noqa: E731
    assert status()[("DEMO-2001", 1)] == "submitted"
    report = sync.sync_now(signed_in, settings=FAST)
    assert (report.accepted, report.pending, report.imported) == (1, 0, [])
    assert status()[("DEMO-2001", 1)] == "synced"  # the queue shows it reached the issuer
    stored = issuer.store.decisions()
    assert [(d["submission_id"], d["attempt"], d["decision"], d["username"]) for d in stored] == \
        [("DEMO-2001", 1, "not_yet", USER)]
    # A third pass downloads nothing again and sends nothing again.
    again = sync.sync_now(signed_in, settings=FAST)
    assert (again.sent, again.imported, again.online) == (0, [], True)
    assert issuer.stats["downloads"] == 4


@pytest.mark.slow  # a soak: 1,000 decisions through faults
def test_a_thousand_decisions_through_twenty_percent_faults_arrive_exactly_once(
        signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 1000)
    assign_on_issuer(issuer, keys)
    issuer.faults.set(FaultConfig(error=0.05, drop=0.05, lose=0.05, expire=0.05, seed=20261122))
    started = time.monotonic()
    # Batches of 10: a hundred requests and more, so that every kind of fault happens often.
    reports = sync_until_done(signed_in, settings=replace(FAST, batch_size=10))
    elapsed = time.monotonic() - started
    issuer.faults.set(FaultConfig())
    assert reports[-1].pending == 0, [r.problems for r in reports]
    assert _states(signed_in) == {"accepted": 1000}
    _exactly_once(issuer, signed_in)
    assert issuer.store.decision_count() == 1000
    injected = issuer.faults.snapshot()["injected"]
    assert all(injected[kind] > 0 for kind in ("error", "drop", "lose", "expire")), injected
    assert issuer.stats["duplicates"] > 0  # replies lost after storing were answered "duplicate"
    assert sum(r.refreshed for r in reports) > 0  # injected "token expired" answers were refreshed
    assert elapsed < 60


def test_an_expired_token_is_refreshed_and_kept_in_the_keyring(
        signed_in: AppContext, issuer: IssuerServer, memory_keyring):
    keys = bulk_decisions(signed_in, 3)
    assign_on_issuer(issuer, keys)
    before = KeyringTokenStore().load("ref")
    assert issuer.store.expire_access_tokens() == 1
    report = sync.sync_now(signed_in, settings=FAST)
    assert report.accepted == 3 and report.refreshed == 1
    after = KeyringTokenStore().load("ref")
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token
    assert issuer.stats["refreshes"] == 1
    _exactly_once(issuer, signed_in)


def test_a_refused_refresh_asks_to_sign_in_and_loses_nothing(signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 4)
    assign_on_issuer(issuer, keys)
    tokens = KeyringTokenStore().load("ref")
    issuer.store.revoke(tokens.refresh_token)
    issuer.store.expire_access_tokens()
    with pytest.raises(SignInRequired, match="reviewer-app issuer login ref"):
        sync.sync_now(signed_in, settings=FAST)
    assert _states(signed_in) == {"queued": 4}
    assert all(r["tries"] == 0 for r in outbox_rows(signed_in))
    assert KeyringTokenStore().load("ref") is None
    with pytest.raises(SignInRequired):
        sync.sync_now(signed_in, settings=FAST)
    from support import PASSWORD

    sync.login(signed_in, "ref", PASSWORD)
    assert sync.sync_now(signed_in, settings=FAST).accepted == 4


def test_a_rejected_decision_shows_its_reason_and_can_be_retried(signed_in: AppContext,
                                                                 issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 3)
    assign_on_issuer(issuer, keys)
    issuer.store.withdraw(keys[1])
    report = sync.sync_now(signed_in, settings=FAST)
    assert (report.accepted, report.rejected, report.pending) == (2, 1, 0)
    assert report.rejections == [(f"{keys[1]} attempt 1", "submission withdrawn")]
    rejected = [e for e in sync.outbox_entries(signed_in) if e.state == "rejected"]
    assert [(e.submission_key, e.reason) for e in rejected] == [(keys[1], "submission withdrawn")]
    assert sync.status(signed_in).rejected == 1
    # Nothing is retried on its own...
    assert sync.sync_now(signed_in, settings=FAST).sent == 0
    # ...until the reviewer asks, once the issuer reopened the submission.
    assign_on_issuer(issuer, [keys[1]])
    assert sync.retry_entry(signed_in, rejected[0].uid)
    report = sync.sync_now(signed_in, settings=FAST)
    assert (report.accepted, report.rejected) == (1, 0)
    assert _states(signed_in) == {"accepted": 3}
    _exactly_once(issuer, signed_in)


def test_offline_the_decisions_wait_with_backoff_and_go_when_the_issuer_is_back(
        app: AppContext, tmp_path: Path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sync.add_profile(app, "ref", "reference", f"http://127.0.0.1:{port}", USER)
    from reviewer_app.sync.secrets import Tokens

    KeyringTokenStore().save("ref", Tokens("made-up-access", "made-up-refresh", None))
    bulk_decisions(app, 5)
    settings = SyncSettings(backoff=outbox.Backoff(base=0.01, cap=0.02), max_failures=3, patience=0.5)
    report = sync.sync_now(app, settings=settings)
    assert not report.online and report.pending == 5
    assert "did not answer" in report.problems[0]
    rows = outbox_rows(app)
    assert {r["state"] for r in rows} == {"queued"}
    assert min(r["tries"] for r in rows) >= 1 and sum(r["tries"] for r in rows) >= 7  # 5 + 2 + ...
    assert all("ConnectError" in r["last_error"] for r in rows)
    # A background pass waits for the backoff; the entries are kept across a restart.
    settings_slow = SyncSettings(backoff=outbox.Backoff(base=30, cap=60), max_failures=1, patience=0.1)
    sync.background_sync(app, settings=settings_slow)
    later = sync.background_sync(app, settings=settings_slow)
    assert later.sent == 0 and later.next_attempt_at is not None and later.pending == 5
    # The issuer comes back (on the same address): "Sync now" delivers them all.
    from reviewer_app.sync.reference_issuer.server import IssuerConfig

    from support import PASSWORD

    with IssuerServer(IssuerConfig(tmp_path / "issuer", port=port, users=[(USER, PASSWORD)])) as back:
        assign_on_issuer(back, [r["submission_key"] for r in rows])
        sync.login(app, "ref", PASSWORD)
        report = sync.sync_now(app, settings=settings)
        assert (report.online, report.accepted, report.pending) == (True, 5, 0)
        _exactly_once(back, app)


@pytest.mark.slow  # up to five sync passes, each download cut off half the time
def test_a_broken_download_resumes_where_it_stopped(signed_in: AppContext, issuer: IssuerServer,
                                                    demo_packages: list[Path]):
    issuer.store.add_package(demo_packages[0].read_bytes(), USER)
    issuer.faults.set(FaultConfig(drop=0.5, only="/package", seed=4))
    reports = []
    for _ in range(5):  # each pass resumes the part file the last one kept
        reports.append(sync.sync_now(signed_in, settings=FAST))
        if reports[-1].imported:
            break
    issuer.faults.set(FaultConfig())
    assert any(r.imported == ["DEMO-1001 attempt 1: imported"] for r in reports), \
        [(r.imported, r.problems) for r in reports]
    assert issuer.faults.snapshot()["injected"]["drop"] >= 1
    assert issuer.stats["range_requests"] >= 1
    detail = get_submission(signed_in, "DEMO-1001", 1)
    assert len(detail.evidence) == 5


def test_a_damaged_package_is_refused_whole(signed_in: AppContext, issuer: IssuerServer,
                                            demo_packages: list[Path]):
    source = zipfile.ZipFile(demo_packages[0])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".txt"):  # same size, other bytes: its SHA-256 differs
                data = data.swapcase()
            damaged.writestr(info, data)
    issuer.store.add_package(out.getvalue(), USER)
    report = sync.sync_now(signed_in, settings=FAST)
    assert report.imported == []
    assert len(report.problems) == 1 and "SHA-256" in report.problems[0]
    assert report.problems[0].startswith("DEMO-1001 attempt 1: the written piece")
    assert "Ask the sender for a new copy of the package." in report.problems[0]
    assert list_submissions(signed_in) == []
    with signed_in.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM evidence_item")).scalar() == 0


def test_two_passes_never_run_at_once(signed_in: AppContext):
    lock = FileLock(str(signed_in.paths.data_dir / "sync.lock"))
    with lock:
        with pytest.raises(SyncBusy, match="Another sync is running"):
            sync.sync_now(signed_in, settings=FAST)


def test_the_pending_decisions_are_sent_in_batches(signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 120)
    assign_on_issuer(issuer, keys)
    report = sync.sync_now(signed_in, settings=SyncSettings(batch_size=50))
    assert report.accepted == 120
    assert issuer.stats["decision_requests"] == 3


def test_without_a_profile_or_sign_in_sync_says_what_to_do(app: AppContext, issuer: IssuerServer):
    with pytest.raises(UserError, match="No issuer is set up yet"):
        sync.sync_now(app)
    sync.add_profile(app, "ref", "reference", issuer.url, USER)
    with pytest.raises(SignInRequired, match="Sign in to the issuer"):
        sync.sync_now(app)
    with pytest.raises(UserError, match="refused the user name or password"):
        sync.login(app, "ref", "wrong password")


def test_the_queue_payload_is_what_the_issuer_stores(signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 1)
    assign_on_issuer(issuer, keys)
    sync.sync_now(signed_in, settings=FAST)
    row = outbox_rows(signed_in)[0]
    with issuer.store._lock:
        stored = json.loads(issuer.store._db.execute("SELECT payload FROM decisions").fetchone()[0])
    sent = json.loads(row["payload_json"])
    # The outbox keeps no identity; an earned decision is sent with the recipient the lead's
    # database knows, looked up at sending (the issuer's packages carry a pseudonym only).
    from reviewer_app.sync.outbox import recipient_for

    known = recipient_for(signed_in.sessions, sent["submission_id"], sent["attempt"])
    named = {"recipient": {"type": known[0], "identity": known[1]}} \
        if sent["decision"] == "earned" and known else {}
    assert "recipient" not in sent
    assert stored == {**sent, "idempotency_key": row["uid"], **named}


def test_logout_revokes_both_tokens_at_the_issuer(signed_in: AppContext, issuer: IssuerServer):
    tokens = KeyringTokenStore().load("ref")
    assert issuer.store.token_user(tokens.access_token) == (USER, "")
    sync.logout(signed_in, "ref")
    assert KeyringTokenStore().load("ref") is None
    assert issuer.store.token_user(tokens.access_token) == (None, "invalid")
    assert issuer.store.token_user(tokens.refresh_token, "refresh") == (None, "invalid")
