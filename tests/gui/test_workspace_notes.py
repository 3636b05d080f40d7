"""Notes in the workspace, as a reviewer meets them (offscreen, real libvlc and PyMuPDF, the
demo media): a note goes to the viewer being used, never to what the evidence list happens
to select; a dragged region stays with its own note; the video pauses while a note is
written and plays on after; notes show on the seek bar, on PDF pages and their thumbnails,
and in a list that wraps their text; undoing a note removes its marks."""

from __future__ import annotations

import os
import subprocess
import time

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QImage

from reviewer_app.domain import AnnotationKind
from reviewer_app.gui.media.seek_markers import MARK_COLOUR, tooltip_at
from reviewer_app.gui.workspace.notes_cells import HTML_ROLE
from reviewer_app.gui.workspace.notes_panel import NoteDialog
from reviewer_app.resources_path import resource
from reviewer_app.services import annotations as notes_svc

from workspace_support import make_workspace, wait_saved

os.environ.setdefault("REVIEWER_APP_NO_AUDIO", "1")


@pytest.fixture
def ws(qtbot, demo_ctx):
    window = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)  # the video beside the lesson plan
    window.resize(1600, 900)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.viewer.media.duration() > 0, timeout=15_000)
    qtbot.waitUntil(lambda: window.viewer.pdf.page_count() == 4, timeout=15_000)
    return window


def write_note(qtbot, ws, text: str, *, accept: bool = True, key_in=None) -> NoteDialog:
    """Press the Add Note key (A, in the widget ``key_in`` if given) and write the note in
    the dialog that opens."""
    if key_in is not None:
        qtbot.keyClick(key_in, Qt.Key.Key_A)
    else:
        ws.findChild(QAction, "notes.add").trigger()
    dialog = ws.note_taker.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.text.setPlainText(text)
    (dialog.accept if accept else dialog.reject)()
    wait_saved(qtbot, ws)
    return dialog


def focus(qtbot, widget) -> None:
    widget.window().activateWindow()
    qtbot.waitUntil(widget.window().isActiveWindow, timeout=3000)
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=3000)


def stored_notes(ctx, ws):
    return notes_svc.list_notes(ctx, ws.editor.review.uid)


def colour_at(image: QImage, x: int, y: int) -> QColor:
    return image.pixelColor(round(x * image.devicePixelRatio()), round(y * image.devicePixelRatio()))


def near(colour: QColor, expected: QColor, tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(colour.getRgb()[:3], expected.getRgb()[:3]))


def test_a_note_goes_to_the_viewer_in_use_not_to_the_evidence_list_selection(qtbot, ws, demo_ctx):
    ws.evidence.select("video")  # the list selects the video...
    assert ws.evidence.list.currentItem().text().startswith("Lesson video")
    ws.viewer.pdf.go_to_page(1)
    qtbot.waitUntil(lambda: ws.viewer.pdf.current_page() == 1, timeout=5000)
    focus(qtbot, ws.viewer.pdf.view)  # ...while the reviewer reads the plan
    write_note(qtbot, ws, "Goals stated up front", key_in=ws.viewer.pdf.view)
    # then clicks in the evidence list, which selects the video, and notes again: the plan
    # was the viewer used last
    focus(qtbot, ws.evidence.list)
    write_note(qtbot, ws, "Exit ticket planned")
    focus(qtbot, ws.viewer.media)  # now the video
    ws.viewer.media.seek(7000, exact=True)
    qtbot.waitUntil(lambda: abs(ws.viewer.media.position() - 7000) < 300, timeout=10_000)
    write_note(qtbot, ws, "Hinge question")
    notes = stored_notes(demo_ctx, ws)
    assert [(n.evidence_key, n.kind, n.page) for n in notes] == [
        ("plan", AnnotationKind.PAGE, 1), ("plan", AnnotationKind.PAGE, 1),
        ("video", AnnotationKind.TIME, None)]
    assert abs(notes[2].start_ms - 7000) < 300
    # choosing a note in the list takes its viewer there: the next note goes there too
    focus(qtbot, ws.notes.table)
    ws.go_to_note(ws.editor.notes[0])
    write_note(qtbot, ws, "Same page again")
    assert stored_notes(demo_ctx, ws)[3].evidence_key == "plan"


def drag_region(qtbot, ws, start: QPointF, end: QPointF) -> None:
    canvas = ws.viewer.pdf.canvas
    ws.viewer.pdf.set_region_mode(True)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(canvas, pos=((start + end) / 2).toPoint())
    qtbot.mouseMove(canvas, pos=end.toPoint())
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end.toPoint())


def test_a_dragged_region_is_stored_with_its_note_and_never_with_the_next(qtbot, ws, demo_ctx):
    canvas = ws.viewer.pdf.canvas
    qtbot.waitUntil(canvas.has_final_image, timeout=10_000)
    page = canvas.page_rect()
    start, end = page.topLeft() + QPointF(60, 80), page.topLeft() + QPointF(220, 160)
    drag_region(qtbot, ws, start, end)
    dialog = ws.note_taker.dialog
    assert dialog is not None and "highlighted region" in dialog.where.text()
    dialog.text.setPlainText("Success criteria")
    dialog.accept()
    wait_saved(qtbot, ws)
    # a region dragged and then cancelled is forgotten too
    drag_region(qtbot, ws, start + QPointF(0, 200), end + QPointF(0, 200))
    ws.note_taker.dialog.reject()
    focus(qtbot, ws.viewer.pdf.view)
    write_note(qtbot, ws, "The page as a whole")
    first, second = stored_notes(demo_ctx, ws)
    expected = canvas.to_points(QRectF(start, end))
    r = first.region
    assert r is not None and abs(r.x0 - expected.left()) < 1 and abs(r.y1 - expected.bottom()) < 1
    assert second.text == "The page as a whole" and second.region is None


def test_the_video_pauses_while_a_note_is_written_and_plays_on_after(qtbot, ws, demo_ctx):
    media = ws.viewer.media
    with qtbot.waitSignal(media.stateChanged, check_params_cb=lambda s: s == "playing", timeout=10_000):
        media.play()
    focus(qtbot, media)
    ws.findChild(QAction, "notes.add").trigger()
    dialog = ws.note_taker.dialog
    qtbot.waitUntil(lambda: media.state() == "paused" and media.engine().settled(), timeout=5000)
    held = media.position()
    assert abs(media.engine().media_time() - held) < 60  # libvlc's own clock stopped there too
    dialog.text.setPlainText("Wait time after the question")
    dialog.accept()
    qtbot.waitUntil(lambda: media.state() == "playing", timeout=5000)
    wait_saved(qtbot, ws)
    assert abs(stored_notes(demo_ctx, ws)[0].start_ms - held) < 300
    # editing a note holds the video too
    ws.notes.select(ws.editor.notes[0].uid)
    ws.notes.edit_selected()
    qtbot.waitUntil(lambda: media.state() == "paused", timeout=5000)
    ws.notes.editing.text.setPlainText("Wait time after the hinge question")
    ws.notes.editing.accept()
    qtbot.waitUntil(lambda: media.state() == "playing", timeout=5000)
    wait_saved(qtbot, ws)
    assert stored_notes(demo_ctx, ws)[0].text == "Wait time after the hinge question"
    # cancelled, too, it plays on; a paused video stays paused
    ws.add_note()
    qtbot.waitUntil(lambda: media.state() == "paused", timeout=5000)
    ws.note_taker.dialog.reject()
    qtbot.waitUntil(lambda: media.state() == "playing", timeout=5000)
    media.pause()
    qtbot.waitUntil(lambda: media.state() == "paused", timeout=5000)
    states: list[str] = []
    media.stateChanged.connect(states.append)
    ws.add_note()
    dialog = ws.note_taker.dialog
    dialog.reject()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)  # the note's dialog is gone
    assert media.state() == "paused" and "playing" not in states, states


def test_a_marked_range_goes_with_its_note_and_not_the_next(qtbot, ws, demo_ctx):
    media = ws.viewer.media
    focus(qtbot, media)
    for ms, mark in ((2000, media.mark_in), (5000, media.mark_out)):
        media.seek(ms, exact=True)
        qtbot.waitUntil(lambda ms=ms: abs(media.position() - ms) < 300, timeout=10_000)
        mark()
    write_note(qtbot, ws, "The whole launch")
    media.seek(9000, exact=True)
    qtbot.waitUntil(lambda: abs(media.position() - 9000) < 300, timeout=10_000)
    write_note(qtbot, ws, "One moment")
    first, second = stored_notes(demo_ctx, ws)
    assert first.is_range and abs(first.start_ms - 2000) < 300 and abs(first.end_ms - 5000) < 300
    assert not second.is_range and abs(second.start_ms - 9000) < 300


def test_the_seek_bar_marks_notes_and_undo_removes_the_marks(qtbot, ws):
    bar = ws.viewer.media.seek_bar
    ws.editor.add_note(evidence_key="video", start_ms=7000, end_ms=None, text="Hinge question",
                       criterion_key=None)
    ws.editor.add_note(evidence_key="video", start_ms=12_000, end_ms=15_000, text="Regrouping",
                       criterion_key=None)
    wait_saved(qtbot, ws)
    image = bar.grab().toImage()
    tick, range_end, empty = bar.marks.x_for(7000), bar.marks.x_for(15_000), bar.marks.x_for(3000)
    assert tick != empty
    assert near(colour_at(image, tick, 2), MARK_COLOUR)  # a tick across the bar at 00:07.0
    assert near(colour_at(image, range_end, bar.height() // 2 - 5), MARK_COLOUR)
    assert not near(colour_at(image, empty, 2), MARK_COLOUR)
    # hovering a mark names its note
    assert tooltip_at(bar.marks.markers, tick, bar.marks.x_for).startswith("[note 1] 00:07.0: Hinge")
    assert tooltip_at(bar.marks.markers, empty, bar.marks.x_for) == ""
    ws.editor.undo_stack.undo()  # the range goes, and its marks with it
    wait_saved(qtbot, ws)
    image = bar.grab().toImage()
    assert near(colour_at(image, tick, 2), MARK_COLOUR)
    assert not near(colour_at(image, range_end, bar.height() // 2 - 5), MARK_COLOUR)
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert not near(colour_at(bar.grab().toImage(), tick, 2), MARK_COLOUR)


def test_pdf_pages_and_thumbnails_show_their_notes_regions(qtbot, ws):
    pdf = ws.viewer.pdf
    ws.resize(2000, 900)  # room for the thumbnail strip beside the page
    qtbot.waitUntil(lambda: sum(ws.viewer.sizes()) > 1200, timeout=3000)
    total = sum(ws.viewer.sizes())
    ws.viewer.setSizes([total - 640, 640])
    qtbot.waitUntil(lambda: pdf.thumbs.isVisible() and pdf.thumbs.thumbnails().has_thumbnail(0),
                    timeout=10_000)
    from reviewer_app.domain import Region

    ws.editor.add_note(evidence_key="plan", page=0, region=Region(100, 150, 400, 450),
                       text="Objectives", criterion_key=None)
    wait_saved(qtbot, ws)
    rects = pdf.thumbs.thumbnails().note_rects(0)
    assert len(rects) == 1 and pdf.thumbs.thumbnails().note_rects(1) == []
    first = pdf.thumbs.visualRect(pdf.thumbs.thumbnails().index(0))
    x = first.left() + (first.width() - 96) // 2
    centre = rects[0].center() + QPointF(x, first.top() + 4)
    strip = pdf.thumbs.viewport().grab().toImage()
    marked = colour_at(strip, round(centre.x()), round(centre.y()))
    assert marked.blue() > marked.red() + 40, marked.getRgb()  # tinted blue on the white page
    # on the page itself, the region is outlined in the notes' blue
    canvas = pdf.canvas
    edge = canvas.to_widget(QRectF(100, 150, 300, 300))
    page = canvas.grab().toImage()
    # (the outline is a line a pixel or two wide: one of the pixels across it is the blue itself)
    across = [colour_at(page, round(edge.left()) + dx, round(edge.center().y())) for dx in range(-2, 3)]
    assert any(near(c, QColor(30, 100, 230), 60) for c in across), [c.getRgb() for c in across]
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert pdf.thumbs.thumbnails().note_rects(0) == []
    strip = pdf.thumbs.viewport().grab().toImage()
    unmarked = colour_at(strip, round(centre.x()), round(centre.y()))
    assert not unmarked.blue() > unmarked.red() + 40


def test_the_notes_list_wraps_each_note_with_its_criterion_and_place(qtbot, ws):
    long_text = ("The teacher asks every student to show a fraction on a mini whiteboard, "
                 "scans the room, and regroups the four who placed 3/8 above 1/2. " * 2).strip()
    ws.editor.add_note(evidence_key="video", start_ms=12_000, end_ms=15_000, text=long_text,
                       criterion_key="checks-for-understanding")
    wait_saved(qtbot, ws)
    model, table = ws.notes.model, ws.notes.table
    assert model.index(0, 2).data() == "00:12.0\u201300:15.0"
    assert model.index(0, 3).data() == ws.editor.rubric.criterion("checks-for-understanding").title
    assert model.index(0, 4).data() == long_text  # whole, not cut
    # in the dock, one cell shows the number, place and item, the criterion, and the text,
    # wrapped over lines across the dock's whole width
    cell = model.index(0, 4).data(HTML_ROLE)
    for part in ("1", "00:12.0", "Lesson video", model.index(0, 3).data(), "regroups the four"):
        assert part in cell
    line = table.fontMetrics().lineSpacing()
    qtbot.waitUntil(lambda: table.rowHeight(0) >= 4 * line, timeout=3000)
    assert table.columnWidth(4) < table.fontMetrics().horizontalAdvance(long_text)
    assert table.columnWidth(4) >= table.viewport().width() - 2
    assert table.horizontalScrollBar().maximum() == 0  # nothing hidden to the right
    image = table.viewport().grab().toImage()  # and the text is drawn: dark pixels on the row
    row = table.visualRect(model.index(0, 4))
    dark = sum(1 for y in range(row.top(), row.bottom(), 2) for x in range(row.left(), row.right(), 2)
               if colour_at(image, x, y).lightness() < 100)
    assert dark > 200, dark


@pytest.fixture
def ws1001(qtbot, demo_ctx):
    window = make_workspace(qtbot, demo_ctx, "DEMO-1001", 1)  # with a photo and a written reflection
    window.resize(1600, 900)
    window.activateWindow()
    return window


def test_a_region_dragged_on_a_photo_is_a_note_drawn_there_until_undone(qtbot, ws1001, demo_ctx):
    ws = ws1001
    ws.evidence.select("photo")
    image = ws.viewer.image
    qtbot.waitUntil(lambda: image.item is not None and image.isVisible(), timeout=10_000)
    viewport = image.view.viewport()
    bounds = image.view.mapFromScene(image.item.boundingRect()).boundingRect()
    start, end = bounds.topLeft() + QPoint(40, 30), bounds.topLeft() + QPoint(160, 110)
    focus(qtbot, image.view)
    qtbot.keyClick(image.view, Qt.Key.Key_R)  # select a region
    assert image.region_mode()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=(start + end) / 2)
    qtbot.mouseMove(viewport, pos=end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    dialog = ws.note_taker.dialog
    assert dialog is not None and "region of the photo" in dialog.where.text()
    dialog.text.setPlainText("Worked example")
    dialog.accept()
    wait_saved(qtbot, ws)
    [note] = stored_notes(demo_ctx, ws)
    expected = QRectF(image.view.mapToScene(start), image.view.mapToScene(end))
    assert note.kind is AnnotationKind.REGION and note.evidence_key == "photo"
    assert abs(note.region.x0 - expected.left()) < 2 and abs(note.region.y1 - expected.bottom()) < 2
    qtbot.waitUntil(lambda: len(image.note_regions()) == 1, timeout=3000)
    edge = QPoint(start.x(), (start.y() + end.y()) // 2)
    assert near(colour_at(viewport.grab().toImage(), edge.x(), edge.y()), MARK_COLOUR, 60)
    fitted = image.scale()
    ws.go_to_note(ws.editor.notes[0])  # choosing the note brings its region up close
    assert image.scale() > fitted * 1.2
    image.fit()
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert image.note_regions() == []
    assert not near(colour_at(viewport.grab().toImage(), edge.x(), edge.y()), MARK_COLOUR, 30)


def test_a_note_on_a_reflection_quotes_the_selected_passage(qtbot, ws1001, demo_ctx):
    ws = ws1001
    ws.evidence.select("written")
    text = ws.viewer.text
    qtbot.waitUntil(lambda: "misconception" in text.toPlainText(), timeout=10_000)
    focus(qtbot, text)
    ws.add_note()  # nothing selected: it says what to do, and opens nothing
    assert ws.note_taker.dialog is None and "Select the passage" in ws.statusBar().currentMessage()
    passage = "I moved past that misconception too quickly."
    cursor = text.textCursor()
    at = text.toPlainText().index(passage)
    cursor.setPosition(at)
    cursor.setPosition(at + len(passage), cursor.MoveMode.KeepAnchor)
    text.setTextCursor(cursor)
    write_note(qtbot, ws, "Names the misconception", key_in=text)  # A, in the reflection
    [note] = stored_notes(demo_ctx, ws)
    assert (note.kind, note.evidence_key, note.quote, note.quote_at) == (AnnotationKind.QUOTE, "written",
                                                                         passage, at)
    qtbot.waitUntil(lambda: len(text.extraSelections()) == 1, timeout=3000)  # highlighted
    assert text.extraSelections()[0].cursor.selectedText() == passage
    text.moveCursor(cursor.MoveOperation.Start)
    ws.go_to_note(ws.editor.notes[0])  # choosing it selects the passage again
    assert text.textCursor().selectedText() == passage
    ws.editor.undo_stack.undo()
    wait_saved(qtbot, ws)
    assert text.extraSelections() == []


def test_a_note_made_during_the_session_shows_its_very_frame_at_once(qtbot, ws, demo_ctx):
    """A note written now has no frame decoded ahead; choosing it later still shows its very
    frame (checked against ffmpeg's decoding of the demo video, byte for byte), and well
    before libvlc could count to it from its key frame at 1x (47 frames, 1.9 s)."""
    media = ws.viewer.media
    engine = media.engine()
    qtbot.waitUntil(engine.settled, timeout=10_000)
    with qtbot.waitSignal(media.frameShown, timeout=10_000):
        media.seek(5_900)  # the seek bar: near that time
    qtbot.waitUntil(engine.settled, timeout=10_000)
    write_note(qtbot, ws, "Pupils turn to their partners")
    note = next(n for n in ws.editor.notes if n.text == "Pupils turn to their partners")
    with qtbot.waitSignal(media.frameShown, timeout=10_000):
        media.seek(0, exact=True)  # elsewhere, then back to the note at once
    timing = engine._timing
    index = timing.index_at(note.start_ms * 1000)
    assert index - timing.key_before(index) >= 40 and index not in engine._prepared
    started = time.monotonic()
    with qtbot.waitSignal(media.frameShown, timeout=10_000) as shown:
        ws.go_to_note(note)
    took = time.monotonic() - started
    assert shown.args[0] == round(timing.frame_us[index] / 1000)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(resource("demo", "classroom.mp4")),
                          "-vf", f"select='eq(n\\,{index})'", "-vsync", "0", "-f", "rawvideo",
                          "-pix_fmt", "bgra", "-"], check=True, timeout=60, capture_output=True).stdout
    reference = np.frombuffer(raw, np.uint8).reshape(360, 640, 4)[..., :3]
    image = media.current_frame().convertToFormat(QImage.Format.Format_RGB32)
    got = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(
        image.height(), image.bytesPerLine() // 4, 4)[:, :640, :3]
    assert np.count_nonzero(got != reference) == 0, index
    assert took < 1.2, f"{took:.2f} s: counted by libvlc, not decoded at once"
    # libvlc lands on the same frame behind it: a step goes on from there, exactly.
    qtbot.waitUntil(engine.settled, timeout=10_000)
    with qtbot.waitSignal(media.frameShown, timeout=10_000) as step:
        media.step_frame(1)
    assert step.args[0] == round(timing.frame_us[index + 1] / 1000)
