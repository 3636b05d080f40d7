"""What the workspace says when the database cannot be written, made for real: the database
file on a read-only mount, and the data folder on a small, full tmpfs (each in a mount
namespace of the child's own: ``unshare -m``, as root). The reviewer's edit stays on screen
marked unsaved with the reason; closing asks first; once the fault is gone the edit is
stored without the reviewer doing it again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services import reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                 reason="needs root and unshare to make the faults"),
              pytest.mark.slow]  # the app in a subprocess, under faults made for real

# Runs in the child: opens the workspace, runs BREAK (a shell command), chooses a level,
# reports what the window says, tries to close, runs FIX, and reports again.
SCRIPT = r"""
import subprocess, sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from reviewer_app.config import resolve_paths
from reviewer_app.gui.app import make_application
from reviewer_app.gui.settings import open_settings
from reviewer_app.gui.workspace.opener import load_workspace_data
from reviewer_app.gui.workspace.window import WorkspaceWindow
from reviewer_app.store.context import AppContext
from reviewer_app.services.submissions import get_submission

data, broken, fix, after = sys.argv[1:5]
app = make_application()
ctx = AppContext.open(resolve_paths(data_dir=data))
detail, review, notes = load_workspace_data(ctx, "DEMO-2001", None)
window = WorkspaceWindow(ctx, open_settings(ctx.paths.data_dir), detail, review, notes)
window.show()

def say(*words):
    print(*words, flush=True)

def later(check, then, ms=50, limit=[0]):
    limit[0] += 1
    if limit[0] > 1200:
        say("TIMEOUT", window.save_label.text()); app.exit(1); return
    QTimer.singleShot(ms, lambda: then() if check() else later(check, then, ms))

def dialog(name):
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()), None)

def act():
    if broken:
        subprocess.run(broken, shell=True, check=True)
    QTest.mouseClick(window.findChild(QPushButton, "level-group-structures-3"), Qt.MouseButton.LeftButton)
    later(lambda: window.save_label.property("state") == "unsaved" and dialog("errorDialog"), unsaved)

def unsaved():
    box = dialog("errorDialog")
    say("LABEL", window.save_label.text())
    say("DIALOG", box.windowTitle(), "|", box.text().replace("\n", " "))
    say("SHOWN", window.editor.levels()["group-structures"])
    box.accept()
    window.close()
    later(lambda: dialog("unsavedDialog"), asked)

def asked():
    box = dialog("unsavedDialog")
    say("ASKED", box.text(), "| visible:", window.isVisible())
    if fix == "discard":  # the reviewer closes without the unsaved change
        window.closed.connect(lambda: say("CLOSED", "yes"))  # (then the app ends: no window left)
        next(b for b in box.buttons() if b.text() == "Close Without Saving").click()
        return
    box.buttons()[0].click()  # Keep Open
    subprocess.run(fix, shell=True, check=True)
    later(lambda: window.save_label.property("state") == "saved", saved)

def saved():
    say("SAVED", window.save_label.text(), "|", window.editor.review.uid)
    window.close()
    ctx.close()
    if after:
        subprocess.run(after, shell=True, check=True)
    app.exit(0)

QTimer.singleShot(300, act)
sys.exit(app.exec())
"""


def _start_review(data: Path) -> None:
    """The review exists before the fault (opening a submission the first time writes)."""
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        reviews.start_review(ctx, get_submission(ctx, "DEMO-2001").attempt_id)


def _run(shell_before: str, data: Path, broken: str, fix: str, after: str = "") -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REVIEWER_APP_NO_AUDIO": "1",
           "PYTHONPATH": str(ROOT)}
    command = f"{shell_before} exec \"$0\" -c \"$1\" \"$2\" \"$3\" \"$4\" \"$5\""
    child = subprocess.run(["unshare", "-m", "sh", "-c", command, sys.executable, SCRIPT,
                            str(data), broken, fix, after], capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=120)
    lines = dict(line.split(" ", 1) for line in child.stdout.splitlines() if " " in line)
    assert child.returncode == 0, child.stdout + child.stderr[-3000:]
    return lines


def _stored_level(data: Path, uid: str) -> int | None:
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        return reviews.get_review(ctx, uid).levels()["group-structures"]


def _check(out: dict[str, str], reason: str) -> str:
    assert out["LABEL"] == f"\u26a0 Not saved: {reason} \u2014 trying again"
    title, text = out["DIALOG"].split(" | ", 1)
    assert title == "Changes not saved yet"
    assert "saved" not in text.replace("saved once", ""), text  # never "your work is saved"
    assert out["SHOWN"] == "3", "the edit was taken off the screen"
    assert out["ASKED"].startswith(f"Some of your changes are not saved yet ({reason})")
    assert out["ASKED"].endswith("visible: True")
    assert out["SAVED"].startswith("\u2714 All changes saved")
    return out["SAVED"].rsplit(" | ", 1)[1]


def test_read_only_database_keeps_the_edit_and_saves_it_when_writable(demo_data_dir: Path):
    _start_review(demo_data_dir)
    db = demo_data_dir / "reviewer.sqlite3"
    before = f"mount --bind {db} {db} && mount -o remount,bind,ro {db} &&"
    out = _run(before, demo_data_dir, "", f"umount -l {db}")
    assert "read-only" in out["DIALOG"]
    uid = _check(out, "the database is read-only")
    assert _stored_level(demo_data_dir, uid) == 3


def test_full_disk_keeps_the_edit_and_saves_it_when_there_is_room(demo_data_dir: Path, tmp_path: Path):
    _start_review(demo_data_dir)
    mount = tmp_path / "small"
    mount.mkdir()
    data = mount / "data"
    # Only the database: the evidence files are not needed to score (the viewer says so).
    before = (f"mount -t tmpfs -o size=4m tmpfs {mount} && mkdir {data} && "
              f"cp {demo_data_dir / 'reviewer.sqlite3'} {data}/ &&")
    fill = f"(dd if=/dev/zero of={mount}/filler bs=64k 2>/dev/null || true)"
    out = _run(before, data, fill, f"rm {mount}/filler", f"cp -r {data} {tmp_path}/after")
    assert "The disk holding your reviews is full" in out["DIALOG"]
    assert "Free at least 50.0 MB" in out["DIALOG"]
    uid = _check(out, "the disk is full")
    # (the tmpfs went with the child's namespace: the copy taken after saving is checked)
    assert _stored_level(tmp_path / "after", uid) == 3


def test_closing_without_saving_drops_only_the_unsaved_edit(demo_data_dir: Path):
    _start_review(demo_data_dir)
    db = demo_data_dir / "reviewer.sqlite3"
    before = f"mount --bind {db} {db} && mount -o remount,bind,ro {db} &&"
    out = _run(before, demo_data_dir, "", "discard")
    assert out["SHOWN"] == "3" and out["ASKED"].endswith("visible: True")
    assert out["CLOSED"] == "yes"
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        review = reviews.get_review(ctx, reviews.start_review(
            ctx, get_submission(ctx, "DEMO-2001").attempt_id).uid)
    assert review.levels()["group-structures"] is None  # as the reviewer was told
