"""One page on screen: ``PageCanvas`` draws the page image and what lies on it (search
hits, reviewers' notes, the highlight of a picked note, a region being selected);
``PageView`` is the scroll area around it.

Overlays are given in PDF points in the page's displayed orientation; the canvas maps
them with the current scale (logical pixels per point), so they line up with the image
at any zoom. The canvas never renders anything itself: it is handed images.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

MARGIN = 12  # logical pixels of grey around the page
BUSY_DELAY_MS = 250  # "Drawing page N…" shows only if the page takes longer than this

HIT_FILL = QColor(255, 200, 0, 100)
HIT_CURRENT_FILL = QColor(255, 120, 0, 120)
HIT_CURRENT_PEN = QColor(230, 90, 0)
NOTE_FILL = QColor(40, 120, 255, 45)
NOTE_PEN = QColor(30, 100, 230)
FOCUS_FILL = QColor(230, 30, 60, 45)
FOCUS_PEN = QColor(210, 20, 50)
SELECT_FILL = QColor(40, 120, 255, 40)


class PageCanvas(QWidget):
    """The page at its size on screen, with overlays; emits ``painted(page)`` once after
    each final image has been painted, and ``regionSelected(rect_in_points)`` when the
    user drags a rectangle in region mode."""

    painted = Signal(int)
    regionSelected = Signal(QRectF)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setMouseTracking(False)
        self._page = -1
        self._size_pt = QSizeF(595, 842)
        self._scale = 1.0
        self._image: QImage | None = None
        self._exact = False
        self._announce = False
        self._placeholder = ""
        self._busy = False
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self.hits: list[QRectF] = []
        self.current_hit: list[QRectF] = []
        self.notes: list[tuple[QRectF, str]] = []
        self.focus_rect: QRectF | None = None
        self._region_mode = False
        self._drag_from: QPointF | None = None
        self._drag_rect: QRectF | None = None
        self.resize(self.sizeHint())

    # -- state ---------------------------------------------------------------------

    def set_page(self, page: int, size_pt: QSizeF, scale: float) -> None:
        """Lay out page ``page`` of ``size_pt`` points at ``scale`` logical pixels per point
        (the image, if any, stays and is scaled until a new one is set)."""
        if page != self._page:
            self._image, self._exact, self._announce, self._placeholder = None, False, False, ""
            self._busy = False
            self._drag_rect = self._drag_from = None
        self._page = page
        self._size_pt = QSizeF(size_pt)
        self._scale = scale
        self.resize(self.sizeHint())
        self.update()

    def set_image(self, image: QImage | None, exact: bool) -> None:
        """Show ``image`` (device pixels) over the page. ``exact``: it is the final image
        for this page and zoom (``painted`` follows its first paint); otherwise it is a
        stand-in (another zoom, scaled) or none, and "Drawing page N…" appears if the
        final one is slow to come."""
        self._image = image
        self._exact = exact and image is not None
        self._placeholder = ""
        if self._exact:
            self._busy = False
            self._busy_timer.stop()
            self._announce = True
            if not self.isVisible():  # nothing to paint on: it is as shown as it can be
                self._announce = False
                QTimer.singleShot(0, lambda page=self._page: self.painted.emit(page))
        elif not self._busy:
            self._busy_timer.start()
        self.update()

    def set_placeholder(self, text: str) -> None:
        """No image: the page shows ``text`` instead (an unreadable page, for one)."""
        self._image, self._exact, self._announce = None, False, False
        self._busy_timer.stop()
        self._busy = False
        self._placeholder = text
        self.update()

    def clear(self) -> None:
        self._page = -1
        self.set_placeholder("")
        self.resize(self.sizeHint())
        self.hits, self.current_hit, self.notes, self.focus_rect = [], [], [], None

    def image(self) -> QImage | None:
        return self._image

    def has_final_image(self) -> bool:
        return self._exact

    def placeholder(self) -> str:
        return self._placeholder

    def scale(self) -> float:
        return self._scale

    def page(self) -> int:
        return self._page

    def set_region_mode(self, on: bool) -> None:
        self._region_mode = on
        self._drag_from = self._drag_rect = None
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        self.update()

    def _show_busy(self) -> None:
        if not self._exact and not self._placeholder and self._page >= 0:
            self._busy = True
            self.update()

    # -- geometry --------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        if self._page < 0:  # no page: just room for a line of words, centred in the view
            return QSize(420, 120)
        return QSize(round(self._size_pt.width() * self._scale) + 2 * MARGIN,
                     round(self._size_pt.height() * self._scale) + 2 * MARGIN)

    def page_rect(self) -> QRectF:
        """Where the page lies, in this widget's logical pixels."""
        return QRectF(MARGIN, MARGIN, self._size_pt.width() * self._scale,
                      self._size_pt.height() * self._scale)

    def to_widget(self, rect_pt: QRectF) -> QRectF:
        s = self._scale
        return QRectF(MARGIN + rect_pt.x() * s, MARGIN + rect_pt.y() * s,
                      rect_pt.width() * s, rect_pt.height() * s)

    def to_points(self, rect_px: QRectF) -> QRectF:
        s = self._scale or 1.0
        return QRectF((rect_px.x() - MARGIN) / s, (rect_px.y() - MARGIN) / s,
                      rect_px.width() / s, rect_px.height() / s)

    # -- painting --------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self._page < 0:  # no page (opening, or nothing to show): only the words, if any
            if self._placeholder:
                p.setPen(self.palette().color(QPalette.ColorRole.BrightText))
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                           self._placeholder)
            p.end()
            return
        page = self.page_rect()
        p.fillRect(page.translated(2, 3), QColor(0, 0, 0, 60))  # a shadow under the paper
        p.fillRect(page, Qt.GlobalColor.white)
        if self._image is not None and not self._image.isNull():
            if not self._exact:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(page, self._image, QRectF(self._image.rect()))
        if self._placeholder:
            p.setPen(QColor(90, 90, 90))
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.15)
            p.setFont(font)
            top = page.top() + min(page.height() * 0.3, 220.0)  # in view without scrolling
            p.drawText(QRectF(page.left() + 20, top, page.width() - 40, page.bottom() - top - 20),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       self._placeholder)
        elif self._busy:  # the final image is slow to come: say so, over the stand-in if any
            text = f"Drawing page {self._page + 1}…"
            fm = QFontMetricsF(self.font())
            box = QRectF(page.left() + 12, page.top() + 12, fm.horizontalAdvance(text) + 16, fm.height() + 8)
            p.fillRect(box, QColor(255, 255, 255, 215))
            p.setPen(QColor(70, 70, 70))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        if self._page >= 0 and not self._placeholder:
            self._paint_overlays(p)
        p.setPen(QPen(QColor(150, 150, 150), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(page.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.end()
        if self._announce and self._exact:
            self._announce = False
            QTimer.singleShot(0, lambda page=self._page: self.painted.emit(page))

    def _paint_overlays(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for r in self.hits:
            p.fillRect(self.to_widget(r), HIT_FILL)
        for r in self.current_hit:
            w = self.to_widget(r).adjusted(-1, -1, 1, 1)
            p.fillRect(w, HIT_CURRENT_FILL)
            p.setPen(QPen(HIT_CURRENT_PEN, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(w)
        label_font = QFont(self.font())
        label_font.setPointSizeF(max(7.0, label_font.pointSizeF() * 0.85))
        fm = QFontMetricsF(label_font)
        for r, label in self.notes:
            w = self.to_widget(r)
            p.fillRect(w, NOTE_FILL)
            p.setPen(QPen(NOTE_PEN, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(w)
            if label:
                text = fm.elidedText(label, Qt.TextElideMode.ElideRight, max(60.0, w.width() + 80))
                box = QRectF(w.left(), w.top() - fm.height() - 2,
                             fm.horizontalAdvance(text) + 8, fm.height() + 2)
                if box.top() < MARGIN:
                    box.moveTop(w.top())
                p.fillRect(box, NOTE_PEN)
                p.setPen(Qt.GlobalColor.white)
                p.setFont(label_font)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        if self.focus_rect is not None:
            w = self.to_widget(self.focus_rect).adjusted(-2, -2, 2, 2)
            p.fillRect(w, FOCUS_FILL)
            p.setPen(QPen(FOCUS_PEN, 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(w)
        if self._drag_rect is not None:
            p.fillRect(self._drag_rect, SELECT_FILL)
            pen = QPen(NOTE_PEN, 1.5, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self._drag_rect)

    # -- region selection ------------------------------------------------------------

    def _clamped(self, pos: QPointF) -> QPointF:
        page = self.page_rect()
        return QPointF(min(max(pos.x(), page.left()), page.right()),
                       min(max(pos.y(), page.top()), page.bottom()))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._region_mode and event.button() == Qt.MouseButton.LeftButton and self._page >= 0:
            self._drag_from = self._clamped(event.position())
            self._drag_rect = QRectF(self._drag_from, self._drag_from)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self._drag_rect = QRectF(self._drag_from, self._clamped(event.position())).normalized()
            self.update()
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and event.button() == Qt.MouseButton.LeftButton:
            rect = QRectF(self._drag_from, self._clamped(event.position())).normalized()
            self._drag_from = None
            self._drag_rect = None
            self.update()
            if rect.width() >= 3 and rect.height() >= 3:
                self.regionSelected.emit(self.to_points(rect))
            event.accept()
            return
        super().mouseReleaseEvent(event)


class PageView(QScrollArea):
    """The scroll area holding the canvas: grey around the page, centred. The wheel
    scrolls and, past the end of a page, turns it (``flipRequested(+1/-1)``); Ctrl+wheel
    asks for zoom (``zoomRequested(+1/-1)``)."""

    flipRequested = Signal(int)
    zoomRequested = Signal(int)
    resized = Signal()

    FLIP_THRESHOLD = 240  # wheel units past the end before the page turns (two notches)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = PageCanvas()
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundRole(QPalette.ColorRole.Dark)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._overscroll = 0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        dy = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if dy:
                self.zoomRequested.emit(1 if dy > 0 else -1)
            event.accept()
            return
        bar = self.verticalScrollBar()
        at_end = (dy < 0 and bar.value() >= bar.maximum()) or (dy > 0 and bar.value() <= bar.minimum())
        if dy and at_end:
            self._overscroll += dy
            if abs(self._overscroll) >= (self.FLIP_THRESHOLD if bar.maximum() > 0 else 120):
                self.flipRequested.emit(1 if self._overscroll < 0 else -1)
                self._overscroll = 0
            event.accept()
            return
        self._overscroll = 0
        super().wheelEvent(event)

    def scroll_to_top(self) -> None:
        self.verticalScrollBar().setValue(0)

    def scroll_to_bottom(self) -> None:
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def ensure_rect_visible(self, rect_pt: QRectF, margin: int = 60) -> None:
        """Scroll so that ``rect_pt`` (points) is in view, with some room around it."""
        w = self.canvas.to_widget(rect_pt)
        self.ensureVisible(int(w.center().x()), int(w.center().y()),
                           int(w.width() / 2) + margin, int(w.height() / 2) + margin)
