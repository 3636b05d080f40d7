"""One held final decision, backread: every review of the attempt side by side with the
final decision's levels and the notes on the evidence (the moderation view's widgets), and
below them Agree (the decision stands) or Overturn (new levels, with the required
rationale). The pane only shows and asks; the release window calls the services."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.lead.common import MUTED, NOT_YET_FG, esc, view_over_form, when
from reviewer_app.gui.lead.dispute_view import DisputeView
from reviewer_app.gui.lead.final_form import FinalDecisionForm
from reviewer_app.services.backreading import BackreadDetail


class OverturnForm(FinalDecisionForm):
    """The final decision form, for overturning: its rationale is needed only to overturn."""

    def update_decision(self) -> None:
        super().update_decision()
        if self.hint.text().startswith("A rationale is required"):
            self.hint.setText("To overturn: change the levels and give a rationale.")


class BackreadPane(QWidget):
    agreeRequested = Signal()
    overturnRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backreadPane")
        self.detail: BackreadDetail | None = None
        self.view = DisputeView(self)
        self.form = OverturnForm(self)
        self.form.setTitle("Backreading")
        self.form.record.setText("&Overturn")
        self.form.record.setObjectName("overturnButton")
        self.form.record.setToolTip("Replace the final decision with these levels (the rationale "
                                    "is required and audited)")
        self.form.record.setDefault(False)
        self.form.recordRequested.connect(self.overturnRequested)
        self.agree = QPushButton("&Agree (Backread)", self.form.footer)
        self.agree.setObjectName("agreeButton")
        self.agree.setToolTip("You read it again and the final decision stands")
        self.agree.clicked.connect(self.agreeRequested)
        self.form.footer.layout().insertWidget(self.form.footer.layout().count() - 1, self.agree)
        self.split, self.scroll, _ = view_over_form(self, self.view, self.form)
        self.empty = QLabel("Choose a held final decision to read it again.", self)
        self.empty.setObjectName("backreadEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {MUTED};")
        footer = self.form.take_footer()  # Agree and Overturn stay in view however the form scrolls
        footer.layout().setContentsMargins(8, 4, 8, 2)
        box = QWidget(self)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(0)
        box_layout.addWidget(self.split, 1)
        box_layout.addWidget(footer)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def clear(self, text: str = "Choose a held final decision to read it again.") -> None:
        self.detail = None
        self.empty.setText(text)
        self.stack.setCurrentIndex(0)

    def show_detail(self, b: BackreadDetail) -> None:
        self.detail = b
        d, h = b.view, b.held
        self.view.show_dispute(d)
        candidate = d.candidate.display_name or d.candidate.key
        state = ("<span style='color:#1d7a3a'>backread</span>" if h.backread_at else
                 f"<span style='color:{NOT_YET_FG}'>to backread</span>" if h.sampled else
                 "<span>not in the sample</span>")
        self.view.heading.setText(
            f"<span style='font-size:large'><b>{esc(d.submission_key)}</b> attempt {d.attempt}</span>"
            f" \u00b7 {esc(d.credential.title)}<br><span style='color:{MUTED}'>Candidate: "
            f"{esc(candidate)} \u00b7 final decision {when(h.decided_at)} \u00b7 held for release"
            f" \u00b7 {state}</span>")
        self.view.reasons.setText("<b>Backreading</b><br>"
                                  + "<br>".join(f"\u2022 {esc(r)}" for r in d.reasons))
        self.form.show_dispute(b.form)
        final = b.form.reviews[0]
        self.form.feedback.setPlainText(final.feedback)
        self.form.rationale.clear()
        if b.can_overturn:
            self.form.status.setText(
                "The levels below are the final decision's. <b>Agree</b> if it stands; to "
                "<b>overturn</b> it, change the levels, say why in the rationale (required, "
                "audited), then Overturn. Nothing reaches the issuer until you release it.")
        self.agree.setEnabled(True)  # confirming is open to any lead (release.backread)
        self.form.update_decision()
        self.stack.setCurrentIndex(1)
        self.scroll.verticalScrollBar().setValue(0)
        total = self.split.height()
        need = self.form.sizeHint().height() + 4
        if total > 0:
            need = min(need, total * 3 // 5)
            self.split.setSizes([total - need, need])
