"""The moderation window on a real dispute (two reviewers disagree on DEMO-1002 attempt 2):
the queue lists it with its reasons, the reviews show side by side, a final decision
without a rationale is refused in plain words, one with a rationale resolves the dispute
and is queued for the issuer; a reviewer's note opens the evidence at that place."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from reviewer_app.domain.model import AnnotationKind
from reviewer_app.gui.lead.dispute_view import NoteRole
from reviewer_app.gui.lead.moderation import ModerationWindow
from reviewer_app.gui.workspace import opener
from reviewer_app.services import moderation

from lead_gui_support import PAGE_NOTE, VIDEO_NOTE_MS, main_window, make_dispute

FINAL = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3, "adjusting-instruction": 2}


def _moderation(qtbot, ctx) -> ModerationWindow:
    win = main_window(qtbot, ctx)
    window = win.lead.open_moderation()
    qtbot.waitUntil(lambda: window.detail is not None, timeout=10_000)
    return window


def _outbox(ctx) -> list[tuple]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(text("SELECT review_id, state FROM sync_outbox")))


def _error_box(window) -> QMessageBox:
    boxes = [b for b in window.findChildren(QMessageBox, "errorDialog") if b.isVisible()]
    assert boxes, "no error shown"
    return boxes[-1]


def test_the_queue_lists_the_dispute_and_shows_the_reviews_side_by_side(qtbot, demo_ctx):
    make_dispute(demo_ctx)
    window = _moderation(qtbot, demo_ctx)
    assert window.model.rowCount() == 1
    row = window.model.disputes[0]
    assert (row.submission_key, row.attempt, row.reviewers) == ("DEMO-1002", 2, ("Ana Silva", "Ben Okoye"))
    tip = window.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Ana Silva decided \u201cearned\u201d and Ben Okoye decided \u201cnot yet\u201d." in tip
    assert "Why this is disputed" in window.view.reasons.text()
    cells = window.view.grid.cells
    ana, ben = cells[("learning-goals", 0)].text(), cells[("learning-goals", 1)].text()
    assert "3 \u00b7 Proficient" in ana and "revisited [note 2]" in ana
    assert "2 \u00b7 Developing" in ben and "Goals not revisited." in ben
    # differences are highlighted, agreement is not
    assert "background" in cells[("learning-goals", 0)].styleSheet()
    assert "background" not in cells[("feedback", 0)].styleSheet()
    assert "Earned" in cells[("decision", 0)].text() and "Not yet" in cells[("decision", 1)].text()
    assert window.view.notes.topLevelItemCount() == 2
    # pre-filled where the reviewers agree, open where they differ
    assert window.form.levels["feedback"].currentData() == 3
    assert window.form.levels["adjusting-instruction"].currentData() == 2
    assert window.form.levels["learning-goals"].currentData() is None


def test_a_final_decision_needs_a_rationale_and_then_resolves_the_dispute(qtbot, demo_ctx):
    dispute = make_dispute(demo_ctx)
    window = _moderation(qtbot, demo_ctx)
    form = window.form
    for key, level in FINAL.items():
        form.levels[key].setCurrentIndex(form.levels[key].findData(level))
    assert "Earned" in form.decision.text()
    assert form.hint.text() == "A rationale is required."
    window.activateWindow()
    form.rationale.setFocus()
    qtbot.keyClick(form.rationale, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Record
    qtbot.waitUntil(lambda: bool(window.findChildren(QMessageBox, "errorDialog")), timeout=10_000)
    assert _error_box(window).text() == "A moderation needs a rationale: say why these are the final levels."
    _error_box(window).close()
    assert moderation.list_disputes(demo_ctx)[0].state == "open" and _outbox(demo_ctx) == []

    form.comments["learning-goals"].setText("Shared at the start and revisited at the end.")
    form.feedback.setPlainText("Well done: keep the hinge questions.")
    form.rationale.setPlainText("The video shows the goals revisited at 00:07; Ana's reading holds.")
    with qtbot.waitSignal(window.recorded, timeout=10_000) as recorded:
        form.record.click()
    assert recorded.args[0].decision.value == "earned"
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10_000)
    assert "No open disputes" in window.empty.text()
    assert "Final decision recorded for DEMO-1002 attempt 2: Earned, queued for the issuer." \
        in window.statusBar().currentMessage()
    [resolved] = moderation.list_disputes(demo_ctx, state="resolved")
    assert resolved.uid == dispute.uid
    assert [state for _, state in _outbox(demo_ctx)] == ["queued"]

    window.state_combo.setCurrentIndex(window.state_combo.findData("resolved"))
    qtbot.waitUntil(lambda: window.detail is not None and window.detail.state == "resolved", timeout=10_000)
    assert "Recorded by <b>Lena Lead</b>" in form.status.text()
    assert not form.record.isEnabled()


def test_after_recording_the_next_open_dispute_is_selected(qtbot, demo_ctx):
    from lead_support import FA_EARNED, FA_NOT_YET, arrive, attempt_id, score_as

    dispute = make_dispute(demo_ctx)
    score_as(demo_ctx, dispute.ana, "DEMO-1002", 1, FA_EARNED)
    score_as(demo_ctx, dispute.ben, "DEMO-1002", 1, FA_NOT_YET)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", 1)])
    window = _moderation(qtbot, demo_ctx)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    first, second = window.model.disputes
    assert window.detail.uid == first.uid
    form = window.form
    for key, level in FINAL.items():
        form.levels[key].setCurrentIndex(form.levels[key].findData(level))
    form.rationale.setPlainText("Evidence on the video.")
    with qtbot.waitSignal(window.recorded, timeout=10_000):
        form.record.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.detail.uid == second.uid, timeout=10_000)
    assert window.queue.currentIndex().row() == 0


def _opened_workspace(qtbot, window: ModerationWindow):
    opened = []
    window.evidenceOpened.connect(opened.append)
    return opened


def test_choosing_a_note_opens_the_evidence_there(qtbot, demo_ctx):
    make_dispute(demo_ctx)
    window = _moderation(qtbot, demo_ctx)
    notes = window.view.notes
    items = [notes.topLevelItem(i) for i in range(notes.topLevelItemCount())]
    kinds = [it.data(0, NoteRole)[0].note.kind for it in items]
    video_row, page_row = kinds.index(AnnotationKind.TIME), kinds.index(AnnotationKind.PAGE)
    opened = _opened_workspace(qtbot, window)
    try:
        notes.setFocus()
        notes.setCurrentItem(items[video_row])
        qtbot.keyClick(notes, Qt.Key.Key_Return)  # Enter on a note opens it
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=20_000)
        ws = opened[-1]
        assert (ws.detail.key, ws.detail.attempt) == ("DEMO-1002", 2)
        media = ws.viewer.media
        qtbot.waitUntil(lambda: media.current_frame() is not None
                        and abs(media.position() - VIDEO_NOTE_MS) < 500, timeout=20_000)
        assert "Ana Silva's [note 1]" in ws.statusBar().currentMessage()

        notes.choose(page_row)
        qtbot.waitUntil(lambda: len(opened) == 2, timeout=20_000)
        assert opened[-1] is ws  # the same workspace, raised
        qtbot.waitUntil(lambda: ws.viewer.pdf.current_page() == PAGE_NOTE, timeout=20_000)
        assert ws.viewer.document_item.key == "plan"
    finally:
        for w in opener.open_windows():
            if shiboken6.isValid(w):
                w.close()


def test_the_queue_refreshes_when_a_dispute_is_resolved_elsewhere(qtbot, demo_ctx):
    dispute = make_dispute(demo_ctx)
    window = _moderation(qtbot, demo_ctx)
    assert window.model.rowCount() == 1
    short = window.model.short[dispute.uid]
    assert len(short) == 8 and dispute.uid.startswith(short)
    assert f"Dispute {short}" in window.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    # Resolved by the services outside this window (as the command line or another window
    # would): the notification reaches the window, which reloads its queue.
    moderation.moderate(demo_ctx, dispute.uid, FINAL, feedback="Keep going.", rationale="Descriptors.")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10_000)
    assert window.count_label.text() == "0 open disputes"


def test_activation_reloads_only_when_the_disputes_changed(qtbot, demo_ctx):
    dispute = make_dispute(demo_ctx)
    window = _moderation(qtbot, demo_ctx)
    loads = []
    window.model.modelReset.connect(lambda: loads.append(1))
    with qtbot.waitSignal(window.changesChecked, timeout=10_000) as checked:
        window.check_changes()  # nothing changed: no reload
    assert checked.args == [False] and loads == []
    # Another process resolves it (no notification here): the change counter shows it.
    from reviewer_app.services import dispute_ids

    silenced, dispute_ids._listeners[:] = list(dispute_ids._listeners), []
    try:
        moderation.moderate(demo_ctx, dispute.uid, FINAL, feedback="Keep going.", rationale="Why.")
    finally:
        dispute_ids._listeners[:] = silenced
    assert window.model.rowCount() == 1
    found: list[bool] = []
    window.changesChecked.connect(found.append)
    window.check_changes()  # as when the window is activated (which may also have checked:
    qtbot.waitUntil(lambda: True in found, timeout=10_000)  # one of the checks finds it)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10_000)
