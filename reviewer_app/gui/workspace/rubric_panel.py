"""The rubric beside the evidence: a card per criterion (guidance, level descriptors, a
level chosen by click or number key, a comment that can cite notes), the decision derived
live, feedback to the candidate, and Submit."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFocusEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Criterion, Decision
from reviewer_app.domain.rules import submission_problems
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.tasks import run_task
from reviewer_app.gui.workspace.earlier_attempt import EarlierAttemptSection
from reviewer_app.gui.workspace.editor import ReviewEditor
from reviewer_app.gui.workspace.level_button import LevelButton
from reviewer_app.gui.workspace.submit_summary import SubmitSummary
from reviewer_app.services import reviews as reviews_svc
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

COMMIT_DELAY_MS = 300  # typing pauses this long before a comment is written
CURRENT_BORDER = QColor("#1f5fa6")  # the current criterion's card is framed in this
# Text colours on the window's #efefef, at least 4.5:1 (WCAG 2.1 AA; tests/gui/test_rubric_access.py
# measures the rendered pixels): secondary text, "meets", "below required".
SECONDARY_TEXT, GOOD, SHORT = "#4f4f4f", "#17692f", "#8f4700"
PLACEHOLDER = QColor("#5c5c5c")  # 6.6:1 on the text boxes' white
REOPEN_TIP = ("Make this submitted review a draft again (until it is exported in a score batch "
              "or sent to the issuer)")


def _tinted(label: QLabel, color: str | None = None, *, italic: bool = False) -> QLabel:
    """A label in another colour or italic, by palette and font (a style sheet would make
    Qt draw the whole card through its slower style-sheet style)."""
    if color is not None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(color))
        label.setPalette(palette)
    if italic:
        font = label.font()
        font.setItalic(True)
        label.setFont(font)
    return label


class CommitTextEdit(QPlainTextEdit):
    """A text box that reports its text after a short pause in typing and on leaving it."""

    committed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.PlaceholderText, PLACEHOLDER)
        self.setPalette(palette)
        self._timer = QTimer(self, singleShot=True, interval=COMMIT_DELAY_MS)
        self._timer.timeout.connect(self.commit)
        self.textChanged.connect(self._changed)
        self._loading = False

    def _changed(self) -> None:
        if not self._loading:
            self._timer.start()

    def commit(self) -> None:
        self._timer.stop()
        self.committed.emit(self.toPlainText())

    def set_text_quietly(self, text: str) -> None:
        """Show stored text (after undo, reload...) but never over typing not yet committed."""
        if text == self.toPlainText() or self._timer.isActive():
            return
        self._loading = True
        cursor = self.textCursor().position()
        self.setPlainText(text)
        c = self.textCursor()
        c.setPosition(min(cursor, len(text)))
        self.setTextCursor(c)
        self._loading = False

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if self._timer.isActive():
            self.commit()
        super().focusOutEvent(event)


class CriterionCard(QFrame):
    activated = Signal(str)  # criterion key: this card became the current one

    def __init__(self, number: int, criterion: Criterion, editor: ReviewEditor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.criterion, self.editor = criterion, editor
        self.setObjectName(f"criterion-{criterion.key}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)  # room for the current card's frame
        need = criterion.level(criterion.required_level)
        title = QLabel(f"<b>{number}. {_esc(criterion.title)}</b>")
        title.setWordWrap(True)
        self.met_label = QLabel()
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(self.met_label)
        layout.addLayout(head)
        required = QLabel(f"Required: {criterion.required_level}"
                          + (f" \u00b7 {_esc(need.label)}" if need else ""))
        _tinted(required, SECONDARY_TEXT)
        layout.addWidget(required)
        if criterion.guidance:
            guidance = _tinted(QLabel(_esc(criterion.guidance)), SECONDARY_TEXT, italic=True)
            guidance.setWordWrap(True)
            layout.addWidget(guidance)
        row = QGridLayout()
        row.setSpacing(4)
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(False)  # so a level can be cleared
        columns = 2 if len(criterion.levels) > 2 else len(criterion.levels)
        for index, level in enumerate(criterion.levels):
            button = LevelButton(f"{level.value} \u00b7 {level.label}")
            button.setObjectName(f"level-{criterion.key}-{level.value}")
            button.setToolTip(level.descriptor or level.label)
            button.setAccessibleDescription(
                f"{criterion.title}, level {level.value}"
                + (f": {level.descriptor}" if level.descriptor else ""))
            self.buttons.addButton(button, level.value)
            row.addWidget(button, index // columns, index % columns)
        self.buttons.idClicked.connect(self._clicked)
        layout.addLayout(row)
        self.descriptor = QLabel()
        self.descriptor.setWordWrap(True)
        layout.addWidget(self.descriptor)
        comment_row = QHBoxLayout()
        self.comment = CommitTextEdit(self)
        self.comment.setObjectName(f"comment-{criterion.key}")
        self.comment.setPlaceholderText("Comment on this criterion\u2026")
        self.comment.setAccessibleName(f"Comment on {criterion.title}")
        self.comment.setFixedHeight(64)
        self.comment.committed.connect(lambda text: self.editor.set_comment(criterion.key, text))
        self.cite = QToolButton(self)
        self.cite.setText("Cite note")
        self.cite.setAccessibleName(f"Cite a note in the comment on {criterion.title}")
        self.cite.setToolTip("Insert a reference to one of your notes, e.g. [note 2]")
        self.cite.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.cite.setMenu(QMenu(self.cite))
        self.cite.menu().aboutToShow.connect(self._fill_cite_menu)
        comment_row.addWidget(self.comment, 1)
        comment_row.addWidget(self.cite, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(comment_row)
        for child in [*self.buttons.buttons(), self.comment]:
            child.installEventFilter(self)
        self._current: bool | None = None
        self.set_current(False)

    def eventFilter(self, obj, event) -> bool:  # noqa: ANN001
        if event.type() == event.Type.FocusIn:
            self.activated.emit(self.criterion.key)
        return False

    def mousePressEvent(self, event) -> None:  # noqa: ANN001
        self.activated.emit(self.criterion.key)
        super().mousePressEvent(event)

    def _clicked(self, value: int) -> None:
        self.activated.emit(self.criterion.key)
        current = self.editor.levels().get(self.criterion.key)
        self.editor.set_level(self.criterion.key, None if current == value else value)

    def _fill_cite_menu(self) -> None:
        menu = self.cite.menu()
        menu.clear()
        mine = [n for n in self.editor.notes if n.criterion_key == self.criterion.key]
        others = [n for n in self.editor.notes if n.criterion_key != self.criterion.key]
        if not self.editor.notes:
            menu.addAction("No notes yet").setEnabled(False)
        for note in [*mine, *others]:
            text = note.text.splitlines()[0][:40] if note.text else ""
            action = menu.addAction(f"{note.citation} {note.where()} {text}".strip())
            action.triggered.connect(lambda _=False, n=note: self.insert_citation(n.citation))

    def insert_citation(self, citation: str) -> None:
        cursor = self.comment.textCursor()
        before = self.comment.toPlainText()[:cursor.position()]
        cursor.insertText(("" if not before or before.endswith((" ", "\n")) else " ") + citation)
        self.comment.setFocus()
        self.comment.commit()

    def set_current(self, current: bool) -> None:
        if current == self._current:
            return
        self._current = current
        self.setProperty("current", current)
        self.update()

    def is_current(self) -> bool:
        return bool(self._current)

    def paintEvent(self, event) -> None:  # noqa: ANN001
        """A rounded frame: blue around the current criterion, none around the others."""
        if not self._current:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(CURRENT_BORDER, 2))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 6, 6)
        p.end()

    def refresh(self) -> None:
        value = self.editor.levels().get(self.criterion.key)
        for button in self.buttons.buttons():
            button.setChecked(self.buttons.id(button) == value)
            button.set_locked(self.editor.locked)
        level = self.criterion.level(value) if value is not None else None
        self.descriptor.setText(f"<i>{_esc(level.descriptor)}</i>" if level and level.descriptor else "")
        if value is None:
            self.met_label.setText("")
        elif self.criterion.meets(value):
            self.met_label.setText(f"<span style='color:{GOOD}'>\u2714 meets</span>")
        else:
            self.met_label.setText(f"<span style='color:{SHORT}'>\u2716 below required</span>")
        self.comment.set_text_quietly(self.editor.comment(self.criterion.key))
        self.comment.setReadOnly(self.editor.locked)
        self.cite.setEnabled(not self.editor.locked)


class RubricPanel(QWidget):
    """The scoring side of the workspace."""

    def __init__(self, editor: ReviewEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rubricPanel")
        self.editor = editor
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setAccessibleName("Rubric criteria")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.heading = QLabel(f"<b>{_esc(editor.rubric.title)}</b>")
        self.heading.setWordWrap(True)
        self.compact_button = QToolButton(body)
        self.compact_button.setObjectName("rubricCompact")
        self.compact_button.setText("Current only")
        self.compact_button.setCheckable(True)
        self.compact_button.setToolTip("Show only the current criterion (Alt+Up/Down moves between "
                                       "criteria); the feedback and the decision stay in sight")
        self.compact_button.toggled.connect(self._compact_toggled)
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.compact_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.earlier = EarlierAttemptSection(body)  # a resubmission's previous attempt
        layout.addWidget(self.earlier)
        self.cards: list[CriterionCard] = []
        for number, criterion in enumerate(editor.rubric.criteria, 1):
            card = CriterionCard(number, criterion, editor, body)
            card.activated.connect(self.set_current)
            self.cards.append(card)
            layout.addWidget(card)
        layout.addWidget(QLabel("<b>Feedback to the candidate</b>"))
        self.feedback = CommitTextEdit(body)
        self.feedback.setObjectName("feedback")
        self.feedback.setAccessibleName("Feedback to the candidate")
        self.feedback.setPlaceholderText("What the teacher can do next; required when the "
                                         "decision is \u201cnot yet\u201d.")
        self.feedback.setMinimumHeight(90)
        self.feedback.committed.connect(lambda text: self.editor.set_feedback(text))
        layout.addWidget(self.feedback)
        self.feedback_hint = _tinted(QLabel(), SHORT)
        layout.addWidget(self.feedback_hint)
        layout.addStretch(1)
        scroll.setWidget(body)
        self.scroll = scroll
        outer.addWidget(scroll, 1)
        footer = QFrame(self)
        footer.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(footer)
        self.decision_label = QLabel()
        self.decision_label.setObjectName("decisionLabel")
        self.decision_label.setWordWrap(True)  # a narrow column on a laptop
        self.submit_button = QPushButton("Submit review")
        self.submit_button.setObjectName("submitButton")
        self.submit_button.clicked.connect(self.submit)
        self.reopen_button = QPushButton("Reopen review")
        self.reopen_button.setObjectName("reopenButton")
        self.reopen_button.setToolTip(REOPEN_TIP)
        self.reopen_button.clicked.connect(self.reopen)
        row.addWidget(self.decision_label, 1)
        row.addWidget(self.reopen_button)
        row.addWidget(self.submit_button)
        outer.addWidget(footer)
        self.current = editor.rubric.criteria[0].key if editor.rubric.criteria else ""
        self._summary: SubmitSummary | None = None
        self._reopen_checked: tuple | None = None  # (review uid, submitted at) last asked
        self._connect(editor)
        self.refresh()
        self.set_current(self.current, scroll=False)

    def can_take(self, editor: ReviewEditor) -> bool:
        """Whether this panel shows ``editor``'s rubric (so :meth:`rebind` can reuse it)."""
        return editor.rubric == self.editor.rubric

    def rebind(self, editor: ReviewEditor) -> None:
        """Show another review of the same rubric (the workspace reuses its panel)."""
        self.commit_pending_text()
        self.editor = editor
        for card in self.cards:
            card.editor = editor
            card.comment._timer.stop()  # noqa: SLF001 - our own widget
            card.comment.set_text_quietly("")
        self.feedback._timer.stop()  # noqa: SLF001
        self.earlier.clear()
        self._connect(editor)
        self.refresh()
        self.set_current(editor.rubric.criteria[0].key if editor.rubric.criteria else "", scroll=False)
        self.scroll.verticalScrollBar().setValue(0)

    def _connect(self, editor: ReviewEditor) -> None:
        editor.reviewChanged.connect(lambda _: self.refresh())
        editor.submitRefused.connect(lambda _: self.go_to_first_problem())
        editor.reopenRefused.connect(lambda exc: show_error(self, exc, "Review not reopened"))

    def show_earlier(self, ctx: AppContext, attempt_id: int, settings: QSettings | None = None) -> None:
        """Show the previous attempt of a resubmission above the criteria (read off the GUI
        thread; hidden for a first attempt; folded if the reviewer left it folded)."""
        self.earlier.load(ctx, attempt_id, settings)

    # -- current criterion and keys --------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        """Show only the current criterion's card (a short screen), or all of them."""
        self.compact_button.setChecked(compact)

    def is_compact(self) -> bool:
        return self.compact_button.isChecked()

    def _compact_toggled(self, compact: bool) -> None:
        for card in self.cards:
            card.setVisible(not compact or card.criterion.key == self.current)
        window = self.window()
        action = getattr(window, "compact_action", None)
        if action is not None and action.isChecked() != compact:
            action.setChecked(compact)

    def set_current(self, key: str, *, scroll: bool = True) -> None:
        self.current = key
        compact = self.is_compact()
        for card in self.cards:
            card.set_current(card.criterion.key == key)
            card.setVisible(not compact or card.criterion.key == key)
            if card.criterion.key == key and scroll:
                self.scroll.ensureWidgetVisible(card, 0, 20)

    def move_current(self, step: int) -> None:
        keys = [c.criterion.key for c in self.cards]
        if keys:
            index = keys.index(self.current) if self.current in keys else 0
            self.set_current(keys[max(0, min(len(keys) - 1, index + step))])

    def choose_level(self, value: int) -> None:
        """Number keys: the value-th level of the current criterion (1 = the lowest)."""
        card = self.card(self.current)
        if card is None:
            return
        levels = card.criterion.levels
        if 1 <= value <= len(levels):
            self.editor.set_level(card.criterion.key, levels[value - 1].value)

    def clear_level(self) -> None:
        if self.current:
            self.editor.set_level(self.current, None)

    def focus_comment(self) -> None:
        card = self.card(self.current)
        if card is not None:
            card.comment.setFocus()

    def card(self, key: str) -> CriterionCard | None:
        return next((c for c in self.cards if c.criterion.key == key), None)

    def commit_pending_text(self) -> None:
        for box in [*(c.comment for c in self.cards), self.feedback]:
            if box._timer.isActive():  # noqa: SLF001 - our own widget
                box.commit()

    # -- state --------------------------------------------------------------------------------
    def submit(self) -> None:
        """Submit Review: a summary to confirm first; an incomplete review goes straight to
        the service, whose refusal is shown and takes the reviewer to what is missing."""
        self.commit_pending_text()
        editor = self.editor
        if editor.locked or (self._summary is not None and self._summary.isVisible()):
            return
        if submission_problems(editor.rubric, editor.levels(), editor.review.feedback):
            editor.submit()
            return
        dialog = SubmitSummary(editor.rubric, editor.review, editor.decision(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda e=editor: e.submit() if e is self.editor else None)
        self._summary = dialog
        dialog.open()
        dialog.activateWindow()  # the keyboard goes to it (Enter submits, Escape goes back)

    def go_to_first_problem(self) -> None:
        """After a refused submit: the first unscored criterion (its first level has the
        keyboard focus), or the feedback when only that is missing."""
        levels = self.editor.levels()
        missing = next((c for c in self.cards if levels.get(c.criterion.key) is None), None)
        if missing is not None:
            self.set_current(missing.criterion.key)
            missing.buttons.buttons()[0].setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.scroll.ensureWidgetVisible(self.feedback, 0, 20)
            self.feedback.setFocus(Qt.FocusReason.OtherFocusReason)

    def reopen(self) -> None:
        self.editor.reopen()

    def _check_reopen(self) -> None:
        """Grey Reopen, its tooltip saying why, once the review has left the laptop (asked
        off the GUI thread; a click still goes to the service, which has the last word)."""
        editor, uid = self.editor, self.editor.review.uid
        if self._reopen_checked == (uid, editor.review.submitted_at):
            return
        self._reopen_checked = (uid, editor.review.submitted_at)

        def answer(reason: str | None) -> None:
            if editor is not self.editor or not editor.locked:
                return
            self.reopen_button.setEnabled(reason is None)
            self.reopen_button.setToolTip(REOPEN_TIP if reason is None
                                          else f"Cannot be reopened: {reason}")

        ctx = editor.ctx
        def failed(exc: BaseException) -> None:
            log.warning("could not tell whether the review can be reopened: %s", exc)
            answer(None)  # (the service decides on a click anyway)

        run_task(lambda job: reviews_svc.can_reopen(ctx, uid), on_success=answer,
                 on_error=failed, owner=self)

    def refresh(self) -> None:
        for card in self.cards:
            card.refresh()
        editor = self.editor
        self.feedback.set_text_quietly(editor.review.feedback)
        self.feedback.setReadOnly(editor.locked)
        decision = editor.decision()
        scored = sum(1 for v in editor.levels().values() if v is not None)
        total = len(editor.rubric.criteria)
        if editor.locked:
            when = editor.review.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M") \
                if editor.review.submitted_at else ""
            text = f"Submitted {when}: <b>{decision.label if decision else ''}</b> (locked)"
        elif decision is Decision.EARNED:
            text = f"Decision: <b style='color:{GOOD}'>Earned</b>"
        elif decision is Decision.NOT_YET:
            text = f"Decision: <b style='color:{SHORT}'>Not yet</b> ({scored} of {total} scored)"
        else:
            text = f"Decision: incomplete ({scored} of {total} scored)"
        self.decision_label.setText(text)
        self.submit_button.setEnabled(not editor.locked)
        # One button at a time, so the footer is no wider once submitted.
        self.submit_button.setVisible(not editor.locked)
        self.reopen_button.setVisible(editor.locked)
        if editor.locked:
            self._check_reopen()
        needs = decision is Decision.NOT_YET and not editor.review.feedback.strip() and not editor.locked
        self.feedback_hint.setText("Feedback is required when the decision is \u201cnot yet\u201d."
                                   if needs else "")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
