"""``reviewer-app decisions export`` and ``reviewer-app letters`` as a user runs them: a
subprocess per command, on a lead assessor's data folder holding final decisions."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.exports.letters import load_pymupdf
from reviewer_app.store.context import AppContext

from final_decisions_support import add_bulk_final_decisions, seed_final_decisions
from lead_support import file_keyring

BULK = 10_000


_ENV: dict[Path, dict[str, str]] = {}  # each lead folder's keyring, the lead's key in it


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=_ENV.get(data))


def _lead_folder(tmp_path_factory: pytest.TempPathFactory, template: Path, name: str,
                 bulk: int = 0) -> Path:
    folder = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(template, folder)
    with file_keyring(folder.parent / "keyring.json") as env, \
            AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        seed_final_decisions(ctx)
        if bulk:
            add_bulk_final_decisions(ctx, bulk)
    _ENV[folder] = env
    return folder


@pytest.fixture(scope="module")
def lead_data(tmp_path_factory: pytest.TempPathFactory, _demo_data_template: Path) -> Path:
    return _lead_folder(tmp_path_factory, _demo_data_template, "exports-cli")


@pytest.fixture(scope="module")
def big_data(tmp_path_factory: pytest.TempPathFactory, _demo_data_template: Path) -> Path:
    return _lead_folder(tmp_path_factory, _demo_data_template, "exports-cli-big", BULK)


@pytest.mark.slow  # a CLI process per format
def test_export_in_each_format(lead_data: Path, tmp_path: Path):
    done = cli(lead_data, "decisions", "export", "--format", "csv", "--out", str(tmp_path / "all.csv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Exported 4 final decisions to {tmp_path / 'all.csv'} (CSV; levels and comments of 7 criteria).",
        "The audit log's head, signed with your key, is in all.csv.audit-head.json beside it."]
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["submission_id"] for r in rows] == ["DEMO-1002", "DEMO-1001", "DEMO-2001", "DEMO-1002"]
    assert rows[2]["level:group-structures"] == "3" and rows[2]["source"] == "moderated"

    # The format follows the file's extension when --format is not given.
    done = cli(lead_data, "decisions", "export", "--out", str(tmp_path / "all.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["count"] == 4

    done = cli(lead_data, "decisions", "export", "--out", str(tmp_path / "all.xlsx"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.xlsx").read_bytes()[:2] == b"PK"  # a zip: the workbook


def test_filters_on_the_command_line(lead_data: Path, tmp_path: Path):
    out = tmp_path / "f.json"
    done = cli(lead_data, "decisions", "export", "--out", str(out), "--credential", "fa-math",
               "--from", "2025-03-05", "--to", "2025-04-30", "--decision", "not_yet",
               "--sync-state", "rejected", "--sync-state", "queued")
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(d["submission_id"], d["attempt"]) for d in data["decisions"]] == [("DEMO-1002", 2)]
    assert data["filters"]["sync_states"] == ["rejected", "queued"]
    assert "Exported 1 final decision to" in done.stdout


@pytest.mark.slow  # CLI processes writing PDFs
def test_letters_one_file_each_or_combined(lead_data: Path, tmp_path: Path):
    done = cli(lead_data, "letters", "--out", str(tmp_path / "letters"), "--decision", "not_yet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote 2 feedback letters to {tmp_path / 'letters'}."
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == [
        "DEMO-1002-1-Sam-Rivera.pdf", "DEMO-1002-2-Sam-Rivera.pdf"]

    done = cli(lead_data, "letters", "--out", str(tmp_path / "all.pdf"), "--combined")
    assert done.returncode == 0, done.stderr
    fitz = load_pymupdf()
    with fitz.open(tmp_path / "all.pdf") as doc:
        assert len(doc.get_toc()) == 4
        assert "Decision: Earned" in doc[2].get_text()


@pytest.mark.slow  # several CLI processes
def test_a_reviewer_is_refused(tmp_path: Path, _demo_data_template: Path):
    data = tmp_path / "data"
    shutil.copytree(_demo_data_template, data)
    done = cli(data, "decisions", "export", "--out", str(tmp_path / "f.csv"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: Only a lead assessor may export final decisions")
    assert done.stderr.count("\n") == 1 and not (tmp_path / "f.csv").exists()
    done = cli(data, "letters", "--out", str(tmp_path / "letters"))
    assert done.returncode == 2 and "Only a lead assessor may write feedback letters" in done.stderr
    assert not (tmp_path / "letters").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["decisions", "export", "--out", "x.txt"], "Say which format with --format"),
    (["decisions", "export", "--out", "x.csv", "--from", "1 March"], "--from takes a day as YYYY-MM-DD"),
    (["decisions", "export", "--out", "x.csv", "--from", "2025-04-01", "--to", "2025-03-01"],
     "The date range is empty"),
    (["letters", "--out", "none.pdf", "--combined", "--credential", "nope"], "No final decisions match"),
])
def test_refusals_are_one_line(lead_data: Path, tmp_path: Path, args: list[str], message: str):
    args = [str(tmp_path / a) if a.endswith((".txt", ".csv", ".pdf")) else a for a in args]
    done = cli(lead_data, *args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}") and done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _interrupt_when(proc: subprocess.Popen[str], ready: Callable[[], bool],
                    what: str) -> tuple[str, str]:
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the command ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} never happened")
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=120)


@pytest.mark.slow  # a large export interrupted
def test_ctrl_c_stops_an_export_and_leaves_no_half_file(big_data: Path, tmp_path: Path):
    out = tmp_path / "exports" / "final.csv"
    out.parent.mkdir()
    out.write_text("previous export\n")
    proc = subprocess.Popen([sys.executable, "-m", "reviewer_app", "--data-dir", str(big_data),
                             "decisions", "export", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ENV.get(big_data))

    def writing() -> bool:  # the temporary file beside the target has rows in it
        parts = [p for p in out.parent.iterdir() if p.name.endswith(".part")]
        return any(p.stat().st_size > 0 for p in parts)

    _, err = _interrupt_when(proc, writing, "the export started writing")
    assert proc.returncode == 130, err
    assert "Export cancelled: nothing was written (the existing file is unchanged)." in err
    assert "Traceback" not in err
    assert out.read_text() == "previous export\n"
    assert [p.name for p in out.parent.iterdir()] == ["final.csv"]


def test_ctrl_c_stops_letters_and_keeps_only_whole_ones(big_data: Path, tmp_path: Path):
    out = tmp_path / "letters"
    proc = subprocess.Popen([sys.executable, "-m", "reviewer_app", "--data-dir", str(big_data),
                             "letters", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ENV.get(big_data))

    def some_written() -> bool:
        return out.is_dir() and sum(1 for p in out.iterdir() if p.suffix == ".pdf") >= 2

    _, err = _interrupt_when(proc, some_written, "two letters were written")
    assert proc.returncode == 130, err
    assert "Letters cancelled:" in err and "none is half written" in err and "Traceback" not in err
    files = list(out.iterdir())
    assert 2 <= len(files) < BULK + 4
    assert all(p.suffix == ".pdf" and not p.name.startswith(".") for p in files)  # no .part
    fitz = load_pymupdf()
    for path in files:
        with fitz.open(path) as doc:
            assert "With best wishes" in doc[-1].get_text()  # each one complete
