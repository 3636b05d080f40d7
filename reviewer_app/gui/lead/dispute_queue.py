"""The moderation queue: one entry per dispute (submission, credential, the reviewers and
why they dispute), painted as a compact card."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from reviewer_app.gui.lead.common import EARNED_FG, MUTED, NOT_YET_FG, when
from reviewer_app.services.dispute_ids import short_ids
from reviewer_app.services.moderation import DisputeRow

Index = QModelIndex | QPersistentModelIndex
RowRole = Qt.ItemDataRole.UserRole + 1
PAD = 8


class DisputeListModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.disputes: list[DisputeRow] = []
        self.titles: dict[str, str] = {}
        self.short: dict[str, str] = {}  # uid -> the id shown (and typed on the command line)

    def set_rows(self, rows: list[DisputeRow], titles: dict[str, str]) -> None:
        self.beginResetModel()
        self.disputes, self.titles = list(rows), dict(titles)
        self.short = short_ids(d.uid for d in self.disputes)
        self.endResetModel()

    def row_of(self, uid: str | None) -> int:
        return next((i for i, d in enumerate(self.disputes) if d.uid == uid), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.disputes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid():
            return None
        d = self.disputes[index.row()]
        if role == RowRole:
            return d
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{d.submission_key} attempt {d.attempt}"
        if role == Qt.ItemDataRole.ToolTipRole:
            title = self.titles.get(d.credential_key, d.credential_title)
            return "\n".join([f"{d.submission_key} attempt {d.attempt} \u00b7 {title}",
                              f"Dispute {self.short.get(d.uid, d.uid)}",
                              "Reviewers: " + ", ".join(d.reviewers), *d.reasons])
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (f"Dispute {self.short.get(d.uid, d.uid)}: {d.submission_key} attempt "
                    f"{d.attempt}, {d.state}, reviewers "
                    f"{', '.join(d.reviewers)}. " + " ".join(d.reasons))
        return None


class DisputeDelegate(QStyledItemDelegate):
    """Three lines: the submission and when it was opened; the credential and reviewers;
    the first reason (the rest in the tooltip and on the right)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(260, fm.height() * 3 + fm.leading() * 2 + 2 * PAD + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        d: DisputeRow = index.data(RowRole)
        painter.save()
        style = option.widget.style() if option.widget else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_colour = option.palette.color(QPalette.ColorRole.HighlightedText if selected
                                           else QPalette.ColorRole.Text)
        muted = text_colour if selected else QColor(MUTED)
        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        fm = QFontMetrics(option.font)
        line = fm.height() + fm.leading() + 1
        bold = QFont(option.font)
        bold.setBold(True)

        # line 1: submission, and on the right when opened (or the final decision)
        right = when(d.opened_at)[:10]
        right_colour = muted
        if d.state == "resolved":
            right = f"Resolved: {d.decision.label}" if d.decision else "Resolved"
            if not selected:
                earned = d.decision and d.decision.value == "earned"
                right_colour = QColor(EARNED_FG if earned else NOT_YET_FG)
        painter.setFont(option.font)
        right_w = fm.horizontalAdvance(right)
        painter.setPen(right_colour)
        painter.drawText(QRect(rect.right() - right_w, rect.top(), right_w, line),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right)
        painter.setFont(bold)
        painter.setPen(text_colour)
        short = getattr(index.model(), "short", {}).get(d.uid, d.uid[:8])
        title = f"{d.submission_key} \u00b7 attempt {d.attempt} \u00b7 #{short}"
        painter.drawText(QRect(rect.left(), rect.top(), rect.width() - right_w - 8, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight,
                                                       rect.width() - right_w - 8))
        # line 2: credential and reviewers
        painter.setFont(option.font)
        cred = index.model().titles.get(d.credential_key, d.credential_title) if hasattr(
            index.model(), "titles") else d.credential_title
        second = f"{' vs '.join(d.reviewers) or 'no reviewers'} \u00b7 {cred}"
        painter.drawText(QRect(rect.left(), rect.top() + line, rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(second, Qt.TextElideMode.ElideRight, rect.width()))
        # line 3: why
        painter.setPen(muted if selected else QColor(NOT_YET_FG))
        reason = d.reasons[0] if d.reasons else ""
        more = f"  +{len(d.reasons) - 1}" if len(d.reasons) > 1 else ""
        more_w = fm.horizontalAdvance(more)
        painter.drawText(QRect(rect.left(), rect.top() + 2 * line, rect.width() - more_w, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(reason, Qt.TextElideMode.ElideRight, rect.width() - more_w))
        if more:
            painter.setPen(muted)
            painter.drawText(QRect(rect.right() - more_w, rect.top() + 2 * line, more_w, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, more)
        painter.restore()
