"""``reviewer-app audit verify|log`` as a user runs them, and what tampering looks like."""

from __future__ import annotations

import json
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
    chain, data_line = ok.stdout.splitlines()
    count = int(re.fullmatch(r"The audit log's chain is intact: (\d+) entries, none altered or removed\.",
                             chain).group(1))
    assert data_line.startswith("The data matches the audit log: 2 audited rows")
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
    assert broken.stdout.startswith("The audit log's chain is broken: Audit entry 2 ")
    assert "altered" in broken.stdout


@pytest.mark.slow  # a dozen command-line runs
def test_a_signed_head_kept_outside_catches_a_cut_log_with_its_head_rewound(tmp_path: Path, keyring_env):
    data, heads = tmp_path / "data", tmp_path / "kept-elsewhere"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                              capture_output=True, text=True, timeout=120, env=keyring_env)

    assert run("profile", "--name", "Lena Lead", "--role", "lead").returncode == 0  # a new lead database
    assert run("demo").returncode == 0
    signed = run("audit", "head", "--out", str(heads / "monday"))
    assert signed.returncode == 0, signed.stderr
    head_file = heads / "monday.audit-head.json"
    ok = run("audit", "verify", "--head", str(head_file))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Signed heads: 1 of 1 intact." in ok.stdout and "is intact in the log" in ok.stdout

    # The lead's export carries the head too, beside its file.
    exported = run("decisions", "export", "--out", str(heads / "decisions.json"))
    assert exported.returncode == 0, exported.stderr
    assert "decisions.json.audit-head.json beside it" in exported.stdout
    beside = run("audit", "verify", "--head", str(heads / "decisions.json.audit-head.json"))
    assert beside.returncode == 0 and "Signed heads: 1 of 1 intact." in beside.stdout

    # Someone with the file removes the last entry and rewinds the head record to match.
    con = sqlite3.connect(data / "reviewer.sqlite3")
    con.execute("DROP TRIGGER audit_log_no_delete")
    last, = con.execute("SELECT max(id) FROM audit_log").fetchone()
    before, = con.execute("SELECT hash FROM audit_log WHERE id = ?", (last - 1,)).fetchone()
    con.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    con.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", (last - 1, before))
    con.commit()
    con.close()
    cut = run("audit", "verify", "--head", str(head_file))
    assert cut.returncode == 3
    assert "The audit log's chain is intact" in cut.stdout  # the chain alone cannot tell
    assert (f"BROKEN: monday.audit-head.json: the log was cut back: it ends at entry {last - 1}, "
            f"but entry {last} was signed as its head on ") in cut.stdout

    # A head edited to match (or signed by another key) anchors nothing.
    document = json.loads(head_file.read_text())
    document["entry"] = last - 1
    forged = heads / "forged.audit-head.json"
    forged.write_text(json.dumps(document))
    refused = run("audit", "verify", "--head", str(forged))
    assert refused.returncode == 3 and "its signature does not match" in refused.stdout
