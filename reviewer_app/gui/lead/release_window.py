"""Lead > Second Readings and Release: three small tabs over the scoring-centre services.

* Second readings: what waits for a second reviewer and why; assign an enrolled reviewer;
  export each reader's assignment file (``services.second_reads``).
* Held decisions: the final decisions held for release, those in the backreading sample
  first, each marked in the sample or not and backread or not; choosing one shows it beside
  its reviews, scores and notes (a note opens the evidence there) with Agree (backread) and
  Overturn (new levels and a required rationale, audited); Release All Ready
  (``services.release``, ``services.backreading``: the command line's services).
* Late reviews: reviews that arrived after a final decision, discrepancies marked
  (``services.late_reviews``).

Every service call runs through the task runner; the window never blocks. It reloads when
the services say something changed in this process, and, when activated, when the data
changed elsewhere (``release.version``: the command line, another window).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.lead.backread_pane import BackreadPane
from reviewer_app.gui.lead.common import ReloadsWhenChanged, when
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import backreading, dispute_ids, enrolment, release, second_reads
from reviewer_app.services.late_reviews import list_late_reviews
from reviewer_app.store.context import AppContext


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return tree


def _load(ctx: AppContext) -> tuple:
    changes = release.version(ctx)  # read first: a change made meanwhile shows next time
    return (second_reads.second_reading_queue(ctx), release.held_decisions(ctx), list_late_reviews(ctx),
            enrolment.enrolled(ctx, include_revoked=False), changes)


def held_state(h: release.HeldDecision) -> str:
    return "to backread" if h.waits_for_backreading else "backread" if h.backread_at else "ready"


class ReleaseWindow(ReloadsWhenChanged, QDialog):
    data_version = staticmethod(release.version)  # reloaded when decisions change elsewhere
    #: The services changed disputes or final decisions (relayed to this window's thread).
    changed = Signal()
    #: Loaded and shown (the latest load).
    loaded = Signal()
    #: The selected held decision is shown in the backreading pane.
    backreadShown = Signal(object)
    #: A change check finished: whether it reloaded.
    changesChecked = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._changes: tuple | None = None
        self._loading = 0
        self._want: tuple[str, int] | None = None  # the held decision to select after a load
        self._detail_serial = 0
        self._unsubscribe = dispute_ids.subscribe(self.changed.emit)
        self.destroyed.connect(lambda *_, off=self._unsubscribe: off())
        self.changed.connect(self.reload)
        self.setObjectName("releaseWindow")
        self.setWindowTitle("Second Readings and Release")
        self.tabs = QTabWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self.status = QLabel("Loading\u2026")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        page = QWidget()
        box = QVBoxLayout(page)
        self.queue = _tree(["Submission", "Attempt", "Credential", "Why", "First reader", "Second reader"])
        self.queue.setObjectName("secondReadQueue")
        box.addWidget(self.queue)
        row = QHBoxLayout()
        self.reader = QComboBox()
        self.reader.setObjectName("secondReader")
        self.reader.setAccessibleName("Second reader")
        self.reader.setPlaceholderText("No enrolled reviewer (Lead \u25b8 Enrolled Reviewers)")
        self.assign_button = QPushButton("&Assign")
        self.assign_button.clicked.connect(self.assign)
        self.export_button = QPushButton("&Export Assignment Files\u2026")
        self.export_button.clicked.connect(self.export)
        row.addWidget(QLabel("Second reader:"))
        row.addWidget(self.reader, 1)
        row.addWidget(self.assign_button)
        row.addStretch()
        row.addWidget(self.export_button)
        box.addLayout(row)
        self.tabs.addTab(page, "Second readings")

        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        self.held = _tree(["Submission", "Attempt", "Decision", "State", "Sample", "Source", "Credential"])
        self.held.setObjectName("heldDecisions")
        self.held.setAccessibleName("Held final decisions")
        self.held.currentItemChanged.connect(lambda item, _: self._held_chosen(item))
        box.addWidget(self.held)
        row = QHBoxLayout()
        self.release_button = QPushButton("&Release All Ready")
        self.release_button.setObjectName("releaseAll")
        self.release_button.setToolTip("Release every held decision not waiting for its backreading, "
                                       "and queue each for the issuer")
        self.release_button.clicked.connect(self.release_all)
        row.addStretch()
        row.addWidget(self.release_button)
        box.addLayout(row)
        self.pane = BackreadPane()
        self.pane.agreeRequested.connect(self.confirm)
        self.pane.overturnRequested.connect(self.overturn)
        self.pane.view.notes.noteChosen.connect(self.open_note)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(page)
        split.addWidget(self.pane)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 900])
        split.setChildrenCollapsible(False)
        self.tabs.addTab(split, "Held decisions")

        page = QWidget()
        box = QVBoxLayout(page)
        self.late = _tree(["Submission", "Attempt", "Reviewer", "Their decision", "Final", "Agrees",
                           "Arrived", "Why they differ"])
        self.late.setObjectName("lateReviews")
        box.addWidget(self.late)
        note = QLabel("Reviews that arrived after their submission's final decision (in a batch, or "
                      "scored here): kept, never changing the decision. A held decision with a "
                      "discrepancy can be overturned in Held decisions.")
        note.setWordWrap(True)
        box.addWidget(note)
        self.tabs.addTab(page, "Late reviews")
        fit_window(self, "releaseWindow", (1360, 860), maximize_small=True)
        self.reload()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load again; only the latest load is shown (an older one may finish after it)."""
        self._generation = getattr(self, "_generation", 0) + 1
        generation = self._generation

        def show(loaded: tuple) -> None:
            self._loading = max(0, self._loading - 1)
            if generation == self._generation:
                self._show(loaded)
                self.loaded.emit()

        self._loading += 1
        run_task(lambda job: _load(self.ctx), on_success=show, on_error=self._failed, owner=self)


    def _failed(self, exc: BaseException) -> None:
        self._loading = max(0, self._loading - 1)
        self.status.setText("Something went wrong; see the details.")
        show_error(self, exc, "Second Readings and Release")

    def _show(self, loaded: tuple) -> None:
        queue, held, late, readers, self._changes = loaded
        want = self._want or self._selected(self.held)
        self._want = None
        self.queue.clear()
        for s in queue:
            item = QTreeWidgetItem([s.submission_key, str(s.attempt), s.credential_key, s.reason_text,
                                    s.first_reviewer, s.assigned_to or "(not assigned)"])
            item.setData(0, Qt.ItemDataRole.UserRole, (s.submission_key, s.attempt))
            self.queue.addTopLevelItem(item)
        self.reader.clear()
        for e in readers:
            self.reader.addItem(e.name, e.name)
        self.held.blockSignals(True)
        self.held.clear()
        chosen = None
        for h in held:
            item = QTreeWidgetItem([h.submission_key, str(h.attempt), h.decision.replace("_", " "),
                                    held_state(h), "in sample" if h.sampled else "", h.source,
                                    h.credential_key])
            item.setData(0, Qt.ItemDataRole.UserRole, (h.submission_key, h.attempt))
            self.held.addTopLevelItem(item)
            if want == (h.submission_key, h.attempt):
                chosen = item
        self.held.blockSignals(False)
        if chosen is None and self.held.topLevelItemCount():
            chosen = self.held.topLevelItem(0)
        if chosen is not None:
            self.held.setCurrentItem(chosen)
            self._held_chosen(chosen)
        else:
            self.pane.clear("No final decision is held: nothing waits for backreading or release.")
        self.late.clear()
        for r in late:
            item = QTreeWidgetItem([r.submission_key, str(r.attempt), r.reviewer,
                                    (r.decision or "").replace("_", " "), r.final_decision.replace("_", " "),
                                    "yes" if r.agrees else "NO: discrepancy",
                                    when(r.arrived_at), " ".join(r.reasons)])
            item.setToolTip(7, "\n".join(r.reasons))
            self.late.addTopLevelItem(item)
        backread = sum(h.waits_for_backreading for h in held)
        done, self._done_text = getattr(self, "_done_text", ""), ""
        self.status.setText((done + "\n" if done else "")
                            + f"{len(queue)} waiting for a second reading \u00b7 {len(held)} final decisions "
                            f"held, {backread} to backread first \u00b7 "
                            f"{sum(not r.agrees for r in late)} late review discrepancies")
        for tree in (self.queue, self.held, self.late):
            for column in range(tree.columnCount()):
                tree.resizeColumnToContents(column)

    # -- actions ---------------------------------------------------------------------------------
    def _selected(self, tree: QTreeWidget) -> tuple[str, int] | None:
        item = tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _do(self, fn, done_text: str) -> None:  # noqa: ANN001
        def ok(result: object) -> None:
            self._done_text = done_text if not isinstance(result, str) else result
            self.reload()

        run_task(lambda job: fn(), on_success=ok,
                 on_error=lambda exc: show_error(self, exc, "Second Readings and Release"), owner=self)

    def assign(self) -> None:
        chosen, reader = self._selected(self.queue), self.reader.currentData()
        if chosen is None or not reader:
            self.status.setText("Choose a submission in the list and an enrolled reviewer.")
            return
        self._do(lambda: second_reads.assign(self.ctx, chosen[0], reader, chosen[1]) and None,
                 f"{chosen[0]} attempt {chosen[1]}: second reading assigned to {reader}.")

    def export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export assignment files to")
        if folder:
            self._do(lambda: f"Wrote {len(second_reads.export_assignments(self.ctx, Path(folder)))} "
                             f"assignment file(s) to {folder}.", "")

    def _held_chosen(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        key, attempt = item.data(0, Qt.ItemDataRole.UserRole)
        self._detail_serial += 1
        serial, ctx = self._detail_serial, self.ctx

        def shown(detail: backreading.BackreadDetail) -> None:
            if serial == self._detail_serial:
                self.pane.show_detail(detail)
                self.backreadShown.emit(detail)

        run_task(lambda job: backreading.backread_detail(ctx, key, attempt), on_success=shown,
                 on_error=lambda exc: show_error(self, exc, "Backreading"), owner=self)

    def confirm(self) -> None:
        chosen = self._selected(self.held)
        if chosen is None:
            self.status.setText("Choose a held decision to confirm.")
            return
        self._want = chosen
        self._do(lambda: release.backread(self.ctx, chosen[0], chosen[1]),
                 f"{chosen[0]} attempt {chosen[1]}: confirmed by backreading.")

    def overturn(self) -> None:
        b = self.pane.detail
        if b is None:
            return
        form = self.pane.form
        if not form.rationale.toPlainText().strip():
            self.status.setText("Overturning a final decision needs a rationale: say why in the "
                                "Rationale box.")
            form.rationale.setFocus()
            return
        levels, comments = form.chosen_levels(), form.chosen_comments()
        feedback, rationale = form.feedback.toPlainText().strip(), form.rationale.toPlainText()
        key, attempt = b.held.submission_key, b.held.attempt
        self._want = (key, attempt)
        self._do(lambda: f"{key} attempt {attempt}: final decision overturned, now "
                         + release.overturn(self.ctx, key, levels, rationale, attempt=attempt,
                                            feedback=feedback, comments=comments).replace("_", " ")
                         + " (held for release).", "")

    def open_note(self, en, reviewer: str) -> None:  # noqa: ANN001 - EvidenceNote
        """Open the workspace on the held decision's attempt, at the note's moment or page."""
        from reviewer_app.gui.settings import open_settings
        from reviewer_app.gui.workspace.opener import open_workspace

        b = self.pane.detail
        if b is None:
            return
        note = en.note

        def at_note(window) -> None:  # noqa: ANN001 - WorkspaceWindow
            window.go_to_note(note)
            window.statusBar().showMessage(f"{reviewer}'s {note.citation} on {en.evidence_title}, "
                                           f"{note.where()}", 15_000)

        open_workspace(self.ctx, open_settings(self.ctx.paths.data_dir), b.held.submission_key,
                       b.held.attempt, self, at_note)

    def release_all(self) -> None:
        self._do(lambda: release.release(self.ctx).describe(), "")


def open_release_window(ctx: AppContext, parent: QWidget | None = None) -> ReleaseWindow:
    from reviewer_app.gui.lead.common import single

    return single(parent, ReleaseWindow, lambda: ReleaseWindow(ctx, parent))
