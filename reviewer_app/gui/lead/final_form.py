"""The lead assessor's final decision on a dispute: a level and comment per criterion
(pre-filled where the reviewers agree), feedback to the candidate, the required rationale
and the decision derived live; once recorded, the same form shows what was decided."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.rules import decide, submission_problems
from reviewer_app.gui.lead.common import MUTED, NOT_YET_FG, esc, when
from reviewer_app.gui.lead.dispute_view import decision_html
from reviewer_app.services.moderation import DisputeDetail

OUTBOX = {"queued": "queued for the issuer", "sending": "being sent to the issuer",
          "accepted": "accepted by the issuer", "rejected": "rejected by the issuer", None: "not queued"}


def _text_box(parent: QWidget, name: str, placeholder: str, height: int) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setObjectName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


class FinalDecisionForm(QGroupBox):
    recordRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Final decision", parent)
        self.setObjectName("finalForm")
        self.detail: DisputeDetail | None = None
        self.levels: dict[str, QComboBox] = {}
        self.comments: dict[str, QLineEdit] = {}
        outer = QVBoxLayout(self)
        self.status = QLabel(self)
        self.status.setObjectName("finalStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.status)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(2, 1)
        self.grid.setHorizontalSpacing(8)
        outer.addLayout(self.grid)
        line = QHBoxLayout()
        self.feedback = _text_box(self, "finalFeedback", "Feedback to the candidate: what they can "
                                  "do next (required when the decision is \u201cnot yet\u201d)", 64)
        self.copy_feedback = QPushButton("Start from\u2026", self)
        self.copy_feedback.setObjectName("copyFeedback")
        self.copy_feedback.setToolTip("Start from one reviewer's feedback")
        self.copy_feedback.setMenu(QMenu(self.copy_feedback))
        feedback_label = QLabel("&Feedback:", self)
        feedback_label.setBuddy(self.feedback)
        line.addWidget(self.feedback, 1)
        line.addWidget(self.copy_feedback, 0, Qt.AlignmentFlag.AlignTop)
        rationale_label = QLabel("&Rationale:", self)
        self.rationale = _text_box(self, "rationale", "Required: why these are the final levels "
                                   "(e.g. what the evidence shows, and where)", 56)
        rationale_label.setBuddy(self.rationale)
        fields = QGridLayout()
        fields.setColumnStretch(1, 1)
        fields.addWidget(feedback_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        fields.addLayout(line, 0, 1)
        fields.addWidget(rationale_label, 1, 0, Qt.AlignmentFlag.AlignTop)
        fields.addWidget(self.rationale, 1, 1)
        outer.addLayout(fields)
        self.footer = QWidget(self)  # the window may pin it below a scrolling form
        self.footer.setObjectName("finalFooter")
        footer = QHBoxLayout(self.footer)
        footer.setContentsMargins(0, 0, 0, 0)
        self.decision = QLabel(self.footer)
        self.decision.setObjectName("finalDecisionLabel")
        self.hint = QLabel(self.footer)
        self.hint.setObjectName("finalHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {NOT_YET_FG};")
        self.record = QPushButton("Record Final &Decision", self.footer)
        self.record.setObjectName("recordButton")
        self.record.setToolTip("Ctrl+Enter")
        self.record.setDefault(True)
        self.record.clicked.connect(self.recordRequested)
        footer.addWidget(self.decision)
        footer.addWidget(self.hint, 1)
        footer.addWidget(self.record)
        outer.addWidget(self.footer)
        self.feedback.textChanged.connect(self.update_decision)
        self.rationale.textChanged.connect(self.update_decision)

    def take_footer(self) -> QWidget:
        """The decision, its hint and Record, out of the form (to keep them in view while the
        form scrolls)."""
        self.layout().removeWidget(self.footer)
        return self.footer

    # -- filling -----------------------------------------------------------------------------
    def _clear_grid(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.levels, self.comments = {}, {}

    def show_dispute(self, d: DisputeDetail) -> None:
        self.detail = d
        self._clear_grid()
        final = d.moderation if d.state == "resolved" else None
        header = QLabel(f"<span style='color:{MUTED}'>Final level</span>", self)
        self.grid.addWidget(header, 0, 1)
        self.grid.addWidget(
            QLabel(f"<span style='color:{MUTED}'>Final comment (optional)</span>", self), 0, 2)
        for row, (crit, side) in enumerate(zip(d.rubric.criteria, d.criteria), 1):
            label = QLabel(f"{row}. {esc(crit.title)}", self)
            combo = QComboBox(self)
            combo.setObjectName(f"final-{crit.key}")
            combo.addItem("\u2014 choose \u2014", None)
            for level in crit.levels:
                combo.addItem(f"{level.value} \u00b7 {level.label}", level.value)
            known = {lv for lv in side.levels if lv is not None}
            if final is not None:
                value = final.level(crit.key)
            else:
                value = known.pop() if len(known) == 1 and None not in side.levels else None
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.setToolTip("Pre-filled: the reviewers agree on this level" if value is not None
                             and final is None else "")
            combo.currentIndexChanged.connect(self.update_decision)
            label.setBuddy(combo)
            comment = QLineEdit(self)
            comment.setObjectName(f"finalComment-{crit.key}")
            comment.setPlaceholderText("Comment for the candidate on this criterion")
            if final is not None:
                comment.setText(next((s.comment for s in final.scores if s.criterion_key == crit.key), ""))
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(combo, row, 1)
            self.grid.addWidget(comment, row, 2)
            self.levels[crit.key], self.comments[crit.key] = combo, comment
        menu = self.copy_feedback.menu()
        menu.clear()
        for side in d.reviews:
            action = menu.addAction(side.reviewer_name)
            action.setEnabled(bool(side.feedback))
            action.triggered.connect(lambda _=False, text=side.feedback: self.feedback.setPlainText(text))
        self.feedback.setPlainText(final.feedback if final is not None else "")
        self.rationale.setPlainText(d.final.rationale if d.final is not None else "")
        editable = d.can_moderate
        for w in [*self.levels.values(), *self.comments.values()]:
            w.setEnabled(editable)
        for w in (self.feedback, self.rationale):
            w.setReadOnly(not editable)
        self.copy_feedback.setEnabled(editable)
        self.record.setEnabled(editable)
        if d.final is not None:
            f = d.final
            self.status.setText(
                f"Recorded by <b>{esc(f.decided_by)}</b> on {when(f.decided_at)}: "
                f"{decision_html(f.decision)} \u00b7 {OUTBOX.get(f.outbox_state, f.outbox_state)}.")
        elif not editable:
            self.status.setText(f"<span style='color:{NOT_YET_FG}'>{esc(d.why_not)}</span>")
        else:
            agreed = sum(1 for c in self.levels.values() if c.currentData() is not None)
            self.status.setText(
                f"Give the final level of every criterion ({agreed} of {len(self.levels)} pre-filled "
                "where the reviewers agree), then say why. The final decision, not the reviewers', "
                "goes to the issuer.")
        self.update_decision()

    # -- reading -------------------------------------------------------------------------------
    def chosen_levels(self) -> dict[str, int]:
        return {k: c.currentData() for k, c in self.levels.items() if c.currentData() is not None}

    def chosen_comments(self) -> dict[str, str]:
        return {k: e.text().strip() for k, e in self.comments.items() if e.text().strip()}

    def update_decision(self) -> None:
        d = self.detail
        if d is None:
            self.decision.setText("")
            self.hint.setText("")
            return
        levels = self.chosen_levels()
        decision = decide(d.rubric, levels)
        missing = len(self.levels) - len(levels)
        if decision is None or (missing and d.can_moderate):
            text = f"Decision: incomplete ({missing} to choose)" if decision is None else \
                f"Decision: {decision_html(decision)} ({missing} to choose)"
        else:
            text = f"Decision: {decision_html(decision)}"
        self.decision.setText(text)
        if not d.can_moderate:
            self.hint.setText("")
            return
        problems = submission_problems(d.rubric, levels, self.feedback.toPlainText())
        if not self.rationale.toPlainText().strip():
            problems.append("A rationale is required.")
        self.hint.setText(problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
                          if problems else "")
