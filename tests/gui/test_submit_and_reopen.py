"""Submitting is deliberate and reversible until the review leaves the laptop (issue 11,
item 7), and a resubmission shows the previous attempt beside the rubric (item 10)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from reviewer_app.domain import ReviewStatus
from reviewer_app.gui.workspace.submit_summary import SubmitSummary
from reviewer_app.services import batches, reviews
from reviewer_app.services.submissions import get_submission

from workspace_support import make_workspace, wait_saved

EARNED = [("learning-goals", 3), ("checks-for-understanding", 4), ("feedback", 3),
          ("adjusting-instruction", 2)]


def _submit(qtbot, ws) -> None:
    for key, level in EARNED:
        ws.editor.set_level(key, level)
    qtbot.mouseClick(ws.rubric.submit_button, Qt.MouseButton.LeftButton)
    summary = ws.findChild(SubmitSummary, "submitSummary")
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        qtbot.mouseClick(summary.submit_button, Qt.MouseButton.LeftButton)


def test_cancelling_the_summary_submits_nothing(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    for key, level in EARNED:
        ws.editor.set_level(key, level)
    ws.rubric.submit()
    summary = ws.findChild(SubmitSummary, "submitSummary")
    qtbot.keyClick(summary, Qt.Key.Key_Escape)
    assert not summary.isVisible()
    wait_saved(qtbot, ws)
    assert reviews.get_review(demo_ctx, ws.editor.review.uid).status is ReviewStatus.DRAFT
    assert ws.rubric.submit_button.isEnabled()


def test_a_refused_submit_goes_to_the_first_unscored_criterion(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    ws.activateWindow()
    ws.editor.set_level("learning-goals", 3)
    ws.editor.set_level("checks-for-understanding", 3)
    qtbot.mouseClick(ws.rubric.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.findChild(QMessageBox, "errorDialog") is not None, timeout=10_000)
    assert ws.findChild(SubmitSummary) is None  # an incomplete review is not summarised
    assert ws.rubric.current == "feedback"  # the third criterion, the first without a level
    assert ws.rubric.card("feedback").is_current()
    # Its first level has the window's focus: the keyboard is there once the message closes.
    assert ws.focusWidget() is ws.rubric.card("feedback").buttons.buttons()[0]


def test_a_refused_submit_for_missing_feedback_goes_to_the_feedback(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    for key, level in EARNED:
        ws.editor.set_level(key, 1 if key == "feedback" else level)  # "not yet": feedback needed
    qtbot.mouseClick(ws.rubric.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.findChild(QMessageBox, "errorDialog") is not None, timeout=10_000)
    assert "Feedback" in ws.findChild(QMessageBox, "errorDialog").text() + \
        ws.findChild(QMessageBox, "errorDialog").detailedText()
    assert ws.focusWidget() is ws.rubric.feedback


def test_a_submitted_review_reopens_and_the_log_keeps_it(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    assert not ws.rubric.reopen_button.isVisible()
    _submit(qtbot, ws)
    assert ws.rubric.reopen_button.isVisible()
    with qtbot.waitSignal(ws.editor.reopened, timeout=10_000):
        qtbot.mouseClick(ws.rubric.reopen_button, Qt.MouseButton.LeftButton)
    assert reviews.get_review(demo_ctx, ws.editor.review.uid).status is ReviewStatus.DRAFT
    assert ws.findChild(type(ws.rubric.submit_button), "level-feedback-1").isEnabled()
    assert ws.rubric.submit_button.isEnabled() and not ws.rubric.reopen_button.isVisible()
    assert "reopened" in ws.statusBar().currentMessage()
    assert ws.rubric.reopen_button.isEnabled()
    from reviewer_app.store import audit

    assert any(line.action == audit.REOPEN for line in audit.recent(demo_ctx))


def test_reopening_after_a_score_batch_is_refused_with_the_reason(qtbot, demo_ctx, tmp_path):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    _submit(qtbot, ws)
    batches.export_batch(demo_ctx, tmp_path)
    qtbot.mouseClick(ws.rubric.reopen_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.findChild(QMessageBox, "errorDialog") is not None, timeout=10_000)
    box = ws.findChild(QMessageBox, "errorDialog")
    assert "score batch" in box.text() and "Something unexpected" not in box.text()
    assert ws.editor.locked
    assert reviews.get_review(demo_ctx, ws.editor.review.uid).status is ReviewStatus.SUBMITTED


def test_a_resubmission_shows_the_previous_attempt_beside_the_rubric(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    section = ws.rubric.earlier
    qtbot.waitUntil(section.isVisible, timeout=10_000)
    assert section.toggle.text() == "Previous attempt (1): Not yet"
    first = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 1).attempt_id)
    body = section.body.text()
    assert first.feedback.split()[0] in body
    for score in first.scores:
        assert f"<b>{score.level} \u00b7" in body
    qtbot.mouseClick(section.toggle, Qt.MouseButton.LeftButton)  # folds away
    assert not section.body.isVisible() and section.isVisible()
    ws.close()
    again = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # folded, as the reviewer left it
    qtbot.waitUntil(again.rubric.earlier.isVisible, timeout=10_000)
    assert not again.rubric.earlier.body.isVisible()


def test_a_first_attempt_shows_no_previous_one(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1001", 1)
    section = ws.rubric.earlier
    qtbot.waitUntil(lambda: section.answered, timeout=10_000)
    assert not section.isVisible() and section.earlier is None


def test_reopen_is_greyed_with_the_reason_once_exported(qtbot, demo_ctx, tmp_path):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    _submit(qtbot, ws)
    qtbot.waitUntil(lambda: ws.rubric.reopen_button.isEnabled(), timeout=5000)
    uid = ws.editor.review.uid
    ws.close()
    batches.export_batch(demo_ctx, tmp_path)
    again = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    assert again.editor.review.uid == uid and again.editor.locked
    qtbot.waitUntil(lambda: not again.rubric.reopen_button.isEnabled(), timeout=5000)
    assert "score batch" in again.rubric.reopen_button.toolTip()
