"""Lead > Moderation: the disputes queue on the left (open or resolved, by credential, with
the reasons); on the right the selected dispute side by side, criterion by criterion, with
the reviewers' notes (choosing one opens the evidence there), and below it the lead
assessor's final levels, feedback and rationale, with the decision derived live.
"Record Final Decision" (Ctrl+Enter) stores it (``services.moderation.moderate``), queues
it for the issuer, and moves on to the next open dispute.

Everything that reads or writes the database runs off the GUI thread (``run_task``).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app import APP_NAME
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.lead.common import MUTED, ReloadsWhenChanged, view_over_form
from reviewer_app.gui.lead.dispute_queue import DisputeDelegate, DisputeListModel
from reviewer_app.gui.lead.dispute_view import DisputeView
from reviewer_app.gui.lead.final_form import OUTBOX, FinalDecisionForm
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import dispute_ids, moderation
from reviewer_app.services.moderation import DisputeDetail, EvidenceNote
from reviewer_app.store.context import AppContext

STATES = [("Open", moderation.OPEN), ("Resolved", moderation.RESOLVED), ("All", None)]


def _load_queue(ctx: AppContext, state: str | None, credential: str | None):  # noqa: ANN202
    from reviewer_app.services.submissions import credentials

    changes = dispute_ids.version(ctx)  # read first: a change made meanwhile shows next time
    rows = moderation.list_disputes(ctx, state=state, credential_key=credential)
    return rows, {c.key: c.title for c in credentials(ctx)}, changes


class ModerationWindow(ReloadsWhenChanged, QMainWindow):
    """The lead assessor's moderation window (one per main window)."""

    data_version = staticmethod(dispute_ids.version)  # reloaded when disputes change elsewhere

    recorded = Signal(object)  # FinalDecisionView
    evidenceOpened = Signal(object)  # the WorkspaceWindow opened at a note
    #: The services resolved a dispute (relayed from any thread to this window's).
    disputesChanged = Signal()
    #: A change check finished: whether it reloaded the queue.
    changesChecked = Signal(bool)

    def __init__(self, ctx: AppContext, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("moderationWindow")
        self.setWindowTitle(f"Moderation \u2014 {APP_NAME}")
        self.ctx = ctx
        self.settings = settings
        self.detail: DisputeDetail | None = None
        self._serial = 0
        self._serial_uid: str | None = None  # the dispute last asked for
        self._want: str | None = None  # the dispute to select after the queue loads
        self._titles_loaded = False
        self.busy = False
        self._changes: tuple | None = None  # dispute_ids.version when the queue was loaded
        self._loading = 0  # queue loads on their way (a change check then waits for them)
        self._unsubscribe = dispute_ids.subscribe(self.disputesChanged.emit)
        self.destroyed.connect(lambda *_, off=self._unsubscribe: off())
        self.disputesChanged.connect(self.check_changes)

        # -- left: the queue ----------------------------------------------------------------
        self.state_combo = QComboBox(self)
        self.state_combo.setObjectName("stateFilter")
        for label, state in STATES:
            self.state_combo.addItem(label, state)
        self.credential_combo = QComboBox(self)
        self.credential_combo.setObjectName("credentialFilter")
        self.credential_combo.addItem("All credentials", None)
        self.model = DisputeListModel(self)
        self.queue = QListView(self)
        self.queue.setObjectName("disputeQueue")
        self.queue.setModel(self.model)
        self.queue.setItemDelegate(DisputeDelegate(self.queue))
        self.queue.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue.setUniformItemSizes(True)
        self.queue.setAlternatingRowColors(True)
        self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.queue.selectionModel().currentChanged.connect(lambda cur, _: self._current_changed(cur.row()))
        self.count_label = QLabel(self)
        self.count_label.setStyleSheet(f"color: {MUTED};")
        left = QWidget(self)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(6, 6, 0, 6)
        filters = QHBoxLayout()
        show = QLabel("&Show:", left)
        show.setBuddy(self.state_combo)
        filters.addWidget(show)
        filters.addWidget(self.state_combo)
        filters.addWidget(self.credential_combo, 1)
        ll.addLayout(filters)
        ll.addWidget(self.queue, 1)
        ll.addWidget(self.count_label)
        left.setMinimumWidth(240)

        # -- right: the dispute and the final decision -----------------------------------------
        self.view = DisputeView(self)
        self.view.notes.noteChosen.connect(self.open_note)
        self.form = FinalDecisionForm(self)
        self.form.recordRequested.connect(self.record)
        detail, self.scroll, self.form_scroll = view_over_form(self, self.view, self.form)
        self.detail_split = detail
        footer = self.form.take_footer()  # Record stays in view however the form scrolls
        footer.layout().setContentsMargins(8, 4, 8, 2)
        detail_box = QWidget(self)
        box_layout = QVBoxLayout(detail_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(0)
        box_layout.addWidget(detail, 1)
        box_layout.addWidget(footer)
        self.empty = QLabel(self)
        self.empty.setObjectName("emptyLabel")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {MUTED}; font-size: large;")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(detail_box)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 1040])
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)
        self._build_actions()
        self.state_combo.currentIndexChanged.connect(lambda _: self.reload())
        self.credential_combo.currentIndexChanged.connect(lambda _: self.reload())
        self.statusBar()
        fit_window(self, "moderation", QSize(1360, 880), maximize_small=True, settings=settings)
        self._show_empty("Loading the disputes\u2026")
        self.reload()

    # -- actions -----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        menu = self.menuBar().addMenu("&Dispute")

        def act(name: str, text: str, keys, slot) -> QAction:  # noqa: ANN001
            action = QAction(text, self)
            action.setObjectName(name)
            action.setShortcuts(keys if isinstance(keys, list) else [QKeySequence(keys)])
            action.triggered.connect(slot)
            self.addAction(action)
            menu.addAction(action)
            return action

        self.record_action = act("recordAction", "&Record Final Decision",
                                 [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")], self.record)
        act("openNoteAction", "&Open Evidence at Note", "Ctrl+O", self.open_current_note)
        menu.addSeparator()
        act("nextAction", "&Next Dispute", "Ctrl+PgDown", lambda: self.step(1))
        act("previousAction", "&Previous Dispute", "Ctrl+PgUp", lambda: self.step(-1))
        act("queueAction", "Go to the &Queue", "Ctrl+1", self.queue.setFocus)
        act("levelsAction", "Go to the Final &Levels", "Ctrl+L", self._focus_levels)
        act("rationaleAction", "Go to the R&ationale", "Ctrl+R", self.form.rationale.setFocus)
        menu.addSeparator()
        act("refreshAction", "Re&fresh", QKeySequence.StandardKey.Refresh, self.reload)
        act("closeAction", "&Close", "Ctrl+W", self.close)

    def _focus_levels(self) -> None:
        if self.form.levels:
            next(iter(self.form.levels.values())).setFocus()

    # -- the queue ---------------------------------------------------------------------------
    def reload(self, select_uid: str | None = None) -> None:
        """Load the queue again; keep (or move to) ``select_uid`` when it is listed."""
        current = self.current_row()
        self._want = select_uid or (current.uid if current else None)
        self._serial_uid = None  # load the selected dispute again too
        ctx = self.ctx
        state, credential = self.state_combo.currentData(), self.credential_combo.currentData()
        self._loading += 1
        run_task(lambda job: _load_queue(ctx, state, credential), on_success=self._queue_loaded,
                 on_error=self._refused, owner=self)


    def _refused(self, exc: BaseException) -> None:
        self._loading = max(0, self._loading - 1)
        self._show_empty(getattr(exc, "message", "") or "The disputes cannot be shown.")
        show_error(self, exc, "Moderation")

    def _queue_loaded(self, result) -> None:  # noqa: ANN001
        rows, titles, self._changes = result
        self._loading = max(0, self._loading - 1)
        if not self._titles_loaded:
            self._titles_loaded = True
            combo = self.credential_combo
            combo.blockSignals(True)
            for key, title in sorted(titles.items(), key=lambda kv: kv[1]):
                combo.addItem(title, key)
            combo.blockSignals(False)
        self.model.set_rows(rows, titles)
        n = len(rows)
        state = self.state_combo.currentData()
        what = {"open": "open dispute", "resolved": "resolved dispute", None: "dispute"}[state]
        self.count_label.setText(f"{n} {what}{'s' if n != 1 else ''}")
        if not rows:
            self.detail = None
            self._show_empty("No open disputes: every submission with two or more reviews has a "
                             "final decision." if state == "open" else "No disputes to show.")
            return
        row = max(0, self.model.row_of(self._want))
        self.queue.setCurrentIndex(self.model.index(row))
        self._current_changed(row)

    def current_row(self):  # noqa: ANN201 - DisputeRow | None
        index = self.queue.currentIndex()
        disputes = self.model.disputes
        return disputes[index.row()] if index.isValid() and index.row() < len(disputes) else None

    def step(self, delta: int) -> None:
        n = self.model.rowCount()
        if n:
            row = max(0, min(n - 1, self.queue.currentIndex().row() + delta))
            self.queue.setCurrentIndex(self.model.index(row))

    def select_dispute(self, uid: str) -> None:
        row = self.model.row_of(uid)
        if row >= 0:
            self.queue.setCurrentIndex(self.model.index(row))

    # -- one dispute ---------------------------------------------------------------------------
    def _current_changed(self, row: int) -> None:
        if not 0 <= row < len(self.model.disputes):
            return
        uid = self.model.disputes[row].uid
        if self._serial_uid == uid:
            return
        self._serial += 1
        serial, ctx = self._serial, self.ctx
        self._serial_uid = uid

        def loaded(detail: DisputeDetail) -> None:
            if serial == self._serial:
                self.show_detail(detail)

        run_task(lambda job: moderation.get_dispute(ctx, uid), on_success=loaded,
                 on_error=lambda exc: show_error(self, exc, "Moderation"), owner=self)

    def show_detail(self, detail: DisputeDetail) -> None:
        self.detail = detail
        self.view.show_dispute(detail)
        self.form.show_dispute(detail)
        self.stack.setCurrentIndex(1)
        self.scroll.verticalScrollBar().setValue(0)
        self._fit_form()
        self.record_action.setEnabled(detail.can_moderate)
        self.setWindowTitle(f"Moderation: {detail.submission_key} attempt {detail.attempt} \u2014 {APP_NAME}")

    def _fit_form(self) -> None:
        """Give the final decision form the height it needs (the dispute above scrolls)."""
        total = self.detail_split.height()
        need = self.form.sizeHint().height() + 2 * self.form_scroll.frameWidth() + 2
        if total > 0:
            need = min(need, total * 2 // 3)
            self.detail_split.setSizes([total - need, need])

    def _show_empty(self, text: str) -> None:
        self.empty.setText(text)
        self.stack.setCurrentIndex(0)
        self.record_action.setEnabled(False)

    # -- recording -----------------------------------------------------------------------------
    def record(self) -> None:
        d = self.detail
        if d is None or self.busy or not d.can_moderate:
            return
        ctx, uid = self.ctx, d.uid
        levels, comments = self.form.chosen_levels(), self.form.chosen_comments()
        feedback, rationale = self.form.feedback.toPlainText().strip(), self.form.rationale.toPlainText()
        following = self._next_uid(uid)
        self.busy = True
        self.form.record.setEnabled(False)

        def done(final) -> None:  # noqa: ANN001 - FinalDecisionView
            self.busy = False
            self.statusBar().showMessage(
                f"Final decision recorded for {final.submission_key} attempt {final.attempt}: "
                f"{final.decision.label}, {OUTBOX.get(final.outbox_state, final.outbox_state)}.", 15_000)
            self.recorded.emit(final)
            self.reload(select_uid=following if self.state_combo.currentData() == "open" else uid)

        def refused(exc: BaseException) -> None:
            self.busy = False
            self.form.record.setEnabled(True)
            self.statusBar().showMessage(getattr(exc, "message", "") or "Not recorded.", 15_000)
            show_error(self, exc, "Final decision not recorded")

        run_task(lambda job: moderation.moderate(ctx, uid, levels, comments, feedback, rationale),
                 on_success=done, on_error=refused, owner=self)

    def _next_uid(self, uid: str) -> str | None:
        rows = self.model.disputes
        i = self.model.row_of(uid)
        for j in [*range(i + 1, len(rows)), *range(i - 1, -1, -1)]:
            if rows[j].state == "open":
                return rows[j].uid
        return None

    # -- evidence ------------------------------------------------------------------------------
    def open_current_note(self) -> None:
        chosen = self.view.notes.current_note()
        if chosen is None and self.view.notes.topLevelItemCount():
            self.view.notes.setCurrentItem(self.view.notes.topLevelItem(0))
            chosen = self.view.notes.current_note()
        if chosen is not None:
            self.open_note(*chosen)

    def open_note(self, en: EvidenceNote, reviewer: str) -> None:
        """Open the workspace on the dispute's attempt, at the note's moment or page."""
        from reviewer_app.gui.settings import open_settings
        from reviewer_app.gui.workspace.opener import open_workspace

        d = self.detail
        if d is None:
            return
        settings = self.settings if self.settings is not None else open_settings(self.ctx.paths.data_dir)
        note = en.note
        text = note.text.splitlines()[0][:80] if note.text else ""

        def at_note(window) -> None:  # noqa: ANN001 - WorkspaceWindow
            window.go_to_note(note)
            window.statusBar().showMessage(
                f"{reviewer}'s {note.citation} on {en.evidence_title}, {note.where()}: {text}", 15_000)
            self.evidenceOpened.emit(window)

        self.statusBar().showMessage(f"Opening {en.evidence_title} at {note.where()}\u2026", 5000)
        open_workspace(self.ctx, settings, d.submission_key, d.attempt, self, at_note)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._serial += 1  # results still on their way are dropped
        super().closeEvent(event)


def open_moderation_window(ctx: AppContext, settings: QSettings | None = None,
                           parent: QWidget | None = None) -> ModerationWindow:
    """Show the moderation window (raised if it is already open under ``parent``)."""
    from reviewer_app.gui.lead.common import single

    return single(parent, ModerationWindow, lambda: ModerationWindow(ctx, settings, parent))
