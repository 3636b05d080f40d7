"""Viewers for photos and written reflections (video, audio and PDF have their own packages),
and the titled slot the workspace shows a viewer in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QImage, QImageReader, QKeySequence, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
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


IMAGE_SHORTCUTS = {"zoom_in": ("Ctrl+=", "Ctrl++"), "zoom_out": ("Ctrl+-",), "fit": ("F",)}


class ImageView(QWidget):
    """A photo with zoom (wheel, keys) and pan (drag)."""

    loaded = Signal()

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
        self.image_actions: dict[str, QAction] = {}
        for key, label, slot in [
            ("zoom_in", "Zoom In (Photo)", lambda: self.zoom(1.25)),
            ("zoom_out", "Zoom Out (Photo)", lambda: self.zoom(0.8)),
            ("fit", "Fit Photo", self.fit),
        ]:
            action = QAction(label, self)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setShortcuts([QKeySequence(k) for k in IMAGE_SHORTCUTS[key]])
            action.triggered.connect(slot)
            self.addAction(action)
            self.image_actions[key] = action

    def load(self, path: Path) -> None:
        self._generation += 1
        generation = self._generation
        self.scene.clear()
        self.item = None
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
        self.fit()
        self.loaded.emit()

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


class TextView(QPlainTextEdit):
    """A written reflection, read-only, in a readable width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textView")
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.setFont(font)

    def load(self, path: Path) -> None:
        # Verified as UTF-8 at import; read off the GUI thread all the same.
        self.setPlainText("")
        run_task(lambda job: path.read_text(encoding="utf-8", errors="replace"),
                 on_success=self.setPlainText,
                 on_error=lambda exc: self.setPlainText(f"This text cannot be read: {exc}"),
                 owner=self)


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

    def showEvent(self, event) -> None:  # noqa: ANN001, N802
        super().showEvent(event)
        self.changed.emit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
