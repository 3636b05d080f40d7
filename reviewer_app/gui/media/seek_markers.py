"""Reviewers' notes drawn on the seek bar: a tick at each note's moment, a band under each
noted range, so the reviewer sees where the notes are along the video and can click there.

The seek bar holds a :class:`SeekMarks` and hands it its function from milliseconds to
x (the one the handle uses), so the marks line up with the time they stand for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect
from PySide6.QtGui import QColor, QHelpEvent, QPainter
from PySide6.QtWidgets import QSlider, QToolTip

MARK_COLOUR = QColor(30, 100, 230)  # the notes' blue, as on PDF pages
RANGE_FILL = QColor(30, 100, 230, 90)
TICK_WIDTH = 3


@dataclass(frozen=True)
class SeekMarker:
    """A note's place on the seek bar: ``end_ms`` None for a moment."""

    start_ms: int
    end_ms: int | None = None
    label: str = ""


def paint_markers(painter: QPainter, markers: list[SeekMarker], x_for: Callable[[int], int],
                  height: int) -> None:
    """Ranges as translucent bands along the groove, moments as ticks across it."""
    middle = height // 2
    for m in markers:
        if m.end_ms is not None:
            left, right = x_for(m.start_ms), x_for(m.end_ms)
            painter.fillRect(QRect(left, middle - 4, max(2, right - left), 8), RANGE_FILL)
    for m in markers:
        x = x_for(m.start_ms)
        painter.fillRect(QRect(x - TICK_WIDTH // 2, 1, TICK_WIDTH, height - 2), MARK_COLOUR)
        if m.end_ms is not None:
            x = x_for(m.end_ms)
            painter.fillRect(QRect(x - TICK_WIDTH // 2, middle - 6, TICK_WIDTH, 12), MARK_COLOUR)


def tooltip_at(markers: list[SeekMarker], x: int, x_for: Callable[[int], int], slack: int = 4) -> str:
    """The labels of the notes under (or within ``slack`` pixels of) ``x``."""
    hits = []
    for m in markers:
        left = x_for(m.start_ms)
        right = x_for(m.end_ms) if m.end_ms is not None else left
        if left - slack <= x <= right + slack:
            hits.append(m.label)
    return "\n".join(h for h in hits if h)


class SeekMarks:
    """The notes' marks on one seek bar: drawn over it, named in its tooltip."""

    def __init__(self, bar: QSlider, x_for: Callable[[int], int]) -> None:
        self.bar, self.x_for = bar, x_for
        self.markers: list[SeekMarker] = []

    def set(self, markers: list[SeekMarker]) -> None:
        self.markers = list(markers)
        self.bar.update()

    def paint(self) -> None:
        """(From the bar's paintEvent, after the bar itself is drawn.)"""
        if self.markers and self.bar.maximum() > 0:
            painter = QPainter(self.bar)
            paint_markers(painter, self.markers, self.x_for, self.bar.height())
            painter.end()

    def tooltip(self, event: QEvent) -> bool:
        """Show the notes under the pointer for a tooltip event; True if it was one."""
        if event.type() != QEvent.Type.ToolTip or not self.markers or self.bar.maximum() <= 0:
            return False
        assert isinstance(event, QHelpEvent)
        text = tooltip_at(self.markers, event.pos().x(), self.x_for)
        if text:
            QToolTip.showText(event.globalPos(), text, self.bar)
        else:
            QToolTip.hideText()
        return True
