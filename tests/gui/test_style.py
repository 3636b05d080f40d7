"""The flat scroll bars that replace Fusion's slow gradients: the handle is drawn where the
scroll position is, in the palette's colours (their cost is in the workspace benchmark)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QScrollBar, QStyleFactory

from reviewer_app.gui.style import FlatScrollBars


def _bar(qtbot, value: int, palette: QPalette | None = None) -> QScrollBar:
    bar = QScrollBar(Qt.Orientation.Vertical)
    style = FlatScrollBars(QStyleFactory.create("Fusion"))
    bar.setStyle(style)
    bar._style = style
    if palette is not None:
        bar.setPalette(palette)
    bar.setRange(0, 100)
    bar.setPageStep(100)  # the handle is half the groove
    bar.setValue(value)
    bar.resize(14, 400)
    qtbot.addWidget(bar)
    return bar


def _column(bar: QScrollBar) -> list[int]:
    image = bar.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    x = image.width() // 2
    return [QColor(image.pixel(x, y)).lightness() for y in range(image.height())]


def test_the_handle_is_drawn_where_the_view_is_scrolled(qtbot):
    top, bottom = _column(_bar(qtbot, 0)), _column(_bar(qtbot, 100))
    quarter, three_quarters = len(top) // 4, 3 * len(top) // 4
    # scrolled to the top: the (lighter) handle fills the upper half, the groove the lower
    assert top[quarter] > top[three_quarters] + 10
    # scrolled to the end: the other way round
    assert bottom[three_quarters] > bottom[quarter] + 10


def test_a_dark_palette_gives_a_dark_scroll_bar(qtbot):
    dark = QPalette()
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Button):
        dark.setColor(role, QColor(40, 40, 40))
    column = _column(_bar(qtbot, 0, dark))
    assert max(column[20:-20]) < 110  # groove and handle both stay dark

