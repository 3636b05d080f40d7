"""``reviewer-app identity|enrol|enrolled|revoke`` and ``batch export|import`` end to end: two
data folders, one reviewer, one lead, and a keyring the subprocesses share (a test file)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # score batches exported and imported through the CLI, process by process

ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _shared_keyring(keyring_env: dict[str, str]):
    ENV.clear()
    ENV.update(keyring_env)
    yield
    ENV.clear()


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=timeout, env=ENV or None)


def enrol(reviewer: Path, lead: Path, folder: Path) -> str:
    """The reviewer shows their fingerprint and exports the file; the lead enrols it."""
    shown = cli(reviewer, "identity", "--export", str(folder))
    assert shown.returncode == 0, shown.stderr
    fingerprint = re.search(r"fingerprint: ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){4})", shown.stdout).group(1)
    [card] = folder.glob("*.reviewer-enrolment.json")
    done = cli(lead, "enrol", str(card), "--fingerprint", fingerprint.lower())
    assert done.returncode == 0, done.stderr
    return fingerprint


def test_a_reviewer_exports_and_a_lead_imports(tmp_path: Path):
    reviewer, lead, out = tmp_path / "reviewer", tmp_path / "lead", tmp_path / "batches"
    assert cli(lead, "profile", "--role", "lead", "--name", "Lee").returncode == 0  # a new lead database
    for data in (reviewer, lead):
        assert cli(data, "demo").returncode == 0
    assert cli(reviewer, "profile", "--name", "Alice Morgan").returncode == 0
    fingerprint = enrol(reviewer, lead, tmp_path / "card")
    listed = cli(lead, "enrolled")
    assert listed.returncode == 0 and re.search(rf"Alice Morgan +{fingerprint} +enrolled", listed.stdout)

    exported = cli(reviewer, "batch", "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    [batch] = sorted(out.glob("*.reviewer-batch.json"))
    assert batch.name.startswith("alice-morgan-") and batch.with_suffix(".csv").exists()
    assert "Exported 1 review to" in exported.stdout
    again = cli(reviewer, "batch", "export", "--out", str(out))
    assert again.returncode == 0 and "in earlier batches" in again.stdout and "--all" in again.stdout

    imported = cli(lead, "batch", "import", str(batch))
    assert imported.returncode == 0, imported.stderr
    assert f"{batch.name}: imported 1 review by Alice Morgan" in imported.stdout
    repeated = cli(lead, "batch", "import", str(batch))
    assert repeated.returncode == 0 and "already imported on" in repeated.stdout

    data = json.loads(batch.read_text(encoding="utf-8"))
    data["reviews"][0]["decision"] = "earned"
    altered = tmp_path / "altered.reviewer-batch.json"
    altered.write_text(json.dumps(data), encoding="utf-8")
    mixed = cli(lead, "batch", "import", str(altered), str(batch))
    assert mixed.returncode == 2
    errors = mixed.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: altered.reviewer-batch.json: was changed")
    assert "already imported on" in mixed.stdout and "1 refused" in mixed.stdout

    refused = cli(reviewer, "batch", "import", str(batch))
    assert refused.returncode == 2
    assert "Only a lead assessor may import score batches" in refused.stderr

    # Revoked: the next batch is refused, with the reason, and the refusal is audited.
    revoked = cli(lead, "revoke", fingerprint[:4])
    assert revoked.returncode == 0 and "Revoked the key of Alice Morgan" in revoked.stdout
    assert "revoked" in cli(lead, "enrolled").stdout
    later = cli(reviewer, "batch", "export", "--all", "--out", str(tmp_path / "later"))
    assert later.returncode == 0, later.stderr
    [second] = (tmp_path / "later").glob("*.reviewer-batch.json")
    after = cli(lead, "batch", "import", str(second))
    assert after.returncode == 2 and "is signed with the key of Alice Morgan" in after.stderr
    assert "batch.refuse" in cli(lead, "audit", "log").stdout


def test_a_wrong_fingerprint_enrols_nobody(tmp_path: Path):
    reviewer, lead = tmp_path / "reviewer", tmp_path / "lead"
    assert cli(lead, "profile", "--role", "lead").returncode == 0
    assert cli(reviewer, "identity", "--export", str(tmp_path)).returncode == 0
    [card] = tmp_path.glob("*.reviewer-enrolment.json")
    wrong = cli(lead, "enrol", str(card), "--fingerprint", "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert wrong.returncode == 2 and "is not that of the key" in wrong.stderr
    assert "No reviewers are enrolled yet" in cli(lead, "enrolled").stdout


def test_no_batch_files_is_an_error(tmp_path: Path):
    assert cli(tmp_path / "lead", "profile", "--role", "lead").returncode == 0
    result = cli(tmp_path / "lead", "batch", "import", str(tmp_path))
    assert result.returncode == 2 and "No score batches found" in result.stderr
