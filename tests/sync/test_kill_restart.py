"""``reviewer-app sync`` killed with SIGKILL in the middle of a batch, then run again: every
decision reaches the issuer exactly once. A real subprocess, a real server on loopback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.reference_issuer.faults import FaultConfig
from reviewer_app.sync.reference_issuer.server import IssuerServer
from reviewer_app.sync.secrets import KeyringTokenStore

from support import PASSWORD, ROOT, USER, assign_on_issuer, bulk_decisions, cli, cli_env
from sync_test_keyring import FileTestKeyring

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"),
              pytest.mark.slow]  # a sync killed and run again: a soak


def _states(db: Path) -> Counter:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return Counter(dict(con.execute("SELECT state, count(*) FROM sync_outbox GROUP BY state").fetchall()))
    finally:
        con.close()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_sync_killed_mid_batch_then_restarted_delivers_each_decision_once(
        tmp_path: Path, issuer: IssuerServer):
    data, keyring_file = tmp_path / "data", tmp_path / "keyring.json"
    store = KeyringTokenStore(FileTestKeyring(keyring_file))
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        sync.add_profile(ctx, "ref", "reference", issuer.url, USER)
        sync.login(ctx, "ref", PASSWORD, store=store)
        keys = bulk_decisions(ctx, 700)  # a batch of 500, then 200
    assign_on_issuer(issuer, keys)
    db = data / "reviewer.sqlite3"
    env = cli_env(keyring_file)

    # The issuer stores the first batch, then is slow to answer: the sync dies waiting (the
    # second batch already claimed, ahead, while the first was on its way).
    issuer.faults.set(FaultConfig(reply_delay=2.0))
    proc = subprocess.Popen([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), "sync"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait(lambda: issuer.store.decision_count() >= 500, 60, "the issuer to store the first batch")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert _states(db) == {"sending": 700}  # left as the kill found them
    assert issuer.store.decision_count() == 500

    issuer.faults.set(FaultConfig())
    again = cli(data, "sync", env=env)
    assert again.returncode == 0, again.stderr
    assert "700 decisions delivered, 0 pending" in again.stdout
    assert _states(db) == {"accepted": 700}
    stored = issuer.store.decisions()
    assert len(stored) == 700
    assert len({d["idempotency_key"] for d in stored}) == 700
    assert Counter((d["submission_id"], d["attempt"]) for d in stored).most_common(1)[0][1] == 1
    assert issuer.stats["duplicates"] == 500  # the replayed first batch, recognised by its keys
    con = sqlite3.connect(db)
    client_keys = {k for (k,) in con.execute("SELECT uid FROM sync_outbox")}
    con.close()
    assert client_keys == {d["idempotency_key"] for d in stored}
