"""Viewers for photos and written reflections (video, audio and PDF have their own packages),
and the titled slot the workspace shows a viewer in.

Both viewers show the reviewer's notes on them: rectangles on a photo (a region is dragged
in "select region" mode, R), highlighted passages in a reflection (the selected text is
what a note on it quotes)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QImage,
    QImageReader,
    QKeySequence,
    QPen,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import EvidenceItem
from reviewer_app.gui.tasks import run_task
from reviewer_app.gui.workspace.evidence_panel import KIND_LABEL


def read_image(path: Path) -> QImage:
    """Decode an image (safe on a worker thread); raises ValueError in plain words."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # camera photos: honour the EXIF orientation
    image = reader.read()
    if image.isNull():
        raise ValueError(f"This image cannot be shown: {reader.errorString()}.")
    return image


IMAGE_SHORTCUTS = {"zoom_in": ("Ctrl+=", "Ctrl++"), "zoom_out": ("Ctrl+-",), "fit": ("F",),
                   "select_region": ("R",)}
NOTE_PEN = QColor(30, 100, 230)  # the notes' blue (as on PDF pages and the seek bar)
NOTE_FILL = QColor(40, 120, 255, 45)
QUOTE_FILL = QColor(255, 226, 130)  # a quoted passage, as a highlighter marks it
MIN_REGION_PX = 3  # smaller drags are clicks, not regions


class ImageView(QWidget):
    """A photo with zoom (wheel, keys) and pan (drag); in "select region" mode a drag
    selects a rectangle instead (``regionSelected``, in the image's pixels)."""

    loaded = Signal()
    regionSelected = Signal(QRectF)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.scene = QGraphicsScene(self)
        self.view = QGraphicsView(self.scene, self)
        self.view.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.view.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.view.setRenderHints(self.view.renderHints())
        self.view.wheelEvent = self._wheel  # type: ignore[method-assign]
        layout.addWidget(self.view, 1)
        self.item: QGraphicsPixmapItem | None = None
        self._generation = 0
        self._notes: list[tuple[QRectF, str]] = []  # (region in image pixels, label)
        self._note_items: list[QGraphicsRectItem] = []
        self._drag_from: QPointF | None = None
        self._band: QGraphicsRectItem | None = None
        self._pending: QRectF | None = None  # a note's region to show once the photo is in
        self.image_actions: dict[str, QAction] = {}
        for key, label, slot in [
            ("zoom_in", "Zoom In (Photo)", lambda: self.zoom(1.25)),
            ("zoom_out", "Zoom Out (Photo)", lambda: self.zoom(0.8)),
            ("fit", "Fit Photo", self.fit),
            ("select_region", "Select Region (Photo)", None),
        ]:
            action = QAction(label, self)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setShortcuts([QKeySequence(k) for k in IMAGE_SHORTCUTS[key]])
            if slot is not None:
                action.triggered.connect(slot)
            self.addAction(action)
            self.image_actions[key] = action
        region = self.image_actions["select_region"]
        region.setCheckable(True)
        region.toggled.connect(self._region_toggled)
        region.setToolTip("Select region: drag a rectangle on the photo to anchor a note")
        self._drags = _RegionDrag(self)
        self.view.viewport().installEventFilter(self._drags)

    def load(self, path: Path) -> None:
        self._generation += 1
        generation = self._generation
        self.set_region_mode(False)
        self.scene.clear()
        self.item = None
        self._notes, self._note_items, self._band, self._pending = [], [], None, None
        self.message.hide()
        run_task(lambda job: read_image(path),
                 on_success=lambda image: self._show(generation, image),
                 on_error=lambda exc: self._fail(generation, exc), owner=self)

    def _show(self, generation: int, image: QImage) -> None:
        if generation != self._generation:
            return
        self.item = self.scene.addPixmap(QPixmap.fromImage(image))
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene.setSceneRect(self.item.boundingRect())
        self._draw_notes()
        self.fit()
        if self._pending is not None:
            self.show_region(self._pending)
        self.loaded.emit()

    # -- notes on the photo --------------------------------------------------------------
    def set_note_regions(self, notes: list[tuple[QRectF, str]]) -> None:
        """Reviewers' notes drawn on the photo: (region in image pixels, label)."""
        self._notes = [(QRectF(r), str(label)) for r, label in notes]
        self._draw_notes()

    def note_regions(self) -> list[QRectF]:
        return [QRectF(r) for r, _ in self._notes]

    def _draw_notes(self) -> None:
        for item in self._note_items:
            self.scene.removeItem(item)
        self._note_items = []
        if self.item is None:
            return  # drawn when the photo arrives
        pen = QPen(NOTE_PEN, 2)
        pen.setCosmetic(True)  # the same width at any zoom
        for rect, label in self._notes:
            item = self.scene.addRect(rect, pen, QBrush(NOTE_FILL))
            item.setToolTip(label)
            self._note_items.append(item)

    def show_region(self, rect: QRectF | None) -> None:
        """Bring a note's region into view (the whole photo for a note on all of it; once
        the photo is in, if it is still being read)."""
        if self.item is None:
            self._pending = QRectF(rect) if rect is not None else None
            return
        self._pending = None
        if rect is None or rect.isEmpty():
            self.fit()
        else:
            self.view.fitInView(rect.adjusted(-rect.width() * 0.3, -rect.height() * 0.3,
                                              rect.width() * 0.3, rect.height() * 0.3),
                                Qt.AspectRatioMode.KeepAspectRatio)

    def set_region_mode(self, on: bool) -> None:
        """While on, dragging on the photo selects a rectangle: ``regionSelected(rect)``."""
        self.image_actions["select_region"].setChecked(bool(on))

    def region_mode(self) -> bool:
        return self.image_actions["select_region"].isChecked()

    def _region_toggled(self, on: bool) -> None:
        self.view.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.view.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    def drag(self, kind: QEvent.Type, pos: QPointF) -> bool:
        """A press, move or release on the photo in region mode (True: handled)."""
        if self.item is None or not self.region_mode():
            return False
        bounds = self.item.boundingRect()
        at = self.view.mapToScene(pos.toPoint())
        at = QPointF(min(max(at.x(), bounds.left()), bounds.right()),
                     min(max(at.y(), bounds.top()), bounds.bottom()))
        if kind == QEvent.Type.MouseButtonPress:
            if self._band is not None:  # (a press whose release went elsewhere)
                self.scene.removeItem(self._band)
            self._drag_from = at
            pen = QPen(NOTE_PEN, 1.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._band = self.scene.addRect(QRectF(at, at), pen)
            return True
        if self._drag_from is None:
            return False
        rect = QRectF(self._drag_from, at).normalized()
        if kind == QEvent.Type.MouseMove and self._band is not None:
            self._band.setRect(rect)
            return True
        if kind == QEvent.Type.MouseButtonRelease:
            self._drag_from = None
            if self._band is not None:
                self.scene.removeItem(self._band)
                self._band = None
            on_screen = self.view.mapFromScene(rect).boundingRect()
            if on_screen.width() >= MIN_REGION_PX and on_screen.height() >= MIN_REGION_PX:
                self.set_region_mode(False)
                self.regionSelected.emit(rect)
            return True
        return False

    def _fail(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.message.setText(str(exc))
            self.message.show()

    def error_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    def fit(self) -> None:
        if self.item is not None:
            self.view.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        self.view.scale(factor, factor)

    def scale(self) -> float:
        return self.view.transform().m11()

    def _wheel(self, event: QWheelEvent) -> None:
        self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)


class _RegionDrag(QObject):
    """Mouse presses, moves and releases on the photo's viewport, for region mode."""

    def __init__(self, image: ImageView) -> None:
        super().__init__(image)
        self.image = image

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease):
            if kind != QEvent.Type.MouseMove and event.button() != Qt.MouseButton.LeftButton:
                return False
            return self.image.drag(kind, event.position())
        return False


def _utf16(text: str, index: int) -> int:
    """A Python string index as a Qt text position (UTF-16 units)."""
    return len(text[:index].encode("utf-16-le")) // 2


def _index(text: str, position: int) -> int:
    """A Qt text position (UTF-16 units) as a Python string index."""
    return len(text.encode("utf-16-le")[:2 * position].decode("utf-16-le", errors="ignore"))


class TextView(QPlainTextEdit):
    """A written reflection, read-only, in a readable width; the passages notes quote are
    highlighted, and the selected passage is what a new note quotes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textView")
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.setFont(font)

        self._source = ""  # the text as read (what quotes are checked against)
        self._quotes: list[tuple[int, int]] = []  # (start, length) in characters of the source
        self._pending: tuple[int, int] | None = None  # a passage to show once the text is in

    def load(self, path: Path) -> None:
        # Verified as UTF-8 at import; read off the GUI thread all the same.
        self._source, self._quotes, self._pending = "", [], None
        self.setPlainText("")
        run_task(lambda job: path.read_text(encoding="utf-8", errors="replace"),
                 on_success=self._show_text,
                 on_error=lambda exc: self.setPlainText(f"This text cannot be read: {exc}"),
                 owner=self)

    def _show_text(self, text: str) -> None:
        self._source = text
        self.setPlainText(text)
        self._highlight()
        if self._pending is not None:
            self.show_passage(*self._pending)

    def selected_passage(self) -> tuple[str, int] | None:
        """The passage selected (as it stands in the text) and where it starts, if any."""
        cursor = self.textCursor()
        if not self._source or not cursor.hasSelection():
            return None
        start = _index(self._source, cursor.selectionStart())
        end = _index(self._source, cursor.selectionEnd())
        passage = self._source[start:end]
        return (passage, start) if passage.strip() else None

    def set_quotes(self, quotes: list[tuple[int, int]]) -> None:
        """Highlight these passages (start, length in characters): the notes' quotes."""
        self._quotes = list(quotes)
        self._highlight()

    def _highlight(self) -> None:
        if not self._source:
            return
        selections = []
        fmt = QTextCharFormat()
        fmt.setBackground(QUOTE_FILL)
        for start, length in self._quotes:
            cursor = QTextCursor(self.document())
            cursor.setPosition(_utf16(self._source, start))
            cursor.setPosition(_utf16(self._source, start + length), QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = cursor, fmt
            selections.append(selection)
        self.setExtraSelections(selections)

    def show_passage(self, start: int, length: int) -> None:
        """Select a quoted passage and scroll it into view (once the text is in)."""
        if not self._source:
            self._pending = (start, length)
            return
        self._pending = None
        cursor = QTextCursor(self.document())
        cursor.setPosition(_utf16(self._source, start))
        cursor.setPosition(_utf16(self._source, start + length), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

class ViewerSlot(QWidget):
    """A titled place in the viewer area holding one of several panes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        self.title = QLabel(self)
        self.title.setObjectName("viewerTitle")
        box.addWidget(self.title)
        self.stack = QStackedWidget(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.message)
        self.stack.currentChanged.connect(lambda _: self.changed.emit())
        box.addWidget(self.stack, 1)

    def add(self, pane: QWidget) -> None:
        self.stack.addWidget(pane)

    def current(self) -> QWidget:
        return self.stack.currentWidget()

    def show_pane(self, pane: QWidget) -> None:
        self.stack.setCurrentWidget(pane)
        self.changed.emit()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def set_title(self, item: EvidenceItem) -> None:
        self.title.setText(f"<b>{_html(item.title)}</b> \u00b7 {KIND_LABEL[item.kind]}")

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self.changed.emit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
