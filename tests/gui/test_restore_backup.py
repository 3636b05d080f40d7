"""Starting the window on a damaged database: it is named as damaged, the newest backup is
offered, and only when the reviewer chooses Restore Backup is it put in place (the damaged
file kept beside it); the window then opens on the restored data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.store.migrate import backup_sqlite

ROOT = Path(__file__).resolve().parents[2]

# Answers the damaged-database dialog with ARGV[2] ("Restore Backup" or "Cancel"), reports
# what it said, and what the window shows afterwards.
SCRIPT = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from reviewer_app.config import resolve_paths
from reviewer_app.gui import app as gui_app
from reviewer_app.gui.app import make_application
from reviewer_app.gui.main_window import MainWindow

qapp = make_application()
choice = sys.argv[2]

def poll():
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        if isinstance(top, QMessageBox) and top.objectName() == "restoreDialog":
            print("ASKED", top.text(), flush=True)
            next(b for b in top.buttons() if b.text() == choice).click()
        elif isinstance(top, QMessageBox):
            print("TOLD", top.windowTitle(), "|", top.text(), flush=True)
            top.accept()
        elif isinstance(top, MainWindow) and top.model.rowCount() > 0:
            print("ROWS", top.model.rowCount(), flush=True)
            top.close()
            qapp.quit()
            return
    QTimer.singleShot(50, poll)

QTimer.singleShot(50, poll)
QTimer.singleShot(30_000, qapp.quit)
sys.exit(gui_app.run(resolve_paths(data_dir=sys.argv[1])))
"""


def _start(data: Path, choice: str) -> tuple[int, dict[str, str]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(data), choice], capture_output=True,
                         text=True, timeout=90, env=env, cwd=ROOT)
    return run.returncode, dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)


@pytest.mark.slow  # the app in a subprocess
def test_the_window_offers_the_newest_backup_and_restores_only_when_asked(demo_data_dir: Path):
    db = demo_data_dir / "reviewer.sqlite3"
    backup = backup_sqlite(db, demo_data_dir / "backups", "test")
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with db.open("r+b") as f:
        f.write(b"not a database at all" * 10)  # the header: SQLite cannot open it
    damaged = db.read_bytes()

    status, said = _start(demo_data_dir, "Cancel")
    assert status == 2
    assert said["ASKED"].startswith(f"The database {db} is damaged")
    assert f"The newest backup is {backup.name}" in said["ASKED"]
    assert db.read_bytes() == damaged, "nothing changes without the reviewer's yes"

    status, said = _start(demo_data_dir, "Restore Backup")
    assert status == 0, said
    assert said["TOLD"].startswith("Backup restored | The backup ")
    attempts = sqlite3.connect(backup).execute("SELECT count(*) FROM attempt").fetchone()[0]
    assert int(said["ROWS"]) == attempts > 0  # the demo submissions, from the backup
    kept = [p for p in demo_data_dir.glob("reviewer.sqlite3.damaged-*") if p.suffix != ".sqlite3-wal"]
    assert [p.read_bytes() for p in kept if not p.name.endswith(("-wal", "-shm"))] == [damaged]
