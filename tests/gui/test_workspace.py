"""The reviewer's workspace, offscreen, on the demo data: scoring through the rubric panel
lands in the database at once; undo and redo; submit refuses an incomplete review and locks
a complete one; notes take the viewer to their place; the layout and shortcuts are kept."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from reviewer_app.config import resolve_paths
from reviewer_app.domain import ReviewStatus
from reviewer_app.gui.workspace.opener import load_workspace_data
from reviewer_app.gui.workspace.submit_summary import SubmitSummary
from reviewer_app.services import annotations as notes_svc
from reviewer_app.services import reviews
from reviewer_app.store.context import AppContext

from workspace_support import make_workspace, wait_saved

os.environ.setdefault("REVIEWER_APP_NO_AUDIO", "1")


def stored(data_dir, uid):
    """The review as a fresh connection (as after a restart) reads it."""
    with AppContext.open(resolve_paths(data_dir=data_dir)) as other:
        return reviews.get_review(other, uid)


@pytest.fixture
def ws(qtbot, demo_ctx):
    return make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # qtbot closes it afterwards


def test_clicking_a_level_is_stored_at_once(qtbot, ws, demo_data_dir):
    button = ws.findChild(QPushButton, "level-learning-goals-3")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_saved(qtbot, ws)
    assert ws.save_label.text().endswith("All changes saved")
    assert stored(demo_data_dir, ws.editor.review.uid).levels()["learning-goals"] == 3
    assert "meets" in ws.rubric.card("learning-goals").met_label.text()


def test_number_keys_score_the_current_criterion(qtbot, ws, demo_data_dir):
    ws.activateWindow()
    ws.rubric.submit_button.setFocus()
    qtbot.keyClick(ws, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # 2nd criterion
    qtbot.keyClick(ws, Qt.Key.Key_2)
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, ws.editor.review.uid).levels()["checks-for-understanding"] == 2
    assert "below required" in ws.rubric.card("checks-for-understanding").met_label.text()


def test_comments_and_feedback_are_stored(qtbot, ws, demo_data_dir):
    card = ws.rubric.card("feedback")
    qtbot.keyClicks(card.comment, "Written comments name next steps.")
    qtbot.keyClicks(ws.rubric.feedback, "Keep the exit tickets.")
    wait_saved(qtbot, ws)
    review = stored(demo_data_dir, ws.editor.review.uid)
    assert dict((s.criterion_key, s.comment) for s in review.scores)["feedback"] == \
        "Written comments name next steps."
    assert review.feedback == "Keep the exit tickets."


def test_undo_and_redo_are_stored_too(qtbot, ws, demo_data_dir):
    uid = ws.editor.review.uid
    qtbot.mouseClick(ws.findChild(QPushButton, "level-feedback-4"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(ws.findChild(QPushButton, "level-feedback-2"), Qt.MouseButton.LeftButton)
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, uid).levels()["feedback"] == 2
    ws.findChild(type(ws.editor.undo_stack.createUndoAction(ws)), "edit.undo").trigger()
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, uid).levels()["feedback"] == 4
    assert ws.findChild(QPushButton, "level-feedback-4").isChecked()
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, uid).levels()["feedback"] is None
    ws.editor.undo_stack.redo()
    ws.editor.undo_stack.redo()
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, uid).levels()["feedback"] == 2


def test_decision_is_derived_live(qtbot, ws):
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 3), ("feedback", 4)]:
        ws.editor.set_level(key, level)
    assert "incomplete" in ws.rubric.decision_label.text()
    ws.editor.set_level("adjusting-instruction", 2)
    assert "Earned" in ws.rubric.decision_label.text()
    ws.editor.set_level("feedback", 1)
    assert "Not yet" in ws.rubric.decision_label.text()
    assert "required" in ws.rubric.feedback_hint.text()
    wait_saved(qtbot, ws)


def test_submit_refuses_an_incomplete_review(qtbot, ws, demo_data_dir):
    ws.editor.set_level("learning-goals", 1)
    qtbot.mouseClick(ws.rubric.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.findChild(QMessageBox, "errorDialog") is not None, timeout=10_000)
    box = ws.findChild(QMessageBox, "errorDialog")
    assert "cannot be submitted" in box.text()
    assert "Checks for understanding" in box.detailedText() and "Feedback" in box.detailedText()
    assert stored(demo_data_dir, ws.editor.review.uid).status is ReviewStatus.DRAFT
    assert ws.rubric.submit_button.isEnabled()


def test_submit_locks_a_complete_review(qtbot, ws, demo_data_dir):
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 4), ("feedback", 3),
                       ("adjusting-instruction", 2)]:
        ws.editor.set_level(key, level)
    qtbot.mouseClick(ws.rubric.submit_button, Qt.MouseButton.LeftButton)
    summary = ws.findChild(SubmitSummary, "submitSummary")
    assert summary is not None and summary.isVisible()
    text = summary.summary.text()
    assert "Earned" in text and "4 \u00b7" in text and "Adjusting instruction" in text
    # Nothing is submitted until the summary is confirmed.
    assert stored(demo_data_dir, ws.editor.review.uid).status is ReviewStatus.DRAFT
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        qtbot.mouseClick(summary.submit_button, Qt.MouseButton.LeftButton)
    review = stored(demo_data_dir, ws.editor.review.uid)
    assert review.status is ReviewStatus.SUBMITTED and review.decision.value == "earned"
    assert not ws.findChild(QPushButton, "level-feedback-1").isEnabled()
    assert not ws.rubric.submit_button.isEnabled()
    assert "locked" in ws.rubric.decision_label.text()
    ws.editor.set_level("feedback", 1)  # ignored: the review is locked
    wait_saved(qtbot, ws)
    assert stored(demo_data_dir, ws.editor.review.uid).levels()["feedback"] == 3


def test_citing_a_note_in_a_comment(qtbot, ws):
    ws.editor.add_note(evidence_key="video", start_ms=7000, end_ms=None, text="Hinge question",
                       criterion_key="checks-for-understanding")
    wait_saved(qtbot, ws)
    card = ws.rubric.card("checks-for-understanding")
    card.insert_citation(ws.editor.notes[0].citation)
    wait_saved(qtbot, ws)
    assert ws.editor.comment("checks-for-understanding") == "[note 1]"


def test_notes_can_be_added_undone_and_listed(qtbot, ws, demo_ctx):
    ws.editor.add_note(evidence_key="plan", page=1, region=None, text="Sequence table",
                       criterion_key=None)
    wait_saved(qtbot, ws)
    assert ws.notes.model.rowCount() == 1
    assert ws.notes.model.index(0, 2).data() == "p. 2"
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert notes_svc.list_notes(demo_ctx, ws.editor.review.uid) == []
    ws.editor.undo_stack.redo()
    wait_saved(qtbot, ws)
    assert [n.text for n in notes_svc.list_notes(demo_ctx, ws.editor.review.uid)] == ["Sequence table"]


def test_the_layout_is_remembered_and_can_be_reset(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    first.docks["notes"].hide()
    first.close()
    second = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    assert not second.docks["notes"].isVisible()
    second.reset_layout()
    assert second.docks["notes"].isVisible()
    second.close()


def test_the_room_given_to_the_document_beside_the_video_is_remembered(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # a video beside a PDF
    first.resize(1900, 1000)
    viewer = first.viewer
    qtbot.waitUntil(lambda: sum(viewer.sizes()) > 1000)
    viewer.moveSplitter(0, 1)  # the handle dragged left: the PDF takes all the video leaves
    share = viewer.sizes()[1] / sum(viewer.sizes())
    assert share > 0.5 and viewer.document_share == pytest.approx(share)
    first.close()
    second = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    second.resize(1900, 1000)
    qtbot.waitUntil(lambda: sum(second.viewer.sizes()) > 1000)
    sizes = second.viewer.sizes()
    assert sizes[1] / sum(sizes) == pytest.approx(share, abs=0.01)
    second.reset_layout()
    sizes = second.viewer.sizes()
    assert abs(sizes[0] - sizes[1]) <= 2 and second.viewer.document_share is None
    second.close()
    third = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    assert third.viewer.document_share is None
    third.close()


def test_the_written_reflections_are_in_their_tab_for_each_submission(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    first.docks["reflections"].raise_()
    qtbot.waitUntil(lambda: "hinge question" in first.reflections.toPlainText())
    assert "What would you change next time?" in first.reflections.toPlainText()
    first.docks["evidence"].raise_()  # the reflections tab behind the evidence list again
    first.unbind()
    first.bind(*load_workspace_data(demo_ctx, "DEMO-2001", None))  # the window reused
    first.docks["reflections"].raise_()
    qtbot.waitUntil(lambda: "every voice" in first.reflections.toPlainText())
    assert "hinge question" not in first.reflections.toPlainText()
    first.close()


def test_shortcuts_can_be_rebound_and_are_kept(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    assert first.registry.key_for("notes.add") == "A"
    first.registry.set_key("notes.add", "Ctrl+Alt+N")
    first.close()
    second = make_workspace(qtbot, demo_ctx, "DEMO-2001")
    action = second.findChild(type(second.registry.bindings()[0].action), "notes.add")
    assert action.shortcut().toString() == "Ctrl+Alt+N"
    dialog = second.show_shortcuts()
    labels = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"Submit Review", "Add Note Here", "Undo", "Next Criterion"} <= labels
    assert second.registry.conflicts() == {}
    dialog.close()
    second.close()


def test_a_closed_workspace_window_is_reused_for_the_next_submission(qtbot, demo_ctx, demo_data_dir):
    """The opener builds a window ahead and reuses a closed one: the next submission shows
    in it with its own rubric, evidence, notes and scores, nothing of the one before."""
    from reviewer_app.gui.settings import open_settings
    from reviewer_app.gui.workspace import opener

    settings = open_settings(demo_ctx.paths.data_dir)
    opener.discard_spare()
    opener.prepare_spare(demo_ctx, settings)
    qtbot.waitUntil(lambda: bool(opener.spare_windows()) and not opener.spare_windows()[0].isVisible())
    spare = opener.spare_windows()[0]
    opened = []
    try:
        opener.open_workspace(demo_ctx, settings, "DEMO-1002", 2, on_open=opened.append)
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=10_000)
        first = opened[0]
        assert first is spare and first.isVisible() and "DEMO-1002" in first.windowTitle()
        qtbot.mouseClick(first.findChild(QPushButton, "level-learning-goals-3"), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(first.rubric.card("learning-goals").comment, "Goals on the board.")
        wait_saved(qtbot, first)
        first_notes = [n.uid for n in first.editor.notes]
        rubric_panel = first.rubric
        qtbot.waitUntil(rubric_panel.earlier.isVisible, timeout=10_000)  # attempt 1, beside
        first.close()
        assert opener.spare_windows() == [first] and not first.isVisible()

        # Same credential, same rubric: the rubric panel is reused, showing this review.
        opener.open_workspace(demo_ctx, settings, "DEMO-1001", 1, on_open=opened.append)
        qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
        other = opened[1]
        assert other is first and other.rubric is rubric_panel and "DEMO-1001" in other.windowTitle()
        assert not rubric_panel.earlier.isVisible()  # DEMO-1001 is a first attempt
        qtbot.waitUntil(lambda: rubric_panel.earlier.answered, timeout=10_000)
        assert not rubric_panel.earlier.isVisible()
        levels = stored(demo_data_dir, other.editor.review.uid).levels()
        for card in other.rubric.cards:
            checked = [card.buttons.id(b) for b in card.buttons.buttons() if b.isChecked()]
            assert checked == ([levels[card.criterion.key]] if levels.get(card.criterion.key) else [])
        assert other.rubric.card("learning-goals").comment.toPlainText() != "Goals on the board."
        other.close()

        opener.open_workspace(demo_ctx, settings, "DEMO-2001", 1, on_open=opened.append)
        qtbot.waitUntil(lambda: len(opened) == 3, timeout=10_000)
        second = opened[2]
        assert second is first and "DEMO-2001" in second.windowTitle()
        detail = second.detail
        assert [second.evidence.list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(second.evidence.list.count())] == [e.key for e in detail.evidence]
        assert [c.criterion.key for c in second.rubric.cards] == [c.key for c in detail.rubric.criteria]
        assert not any(b.isChecked() for c in second.rubric.cards for b in c.buttons.buttons())
        assert all(not c.comment.toPlainText() for c in second.rubric.cards)
        assert not set(first_notes) & {n.uid for n in second.notes.model._notes}
        second.close()

        opener.open_workspace(demo_ctx, settings, "DEMO-1002", 2, on_open=opened.append)
        qtbot.waitUntil(lambda: len(opened) == 4, timeout=10_000)
        third = opened[3]
        assert third is first
        card = third.rubric.card("learning-goals")
        assert card.buttons.button(3).isChecked()
        assert card.comment.toPlainText() == "Goals on the board."
        assert stored(demo_data_dir, third.editor.review.uid).levels()["learning-goals"] == 3
        third.close()
    finally:
        for window in opened:
            window.close()
        opener.discard_spare()
