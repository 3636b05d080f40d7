"""The PDF pane's controls: its actions and shortcuts, the toolbar (paging and zoom) and
the find bar.

Widgets only: what a control does is the pane's (``PdfPane`` connects them). A row of
buttons, not a ``QToolBar``: a toolbar hides what does not fit behind an overflow
chevron, and page navigation and zoom must stay in sight on a laptop.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStyle,
    QToolButton,
    QWidget,
)

from reviewer_app.gui.pdf.pdf_zoom import ZOOM_CHOICES

# Laptop-friendly (no numpad), and clear of the video pane's keys (Space J K L I O M [ ] , .)
# and of the rubric's digits 1-9. The first of each list is the one shown in tooltips.
DEFAULT_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "next_page": ("PgDown", "N"),
    "prev_page": ("PgUp", "P"),
    "first_page": ("Home",),
    "last_page": ("End",),
    "zoom_in": ("Ctrl+=", "Ctrl++"),
    "zoom_out": ("Ctrl+-",),
    "fit_width": ("W",),
    "fit_page": ("F",),
    "find": ("Ctrl+F",),
    "next_hit": ("F3", "Ctrl+G"),
    "prev_hit": ("Shift+F3", "Ctrl+Shift+G"),
    "select_region": ("R",),
}

# name, label, icon (a standard pixmap, or None), text on its button
_ACTIONS: tuple[tuple[str, str, QStyle.StandardPixmap | None, str], ...] = (
    ("first_page", "First page", QStyle.StandardPixmap.SP_MediaSkipBackward, "First page"),
    ("prev_page", "Previous page", QStyle.StandardPixmap.SP_ArrowUp, "Previous page"),
    ("next_page", "Next page", QStyle.StandardPixmap.SP_ArrowDown, "Next page"),
    ("last_page", "Last page", QStyle.StandardPixmap.SP_MediaSkipForward, "Last page"),
    ("zoom_out", "Zoom out", None, "−"),
    ("zoom_in", "Zoom in", None, "+"),
    ("fit_width", "Fit width", None, "Fit width"),
    ("fit_page", "Fit page", None, "Fit page"),
    ("select_region", "Select region", None, "Region"),
    ("find", "Find", None, "Find"),
    ("prev_hit", "Previous match", None, "▲"),
    ("next_hit", "Next match", None, "▼"),
)


def build_actions(owner: QWidget, shortcuts: dict[str, tuple[str, ...]],
                  slots: dict[str, Callable[[], None]]) -> dict[str, QAction]:
    """The pane's actions, added to ``owner`` and scoped to it (its keys work while the
    focus is in it); ``slots[name]`` runs when one is triggered."""
    icon = owner.style().standardIcon
    actions: dict[str, QAction] = {}
    for name, label, pixmap, text in _ACTIONS:
        action = QAction(label, owner)
        if pixmap is not None:
            action.setIcon(icon(pixmap))
        action.setIconText(text)
        keys = [QKeySequence(k) for k in shortcuts.get(name, [])]
        action.setShortcuts(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tip = label + (f" ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})" if keys else "")
        action.setToolTip(tip)
        slot = slots.get(name)
        if slot is not None:
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        owner.addAction(action)
        actions[name] = action
    region = actions["select_region"]
    region.setCheckable(True)
    region.setToolTip(region.toolTip() + ": drag a rectangle on the page to anchor a note")
    return actions


def tool_button(action: QAction, name: str, parent: QWidget) -> QToolButton:
    b = QToolButton(parent)
    b.setObjectName(f"pdf_{name}Button")
    b.setDefaultAction(action)
    b.setAutoRaise(True)
    b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    b.setAccessibleName(action.text())
    return b


class PdfToolbar(QWidget):
    """Page navigation (with the page number box), zoom (with its box), select region
    and find."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("pdfToolbar")
        self.page_box = QSpinBox(self)
        self.page_box.setKeyboardTracking(False)
        self.page_box.setRange(0, 0)
        self.page_box.setSuffix(" / 0")
        self.page_box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.page_box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.page_box.setToolTip("Page number: type one and press Enter")
        self.page_box.setMinimumWidth(self.page_box.fontMetrics().horizontalAdvance("888 / 888") + 16)

        self.zoom_box = QComboBox(self)
        self.zoom_box.setEditable(True)
        self.zoom_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zoom_box.addItem("Fit width", "width")
        self.zoom_box.addItem("Fit page", "page")
        for z in ZOOM_CHOICES:
            self.zoom_box.addItem(f"{round(z * 100)}%", z)
        self.zoom_box.setToolTip("Zoom: pick one, or type a percentage and press Enter")
        self.zoom_box.setMinimumContentsLength(7)
        self.zoom_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(1)
        for item in ("first_page", "prev_page", self.page_box, "next_page", "last_page", 6,
                     "zoom_out", self.zoom_box, "zoom_in", 6, "select_region", "find"):
            if isinstance(item, int):
                row.addSpacing(item)
            elif isinstance(item, str):
                self.buttons[item] = tool_button(actions[item], item, self)
                row.addWidget(self.buttons[item])
            else:
                row.addWidget(item)
        row.addStretch(1)

    def show_page_count(self, count: int) -> None:
        """Pages 1 to ``count`` (0: no document), without announcing a page change."""
        self.page_box.blockSignals(True)
        self.page_box.setRange(1 if count else 0, count)
        self.page_box.setSuffix(f" / {count}")
        self.page_box.blockSignals(False)

    def show_page(self, index: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(index + 1)
        self.page_box.blockSignals(False)


class _SearchKeys(QObject):
    """Shift+Enter in the search box goes to the previous hit, Escape closes the find bar."""

    def __init__(self, bar: FindBar) -> None:
        super().__init__(bar)
        self.bar = bar

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.bar.previousRequested.emit()
                else:
                    self.bar.entered.emit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.bar.closeRequested.emit()
                return True
        return False


class FindBar(QWidget):
    """The bar Find opens under the toolbar (Ctrl+F): the search box, previous and next
    match, the number of hits and a close button. Hidden until opened."""

    entered = Signal()  # Enter in the search box
    previousRequested = Signal()  # Shift+Enter
    closeRequested = Signal()  # Escape, or the close button

    def __init__(self, actions: dict[str, QAction], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("pdfFindBar")
        self.hide()
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Find in PDF")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setObjectName("pdfSearch")
        self.search_edit.setMinimumWidth(100)
        self.search_edit.installEventFilter(_SearchKeys(self))
        self.hit_label = QLabel(self)
        self.hit_label.setMinimumWidth(self.hit_label.fontMetrics().horizontalAdvance("888 of 888") + 8)

        self.buttons = {name: tool_button(actions[name], name, self) for name in ("prev_hit", "next_hit")}
        find = QHBoxLayout(self)
        find.setContentsMargins(4, 0, 2, 0)
        find.setSpacing(2)
        find.addWidget(self.search_edit, 1)
        find.addWidget(self.buttons["prev_hit"])
        find.addWidget(self.buttons["next_hit"])
        find.addWidget(self.hit_label)
        close = QToolButton(self)
        close.setObjectName("pdfFindClose")
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Close the find bar (Esc)")
        close.setAccessibleName("Close find")
        close.clicked.connect(self.closeRequested)
        find.addWidget(close)
