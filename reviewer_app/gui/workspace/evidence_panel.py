"""The evidence of a submission: each item with its kind, title and the criteria it
supports, and what the pre-check found (cannot be played or read; criteria nothing supports).

Docked above or below the viewers it is a one-row strip (the title and kind of each item;
the criteria it supports in its tooltip), so the viewers keep the height; docked at a side
it is a list with the criteria written out."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStyle,
    QWidget,
)

from reviewer_app.domain.model import EvidenceItem, EvidenceKind, Rubric
from reviewer_app.domain.rules import unsupported_criteria

KIND_LABEL = {EvidenceKind.VIDEO: "Video", EvidenceKind.PDF: "PDF", EvidenceKind.IMAGE: "Photo",
              EvidenceKind.AUDIO: "Audio", EvidenceKind.TEXT: "Text"}
_ICONS = {EvidenceKind.VIDEO: QStyle.StandardPixmap.SP_MediaPlay,
          EvidenceKind.AUDIO: QStyle.StandardPixmap.SP_MediaVolume,
          EvidenceKind.PDF: QStyle.StandardPixmap.SP_FileIcon,
          EvidenceKind.IMAGE: QStyle.StandardPixmap.SP_DirIcon,
          EvidenceKind.TEXT: QStyle.StandardPixmap.SP_FileDialogDetailedView}


class EvidencePanel(QWidget):
    chosen = Signal(object)  # EvidenceItem

    def __init__(self, rubric: Rubric, evidence: tuple[EvidenceItem, ...], parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("evidencePanel")
        self.rubric, self.evidence = rubric, evidence
        self.problems: dict[str, str] = {}
        self.strip = False
        layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.box = layout
        self.banner = QLabel(self)
        self.banner.setObjectName("evidenceBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff3cd; color: #664d03; padding: 6px; border-radius: 4px;")
        layout.addWidget(self.banner)
        self.list = QListWidget(self)
        self.list.setObjectName("evidenceList")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentRowChanged.connect(self._current_changed)
        layout.addWidget(self.list, 1)
        self.set_evidence(rubric, evidence)

    def set_strip(self, strip: bool) -> None:
        """One row of items (docked above or below the viewers), or a list (at a side)."""
        if strip == self.strip:
            return
        self.strip = strip
        lst = self.list
        self.box.setDirection(QBoxLayout.Direction.LeftToRight if strip else QBoxLayout.Direction.TopToBottom)
        self.box.setContentsMargins(*((2, 1, 2, 1) if strip else (4, 4, 4, 4)))
        self.box.removeWidget(lst)
        self.box.insertWidget(0 if strip else 1, lst, 1)  # the banner after the strip, above the list
        lst.setFlow(QListView.Flow.LeftToRight if strip else QListView.Flow.TopToBottom)
        lst.setWrapping(False)
        lst.setWordWrap(not strip)
        lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded if strip
                                         else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.banner.setMaximumWidth(420 if strip else 16_777_215)
        if strip:
            height = lst.fontMetrics().height() + 14
            lst.setFixedHeight(height + lst.horizontalScrollBar().sizeHint().height())
            lst.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        else:
            lst.setMinimumHeight(0)
            lst.setMaximumHeight(16_777_215)
            lst.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._render()

    def set_evidence(self, rubric: Rubric, evidence: tuple[EvidenceItem, ...]) -> None:
        """Show another submission's evidence (the workspace reuses its panel)."""
        self.rubric, self.evidence = rubric, evidence
        self.problems = {}
        lst = self.list
        lst.blockSignals(True)
        # The rows are reused (clearing and refilling the list costs a relayout of the strip,
        # about 2 ms of the opening): as many rows as items, each given its item.
        lst.setCurrentRow(-1)
        lst.clearSelection()
        while lst.count() > len(evidence):
            lst.takeItem(lst.count() - 1)
        for index, item in enumerate(evidence):
            row = lst.item(index)
            if row is None:
                row = QListWidgetItem()
                lst.addItem(row)
            row.setIcon(self.style().standardIcon(_ICONS[item.kind]))
            row.setData(Qt.ItemDataRole.UserRole, item.key)
        lst.blockSignals(False)
        self._render()

    def _current_changed(self, row: int) -> None:
        if 0 <= row < len(self.evidence):
            self.chosen.emit(self.evidence[row])

    def select(self, key: str) -> None:
        for row, item in enumerate(self.evidence):
            if item.key == key:
                if self.list.currentRow() != row:
                    self.list.setCurrentRow(row)
                return

    def step(self, delta: int) -> None:
        if self.evidence:
            self.list.setCurrentRow((max(self.list.currentRow(), 0) + delta) % len(self.evidence))

    def set_problem(self, key: str, message: str) -> None:
        """Flag an item the pre-check found unplayable or unreadable ('' clears it)."""
        if message:
            self.problems[key] = message
        else:
            self.problems.pop(key, None)
        self._render()

    def _render(self) -> None:
        titles = {c.key: c.title for c in self.rubric.criteria}
        for row, item in enumerate(self.evidence):
            supports = ", ".join(titles.get(k, k) for k in item.criteria) or "no criterion named"
            problem = self.problems.get(item.key)
            about = f"{KIND_LABEL[item.kind]} \u00b7 supports: {supports}"
            if self.strip:
                text = item.title + (" \u26a0" if problem else "")  # (the icon says the kind)
                tip = f"{item.title}\n{about}" + (f"\n\u26a0 {problem}" if problem else "")
            else:
                text = f"{item.title}\n{about}" + (f"\n\u26a0 {problem}" if problem else "")
                tip = problem or f"{item.path} ({item.size:,} bytes)"
            widget_item = self.list.item(row)
            widget_item.setText(text)
            widget_item.setToolTip(tip)
            if problem:
                widget_item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        unsupported = [titles[k] for k in unsupported_criteria(self.rubric, self.evidence)]
        lines = []
        if unsupported:
            lines.append("No evidence supports: " + "; ".join(unsupported) + ".")
        if self.problems:
            lines.append(f"{len(self.problems)} item(s) cannot be played or read (marked \u26a0).")
        self.banner.setText(" ".join(lines))
        self.banner.setVisible(bool(lines))
