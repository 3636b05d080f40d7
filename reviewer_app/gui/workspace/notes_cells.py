"""How the notes list draws a note in a narrow dock: one cell as wide as the dock, its
number, place and evidence item on the first line, its criterion (bold) on the next, then
its whole text, wrapped. The rows are as tall as their text (the delegate's size hint
lays the text out at the column's width)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

Index = QModelIndex | QPersistentModelIndex
HTML_ROLE = Qt.ItemDataRole.UserRole + 1
PAD = 4


def note_html(number: str, where: str, evidence: str, criterion: str, text: str) -> str:
    body = escape(text).replace("\n", "<br>")
    head = f"<b>{escape(number)}</b> \u00b7 {escape(where)} \u00b7 {escape(evidence)}"
    return head + (f"<br><b>{escape(criterion)}</b>" if criterion else "") + (f"<br>{body}" if body else "")


class HtmlCellDelegate(QStyledItemDelegate):
    """Paints a cell's ``HTML_ROLE`` text, wrapped to the column's width. The heights are
    kept by text, width and font, so re-listing hundreds of notes after each change lays
    out only the new ones."""

    MAX_CACHED = 4000

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._heights: dict[tuple[str, int, str], int] = {}

    def _document(self, option: QStyleOptionViewItem, index: Index, width: float) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setHtml(str(index.data(HTML_ROLE) or ""))
        doc.setTextWidth(max(20.0, width - 2 * PAD))
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._document(opt, index, opt.rect.width())
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.save()
        painter.translate(opt.rect.left() + PAD, opt.rect.top() + PAD)
        painter.setClipRect(QRectF(0, 0, opt.rect.width() - PAD, opt.rect.height() - PAD))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        view = option.widget
        width = view.columnWidth(index.column()) if hasattr(view, "columnWidth") else option.rect.width()
        key = (str(index.data(HTML_ROLE) or ""), int(width), option.font.key())
        height = self._heights.get(key)
        if height is None:
            if len(self._heights) > self.MAX_CACHED:
                self._heights.clear()
            height = self._heights[key] = int(self._document(option, index, width).size().height())
        return QSize(int(width), height + 2 * PAD)
