"""A rubric level's button, drawn so that its text and its chosen state read well (WCAG 2.1
AA: 4.5:1 for text, 3:1 for the chosen state against what is next to it), also in a
submitted (locked) review, where Qt's disabled grey would be about 1.5:1.

The chosen level is marked three ways, not by a shade of grey alone: a check mark before
its label, a solid dark-blue fill with white text, and a thicker border (not bold text:
in the rubric's narrow column on a laptop, "✔ 4 · Exemplary" in bold was cut short).
Keyboard focus is a dark ring inside the edge.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

CHECK = "\u2714"
CHOSEN_FILL = QColor("#1f5fa6")  # 5.9:1 against the window's #efefef, 7.1:1 against white
CHOSEN_BORDER = QColor("#0d3566")
CHOSEN_TEXT = QColor("#ffffff")  # 6.4:1 on the fill
BORDER = QColor("#6e6e6e")  # 4.4:1 against #efefef: the button's edge, not only its face
LOCKED_TEXT = QColor("#3d3d3d")  # a locked review's levels stay readable (9:1 on #efefef)
FOCUS_RING = QColor("#111111")


class LevelButton(QPushButton):
    """A checkable level: its ``label`` shown, with a check mark while chosen."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(label, parent)
        self.label = label
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Two columns keep labels readable in a narrow dock, without sideways scrolling.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.locked = False
        self.toggled.connect(self._mark)

    def _mark(self, checked: bool) -> None:
        self.setText(f"{CHECK} {self.label}" if checked else self.label)

    def set_locked(self, locked: bool) -> None:
        """A submitted review: the levels can no longer be chosen, but read as before."""
        self.locked = locked
        self.setEnabled(not locked)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self.fontMetrics().height() + 12))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        palette = self.palette()
        chosen = self.isChecked()
        if chosen:
            face, edge, width, ink = CHOSEN_FILL, CHOSEN_BORDER, 2.0, CHOSEN_TEXT
        else:
            face = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base)
            if self.underMouse() and self.isEnabled():
                face = face.darker(106)
            edge, width = BORDER, 1.0
            ink = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
            if self.locked:
                ink = LOCKED_TEXT if ink.lightness() < 128 else ink
        if self.isDown():
            face = face.darker(110)
        p.setPen(QPen(edge, width))
        p.setBrush(face)
        p.drawRoundedRect(rect.adjusted(width / 2, width / 2, -width / 2, -width / 2), 4, 4)
        if self.hasFocus():
            ring = QPen(CHOSEN_TEXT if chosen else FOCUS_RING, 2, Qt.PenStyle.DotLine)
            p.setPen(ring)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect.adjusted(3.5, 3.5, -3.5, -3.5), 3, 3)
        p.setPen(ink)
        font = QFont(self.font())
        p.setFont(font)
        text = p.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, int(rect.width()) - 6)
        p.drawText(rect.adjusted(3, 0, -3, 0), Qt.AlignmentFlag.AlignCenter, text)
        p.end()
