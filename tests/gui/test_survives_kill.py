"""A review survives the process being killed: everything the reviewer did before the kill
is there when the submission is opened again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services import reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

ROOT = Path(__file__).resolve().parents[2]

# Runs in a child process: opens the workspace, scores with the keyboard and the mouse,
# types a comment, waits until the window says the work is saved, then waits to be killed.
SCRIPT = r"""
import os, sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton
from reviewer_app.config import resolve_paths
from reviewer_app.gui.app import make_application
from reviewer_app.gui.settings import open_settings
from reviewer_app.gui.workspace.opener import load_workspace_data
from reviewer_app.gui.workspace.window import WorkspaceWindow
from reviewer_app.store.context import AppContext

app = make_application()
ctx = AppContext.open(resolve_paths(data_dir=sys.argv[1]))
detail, review, notes = load_workspace_data(ctx, "DEMO-2001", None)
window = WorkspaceWindow(ctx, open_settings(ctx.paths.data_dir), detail, review, notes)
window.show()

def act():
    QTest.mouseClick(window.findChild(QPushButton, "level-group-structures-3"), Qt.MouseButton.LeftButton)
    window.rubric.set_current("discourse-moves")
    QTest.keyClick(window, Qt.Key.Key_2)
    box = window.rubric.card("equitable-participation").comment
    box.setFocus()
    QTest.keyClicks(box, "Two students never speak (video 00:08).")
    window.editor.add_note(evidence_key="group", start_ms=8000, end_ms=None,
                           text="Quiet pair", criterion_key="equitable-participation")
    QTimer.singleShot(600, report)  # after the comment's typing pause

def report():
    if window.editor.writer.pending or window.save_label.property("state") != "saved":
        QTimer.singleShot(50, report)
        return
    print("SAVED", window.editor.review.uid, flush=True)

QTimer.singleShot(300, act)
app.exec()
"""


@pytest.mark.slow  # an app killed and its work read back
def test_work_before_a_kill_is_all_there(demo_data_dir: Path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REVIEWER_APP_NO_AUDIO": "1"}
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(demo_data_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line.startswith("SAVED"):
            line = child.stdout.readline()
            assert line or child.poll() is None, child.stderr.read()
        assert line.startswith("SAVED"), "the window never said it was saved"
        uid = line.split()[1]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL

    from reviewer_app.services.annotations import list_notes

    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        review = reviews.get_review(ctx, uid)
        assert review.levels() == {"group-structures": 3, "discourse-moves": 2,
                                   "equitable-participation": None}
        comments = {s.criterion_key: s.comment for s in review.scores}
        assert comments["equitable-participation"] == "Two students never speak (video 00:08)."
        assert [(n.text, n.start_ms) for n in list_notes(ctx, uid)] == [("Quiet pair", 8000)]
        assert get_submission(ctx, "DEMO-2001").status.value == "in progress"


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(proc.name))
    return found


@pytest.mark.slow  # an app killed and its renderers waited for
def test_pdf_renderers_end_with_a_killed_app(tmp_path: Path):
    """Killing the app must not leave its PDF renderer processes running."""
    script = r"""
import sys
from reviewer_app.gui.app import make_application
from reviewer_app.gui.pdf.render_client import check_pdf
from reviewer_app.resources_path import resource
app = make_application()
print("CHECKED", repr(check_pdf(resource("demo", "lesson-plan.pdf"))), flush=True)
import time; time.sleep(60)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT)
    try:
        assert child.stdout.readline().startswith("CHECKED ''")
        renderers = _children(child.pid)
        assert renderers, "the check ran in no renderer process"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in renderers):
        time.sleep(0.1)
    alive = [p for p in renderers if Path(f"/proc/{p}/stat").exists()
             and (Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")]
    assert alive == [], "renderer processes outlived the app"
