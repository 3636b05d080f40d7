"""Submitting is deliberate: the review's levels, decision and feedback are shown once more,
and only "Submit Review" in that summary submits it (Enter does; Escape goes back)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Decision, Review, Rubric
from reviewer_app.gui.geometry import fit_window


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary_html(rubric: Rubric, review: Review, decision: Decision | None) -> str:
    levels = review.levels()
    rows = []
    for number, criterion in enumerate(rubric.criteria, 1):
        value = levels.get(criterion.key)
        level = criterion.level(value) if value is not None else None
        shown = f"{value} \u00b7 {_esc(level.label)}" if level else "not scored"
        mark = ("" if value is None
                else " \u2714 meets" if criterion.meets(value) else " \u2716 below required")
        rows.append(f"<tr><td>{number}. {_esc(criterion.title)}</td>"
                    f"<td>&nbsp;&nbsp;<b>{shown}</b>{mark}</td></tr>")
    feedback = _esc(review.feedback.strip()).replace("\n", "<br>") or "<i>none</i>"
    verdict = decision.label if decision else "incomplete"
    return (f"<p>Decision: <b>{verdict}</b></p><table>{''.join(rows)}</table>"
            f"<p><b>Feedback to the candidate</b><br>{feedback}</p>"
            "<p>Once submitted, the review is locked. You can reopen it until it is "
            "exported in a score batch or sent to the issuer.</p>")


class SubmitSummary(QDialog):
    """Confirm a submission: ``accepted`` means submit."""

    def __init__(self, rubric: Rubric, review: Review, decision: Decision | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submitSummary")
        self.setWindowTitle("Submit this review?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(self)
        self.summary = QLabel(summary_html(rubric, review, decision), self)
        self.summary.setObjectName("submitSummaryText")
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.submit_button = buttons.addButton("&Submit Review", QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setObjectName("confirmSubmit")
        self.submit_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, min(560, self.summary.sizeHint().height() + 120))
        fit_window(self, "submitSummary", remember=False)  # inside the screen it opens on
        self.submit_button.setFocus()
