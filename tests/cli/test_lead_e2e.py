"""Two reviewers and a lead assessor, each with their own data folder, as the programme runs.

Ana and Ben import the same packages and score the same submissions on their own laptops;
the lead enrols both (their enrolment files, checked against the fingerprints they read
out); each exports a signed score batch; the lead imports both. The lead's rule sends every submission
of the credential to a second review, so DEMO-1001 (both say earned) becomes a final
decision at once and DEMO-1002 attempt 2 (earned against not yet) becomes a dispute. A
reviewer's attempt to moderate is refused; the lead moderates; both final decisions, and
nothing else, are in the lead's outbox. A batch altered after export and an audit entry
altered in the database file are both caught.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, FA_NOT_YET, score

pytestmark = pytest.mark.slow


ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _shared_keyring(keyring_env: dict[str, str]):
    ENV.clear()
    ENV.update(keyring_env)
    yield
    ENV.clear()


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=180, env=ENV or None)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sql(data: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(resolve_paths(data_dir=data).sqlite_path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def programme(tmp_path: Path, demo_packages: list[Path]) -> dict[str, Path]:
    folders = {name: tmp_path / name for name in ("ana", "ben", "lead")}
    ok(cli(folders["lead"], "profile", "--role", "lead"))  # a new lead database
    for name, data in folders.items():
        ok(cli(data, "import", *map(str, demo_packages)))
        ok(cli(data, "profile", "--name", name.capitalize()))
    for name in ("ana", "ben"):
        exported = tmp_path / f"{name}.reviewer-enrolment.json"
        shown = ok(cli(folders[name], "identity", "--export", str(exported)))
        fingerprint = re.search(r"fingerprint: (\S+)", shown).group(1)
        ok(cli(folders["lead"], "enrol", str(tmp_path / f"{name}.reviewer-enrolment.json"),
               "--fingerprint", fingerprint))
    ok(cli(folders["lead"], "policy", "fa-math", "--second-percent", "100", "--max-gap", "0"))
    return folders


def _review_on_own_laptop(data: Path, dispute_levels: dict[str, int], feedback: str) -> None:
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        score(ctx, "DEMO-1001", 1, FA_EARNED, feedback="Strong hinge questions.",
              comments={"learning-goals": "Goals stated and revisited."})
        score(ctx, "DEMO-1002", 2, dispute_levels, feedback=feedback)


def test_two_reviewers_a_lead_a_dispute_and_the_final_decision_in_the_outbox(
        programme: dict[str, Path], tmp_path: Path):
    ana, ben, lead = programme["ana"], programme["ben"], programme["lead"]
    _review_on_own_laptop(ana, FA_EARNED, "Keep going.")
    _review_on_own_laptop(ben, FA_NOT_YET, "Return to the learning goals at the end.")
    # A reviewer's submit queues nothing for the issuer.
    assert sql(ana, "SELECT count(*) FROM sync_outbox") == [(0,)]

    batches = tmp_path / "batches"
    for data in (ana, ben):
        assert "2 reviews" in ok(cli(data, "batch", "export", "--out", str(batches)))
    files = sorted(batches.glob("*.json"))
    assert len(files) == 2 and len(list(batches.glob("*.csv"))) == 2

    # A batch altered after export is refused, and nothing of it lands.
    forged = tmp_path / "forged" / files[0].name
    forged.parent.mkdir()
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    doc["reviews"][0]["scores"][0]["level"] = 1
    forged.write_text(json.dumps(doc), encoding="utf-8")
    refused = cli(lead, "batch", "import", str(forged))
    assert refused.returncode == 2
    assert "changed after it was exported" in (refused.stdout + refused.stderr)
    assert sql(lead, "SELECT count(*) FROM review") == [(0,)]

    ok(cli(lead, "batch", "import", *map(str, files)))
    again = cli(lead, "batch", "import", *map(str, files))
    assert again.returncode == 0 and "already imported" in again.stdout
    assert sql(lead, "SELECT count(*) FROM review") == [(4,)]

    listed = ok(cli(lead, "disputes"))
    assert "DEMO-1002" in listed and "DEMO-1001" not in listed
    # Agreement on DEMO-1001 made its final decision at once.
    assert sql(lead, "SELECT s.key, f.source, f.decision FROM final_decision f"
                     " JOIN attempt a ON a.id = f.attempt_id JOIN submission s ON s.id = a.submission_id"
                ) == [("DEMO-1001", "agreed", "earned")]

    levels = [f"--level={k}={v}" for k, v in FA_NOT_YET.items()]
    denied = cli(ana, "moderate", "DEMO-1002", *levels, "--rationale", "I think so",
                 "--feedback", "x")
    assert denied.returncode == 2 and "Only a lead assessor" in denied.stderr

    ok(cli(lead, "moderate", "DEMO-1002", *levels, "--feedback", "Revisit the goals at the end.",
           "--rationale", "Goals were stated but never revisited; Ben's reading holds."))
    assert "DEMO-1002" not in ok(cli(lead, "disputes"))

    # Both final decisions are held until the lead backreads a sample and releases them.
    assert sql(lead, "SELECT count(*) FROM sync_outbox") == [(0,)]
    held = ok(cli(lead, "held")).splitlines()
    assert len(held) == 2
    to_backread = [line.split()[0] for line in held if line.endswith("to backread")]
    assert len(to_backread) == 1  # 5% of two, rounded up
    first = ok(cli(lead, "release"))
    assert "Released 1 final decision" in first and "1 still wait for backreading" in first
    ok(cli(lead, "backread", to_backread[0]))
    assert "Released 1 final decision" in ok(cli(lead, "release"))
    assert ok(cli(lead, "held")).strip() == "No final decision is held."

    outbox = sql(lead, "SELECT submission_key, attempt_number, decision, state FROM sync_outbox"
                       " ORDER BY submission_key")
    assert outbox == [("DEMO-1001", 1, "earned", "queued"), ("DEMO-1002", 2, "not_yet", "queued")]
    payload = json.loads(sql(lead, "SELECT payload_json FROM sync_outbox"
                                   " WHERE submission_key = 'DEMO-1002'")[0][0])
    assert payload["reviewer"]["role"] == "lead_assessor"

    # The audit log holds the story, and catches a change made behind the app's back.
    assert "intact" in ok(cli(lead, "audit", "verify"))
    actions = {a for (a,) in sql(lead, "SELECT DISTINCT action FROM audit_log")}
    assert {"batch.import", "dispute.open", "dispute.moderate", "decision.final"} <= actions
    [(entry_id,)] = sql(lead, "SELECT min(id) FROM audit_log WHERE action = 'dispute.moderate'")
    con = sqlite3.connect(resolve_paths(data_dir=lead).sqlite_path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET details_json = '{}' WHERE id = ?", (entry_id,))
    con.commit()
    con.close()
    tampered = cli(lead, "audit", "verify")
    assert tampered.returncode != 0
    assert f"Audit entry {entry_id}" in tampered.stdout + tampered.stderr
