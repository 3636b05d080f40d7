"""Two small charts painted with QPainter (QtCharts is not in PySide6-Essentials).

``BarChart``: grouped bars, one group per category (a rubric level), one bar per series
(a reviewer). ``LineChart``: one or more lines over ordered points (weeks or months),
with gaps where a value is undefined. Both show the value under the mouse as a tooltip
and paint a plain message when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

#: Okabe-Ito (told apart by most people with colour-vision deficiencies), then Paul Tol's
#: muted colours for a ninth reviewer and beyond.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#882255", "#44AA99", "#999933", "#AA4499", "#332288", "#DDCC77", "#661100", "#888888"]


def colour(i: int) -> QColor:
    return QColor(PALETTE[i % len(PALETTE)])


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    #: What the tooltip says for point i (defaults to the formatted value).
    notes: Sequence[str] | None = None


class _Chart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.title = ""
        self.categories: list[str] = []
        self.series: list[Series] = []
        self.empty_text = "Nothing to show yet."
        self.y_min, self.y_max = 0.0, 1.0
        self.y_format: Callable[[float], str] = lambda v: f"{v:g}"
        self._hits: list[tuple[QRectF, str]] = []

    def sizeHint(self) -> QSize:
        return QSize(520, 280)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 160)

    def set_data(self, categories: Sequence[str], series: Sequence[Series], *,
                 title: str = "", y_range: tuple[float, float] | None = None,
                 y_format: Callable[[float], str] | None = None) -> None:
        self.categories, self.series, self.title = list(categories), list(series), title
        if y_format is not None:
            self.y_format = y_format
        values = [v for s in self.series for v in s.values if v is not None]
        if y_range is not None:
            self.y_min, self.y_max = y_range
        else:
            self.y_min, self.y_max = 0.0, max(values, default=1.0) or 1.0
        self.update()

    # -- geometry shared by both charts --------------------------------------------------------
    def _plot_rect(self, painter: QPainter) -> QRectF:
        fm = painter.fontMetrics()
        label_w = max(fm.horizontalAdvance(self.y_format(v)) for v in (self.y_min, self.y_max)) + 10
        top = fm.height() * (2.4 if self.title else 1.0)
        legend = len(self._legend_rows(painter)) * (fm.height() + 4) + 4
        return QRectF(label_w + 6, top, self.width() - label_w - 18,
                      self.height() - top - fm.height() * 2 - legend - 6)

    def _y(self, plot: QRectF, value: float) -> float:
        span = (self.y_max - self.y_min) or 1.0
        return plot.bottom() - (value - self.y_min) / span * plot.height()

    def _paint_frame(self, painter: QPainter, plot: QRectF) -> None:
        pal = self.palette()
        text = pal.windowText().color()
        grid = QColor(text)
        grid.setAlpha(40)
        fm = painter.fontMetrics()
        if self.title:
            bold = QFont(painter.font())
            bold.setBold(True)
            painter.save()
            painter.setFont(bold)
            painter.setPen(text)
            painter.drawText(QRectF(0, 2, self.width(), fm.height() * 1.4),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, self.title)
            painter.restore()
        for i in range(5):
            value = self.y_min + (self.y_max - self.y_min) * i / 4
            y = self._y(plot, value)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 6, fm.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.y_format(value))
        painter.setPen(QPen(text, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())

    def _legend_rows(self, painter: QPainter) -> list[list[tuple[int, float]]]:
        """The legend's entries, (series index, x) for each, wrapped into rows that fit."""
        fm = painter.fontMetrics()
        rows: list[list[tuple[int, float]]] = []
        x = 8.0
        for i, s in enumerate(self.series):
            width = 16 + fm.horizontalAdvance(s.name) + 18
            if not rows or (x + width > self.width() and rows[-1]):
                rows.append([])
                x = 8.0
            rows[-1].append((i, x))
            x += width
        return rows

    def _paint_legend(self, painter: QPainter) -> None:
        fm = painter.fontMetrics()
        rows = self._legend_rows(painter)
        y = self.height() - len(rows) * (fm.height() + 4)
        painter.setPen(self.palette().windowText().color())
        for row in rows:
            for i, x in row:
                painter.fillRect(QRectF(x, y + 3, 12, fm.height() - 6), colour(i))
                painter.drawText(QPointF(x + 16, y + fm.ascent()), self.series[i].name)
            y += fm.height() + 4

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(self.palette().placeholderText().color())
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.empty_text)

    def has_data(self) -> bool:
        return bool(self.categories) and any(v is not None for s in self.series for v in s.values)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._hits = []
        if not self.has_data():
            self._paint_empty(painter)
            return
        plot = self._plot_rect(painter)
        self._paint_frame(painter, plot)
        self._paint_data(painter, plot)
        self._paint_legend(painter)

    def _paint_data(self, painter: QPainter, plot: QRectF) -> None:
        raise NotImplementedError

    def _tip(self, s: Series, i: int) -> str:
        if s.notes is not None and i < len(s.notes):
            return s.notes[i]
        v = s.values[i]
        return f"{s.name}, {self.categories[i]}: {'undefined' if v is None else self.y_format(v)}"

    def tip_at(self, x: float, y: float) -> str | None:
        """The tooltip for a point of the widget (what the mouse would show)."""
        for rect, text in self._hits:
            if rect.contains(QPointF(x, y)):
                return text
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        text = self.tip_at(event.position().x(), event.position().y())
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        else:
            QToolTip.hideText()


class BarChart(_Chart):
    """Grouped bars: for each category, one bar per series."""

    def _paint_data(self, painter: QPainter, plot: QRectF) -> None:
        fm = painter.fontMetrics()
        n_cat, n_series = len(self.categories), max(1, len(self.series))
        group_w = plot.width() / n_cat
        bar_w = min(42.0, group_w * 0.8 / n_series)
        text = self.palette().windowText().color()
        for c, category in enumerate(self.categories):
            left = plot.left() + c * group_w + (group_w - bar_w * n_series) / 2
            for i, s in enumerate(self.series):
                v = s.values[c] if c < len(s.values) else None
                if v is None:
                    continue
                top = self._y(plot, max(self.y_min, min(self.y_max, v)))
                rect = QRectF(left + i * bar_w + 1, top, bar_w - 2, plot.bottom() - top)
                painter.fillRect(rect, colour(i))
                hit = QRectF(rect.left(), plot.top(), rect.width(), plot.height())
                self._hits.append((hit, self._tip(s, c)))
            painter.setPen(text)
            painter.drawText(QRectF(plot.left() + c * group_w, plot.bottom() + 2, group_w,
                                    fm.height() * 1.6),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             fm.elidedText(category, Qt.TextElideMode.ElideRight, int(group_w) - 4))


class LineChart(_Chart):
    """Lines over ordered points; an undefined value breaks the line."""

    def _paint_data(self, painter: QPainter, plot: QRectF) -> None:
        fm = painter.fontMetrics()
        n = len(self.categories)
        step = plot.width() / max(1, n - 1) if n > 1 else 0.0

        def x_of(i: int) -> float:
            return plot.left() + (i * step if n > 1 else plot.width() / 2)

        text = self.palette().windowText().color()
        # Category labels: as many as fit without overlapping.
        widest = max(fm.horizontalAdvance(c) for c in self.categories) + 12
        every = max(1, int(widest / step) + 1) if n > 1 and step else 1
        painter.setPen(text)
        for i, category in enumerate(self.categories):
            if i % every == 0 or i == n - 1 and (n - 1) % every > every // 2:
                left = min(max(0.0, x_of(i) - widest / 2), self.width() - widest)
                painter.drawText(QRectF(left, plot.bottom() + 2, widest, fm.height()),
                                 Qt.AlignmentFlag.AlignHCenter, category)
        for k, s in enumerate(self.series):
            pen = QPen(colour(k), 2)
            painter.setPen(pen)
            previous: QPointF | None = None
            for i, v in enumerate(s.values):
                if v is None:
                    previous = None
                    continue
                point = QPointF(x_of(i), self._y(plot, max(self.y_min, min(self.y_max, v))))
                if previous is not None:
                    painter.drawLine(previous, point)
                previous = point
            painter.setBrush(colour(k))
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                point = QPointF(x_of(i), self._y(plot, max(self.y_min, min(self.y_max, v))))
                painter.drawEllipse(point, 3.5, 3.5)
                self._hits.append((QRectF(point.x() - 7, point.y() - 7, 14, 14), self._tip(s, i)))
            painter.setBrush(Qt.BrushStyle.NoBrush)
