"""``SeekBar``: the media pane's slider over the whole recording, in milliseconds.

A click jumps there (landing like the end of a drag, so the seek is exact); the loop range
is shaded and the notes' marks are drawn on it (``seek_markers``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

from reviewer_app.gui.media.seek_markers import SeekMarks

JUMP_MS = 5000  # the bar's page step, and the pane's -5 s / +5 s


class SeekBar(QSlider):
    """A slider in milliseconds: a click jumps there (as a drag's end); the loop range is shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("seekBar")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setRange(0, 0)
        self.setSingleStep(1000)
        self.setPageStep(JUMP_MS)
        self._loop: tuple[int, int] | None = None
        self.marks = SeekMarks(self, self._x_for)  # the notes' (see seek_markers)
        self.setMinimumHeight(22)

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        self._loop = loop
        self.update()

    def _groove(self) -> tuple[QStyleOptionSlider, QRect]:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderGroove, self)
        return option, groove

    def _x_for(self, value: int) -> int:
        option, groove = self._groove()
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        x = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span)
        return groove.left() + handle.width() // 2 + x

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > 0:
            option, groove = self._groove()
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                span = max(1, groove.width() - handle.width())
                x = int(event.position().x()) - groove.left() - handle.width() // 2
                value = QStyle.sliderValueFromPosition(self.minimum(), self.maximum(),
                                                       max(0, min(span, x)), span)
                self.setValue(value)
                self.sliderReleased.emit()  # a click lands like the end of a drag: exactly
                event.accept()
                return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        return self.marks.tooltip(event) or super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.marks.paint()
        if self._loop is None or self.maximum() <= 0:
            return
        painter = QPainter(self)
        left, right = self._x_for(self._loop[0]), self._x_for(self._loop[1])
        band = QRect(left, self.height() // 2 - 5, max(2, right - left), 10)
        painter.fillRect(band, QColor(255, 170, 0, 110))
        painter.setPen(QColor(230, 140, 0))
        painter.drawLine(left, band.top() - 2, left, band.bottom() + 2)
        painter.drawLine(right, band.top() - 2, right, band.bottom() + 2)
