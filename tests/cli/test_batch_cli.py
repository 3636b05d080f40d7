"""``reviewer-app batch export|import`` end to end: two data folders, one reviewer, one lead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_a_reviewer_exports_and_a_lead_imports(tmp_path: Path):
    reviewer, lead, out = tmp_path / "reviewer", tmp_path / "lead", tmp_path / "batches"
    for data in (reviewer, lead):
        assert cli(data, "demo").returncode == 0
    assert cli(reviewer, "profile", "--name", "Alice Morgan").returncode == 0
    assert cli(lead, "profile", "--role", "lead", "--name", "Lee").returncode == 0

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


def test_no_batch_files_is_an_error(tmp_path: Path):
    assert cli(tmp_path / "lead", "profile", "--role", "lead").returncode == 0
    result = cli(tmp_path / "lead", "batch", "import", str(tmp_path))
    assert result.returncode == 2 and "No score batches found" in result.stderr
