"""The window paints before the heavy libraries load (issue #15: start to first paint).

The app started as a reviewer starts it, asked (REVIEWER_APP_FIRST_PAINT_FILE) to write
the modules loaded at its main window's first paint and quit: the database layer, the
migrations, the PDF and video libraries and the services come after the paint, never
before it. Not timed: tests/benchmarks/bench_startup.py times it. And the window shown
before the database is open takes what the reviewer does meanwhile into account.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from reviewer_app.gui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]

# What the first paint does not need: loaded after it (on a worker thread) or on demand.
NOT_BEFORE_PAINT = ("sqlalchemy", "alembic", "fitz", "pymupdf", "vlc", "httpx", "keyring",
                    "reviewer_app.store.context", "reviewer_app.store.db", "reviewer_app.services",
                    "reviewer_app.gui.workspace", "reviewer_app.gui.media", "reviewer_app.gui.pdf")


def test_nothing_heavy_is_imported_before_the_first_paint(demo_data_dir: Path, tmp_path: Path):
    mark = tmp_path / "first-paint.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "REVIEWER_APP_FIRST_PAINT_FILE": str(mark)}
    run = subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(demo_data_dir)],
                         capture_output=True, text=True, timeout=90, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "Error calling" not in run.stderr, run.stderr
    modules = set(json.loads(mark.read_text())["modules"])
    assert "reviewer_app.gui.main_window" in modules  # it was the main window that painted
    early = sorted(m for m in modules if m.split(".")[0] in NOT_BEFORE_PAINT
                   or any(m == p or m.startswith(p + ".") for p in NOT_BEFORE_PAINT))
    assert early == [], f"imported before the first paint: {early}"


def test_a_search_and_sort_chosen_before_the_database_opens_are_applied(qtbot, demo_ctx):
    win = MainWindow(None, paths=demo_ctx.paths)
    qtbot.addWidget(win)
    win.show()
    assert win.model.rowCount() == 0 and win.model.columnCount() == 6  # headers, no rows yet
    assert not win.ui.actionImport.isEnabled()
    win.ui.searchEdit.setText("1002")
    win.ui.submissionTable.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # by attempt
    with qtbot.waitSignal(win.model.loaded, timeout=10_000):
        win.attach(demo_ctx)
    assert [(win.model.row(i).key, win.model.row(i).attempt) for i in range(win.model.rowCount())] \
        == [("DEMO-1002", 1), ("DEMO-1002", 2)]
    assert win.count_label.text() == "2 submissions match"
    assert win.ui.actionImport.isEnabled()
