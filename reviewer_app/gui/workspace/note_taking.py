"""Taking a note in the workspace: where it anchors, and the dialog that writes it.

A note belongs to what the reviewer is looking at: the viewer that has the keyboard focus,
or else the one used last (clicked, focused, or worked with its keys or buttons), never
whatever happens to be selected in the evidence list. The video side gives a moment (or
the marked range), the document side the page (and the region dragged on it), a region
of a photo (the region dragged on it, or all of it), or the passage selected in a
written reflection.

A dragged region travels with the one note it was dragged for and is then forgotten, so it
never lands on the next note; so does a marked range (I and O) once its note is made.
While a note is being written (added or edited) the video pauses; it plays on afterwards
if it was playing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from reviewer_app.domain.model import Annotation, AnnotationKind, EvidenceItem, EvidenceKind, Region
from reviewer_app.gui.workspace.notes_panel import NoteDialog

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.evidence_viewer import EvidenceViewer
    from reviewer_app.gui.workspace.window import WorkspaceWindow

MEDIA, DOCUMENT = "media", "document"


@dataclass(frozen=True)
class Anchor:
    """Where a note about to be written goes: the item, the service's keyword arguments,
    and the place in words for the dialog."""

    item: EvidenceItem
    args: dict
    where: str


class ViewerUse(QObject):
    """Which viewer (the video side or the document side) the reviewer is using."""

    def __init__(self, viewer: EvidenceViewer) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.last: str | None = None
        app = QApplication.instance()
        app.focusChanged.connect(self._focus_changed)  # type: ignore[union-attr]
        for action in viewer.media.media_actions.values():
            action.triggered.connect(lambda *_: self.used(MEDIA))
        viewer.media.seek_bar.sliderMoved.connect(lambda *_: self.used(MEDIA))
        for action in (*viewer.pdf.pdf_actions.values(), *viewer.image.image_actions.values()):
            action.triggered.connect(lambda *_: self.used(DOCUMENT))

    def reset(self) -> None:
        self.last = None

    def used(self, side: str) -> None:
        self.last = side

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not shiboken6.isValid(self.viewer):
            return  # (the workspace is being deleted)
        side = self.side_of(new)
        if side is not None:
            self.last = side

    def side_of(self, widget: QWidget | None) -> str | None:
        """The viewer side ``widget`` lies in, if any."""
        while widget is not None:
            if widget is self.viewer.media_slot:
                return MEDIA
            if widget is self.viewer.document_slot:
                return DOCUMENT
            widget = widget.parentWidget()
        return None

    def shown(self, side: str) -> bool:
        slot = self.viewer.media_slot if side == MEDIA else self.viewer.document_slot
        item = self.viewer.media_item if side == MEDIA else self.viewer.document_item
        return item is not None and slot.isVisibleTo(self.viewer)

    def side(self) -> str | None:
        """The side a note goes to now: the focused viewer, else the one used last, else the
        video (a reviewer notes the lesson first), else the document."""
        for side in (self.side_of(QApplication.focusWidget()), self.last, MEDIA, DOCUMENT):
            if side is not None and self.shown(side):
                return side
        return None


class NoteTaker(QObject):
    """Opens the note dialog for the place the reviewer is at, and adds the note."""

    def __init__(self, window: WorkspaceWindow) -> None:
        super().__init__(window)
        self.window = window
        self.use = ViewerUse(window.viewer)
        window.viewer.image.regionSelected.connect(lambda rect: self.add(DOCUMENT, region=(0, rect)))
        self.dialog: NoteDialog | None = None
        self._resume = False
        self._held = 0  # dialogs open that hold the video

    def reset(self) -> None:
        self.use.reset()
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reject()
        self.dialog, self._held, self._resume = None, 0, False

    def writing(self, on: bool) -> None:
        """While a note is being written (added or edited), the video holds still; after,
        it plays on if it was playing."""
        media = self.window.viewer.media
        if on:
            self._held += 1
            if self._held == 1:
                self._resume = media.state() == "playing"
                if self._resume:
                    media.pause()
        elif self._held > 0:
            self._held -= 1
            if self._held == 0 and self._resume:
                self._resume = False
                media.play()

    def anchor(self, side: str | None = None, region: tuple[int, QRectF] | None = None) -> Anchor | str:
        """Where a note would go now; or, if it cannot go anywhere, why, in plain words."""
        viewer = self.window.viewer
        side = side or self.use.side()
        if side == MEDIA:
            return self._media_anchor(viewer.media_item)
        if side == DOCUMENT and viewer.document_item is not None:
            item = viewer.document_item
            if item.kind is EvidenceKind.PDF:
                page, box = viewer.pdf.current_page(), None
                if region is not None:
                    page, rect = region
                    box = Region(rect.left(), rect.top(), rect.right(), rect.bottom())
                if page < 0:
                    return "The document is still opening; try again in a moment."
                return Anchor(item, {"page": page, "region": box},
                              f"p. {page + 1}" + (" (highlighted region)" if box else ""))
            if item.kind is EvidenceKind.IMAGE:
                box = None
                if region is not None:
                    rect = region[1]
                    box = Region(rect.left(), rect.top(), rect.right(), rect.bottom())
                return Anchor(item, {"region": box}, "a region of the photo" if box else "the whole photo")
            if item.kind is EvidenceKind.TEXT:
                passage = viewer.text.selected_passage()
                if passage is None:
                    return "Select the passage the note is about, then add the note."
                args = {"quote": passage[0], "quote_at": passage[1]}
                where = Annotation("", 0, item.key, AnnotationKind.QUOTE, "", **args).where()
                return Anchor(item, args, where)
            return ("Notes can be anchored to a video, an audio item, a PDF, a photo or a written "
                    "reflection.")
        return "Open a video, an audio item or a document to anchor a note to it."

    def _media_anchor(self, item: EvidenceItem | None) -> Anchor | str:
        media = self.window.viewer.media
        if item is None:
            return "Open a video or an audio item first."
        marked = media.marked_range()
        if marked is not None and marked[1] > marked[0]:
            args = {"start_ms": marked[0], "end_ms": marked[1]}
        else:
            args = {"start_ms": media.position(), "end_ms": None}
        return Anchor(item, args, Annotation("", 0, item.key, AnnotationKind.TIME, "", **args).where())

    def add(self, side: str | None = None, region: tuple[int, QRectF] | None = None) -> NoteDialog | None:
        """Ask for the note's text (the video paused meanwhile) and add it where it belongs."""
        window = self.window
        if window.editor is None or window.editor.locked or self.dialog is not None:
            return None
        anchor = self.anchor(side, region)
        if isinstance(anchor, str):
            window.statusBar().showMessage(anchor, 5000)
            return None
        dialog = NoteDialog(window.editor.rubric, f"{anchor.item.title}, {anchor.where}", "",
                            window.rubric.current or None, window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor = window.editor
        dialog.finished.connect(lambda result: self._finished(dialog, editor, anchor, result))
        key = id(dialog)
        dialog.destroyed.connect(lambda *_, key=key: self._gone(key))
        self.dialog = dialog
        self.writing(True)
        dialog.open()
        return dialog

    def _gone(self, key: int) -> None:
        """The dialog went with its window without finishing: it no longer holds anything."""
        if self.dialog is not None and id(self.dialog) == key:
            self.dialog = None
            self.writing(False)

    def _finished(self, dialog: NoteDialog, editor, anchor: Anchor, result: int) -> None:  # noqa: ANN001
        if self.dialog is dialog:
            self.dialog = None
        if result == QDialog.DialogCode.Accepted and editor is self.window.editor:
            text, criterion = dialog.values()
            editor.add_note(evidence_key=anchor.item.key, text=text, criterion_key=criterion, **anchor.args)
            media = self.window.viewer.media
            if anchor.args.get("end_ms") is not None and media.marked_range() == (
                    anchor.args["start_ms"], anchor.args["end_ms"]):
                media.clear_loop()  # the range went with its note; the next one starts afresh
        self.writing(False)
