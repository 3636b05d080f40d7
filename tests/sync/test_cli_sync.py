"""``reviewer-app sync``, ``issuer ...`` and ``issuer-serve`` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext
from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import PASSWORD, ROOT, USER, assign_on_issuer, bulk_decisions, cli, cli_env, make_lead


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "test-keyring.json"


@pytest.mark.slow  # a whole sync session through the CLI
def test_profile_login_sync_outbox_logout(tmp_path: Path, issuer: IssuerServer, keyring_file: Path):
    data, env = tmp_path / "data", cli_env(keyring_file)
    added = cli(data, "issuer", "add", "ref", "--url", issuer.url, "--username", USER, env=env)
    assert added.returncode == 0, added.stderr
    assert "Added issuer profile ref (reference" in added.stdout and "the default" in added.stdout
    listed = cli(data, "issuer", "list", env=env)
    assert re.search(rf"^\* ref  reference  {re.escape(issuer.url)}  {USER}  last sync: never$",
                     listed.stdout, re.M), listed.stdout
    login = cli(data, "issuer", "login", env={**env, "REVIEWER_APP_ISSUER_PASSWORD": PASSWORD})
    assert login.returncode == 0, login.stderr
    assert "tokens are in the system keyring" in login.stdout
    assert "issuer-tokens/ref" in keyring_file.read_text()
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        keys = bulk_decisions(ctx, 5)
    assign_on_issuer(issuer, keys[:4])  # the fifth is unknown to the issuer: rejected
    synced = cli(data, "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.strip().splitlines()[-1] == \
        "ref: 4 decisions delivered, 1 rejected, 0 pending"
    assert synced.stderr.strip() == f"rejected: {keys[4]} attempt 1: unknown submission"
    outbox = cli(data, "issuer", "outbox", env=env)
    assert f"{keys[4]}  attempt 1  earned  rejected  unknown submission" in outbox.stdout
    assert outbox.stdout.count("accepted") == 4
    assign_on_issuer(issuer, keys[4:])
    retried = cli(data, "issuer", "retry", keys[4], env=env)
    assert retried.returncode == 0 and "Queued again: 1 decision" in retried.stdout
    assert cli(data, "sync", env=env).stdout.strip().endswith("1 decision delivered, 0 pending")
    # The reference issuer issued a badge for each earned one; the lead fetches one back.
    assert cli(data, "issuer", "outbox", env=env).stdout.count("badge issued") == 5
    badge = cli(data, "issuer", "badge", keys[0], "--out", str(tmp_path / "badge.json"), env=env)
    assert badge.returncode == 0, badge.stderr
    assert f"issued by Reviewer reference issuer ({issuer.store.badge_issuer.did})" in badge.stdout
    assert json.loads((tmp_path / "badge.json").read_text())["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    logout = cli(data, "issuer", "logout", "ref", env=env)
    assert logout.returncode == 0 and "deleted from the keyring" in logout.stdout
    assert "issuer-tokens/ref" not in keyring_file.read_text()
    again = cli(data, "sync", env=env)
    assert again.returncode == 2
    assert "Sign in to the issuer \u201cref\u201d" in again.stderr and "Traceback" not in again.stderr


def test_without_a_keyring_login_refuses_in_one_line(tmp_path: Path, issuer: IssuerServer):
    data = tmp_path / "data"
    env = cli_env(None, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                  REVIEWER_APP_ISSUER_PASSWORD=PASSWORD)
    assert cli(data, "issuer", "add", "ref", "--url", issuer.url, "--username", USER, env=env).returncode == 0
    result = cli(data, "issuer", "login", "ref", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No secure system keyring is available")
    assert issuer.stats["sign_ins"] == 0


def test_refusals_are_one_line_with_exit_status_2(tmp_path: Path, keyring_file: Path):
    data, env = tmp_path / "data", cli_env(keyring_file)
    nothing = cli(data, "sync", env=env)
    assert nothing.returncode == 2
    assert nothing.stderr.strip() == ("error: No issuer is set up yet: reviewer-app issuer add NAME "
                                      "--url URL --username USER, then reviewer-app issuer login NAME.")
    insecure = cli(data, "issuer", "add", "x", "--url", "http://issuer.example.org", "--username", "u",
                   env=env)
    assert insecure.returncode == 2 and "Plain http to issuer.example.org" in insecure.stderr
    badgr_only = cli(data, "issuer", "add", "y", "--url", "https://issuer.example.org",
                     "--username", "u", "--badge-class", "a=b", env=env)
    assert badgr_only.returncode == 2 and "are for Badgr profiles" in badgr_only.stderr


def test_a_badgr_profile_from_the_command_line(tmp_path: Path, keyring_file: Path):
    data, env = tmp_path / "data", cli_env(keyring_file)
    added = cli(data, "issuer", "add", "canvas", "--kind", "badgr", "--url", "https://api.badgr.example",
                "--username", "admin@example.org", "--badge-class", "fa-math=BC-1",
                "--evidence-url", "https://lms.example.org/s/{submission_id}", env=env)
    assert added.returncode == 0, added.stderr
    changed = cli(data, "issuer", "set", "canvas", "--badge-class", "cl-discussion=BC-2",
                  "--no-hash-recipient", env=env)
    assert changed.returncode == 0, changed.stderr
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        from reviewer_app.services.sync import get_profile

        profile = get_profile(ctx, "canvas")
    assert profile.settings == {"badge_classes": {"fa-math": "BC-1", "cl-discussion": "BC-2"},
                                "evidence_url": "https://lms.example.org/s/{submission_id}",
                                "recipient_hashed": False}


def test_issuer_serve_runs_the_reference_issuer(tmp_path: Path, keyring_file: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewer_app", "--data-dir", str(tmp_path / "data"), "issuer-serve",
         "--port", "0", "--issuer-data", str(tmp_path / "issuer"), "--user", "ana:pw",
         "--faults", "latency=1ms,seed=3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(keyring_file), cwd=ROOT)
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        url = match.group(1)
        for _ in range(200):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                import time

                time.sleep(0.05)
        token = httpx.post(f"{url}/api/v1/auth/token",
                           json={"grant_type": "password", "username": "ana", "password": "pw"})
        assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
        faults = httpx.get(f"{url}/admin/faults").json()
        assert faults["config"]["latency"] == 0.001 and faults["config"]["seed"] == 3
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0
    assert (tmp_path / "issuer" / "issuer.sqlite3").is_file()
    # Its signing key went to the (test) keyring, under its own folder; no key file.
    items = json.loads(keyring_file.read_text())
    assert list(items) == [f"reviewer-app-reference-issuer\x00{(tmp_path / 'issuer').resolve()}"]
    assert not list((tmp_path / "issuer").glob("*key*.json"))


def test_issuer_serve_without_a_keyring_says_how_to_provide_one(tmp_path: Path):
    env = cli_env(None, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    result = subprocess.run(
        [sys.executable, "-m", "reviewer_app", "--data-dir", str(tmp_path / "data"), "issuer-serve",
         "--port", "0", "--issuer-data", str(tmp_path / "issuer")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "No secure system keyring" in result.stderr and "signing key" in result.stderr
    assert "PYTHON_KEYRING_BACKEND" in result.stderr and "listening" not in result.stdout


@pytest.mark.slow  # several CLI processes
def test_issuer_identity_and_a_signed_badge(tmp_path: Path, demo_data_dir: Path, keyring_file: Path):
    import json

    from dcc_verifier import verify
    from support import ob3_schema_errors, score_earned

    env = cli_env(keyring_file)
    out = tmp_path / "badge.json"
    identity = ["issuer", "identity", "set", "--name", "Springfield Public Schools",
                "--url", "https://schools.springfield.example", "--id", "did:web:schools.springfield.example"]
    refused = cli(demo_data_dir, *identity, env=env)  # the demo's profile is a reviewer
    assert refused.returncode == 2 and "Only a lead assessor may" in refused.stderr
    assert not keyring_file.exists() or "ob3-issuer-key" not in keyring_file.read_text()
    from lead_support import file_keyring

    with file_keyring(keyring_file), AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        make_lead(ctx)  # the demo's review becomes a final decision (a lead's database)
        score_earned(ctx)  # (the lead's key in the keyring file the commands use)
    unset = cli(demo_data_dir, "issuer", "ob3", "DEMO-1002", "--out", str(out), env=env)
    assert unset.returncode == 2 and "reviewer-app issuer identity set --name" in unset.stderr
    assert "--issuer-id" not in unset.stderr and not out.exists()

    did = tmp_path / "did.json"
    made = cli(demo_data_dir, *identity, "--did-document", str(did), env=env)
    assert made.returncode == 0, made.stderr
    assert "Publish the DID document at https://schools.springfield.example/.well-known/did.json" \
        in made.stdout
    assert "ob3-issuer-key/z6Mk" in keyring_file.read_text()
    refused = cli(demo_data_dir, "issuer", "ob3", "DEMO-1002", "--attempt", "1", "--out", str(out), env=env)
    assert refused.returncode == 2 and "only an earned decision" in refused.stderr
    assert not out.exists()
    issued = cli(demo_data_dir, "issuer", "ob3", "DEMO-1002", "--out", str(out), env=env)
    assert issued.returncode == 0, issued.stderr
    assert "Wrote a signed Open Badges 3.0 credential" in issued.stdout
    credential = json.loads(out.read_text())
    assert ob3_schema_errors(credential) == []
    assert verify({"cli": credential}, tmp_path, did_documents=[json.loads(did.read_text())]) \
        ["cli"]["verified"] is True
