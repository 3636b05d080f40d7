"""The evidence of a submission: each item with its kind, title and the criteria it
supports, and what the pre-check found (cannot be played or read; criteria nothing supports)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
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

    def set_evidence(self, rubric: Rubric, evidence: tuple[EvidenceItem, ...]) -> None:
        """Show another submission's evidence (the workspace reuses its panel)."""
        self.rubric, self.evidence = rubric, evidence
        self.problems = {}
        self.list.blockSignals(True)
        self.list.clear()
        for item in evidence:
            row = QListWidgetItem(self.style().standardIcon(_ICONS[item.kind]), "")
            row.setData(Qt.ItemDataRole.UserRole, item.key)
            self.list.addItem(row)
        self.list.blockSignals(False)
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
            text = f"{item.title}\n{KIND_LABEL[item.kind]} \u00b7 supports: {supports}"
            if problem:
                text += f"\n\u26a0 {problem}"
            widget_item = self.list.item(row)
            widget_item.setText(text)
            widget_item.setToolTip(problem or f"{item.path} ({item.size:,} bytes)")
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
