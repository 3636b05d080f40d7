"""Calibration in the window: the lead assessor marks the submission selected in the queue
with agreed levels; a reviewer who then scores it sees, right after submitting, where
they matched."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from reviewer_app.gui.lead.calibration import CalibrationDialog, MarkCalibrationDialog
from reviewer_app.gui.lead.calibration_result import CalibrationResultDialog
from reviewer_app.services import calibration

from lead_gui_support import main_window
from lead_support import FA_EARNED, add_profile, attempt_id, become, make_lead
from workspace_support import make_workspace, submit_confirmed, wait_saved, wait_tasks_done

AGREED = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3, "adjusting-instruction": 2}


def _select(qtbot, win, key: str, attempt: int) -> None:
    model = win.model
    row = next(i for i in range(model.rowCount())
               if (model.row(i).key, model.row(i).attempt) == (key, attempt))
    win.ui.submissionTable.setCurrentIndex(model.index(row, 0))


def test_the_lead_marks_the_selected_submission_as_calibration(qtbot, demo_ctx):
    make_lead(demo_ctx)
    win = main_window(qtbot, demo_ctx)
    _select(qtbot, win, "DEMO-1002", 2)
    dialog = win.lead.open_calibration()
    assert isinstance(dialog, CalibrationDialog)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("No calibration submissions"), timeout=10_000)
    mark = dialog.mark_current()
    assert isinstance(mark, MarkCalibrationDialog)
    qtbot.waitUntil(lambda: len(mark.combos) == 4, timeout=10_000)
    for key, level in AGREED.items():
        mark.combos[key].setCurrentIndex(mark.combos[key].findData(level))
    assert "Earned" in mark.decision.text()
    with qtbot.waitSignal(mark.marked, timeout=10_000):
        mark.save()
    qtbot.waitUntil(lambda: dialog.item_table.topLevelItemCount() == 1, timeout=10_000)
    assert dialog.item_table.topLevelItem(0).text(0) == "DEMO-1002 attempt 2"
    assert dialog.item_table.topLevelItem(0).text(2) == "3, 3, 3, 2"
    [item] = calibration.list_calibration(demo_ctx)
    assert dict(item.levels) == AGREED


def test_a_reviewer_sees_where_they_matched_after_submitting(qtbot, demo_ctx):
    make_lead(demo_ctx)
    calibration.mark_calibration(demo_ctx, attempt_id(demo_ctx, "DEMO-1002", 2), AGREED)
    become(demo_ctx, add_profile(demo_ctx, "Ana Silva"))
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    for key, level in FA_EARNED.items():
        ws.editor.set_level(key, level)
    ws.rubric.feedback.setPlainText("Keep the hinge questions.")
    wait_saved(qtbot, ws)
    assert ws.findChild(CalibrationResultDialog) is None  # nothing before the submit
    submit_confirmed(qtbot, ws)
    qtbot.waitUntil(lambda: ws.findChild(CalibrationResultDialog) is not None, timeout=10_000)
    result = ws.findChild(CalibrationResultDialog)
    rows = {r[0]: r[1:] for r in result.rows()}
    assert rows["Checks for understanding"][0].startswith("4 \u00b7")
    assert rows["Checks for understanding"][1].startswith("3 \u00b7")
    assert rows["Checks for understanding"][2] == "\u2248 One level off"
    assert rows["Clear learning goals"][2] == "\u2714 Matched"
    assert rows["Decision"] == ["Earned", "Earned", "\u2714 Matched"]
    text = result.findChild(QLabel, "calibrationHeading").text()
    assert "<b>3 of 4</b>" in text and "<b>75%</b>" in text


def test_an_ordinary_submission_shows_no_calibration_result(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-2001", 1)
    for key, level in {"group-structures": 3, "discourse-moves": 3, "equitable-participation": 3}.items():
        ws.editor.set_level(key, level)
    wait_saved(qtbot, ws)
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        submit_confirmed(qtbot, ws)
    wait_tasks_done(qtbot)  # the calibration look-up has run, found nothing, and said so
    assert ws.findChild(CalibrationResultDialog) is None
