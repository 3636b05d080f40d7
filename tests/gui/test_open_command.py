"""`reviewer-app open ID` and `reviewer-app open PACKAGE.zip`, each in a process of its own
(the app's event loop runs to the end and quits, as it does for a user)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs the app as `reviewer-app open TARGET` does, prints the workspace's title, quits.
SCRIPT = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from reviewer_app.config import resolve_paths
from reviewer_app.gui import app as gui_app
from reviewer_app.gui.app import make_application
from reviewer_app.gui.workspace import opener

qapp = make_application()

def poll():
    windows = opener.open_windows()
    if not windows:
        QTimer.singleShot(50, poll)
        return
    print("OPENED", windows[0].windowTitle(), flush=True)
    for top in QApplication.topLevelWidgets():
        top.close()
    qapp.quit()

QTimer.singleShot(50, poll)
QTimer.singleShot(30_000, qapp.quit)
sys.exit(gui_app.run(resolve_paths(data_dir=sys.argv[1]), open_target=sys.argv[2]))
"""


def _open(data_dir: Path, target: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REVIEWER_APP_NO_AUDIO": "1"}
    return subprocess.run([sys.executable, "-c", SCRIPT, str(data_dir), target], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow  # the app in a subprocess
def test_open_a_submission_id(demo_data_dir: Path):
    result = _open(demo_data_dir, "DEMO-2001")
    assert result.returncode == 0, result.stderr
    assert "OPENED DEMO-2001 (attempt 1)" in result.stdout


@pytest.mark.slow  # the app in a subprocess, after an import
def test_open_a_package_imports_it_first(tmp_path: Path, demo_packages):
    result = _open(tmp_path / "data", str(demo_packages[0]))
    assert result.returncode == 0, result.stderr
    assert "OPENED DEMO-1001 (attempt 1)" in result.stdout
    listed = subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(tmp_path / "data"),
                             "list"], capture_output=True, text=True, timeout=60)
    assert "DEMO-1001" in listed.stdout


def test_open_an_unknown_id_says_so_without_a_window(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir",
                             str(tmp_path / "data"), "open", "NOPE-9"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2 and "NOPE-9" in result.stderr
    assert "Traceback" not in result.stderr
