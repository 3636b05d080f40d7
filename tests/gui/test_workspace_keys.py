"""Keys in the workspace, on the demo data: Ctrl+F opens a find bar that counts its hits;
typing in a text field types, and never fires a single-key shortcut (notes, marks,
levels, playback, pages)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from reviewer_app.gui.workspace.window import WorkspaceWindow

from workspace_support import make_workspace, wait_saved

WAIT = 20_000
# Every key bound to an action without a modifier, and then some.
TYPED = "I O N A R P W F M K J L 1 2 3 4 0 , . [ ] ianrpwfmkjl"


def _ready(qtbot, ws: WorkspaceWindow) -> None:
    viewer = ws.viewer
    qtbot.waitUntil(lambda: viewer.pdf.page_image_shown() and viewer.media.current_frame() is not None,
                    timeout=WAIT)
    qtbot.waitUntil(lambda: viewer.media.state() == "paused", timeout=WAIT)


def _dialogs_refused(seen: list[str]) -> QTimer:
    """A watchdog: a dialog a stray key opened (A opens the note dialog) is recorded and
    closed, so the test reports it instead of hanging."""
    timer = QTimer()

    def check() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            seen.append(modal.windowTitle() or type(modal).__name__)
            modal.close()

    timer.timeout.connect(check)
    timer.start(50)
    return timer


@pytest.fixture
def ws(qtbot, demo_ctx):
    window = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # a video beside a PDF
    _ready(qtbot, window)
    return window


def test_ctrl_f_opens_a_find_bar_with_the_hit_count(qtbot, ws):
    pdf = ws.viewer.pdf
    assert not pdf.find_bar.isVisible()
    ws.activateWindow()
    ws.rubric.submit_button.setFocus()
    qtbot.keyClick(ws, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert pdf.find_bar.isVisible() and pdf.search_edit.hasFocus()
    qtbot.keyClicks(pdf.search_edit, "exit ticket")
    with qtbot.waitSignal(pdf.searchFinished, timeout=WAIT) as found:
        qtbot.keyClick(pdf.search_edit, Qt.Key.Key_Return)
    hits = found.args[0]
    assert hits >= 2 and pdf.hit_label.text() == f"1 of {hits}" and pdf.hit_label.isVisible()
    qtbot.keyClick(ws, Qt.Key.Key_F3)
    assert pdf.hit_label.text() == f"2 of {hits}"
    qtbot.keyClick(pdf.search_edit, Qt.Key.Key_Escape)  # closes the bar and clears the hits
    assert not pdf.find_bar.isVisible() and not pdf.hits() and not pdf.canvas.hits


@pytest.mark.parametrize("field", ["comment", "feedback", "find", "go_to_time", "page", "zoom"])
def test_typing_in_a_text_field_never_fires_a_shortcut(qtbot, ws, field):
    viewer, rubric = ws.viewer, ws.rubric
    card = rubric.card(rubric.current)
    box = {"comment": card.comment, "feedback": rubric.feedback, "find": viewer.pdf.search_edit,
           "go_to_time": viewer.media.goto_edit, "page": viewer.pdf.page_box,
           "zoom": viewer.pdf.zoom_box.lineEdit()}[field]
    if field == "find":
        viewer.pdf.focus_search()
    ws.activateWindow()
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    before = dict(levels=ws.editor.levels(), notes=len(ws.editor.notes), page=viewer.pdf.current_page(),
                  position=viewer.media.position(), rate=viewer.media.rate(), muted=viewer.media.is_muted(),
                  marks=viewer.media.engine().marks(), region=viewer.pdf.region_mode(),
                  fit=viewer.pdf.fit_mode(), current=rubric.current)
    dialogs: list[str] = []
    watchdog = _dialogs_refused(dialogs)
    qtbot.keyClicks(box, TYPED)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    watchdog.stop()
    if field not in ("page", "zoom"):  # (those take numbers only)
        text = box.toPlainText() if hasattr(box, "toPlainText") else box.text()
        assert text.replace(" ", "") == TYPED.replace(" ", "")  # every key was typed
    after = dict(levels=ws.editor.levels(), notes=len(ws.editor.notes), page=viewer.pdf.current_page(),
                 position=viewer.media.position(), rate=viewer.media.rate(), muted=viewer.media.is_muted(),
                 marks=viewer.media.engine().marks(), region=viewer.pdf.region_mode(),
                 fit=viewer.pdf.fit_mode(), current=rubric.current)
    assert after == before and not dialogs
    assert viewer.media.state() == "paused"
    # The same keys outside a text field do act (so the test above can fail).
    rubric.submit_button.setFocus()
    qtbot.keyClick(ws, Qt.Key.Key_2)
    assert ws.editor.levels()[rubric.current] == card.criterion.levels[1].value
    wait_saved(qtbot, ws)
