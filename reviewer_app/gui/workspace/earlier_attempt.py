"""A resubmission's previous attempt beside the rubric: its decision, levels, comments and
feedback, in a section that folds away (read off the GUI thread when a review opens)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QToolButton, QVBoxLayout, QWidget

from reviewer_app.gui.tasks import run_task
from reviewer_app.services.earlier_attempts import EarlierAttempt, previous_attempt
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

OPEN_KEY = "workspace/previousAttemptOpen"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def earlier_html(earlier: EarlierAttempt) -> str:
    if not earlier.reviewed:
        return (f"<p>No submitted review of attempt {earlier.attempt} is held in this "
                "database.</p>")
    when = earlier.submitted_at.astimezone().strftime("%Y-%m-%d") if earlier.submitted_at else ""
    rows = []
    for s in earlier.scores:
        level = "not scored" if s.level is None else f"{s.level} \u00b7 {_esc(s.level_label)}"
        comment = f"<br><i>{_esc(s.comment)}</i>" if s.comment else ""
        rows.append(f"<li>{_esc(s.criterion_title)}: <b>{level}</b>{comment}</li>")
    feedback = _esc(earlier.feedback.strip()).replace("\n", "<br>") or "<i>none</i>"
    decision = earlier.decision.label if earlier.decision else "none"
    return (f"<p>Decision: <b>{decision}</b> ({earlier.source}, {when})</p><ul style='margin-left:-20px'>"
            f"{''.join(rows)}</ul><p><b>Feedback given</b><br>{feedback}</p>")


class EarlierAttemptSection(QWidget):
    """Hidden for a first attempt; folded or open as the reviewer last left it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("earlierAttempt")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("earlierToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.toggled.connect(self._fold)
        self.body = QLabel(self)
        self.body.setObjectName("earlierBody")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.earlier: EarlierAttempt | None = None
        self._settings: QSettings | None = None
        self._restoring = False
        self.answered = False  # the service has answered for the review on show
        self._asked = 0
        self.hide()

    def _fold(self, open_: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)
        if self._settings is not None and not self._restoring:
            self._settings.setValue(OPEN_KEY, open_)  # the reviewer's choice, for next time

    def clear(self) -> None:
        """Another review is on show: hidden until :meth:`load` answers for it."""
        self._asked += 1
        self.earlier, self.answered = None, False
        self.hide()

    def load(self, ctx: AppContext, attempt_id: int, settings: QSettings | None = None) -> None:
        """Read the previous attempt of ``attempt_id`` and show it (or hide, if none),
        folded or open as the reviewer last left it (kept in ``settings``)."""
        self.clear()
        self._settings = settings
        if settings is not None:
            self._restoring = True
            self.toggle.setChecked(str(settings.value(OPEN_KEY, True)).lower() not in ("false", "0"))
            self._restoring = False
        asked = self._asked
        run_task(lambda job: previous_attempt(ctx, attempt_id),
                 on_success=lambda earlier: self._show(asked, earlier),
                 on_error=lambda exc: self._failed(asked, exc), owner=self)

    def _failed(self, asked: int, exc: BaseException) -> None:
        log.warning("the previous attempt could not be read: %s", exc)
        self._show(asked, None)

    def _show(self, asked: int, earlier: EarlierAttempt | None) -> None:
        if asked != self._asked:
            return
        self.earlier, self.answered = earlier, True
        if earlier is None:
            self.hide()
            return
        verdict = f": {earlier.decision.label}" if earlier.reviewed and earlier.decision else ""
        self.toggle.setText(f"Previous attempt ({earlier.attempt}){verdict}")
        self.toggle.setAccessibleName(f"Previous attempt {earlier.attempt}{verdict}; show or hide")
        self.body.setText(earlier_html(earlier))
        self.show()
