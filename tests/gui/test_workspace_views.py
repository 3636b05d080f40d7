"""The workspace's views on a small screen: one key swaps video large / document large and
back, the rubric collapses to the current criterion, and what the reviewer sets is kept
for the screen size it was set on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from reviewer_app.gui.workspace.layout import screen_key

from workspace_support import make_workspace


def _action(ws, name: str) -> QAction:
    return ws.findChild(QAction, name)


def test_one_key_swaps_video_large_and_document_large(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # a video beside a PDF
    ws.resize(1920, 1000)
    viewer = ws.viewer
    qtbot.waitUntil(lambda: sum(viewer.sizes()) > 1300)
    assert _action(ws, "view.swap_sizes").shortcut().toString() == "Ctrl+Shift+D"
    ws.activateWindow()
    ws.rubric.submit_button.setFocus()
    qtbot.waitUntil(ws.rubric.submit_button.hasFocus)
    sizes = []
    for _ in range(3):
        qtbot.keyClick(ws, Qt.Key.Key_D,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        sizes.append(viewer.sizes())
    (m1, d1), (m2, d2), (m3, d3) = sizes
    assert d1 > 1.4 * m1  # document large
    assert m2 > 1.4 * d2  # video large
    assert (m3, d3) == (m1, d1)  # and back
    ws.close()
    again = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # the choice is kept
    again.resize(1920, 1000)
    qtbot.waitUntil(lambda: sum(again.viewer.sizes()) > 1300)
    media, document = again.viewer.sizes()
    assert abs(document / (media + document) - d3 / (m3 + d3)) < 0.02
    again.close()


def test_the_rubric_collapses_to_the_current_criterion(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    rubric = ws.rubric
    assert all(card.isVisible() for card in rubric.cards)
    _action(ws, "view.rubric_compact").trigger()
    shown = [card.criterion.key for card in rubric.cards if card.isVisible()]
    assert shown == [rubric.current] and rubric.feedback.isVisible() and rubric.submit_button.isVisible()
    ws.activateWindow()
    rubric.submit_button.setFocus()
    qtbot.waitUntil(rubric.submit_button.hasFocus)
    qtbot.keyClick(ws, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert [card.criterion.key for card in rubric.cards if card.isVisible()] == [rubric.current] != shown
    ws.close()
    again = make_workspace(qtbot, demo_ctx, "DEMO-2001")  # kept, for this screen size
    assert again.rubric.is_compact() and sum(card.isVisible() for card in again.rubric.cards) == 1
    again.rubric.compact_button.click()  # the button on the rubric does the same
    assert all(card.isVisible() for card in again.rubric.cards)
    assert not _action(again, "view.rubric_compact").isChecked()
    again.close()


def test_the_layout_is_kept_per_screen_size(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    first.docks["notes"].hide()
    first.close()
    settings = first.settings
    here = f"workspace/{screen_key(first)}/state"
    assert settings.value(here) is not None
    second = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    assert not second.docks["notes"].isVisible()
    second.close()
    # The same layout made on another screen size leaves this one at the default.
    settings.setValue("workspace/1x1/state", settings.value(here))
    settings.remove(here)
    third = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    assert not third.docks["notes"].isHidden()
    assert third.dockWidgetArea(third.docks["evidence"]) == Qt.DockWidgetArea.TopDockWidgetArea
    assert third.evidence.strip
    third.close()
