"""``reviewer-app audit verify|log`` as a user runs them, and what tampering looks like."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow  # many CLI processes
def test_verify_and_log_then_tampering_is_named(tmp_path: Path):
    data = tmp_path / "data"
    assert cli(data, "demo").returncode == 0
    ok = cli(data, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    count = int(re.fullmatch(r"Audit log intact: (\d+) entries\.\n", ok.stdout).group(1))
    assert count > 5

    log = cli(data, "audit", "log", "--limit", "3")
    lines = log.stdout.splitlines()
    assert log.returncode == 0 and len(lines) == 3
    assert [int(line.split()[0]) for line in lines] == [count, count - 1, count - 2]
    assert "score.comment" in log.stdout or "score.level" in log.stdout

    con = sqlite3.connect(data / "reviewer.sqlite3")
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET subject = 'DEMO-1001 attempt 1' WHERE id = 2")
    con.commit()
    con.close()
    broken = cli(data, "audit", "verify")
    assert broken.returncode == 3
    assert broken.stdout.startswith("Audit log broken: Audit entry 2 ") and "altered" in broken.stdout
