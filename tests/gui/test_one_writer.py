"""One writer per data folder, with real processes: a second ``reviewer-app open`` hands the
submission to the window already open; a command that writes is refused, naming the
window's process, while one that reads works; a window started while a command holds the
folder opens read-only and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext
from reviewer_app.store.owner import OWNER_NAME, WriterLock

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REVIEWER_APP_NO_AUDIO": "1",
       "PYTHONPATH": str(ROOT)}

# The app as a user starts it; prints READY once the window shows and OPENED for each
# workspace that opens; closes everything when a line comes on stdin (or after ARGV[3] s).
SCRIPT = r"""
import sys, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from reviewer_app.config import resolve_paths
from reviewer_app.gui import app as gui_app
from reviewer_app.gui.app import make_application
from reviewer_app.gui.workspace import opener

qapp = make_application()
seen = set()
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()

def poll():
    for window in opener.open_windows():
        if id(window) not in seen:
            seen.add(id(window))
            print("OPENED", window.windowTitle(), "|", window.save_label.text(), "| locked:",
                  window.editor.locked, flush=True)
    if done.is_set():
        for top in QApplication.topLevelWidgets():
            top.close()
        qapp.quit()
        return
    QTimer.singleShot(50, poll)

def ready():
    banners = [w.text() for top in QApplication.topLevelWidgets()
               for w in top.findChildren(QLabel, "readOnlyBanner")]
    print("READY", banners[0] if banners else "", flush=True)

QTimer.singleShot(0, ready)
QTimer.singleShot(50, poll)
QTimer.singleShot(int(sys.argv[3]) * 1000, done.set)
target = sys.argv[2] or None
sys.exit(gui_app.run(resolve_paths(data_dir=sys.argv[1]), open_target=target))
"""


def _window(data: Path, target: str = "") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), target, "60"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=ROOT)


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=ROOT)


def _line(proc: subprocess.Popen, prefix: str) -> str:
    while line := proc.stdout.readline():
        if line.startswith(prefix):
            return line.rstrip("\n")
    raise AssertionError(f"no {prefix} line: {proc.stderr.read()[-3000:]}")


def _quit(proc: subprocess.Popen) -> None:
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    proc.wait(30)


@pytest.mark.slow  # two app processes and the CLI
def test_second_instance_hands_over_and_writing_commands_are_refused(demo_data_dir: Path):
    first = _window(demo_data_dir)
    try:
        assert _line(first, "READY") == "READY "  # no banner: it holds the folder
        owner = json.loads((demo_data_dir / OWNER_NAME).read_text())
        assert owner["pid"] == first.pid and owner["what"] == "the Reviewer window"

        second = _cli(demo_data_dir, "open", "DEMO-2001")
        assert second.returncode == 0, second.stderr
        assert "already open on this data folder: DEMO-2001 opens there" in second.stdout
        opened = _line(first, "OPENED")
        assert opened.startswith("OPENED DEMO-2001 (attempt 1)")
        assert opened.endswith("| locked: False")

        refused = _cli(demo_data_dir, "demo")
        assert refused.returncode == 2
        assert f"in use by the Reviewer window (process {first.pid}, since" in refused.stderr
        listed = _cli(demo_data_dir, "list")
        assert listed.returncode == 0 and "DEMO-2001" in listed.stdout, listed.stderr
    finally:
        _quit(first)
    assert first.returncode == 0
    assert not (demo_data_dir / OWNER_NAME).exists(), "a clean exit leaves no owner record"
    assert list((demo_data_dir / "backups").glob("reviewer-*.sqlite3")), "no daily backup was made"


def test_window_opens_read_only_while_a_command_holds_the_folder(demo_data_dir: Path):
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        before = get_submission(ctx, "DEMO-1001").status
    lock = WriterLock(demo_data_dir).acquire("the command 'reviewer-app import'")
    try:
        window = _window(demo_data_dir, "DEMO-1001")
        try:
            banner = _line(window, "READY")
            assert banner.startswith("READY <b>Read-only.</b> The command 'reviewer-app import' "
                                     f"(process {os.getpid()}, since ")
            assert "is writing to this data folder" in banner
            assert _line(window, "OPENED").endswith("| Read-only: another window or command "
                                                    "holds this data folder | locked: True")
        finally:
            _quit(window)
        assert window.returncode == 0
    finally:
        lock.release()
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        assert get_submission(ctx, "DEMO-1001").status == before
