"""The application's widget style: the platform's, with flat scroll bars where it is Fusion.

Fusion (Qt's style on most Linux desktops, and offscreen) paints a scroll bar's groove and
handle with gradients whose cost grows with the bar's length: about 2 ms for the rubric's,
every time it is painted, which was a fifth of painting a whole workspace window. Here they
are flat fills and lines in the palette's colours, in the same places and sizes (the
arrows are still Fusion's own), so they look nearly alike and cost almost nothing.
Other styles (Windows, macOS, Breeze) are left as they are.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionComplex,
    QWidget,
)

CC = QStyle.ComplexControl
SC = QStyle.SubControl


class FlatScrollBars(QProxyStyle):
    """Fusion, except for the groove and handle of scroll bars."""

    def drawComplexControl(self, control: CC, option: QStyleOptionComplex, painter: QPainter,
                           widget: QWidget | None = None) -> None:
        if control != CC.CC_ScrollBar:
            super().drawComplexControl(control, option, painter, widget)
            return
        paint_scroll_bar(self, option, painter, widget)


def _colors(option: QStyleOption) -> tuple[QColor, QColor, QColor]:
    """Groove, outline and handle colours, from the palette (dark themes included)."""
    palette = option.palette
    window = palette.color(QPalette.ColorRole.Window)
    dark = window.lightness() < 128
    groove = window.lighter(115) if dark else window.darker(107)
    outline = window.lighter(160) if dark else window.darker(135)
    handle = palette.color(QPalette.ColorRole.Button)
    handle = handle.lighter(120) if dark else handle.lighter(106)
    return groove, outline, handle


def paint_scroll_bar(style: QStyle, option: QStyleOptionComplex, painter: QPainter,
                     widget: QWidget | None) -> None:
    base = style.baseStyle() if isinstance(style, QProxyStyle) else style
    groove, outline, handle = _colors(option)
    rect = option.rect
    horizontal = option.orientation == Qt.Orientation.Horizontal
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.fillRect(rect, groove)
    painter.setPen(outline)
    painter.drawRect(rect.adjusted(0, 0, -1, -1))
    slider = base.subControlRect(CC.CC_ScrollBar, option, SC.SC_ScrollBarSlider, widget)
    if option.subControls & SC.SC_ScrollBarSlider and slider.isValid() and \
            option.state & QStyle.StateFlag.State_Enabled and option.minimum != option.maximum:
        fill = QColor(handle)
        active = option.activeSubControls & SC.SC_ScrollBarSlider
        if active and option.state & QStyle.StateFlag.State_Sunken:
            fill = fill.darker(110)
        elif active and option.state & QStyle.StateFlag.State_MouseOver:
            fill = fill.lighter(104)
        box = QRect(slider)
        painter.fillRect(box, fill)
        painter.setPen(outline)
        painter.drawRect(box.adjusted(0, 0, -1, -1))
        # a faint line inside the top (left) edge, as Fusion's light bevel
        painter.setPen(fill.lighter(108))
        if horizontal:
            painter.drawLine(box.left() + 1, box.top() + 1, box.left() + 1, box.bottom() - 1)
        else:
            painter.drawLine(box.left() + 1, box.top() + 1, box.right() - 1, box.top() + 1)
    painter.restore()
    lines = option.subControls & (SC.SC_ScrollBarAddLine | SC.SC_ScrollBarSubLine)
    if lines:
        saved = option.subControls
        option.subControls = lines
        base.drawComplexControl(CC.CC_ScrollBar, option, painter, widget)
        option.subControls = saved


def install(app: QApplication) -> None:
    """Flat scroll bars if the application's style is Fusion (idempotent)."""
    current = app.style()
    if isinstance(current, FlatScrollBars) or current.name().lower() != "fusion":
        return
    style = FlatScrollBars("Fusion")
    app.setStyle(style)
    app._reviewer_style = style  # noqa: SLF001 - kept alive with the application
