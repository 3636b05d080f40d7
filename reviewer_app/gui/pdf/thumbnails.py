"""The strip of page thumbnails beside the page: a list model that asks the renderer for a
thumbnail only when the view paints that row, and a view that drops the requests of
rows scrolled out of sight before they cost anything."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from reviewer_app.gui.pdf.render_client import PRIORITY_THUMB, DocRef, PageKey, RenderClient

THUMB_BOX = QSize(96, 124)  # logical pixels the page is fitted into
NOTES_ROLE = Qt.ItemDataRole.UserRole + 1  # the page's notes' regions, in the box's logical pixels
NOTE_FILL = QColor(40, 120, 255, 70)  # as on the page (page_view), a little stronger: it is small
NOTE_PEN = QColor(30, 100, 230)


class ThumbnailModel(QAbstractListModel):
    """One row per page: DisplayRole the page number, DecorationRole its thumbnail (a blank
    page of the right shape until the real one arrives)."""

    def __init__(self, client: RenderClient, owner: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.client = client
        self.owner = owner
        self.dpr = 1.0
        self._doc: DocRef | None = None
        self._password: str | None = None
        self._sizes: list[tuple[float, float]] = []
        self._unreadable: set[int] = set()
        self._failed: set[int] = set()
        self._pixmaps: dict[int, QPixmap] = {}
        self._requested: dict[PageKey, int] = {}
        self._notes: dict[int, list[QRectF]] = {}  # page -> regions in points
        client.pageReady.connect(self._on_ready)
        client.pageFailed.connect(self._on_failed)

    def set_document(self, doc: DocRef | None, sizes: list[tuple[float, float]] | None = None,
                     password: str | None = None, unreadable: list[int] | None = None) -> None:
        self.beginResetModel()
        if self._doc is not None:
            self.client.discard_pages(self.owner, self._doc, kinds=("thumb",))
        self._doc, self._password = doc, password
        if doc is None:
            self._notes = {}
        self._sizes = list(sizes or [])
        self._unreadable = set(unreadable or [])
        self._failed = set()
        self._pixmaps = {}
        self._requested = {}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._sizes)

    def set_notes(self, notes: list[tuple[int, QRectF, str]]) -> None:
        """The reviewers' note regions (page, rectangle in points, label), drawn on the
        thumbnails too, so the strip shows which pages carry notes."""
        regions: dict[int, list[QRectF]] = {}
        for page, rect, _label in notes:
            regions.setdefault(int(page), []).append(QRectF(rect))
        if regions == self._notes:
            return
        self._notes = regions
        if self._sizes:
            self.dataChanged.emit(self.index(0), self.index(len(self._sizes) - 1), [NOTES_ROLE])

    def _page_box(self, row: int) -> tuple[QRectF, float]:
        """Where the page lies in its box, and the scale (logical pixels per point)."""
        bw, bh = self._box()
        w, h = self._sizes[row] if row < len(self._sizes) else (595.0, 842.0)
        scale = min((bw - 2) / max(w, 1), (bh - 2) / max(h, 1))
        pw, ph = w * scale, h * scale
        return QRectF((bw - pw) / 2, bh - 1 - ph, pw, ph), scale

    def note_rects(self, row: int) -> list[QRectF]:
        """The notes' regions on this page's thumbnail, in logical pixels within its box."""
        regions = self._notes.get(row)
        if not regions:
            return []
        page, scale = self._page_box(row)
        d = self.dpr or 1.0
        return [QRectF((page.left() + r.left() * scale) / d, (page.top() + r.top() * scale) / d,
                       max(2.0, r.width() * scale / d), max(2.0, r.height() * scale / d))
                for r in regions]

    def _box(self) -> tuple[int, int]:
        return round(THUMB_BOX.width() * self.dpr), round(THUMB_BOX.height() * self.dpr)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._doc is None:
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row + 1)
        if role == Qt.ItemDataRole.ToolTipRole:
            if row in self._unreadable:
                return f"Page {row + 1} could not be read"
            return f"Page {row + 1}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == NOTES_ROLE:
            return self.note_rects(row)
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self._pixmaps.get(row)
            if pixmap is not None:
                return pixmap
            if row in self._unreadable or row in self._failed:
                return self._compose(row, None, unreadable=True)
            key, image = self.client.render_thumbnail(self._doc, row, *self._box(), self._password,
                                                      owner=self.owner, priority=PRIORITY_THUMB)
            if image is not None:
                self._pixmaps[row] = self._compose(row, image)
                return self._pixmaps[row]
            self._requested[key] = row
            return self._compose(row, None)
        return None

    def _compose(self, row: int, image: QImage | None, unreadable: bool = False) -> QPixmap:
        """The thumbnail centred in a fixed box, with a border, so every row is the same size."""
        bw, bh = self._box()
        pixmap = QPixmap(bw, bh)
        pixmap.fill(Qt.GlobalColor.transparent)
        rect, _scale = self._page_box(row)  # on the bottom edge, next to its number
        p = QPainter(pixmap)
        p.fillRect(rect, QColor(235, 235, 235) if unreadable else Qt.GlobalColor.white)
        if image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(rect, image, QRectF(image.rect()))
        elif unreadable:
            p.setPen(QColor(170, 40, 40))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "?")
        p.setPen(QColor(140, 140, 140))
        p.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.end()
        pixmap.setDevicePixelRatio(self.dpr)
        return pixmap

    def _on_ready(self, key: PageKey, image: QImage) -> None:
        row = self._requested.pop(key, None)
        if row is None or key.doc != self._doc or row >= len(self._sizes):
            return
        self._pixmaps[row] = self._compose(row, image)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _on_failed(self, key: PageKey, message: str) -> None:
        row = self._requested.pop(key, None)
        if row is None or key.doc != self._doc:
            return
        self._failed.add(row)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def keep_only(self, rows: set[int]) -> None:
        """Drop the queued thumbnail requests of rows not in ``rows`` (scrolled away)."""
        keep = {key for key, row in self._requested.items() if row in rows}
        self.client.discard_pages(self.owner, self._doc, keep=keep, kinds=("thumb",))
        self._requested = {key: row for key, row in self._requested.items() if key in keep}

    def has_thumbnail(self, row: int) -> bool:
        return row in self._pixmaps


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail and its page number; its size hint is fixed and asks the model
    for nothing, so the view lays out a thousand pages without rendering one."""

    PAD = 4

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(THUMB_BOX.width() + 2 * self.PAD,
                     THUMB_BOX.height() + option.fontMetrics.height() + 3 * self.PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        r = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(r.adjusted(1, 1, -1, -1), option.palette.color(QPalette.ColorRole.Highlight))
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap):
            x = r.left() + (r.width() - THUMB_BOX.width()) // 2
            painter.drawPixmap(x, r.top() + self.PAD, pixmap)
            notes = index.data(NOTES_ROLE) or []
            if notes:
                painter.setPen(NOTE_PEN)
                for note in notes:
                    box = note.translated(x, r.top() + self.PAD)
                    painter.fillRect(box, NOTE_FILL)
                    painter.drawRect(box)
        painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText if selected
                                            else QPalette.ColorRole.Text))
        text_rect = r.adjusted(0, THUMB_BOX.height() + 2 * self.PAD, 0, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        painter.restore()


class ThumbnailStrip(QListView):
    """A vertical strip of thumbnails; the model asks for those painted, the strip drops
    requests for rows scrolled past."""

    def __init__(self, model: ThumbnailModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setItemDelegate(ThumbnailDelegate(self))  # only rows painted ask for a thumbnail
        self.setIconSize(THUMB_BOX)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumWidth(THUMB_BOX.width() + 40)
        self.setMaximumWidth(THUMB_BOX.width() * 2 + 40)
        self._trim = QTimer(self)
        self._trim.setSingleShot(True)
        self._trim.setInterval(120)
        self._trim.timeout.connect(self._drop_invisible)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._trim.start())

    def thumbnails(self) -> ThumbnailModel:
        return self.model()  # type: ignore[return-value]

    def visible_rows(self) -> set[int]:
        top = self.indexAt(QPoint(self.viewport().width() // 2, 2))
        bottom = self.indexAt(QPoint(self.viewport().width() // 2, self.viewport().height() - 2))
        first = top.row() if top.isValid() else 0
        last = bottom.row() if bottom.isValid() else self.model().rowCount() - 1
        return set(range(max(0, first - 2), last + 3))

    def _drop_invisible(self) -> None:
        self.thumbnails().keep_only(self.visible_rows())
