"""The command line end to end, as a user runs it: a subprocess per command."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewer_app import __version__


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_version():
    result = subprocess.run([sys.executable, "-m", "reviewer_app", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == f"reviewer-app {__version__}"


@pytest.mark.slow  # many CLI processes
def test_demo_list_show_export(tmp_path: Path):
    data = tmp_path / "data"
    demo = cli(data, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "imported submission DEMO-1001" in demo.stdout

    listed = cli(data, "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "CREDENTIAL", "ATTEMPT", "STATUS", "EVIDENCE"]
    cells = [re.split(r"\s{2,}", line) for line in lines[1:]]
    assert {(c[0], c[2], c[3], c[4]) for c in cells} == {
        ("DEMO-1001", "1", "in progress", "5"), ("DEMO-1002", "1", "submitted", "3"),
        ("DEMO-1002", "2", "new", "4"), ("DEMO-2001", "1", "new", "5")}

    shown = cli(data, "show", "DEMO-1002", "--attempt", "1")
    assert shown.returncode == 0
    assert "Checks for understanding" in shown.stdout and "lesson-plan.pdf" in shown.stdout
    assert "Sam Rivera" not in shown.stdout  # blind review

    assert cli(data, "export", "--format", "csv", "--out", str(tmp_path / "r.csv")).returncode == 0
    with open(tmp_path / "r.csv", newline="") as fh:
        assert {r["submission_id"] for r in csv.DictReader(fh)} == {"DEMO-1001", "DEMO-1002"}
    assert cli(data, "export", "--format", "json", "--out", str(tmp_path / "r.json")).returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["count"] == 2

    again = cli(data, "demo")
    assert again.returncode == 0 and "already imported" in again.stdout
    assert cli(data, "list").stdout == listed.stdout


@pytest.mark.slow  # several CLI processes
def test_empty_database(tmp_path: Path):
    data = tmp_path / "data"
    assert "No submissions" in cli(data, "list").stdout
    assert cli(data, "export", "--format", "json", "--out", str(tmp_path / "e.json")).returncode == 0
    assert json.loads((tmp_path / "e.json").read_text())["reviews"] == []


def test_unknown_submission_is_one_line(tmp_path: Path):
    result = cli(tmp_path / "data", "show", "NOPE-1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "NOPE-1" in result.stderr


def test_a_refused_package_is_plain_words_exit_2_and_the_rest_still_imports(tmp_path: Path, demo_packages):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip file at all")
    result = cli(tmp_path / "data", "import", str(bad), str(demo_packages[0]))
    assert result.returncode == 2
    first, details = result.stderr.strip().splitlines()  # in a reviewer's words, then the technical reason
    assert first.startswith("error: bad.zip: this is not a submission package") and "ask the sender" in first
    assert details.startswith("  details: ") and "not a valid zip" in details
    assert "Traceback" not in result.stderr
    assert "imported submission DEMO-1001" in result.stdout


def test_data_dir_from_the_environment(tmp_path: Path, demo_packages):
    env = {**os.environ, "REVIEWER_APP_DATA": str(tmp_path / "envdata")}
    subprocess.run([sys.executable, "-m", "reviewer_app", "import", str(demo_packages[0])],
                   check=True, capture_output=True, env=env, timeout=120)
    assert (tmp_path / "envdata" / "reviewer.sqlite3").is_file()
    assert (tmp_path / "envdata" / "logs" / "reviewer.log").is_file()


def _big_package(folder: Path, size: int) -> Path:
    """A folder package with one large 'video' (an MP4 header, then zeros: fast to make)."""
    evidence = folder / "evidence"
    evidence.mkdir(parents=True)
    video = evidence / "big.mp4"
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4072
    digest = hashlib.sha256(header)
    with open(video, "wb") as fh:
        fh.write(header)
        fh.truncate(size)
    zeros = b"\x00" * (1 << 20)
    remaining = size - len(header)
    while remaining:
        step = min(remaining, len(zeros))
        digest.update(zeros[:step])
        remaining -= step
    rubric = {"id": "r", "version": "1", "title": "R", "criteria": [
        {"id": "c", "title": "C", "required_level": 1,
         "levels": [{"value": 1, "label": "ok", "descriptor": ""}]}]}
    (folder / "rubric.json").write_text(json.dumps(rubric))
    (folder / "manifest.json").write_text(json.dumps({
        "format": "mcred-submission/1", "submission_id": "BIG-1", "attempt": 1,
        "submitted_at": "2026-05-01T10:00:00+00:00",
        "credential": {"id": "c", "title": "C", "version": "1"}, "candidate": {"id": "x"},
        "rubric": "rubric.json",
        "evidence": [{"id": "v", "kind": "video", "path": "evidence/big.mp4",
                      "sha256": digest.hexdigest(), "size": size, "title": "Big"}]}))
    return folder


@pytest.mark.slow
def test_ctrl_c_during_import_leaves_nothing(tmp_path: Path):
    package = _big_package(tmp_path / "pkg", 1536 * 1024 * 1024)
    data = tmp_path / "data"
    cli(data, "list")  # create the database first, so only the import is interrupted
    staging = data / "evidence" / "tmp"
    proc = subprocess.Popen([sys.executable, "-m", "reviewer_app", "--data-dir", str(data),
                             "import", str(package)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    copying = False
    while time.monotonic() < deadline and proc.poll() is None:
        if any(f.stat().st_size > 0 for f in staging.glob("staging-*/*")):
            copying = True
            break
        time.sleep(0.005)
    assert copying, "the import never started copying"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    con = sqlite3.connect(data / "reviewer.sqlite3")
    assert con.execute("SELECT count(*) FROM attempt").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM submission").fetchone() == (0,)
    con.close()
    leftovers = [p for p in (data / "evidence").rglob("*") if p.is_file() and p.name != "publish.lock"]
    assert leftovers == []
    assert "No submissions" in cli(data, "list").stdout
