"""Storage faults named in plain words, from real SQLite errors (no QApplication)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from reviewer_app.store.db import make_engine
from reviewer_app.store.faults import explain, fault_kind


def _busy_error(folder: Path) -> sqlite3.OperationalError:
    """A real "database is locked": a write while another connection holds the write lock."""
    db = folder / "held.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    other = sqlite3.connect(db, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        other.close()
        holder.close()
    raise AssertionError("the write went through a held database")


def test_a_database_held_by_another_process_is_named_as_held(tmp_path: Path):
    fault = explain(_busy_error(tmp_path), tmp_path)
    assert fault is not None and fault.kind == "busy" and fault.retry
    assert fault.short == "the database is held by another window or process"
    assert fault.message.startswith("The database is held by another Reviewer window or process")


def test_a_file_that_is_not_a_database_is_named_damaged(tmp_path: Path):
    db = tmp_path / "junk.sqlite3"
    db.write_bytes(b"this is not SQLite" * 500)
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM sqlite_master")).all()
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy wraps the driver's error
        fault = explain(exc, tmp_path)
    else:
        raise AssertionError("a junk file read as a database")
    finally:
        engine.dispose()
    assert fault is not None and fault.kind == "damaged" and not fault.retry
    assert "is damaged" in fault.message and "restore-backup" in fault.message


def test_errors_that_are_not_storage_faults_are_left_alone(tmp_path: Path):
    assert fault_kind(ValueError("a bug")) is None
    assert explain(sqlite3.OperationalError("no such table: x"), tmp_path) is None
    # An I/O error on a disk with room is a disk error, not a full disk.
    assert fault_kind(OSError(5, "Input/output error"), tmp_path) == "io"
    assert fault_kind(OSError(28, "No space left on device"), tmp_path) == "full"


def test_a_backup_is_made_when_the_newest_is_a_day_old(demo_data_dir: Path):
    import os
    import time

    from reviewer_app.store.restore import backup_if_due, newest_backup

    db, backups = demo_data_dir / "reviewer.sqlite3", demo_data_dir / "backups"
    first = backup_if_due(db, backups, "rev")
    assert first is not None and newest_backup(db, backups).path == first
    assert backup_if_due(db, backups, "rev") is None  # the newest is fresh
    day_ago = time.time() - 25 * 3600
    os.utime(first, (day_ago, day_ago))
    second = backup_if_due(db, backups, "rev")
    assert second is not None and newest_backup(db, backups).path == second
    rows = sqlite3.connect(second).execute("SELECT count(*) FROM attempt").fetchone()[0]
    assert rows == sqlite3.connect(db).execute("SELECT count(*) FROM attempt").fetchone()[0] > 0


def test_a_held_database_names_the_process_holding_the_folder(tmp_path: Path):
    import subprocess
    import sys

    from reviewer_app.store.owner import WriterLock

    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from reviewer_app.store.owner import WriterLock; "
        "lock = WriterLock(Path(sys.argv[1])).acquire('the Reviewer window'); print('HELD', flush=True); "
        "time.sleep(30)"), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "HELD\n"
        fault = explain(_busy_error(tmp_path), tmp_path)
    finally:
        holder.kill()
        holder.wait(10)
    assert fault is not None and fault.kind == "busy"
    assert fault.message.startswith(
        f"The database is held by the Reviewer window (process {holder.pid}, since ")
    mine = WriterLock(tmp_path).acquire("the Reviewer window")  # this process: not named
    try:
        assert explain(_busy_error(tmp_path), tmp_path).message.startswith(
            "The database is held by another Reviewer window or process")
    finally:
        mine.release()
