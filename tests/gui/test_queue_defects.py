"""Defects found trying the app as a new reviewer would (issue 11, item 9), each with the
behaviour a user notices: double-click opens once, the queue follows a submit without F5,
every column sorts, F1 works in the queue, File > Quit closes every window, About is not
clipped, Show Folder says so when no file manager opens, a shortcut clash shows as typed."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QKeySequenceEdit, QLabel, QMessageBox

from reviewer_app.gui.about import AboutDialog
from reviewer_app.gui.folders import show_folder
from reviewer_app.gui.main_window import MainWindow
from reviewer_app.gui.shortcuts import ShortcutsDialog
from reviewer_app.gui.submission_model import COLUMNS
from reviewer_app.gui.workspace import opener
from reviewer_app.gui.workspace.submit_summary import SubmitSummary
from reviewer_app.store import models as m

import workspace_support


@pytest.fixture
def window(qtbot, demo_ctx):
    win = MainWindow(demo_ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded, timeout=10_000):
        win.show()
    qtbot.waitExposed(win)
    return win


def _row_of(win: MainWindow, key: str, attempt: int) -> int:
    return next(i for i in range(win.model.rowCount())
                if (win.model.row(i).key, win.model.row(i).attempt) == (key, attempt))


def _status(win: MainWindow, key: str, attempt: int) -> str:
    return win.model.index(_row_of(win, key, attempt), 4).data()


def _errors() -> list[QMessageBox]:
    return [w for w in QApplication.allWidgets() if isinstance(w, QMessageBox)
            and w.objectName() == "errorDialog" and w.isVisible()]


def _opened(qtbot) -> list:
    qtbot.waitUntil(lambda: bool(opener.open_windows()), timeout=15_000)
    windows = opener.open_windows()
    workspace_support.OPEN.extend(windows)
    return windows


def test_double_clicking_a_new_submission_opens_it_once(qtbot, window, demo_ctx):
    table = window.ui.submissionTable
    row = _row_of(window, "DEMO-2001", 1)
    assert _status(window, "DEMO-2001", 1) == "New"
    rect = table.visualRect(window.model.index(row, 0))
    # As a real double-click arrives: a click, then the second press as a double-click.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    windows = _opened(qtbot)
    workspace_support.wait_tasks_done(qtbot)  # any second opening would have shown its window now
    assert len(windows) == 1 and len(opener.open_windows()) == 1
    assert _errors() == []
    with demo_ctx.sessions() as session:
        reviews = session.query(m.Review).filter(m.Review.attempt_id == windows[0].detail.attempt_id)
        assert reviews.count() == 1
    # Opened: the queue says so at once.
    qtbot.waitUntil(lambda: _status(window, "DEMO-2001", 1) == "In progress", timeout=5000)


def test_the_queue_follows_a_submit_and_a_reopen_without_f5(qtbot, window):
    window.open_submission("DEMO-1002", 2)
    ws = _opened(qtbot)[0]
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 4), ("feedback", 3),
                       ("adjusting-instruction", 2)]:
        ws.editor.set_level(key, level)
    ws.rubric.submit()
    summary = ws.findChild(SubmitSummary, "submitSummary")
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        summary.accept()
    qtbot.waitUntil(lambda: _status(window, "DEMO-1002", 2) == "Submitted", timeout=5000)
    with qtbot.waitSignal(ws.editor.reopened, timeout=10_000):
        qtbot.mouseClick(ws.rubric.reopen_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _status(window, "DEMO-1002", 2) == "In progress", timeout=5000)


STATUS_ORDER = ["New", "In progress", "Submitted", "Disputed", "Synced"]


@pytest.mark.parametrize("column", range(len(COLUMNS)), ids=[c[0] for c in COLUMNS])
def test_every_sortable_column_sorts(qtbot, window, column):
    header = window.ui.submissionTable.horizontalHeader()
    assert COLUMNS[column][1] is not None  # every column of the queue sorts

    def values() -> list:
        out = [window.model.index(i, column).data() for i in range(window.model.rowCount())]
        if column == 4:
            return [STATUS_ORDER.index(v) for v in out]
        return [int(v) for v in out] if column in (1, 5) else out

    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        with qtbot.waitSignal(window.model.loaded, timeout=5000):
            window.ui.submissionTable.sortByColumn(column, order)
        assert header.sortIndicatorSection() == column
        got = values()
        assert got == sorted(got, reverse=order == Qt.SortOrder.DescendingOrder)
    assert len(set(values())) > 1  # (a column that cannot show an order proves nothing)


def test_f1_in_the_queue_lists_its_keys(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)  # (a real WM: later)
    window.ui.submissionTable.setFocus()
    qtbot.keyClick(window.ui.submissionTable, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(ShortcutsDialog) is not None, timeout=5000)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    labels = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"Refresh", "Import Package", "Quit", "Keyboard Shortcuts", "Find Submissions"} <= labels
    dialog.reject()


def test_file_quit_closes_every_window(qtbot, window):
    window.open_submission("DEMO-1001", 1)
    ws = _opened(qtbot)[0]
    assert ws.isVisible()
    window.ui.actionQuit.trigger()
    qtbot.waitUntil(lambda: not ws.isVisible() and not window.isVisible(), timeout=5000)
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == []


def test_about_shows_its_lines_unclipped(qtbot, window):
    window.ui.actionAbout.trigger()
    dialog = window.findChild(AboutDialog, "aboutDialog")
    qtbot.waitUntil(dialog.is_loaded, timeout=20_000)
    qtbot.waitUntil(lambda: dialog.layout().geometry().height() > 0)
    QApplication.processEvents()
    for label in [dialog.findChild(QLabel, "aboutTitle"), *dialog.values.values()]:
        needed = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        assert label.height() >= needed, f"{label.objectName()} clipped: {label.height()} < {needed}"
        offset = label.parentWidget().mapTo(dialog, label.pos()) - label.pos()
        assert dialog.rect().contains(label.geometry().translated(offset))
        assert label.width() >= min(label.sizeHint().width(), 380) or label.wordWrap()
    dialog.close()


@pytest.mark.skipif(os.environ.get("QT_QPA_PLATFORM") not in ("offscreen", "minimal"),
                    reason="a desktop here may really open a file manager")
def test_show_folder_says_so_when_no_file_manager_opens(qtbot, window, tmp_path):
    box = show_folder(window, tmp_path)  # no file manager on this platform
    assert box is not None and box.isVisible()
    assert "No file manager" in box.text() and str(tmp_path) in box.text()


def test_a_shortcut_clash_is_flagged_as_it_is_typed(qtbot, demo_ctx):
    ws = workspace_support.make_workspace(qtbot, demo_ctx, "DEMO-1001")
    dialog = ws.show_shortcuts()
    assert dialog.warning.text() == ""
    editor = dialog.findChild(QKeySequenceEdit, "key-review.submit")
    editor.setKeySequence(QKeySequence("Ctrl+W"))  # Close Workspace's key
    assert "Ctrl+W" in dialog.warning.text()
    assert "Submit Review" in dialog.warning.text() and "Close Workspace" in dialog.warning.text()
    marked = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())
              if dialog.table.item(r, 1).text().startswith("\u26a0")]
    assert sorted(marked) == ["\u26a0 Close Workspace", "\u26a0 Submit Review"]
    editor.setKeySequence(QKeySequence("Ctrl+Return"))
    assert dialog.warning.text() == ""
    dialog.reject()
