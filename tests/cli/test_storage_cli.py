"""Damaged and full storage from the command line, made for real: a database page
overwritten, a session killed while it held the folder, a small tmpfs filled up."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.store.migrate import backup_sqlite

pytestmark = pytest.mark.slow  # storage faults made for real under the CLI

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _cli(data: Path, *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=ROOT,
                          stdin=subprocess.DEVNULL, **kw)


def _damage(db: Path, table: str) -> bytes:
    """Overwrite the root page of ``table`` with garbage; returns the file's bytes after."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    con.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)
    return db.read_bytes()


def test_damaged_database_is_named_and_the_newest_backup_restored(demo_data_dir: Path):
    db = demo_data_dir / "reviewer.sqlite3"
    backup = backup_sqlite(db, demo_data_dir / "backups", "test")
    damaged = _damage(db, "submission")

    listed = _cli(demo_data_dir, "list")
    assert listed.returncode == 2
    assert f"The database {db} is damaged" in listed.stderr
    assert f"The newest backup is {backup.name}, from " in listed.stderr
    assert "'reviewer-app restore-backup'" in listed.stderr

    asked = _cli(demo_data_dir, "restore-backup")  # no terminal to answer: nothing changes
    assert asked.returncode == 2 and "Nothing was changed" in asked.stderr
    assert db.read_bytes() == damaged

    restored = _cli(demo_data_dir, "restore-backup", "--yes")
    assert restored.returncode == 0, restored.stderr
    kept = list(demo_data_dir.glob("reviewer.sqlite3.damaged-*"))
    assert [k.read_bytes() for k in kept if not k.name.endswith(("-wal", "-shm"))] == [damaged]
    assert backup.is_file(), "the backup itself stays"
    listed = _cli(demo_data_dir, "list")
    assert listed.returncode == 0 and "DEMO-1001" in listed.stdout, listed.stderr


KILLED_HOLDER = r"""
import sys, time
from pathlib import Path
from reviewer_app.store.owner import WriterLock
lock = WriterLock(Path(sys.argv[1])).acquire("the Reviewer window")
print("HELD", flush=True)
time.sleep(60)
"""


def test_a_check_runs_after_a_session_ended_uncleanly(demo_data_dir: Path):
    _damage(demo_data_dir / "reviewer.sqlite3", "dispute")  # a table 'profile' never reads
    assert _cli(demo_data_dir, "profile", "--name", "Ada").returncode == 0  # no check: clean end

    holder = subprocess.Popen([sys.executable, "-c", KILLED_HOLDER, str(demo_data_dir)],
                              stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    assert holder.stdout.readline() == "HELD\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)

    checked = _cli(demo_data_dir, "profile", "--name", "Grace")
    assert checked.returncode == 2
    assert f"The database {demo_data_dir / 'reviewer.sqlite3'} is damaged (" in checked.stderr
    assert "There is no backup of it" in checked.stderr


BACKUP = ("import sys; from pathlib import Path; from reviewer_app.store.restore import backup_if_due; "
          "d = Path(sys.argv[1]); backup_if_due(d / 'reviewer.sqlite3', d / 'backups', 'rev')")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root and unshare to mount a small tmpfs")
def test_full_disk_is_named_and_reading_commands_still_work(demo_data_dir: Path, tmp_path: Path):
    mount, out = tmp_path / "small", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    data = mount / "data"
    cli = f"{sys.executable} -m reviewer_app --data-dir {data}"
    script = f"""
mount -t tmpfs -o size=2m tmpfs {mount} && mkdir {data} &&
cp {demo_data_dir / 'reviewer.sqlite3'} {data}/ &&
(dd if=/dev/zero of={mount}/filler bs=16k 2>/dev/null || true)
{cli} list; echo "LIST $?"
{cli} show DEMO-1001 >/dev/null; echo "SHOW $?"
{cli} export --format csv --out {out}/reviews.csv; echo "EXPORT $?"
{cli} profile --name Ada; echo "PROFILE $?"
{sys.executable} -c "{BACKUP}" {data}; echo "BACKUP $?"; ls {data}/backups | wc -l | sed 's/^/FILES /'
"""
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                         timeout=120, env=ENV, cwd=ROOT)
    status = dict(line.split() for line in run.stdout.splitlines()
                  if line.split()[:1] in (["LIST"], ["SHOW"], ["EXPORT"], ["PROFILE"], ["BACKUP"],
                                          ["FILES"]))
    assert status == {"LIST": "0", "SHOW": "0", "EXPORT": "0", "PROFILE": "2", "BACKUP": "1",
                      "FILES": "0"}, run.stdout + run.stderr  # a failed backup leaves no half file
    assert "DEMO-1001" in run.stdout
    assert "DEMO-1001" in (out / "reviews.csv").read_text()
    assert "The disk holding your reviews is full: only 0.0 MB free on it" in run.stderr
    assert "Free at least 50.0 MB" in run.stderr
    assert "disk I/O error" not in run.stderr.split("error:", 1)[1].splitlines()[0]
    assert "Logging error" not in run.stderr  # a log that cannot be written: one line, said once
    assert run.stderr.count("note: cannot write the log file") == 4
