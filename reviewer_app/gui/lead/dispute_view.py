"""One dispute, read side by side: why it is disputed, each criterion with every
reviewer's level and comment (differences highlighted), their decisions and feedback, and
every note they made (choosing one opens the evidence there)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Decision
from reviewer_app.gui.lead.common import (
    DIFFER_BG,
    DISPUTED_BG,
    EARNED_FG,
    MUTED,
    NOT_YET_FG,
    esc,
    para,
    when,
)
from reviewer_app.services.moderation import DisputeDetail, EvidenceNote, ReviewSide

NoteRole = Qt.ItemDataRole.UserRole + 1


def decision_html(decision: Decision | None) -> str:
    if decision is None:
        return f"<span style='color:{MUTED}'>no decision</span>"
    colour = EARNED_FG if decision is Decision.EARNED else NOT_YET_FG
    return f"<b style='color:{colour}'>{esc(decision.label)}</b>"


def _cell(parent: QWidget, html: str, background: str | None = None, name: str = "") -> QLabel:
    label = QLabel(html, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMargin(6)
    if name:
        label.setObjectName(name)
    if background:
        label.setAutoFillBackground(True)
        label.setStyleSheet(f"QLabel {{ background: {background}; border-radius: 3px; }}")
    return label


def reviewer_heading(side: ReviewSide) -> str:
    where = f"batch {side.batch_file}" if side.batch_file else "scored here"
    return (f"<b>{esc(side.reviewer_name)}</b><br><span style='color:{MUTED}'>"
            f"submitted {when(side.submitted_at)} \u00b7 {esc(where)}</span>")


class ComparisonGrid(QFrame):
    """Criterion by criterion: each reviewer's level (label) and comment side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparisonGrid")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(6)
        self.cells: dict[tuple[str, int], QLabel] = {}  # (criterion key | "decision" | "feedback", reviewer)

    def clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cells = {}

    def show_dispute(self, d: DisputeDetail) -> None:
        self.clear()
        g = self.grid
        g.addWidget(_cell(self, "<b>Criterion</b>"), 0, 0)
        for col, side in enumerate(d.reviews, 1):
            g.addWidget(_cell(self, reviewer_heading(side)), 0, col)
            g.setColumnStretch(col, 3)
        g.setColumnStretch(0, 2)
        rubric = {c.key: c for c in d.rubric.criteria}
        row = 1
        for number, crit in enumerate(d.criteria, 1):
            levels = [lv for lv in crit.levels if lv is not None]
            differs = len(set(levels)) > 1
            background = DISPUTED_BG if crit.disputed else DIFFER_BG if differs else None
            gap = ""
            if crit.disputed:
                gap = (f"<br><span style='color:{NOT_YET_FG}'>levels differ by {crit.gap}; "
                       f"{d.max_level_gap} allowed</span>")
            elif differs:
                gap = f"<br><span style='color:{MUTED}'>levels differ by {crit.gap} (allowed)</span>"
            g.addWidget(_cell(self, f"<b>{number}. {esc(crit.title)}</b><br>"
                                    f"<span style='color:{MUTED}'>required {crit.required_level}</span>{gap}",
                              background), row, 0)
            criterion = rubric.get(crit.criterion_key)
            for col, (level, comment) in enumerate(zip(crit.levels, crit.comments), 1):
                found = criterion.level(level) if criterion and level is not None else None
                meets = criterion.meets(level) if criterion else False
                if level is None:
                    head = f"<span style='color:{MUTED}'>no level</span>"
                else:
                    mark = (f"<span style='color:{EARNED_FG}'>\u2714</span>" if meets
                            else f"<span style='color:{NOT_YET_FG}'>\u2716</span>")
                    head = f"{mark} <b>{level} \u00b7 {esc(found.label if found else '')}</b>"
                body = para(comment) if comment else f"<i style='color:{MUTED}'>no comment</i>"
                cell = _cell(self, f"{head}<br>{body}", background,
                             name=f"cell-{crit.criterion_key}-{col - 1}")
                self.cells[(crit.criterion_key, col - 1)] = cell
                g.addWidget(cell, row, col)
            row += 1
        decisions = [s.decision for s in d.reviews]
        decision_bg = DISPUTED_BG if len(set(decisions)) > 1 else None
        g.addWidget(_cell(self, "<b>Decision</b>", decision_bg), row, 0)
        for col, side in enumerate(d.reviews, 1):
            cell = _cell(self, decision_html(side.decision), decision_bg, name=f"cell-decision-{col - 1}")
            self.cells[("decision", col - 1)] = cell
            g.addWidget(cell, row, col)
        row += 1
        g.addWidget(_cell(self, "<b>Feedback to the candidate</b>"), row, 0)
        for col, side in enumerate(d.reviews, 1):
            body = para(side.feedback) if side.feedback else f"<i style='color:{MUTED}'>no feedback</i>"
            cell = _cell(self, body, name=f"cell-feedback-{col - 1}")
            self.cells[("feedback", col - 1)] = cell
            g.addWidget(cell, row, col)


class NotesList(QTreeWidget):
    """Every reviewer's notes on the evidence; Enter or a double-click opens the evidence there."""

    noteChosen = Signal(object, str)  # EvidenceNote, the reviewer's name

    HEADERS = ("Reviewer", "#", "Evidence", "Where", "Criterion", "Note")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notesList")
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHeaderLabels(list(self.HEADERS))
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(True)
        self.itemActivated.connect(self._activated)
        self.setToolTip("Enter or double-click: open the evidence at this note")

    def show_notes(self, reviews: tuple[ReviewSide, ...]) -> int:
        self.clear()
        for side in reviews:
            for en in side.notes:
                n = en.note
                item = QTreeWidgetItem([side.reviewer_name, str(n.number), en.evidence_title, n.where(),
                                        en.criterion_title or "", n.text.replace("\n", " ")])
                item.setData(0, NoteRole, (en, side.reviewer_name))
                item.setToolTip(5, n.text)
                self.addTopLevelItem(item)
        return self.topLevelItemCount()

    def _activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        en, name = item.data(0, NoteRole)
        self.noteChosen.emit(en, name)

    def current_note(self) -> tuple[EvidenceNote, str] | None:
        item = self.currentItem()
        return item.data(0, NoteRole) if item is not None else None

    def choose(self, row: int) -> None:
        """Select a note and open it (what Enter does)."""
        item = self.topLevelItem(row)
        self.setCurrentItem(item)
        self._activated(item)


class DisputeView(QWidget):
    """Header, reasons, the comparison grid and the notes of one dispute."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("disputeView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.heading = QLabel(self)
        self.heading.setObjectName("disputeHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons = QLabel(self)
        self.reasons.setObjectName("disputeReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setStyleSheet(f"QLabel {{ background: {DIFFER_BG}; border: 1px solid #e6c77a; "
                                   "border-radius: 4px; padding: 6px; }")
        self.grid = ComparisonGrid(self)
        self.notes_label = QLabel(self)
        self.notes = NotesList(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.reasons)
        layout.addSpacing(4)
        layout.addWidget(self.grid)
        layout.addSpacing(6)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.notes)
        layout.addStretch(1)

    def show_dispute(self, d: DisputeDetail) -> None:
        candidate = d.candidate.display_name or d.candidate.key
        state = ("<span style='color:#1d7a3a'>resolved</span>" if d.state == "resolved"
                 else "<span style='color:#b25a00'>open</span>")
        self.heading.setText(
            f"<span style='font-size:large'><b>{esc(d.submission_key)}</b> attempt {d.attempt}</span>"
            f" \u00b7 {esc(d.credential.title)}<br><span style='color:{MUTED}'>Candidate: "
            f"{esc(candidate)} \u00b7 dispute opened {when(d.opened_at)} \u00b7 {state}</span>")
        self.reasons.setText("<b>Why this is disputed</b><br>" + "<br>".join(
            f"\u2022 {esc(r)}" for r in d.reasons))
        self.grid.show_dispute(d)
        n = self.notes.show_notes(d.reviews)
        self.notes_label.setText(
            f"<b>Notes on the evidence</b> <span style='color:{MUTED}'>({n}; Enter or double-click "
            "opens the evidence at that place)</span>" if n else
            f"<b>Notes on the evidence</b> <span style='color:{MUTED}'>(none)</span>")
        rows = max(1, min(n, 6))
        self.notes.setFixedHeight(self.notes.header().sizeHint().height()
                                  + rows * (self.notes.fontMetrics().height() + 8) + 6)
