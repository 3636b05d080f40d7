"""Lead > Second Readings and Release: three small tabs over the scoring-centre services.

* Second readings: what waits for a second reviewer and why; assign an enrolled reviewer;
  export each reader's assignment file (``services.second_reads``).
* Held decisions: the final decisions held for release, those in the backreading sample
  first; Confirm (backread) one; Release All Ready (``services.release``; overturning is
  ``reviewer-app overturn``).
* Late reviews: reviews that arrived after a final decision, discrepancies marked
  (``services.late_reviews``).

Every service call runs through the task runner; the window never blocks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import enrolment, release, second_reads
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
    return (second_reads.second_reading_queue(ctx), release.held_decisions(ctx), list_late_reviews(ctx),
            enrolment.enrolled(ctx, include_revoked=False))


class ReleaseWindow(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
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
        self.held = _tree(["Submission", "Attempt", "Credential", "Decision", "Source", "State"])
        self.held.setObjectName("heldDecisions")
        box.addWidget(self.held)
        row = QHBoxLayout()
        self.confirm_button = QPushButton("&Confirm (Backread)")
        self.confirm_button.setToolTip("You read this decision again and it stands "
                                       "(to overturn it: reviewer-app overturn)")
        self.confirm_button.clicked.connect(self.confirm)
        self.release_button = QPushButton("&Release All Ready")
        self.release_button.setObjectName("releaseAll")
        self.release_button.clicked.connect(self.release_all)
        row.addWidget(self.confirm_button)
        row.addStretch()
        row.addWidget(self.release_button)
        box.addLayout(row)
        self.tabs.addTab(page, "Held decisions")

        self.late = _tree(["Submission", "Attempt", "Reviewer", "Their decision", "Final", "Agrees"])
        self.late.setObjectName("lateReviews")
        self.tabs.addTab(self.late, "Late reviews")
        fit_window(self, "releaseWindow", (900, 520))
        self.reload()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load again; only the latest load is shown (an older one may finish after it)."""
        self._generation = getattr(self, "_generation", 0) + 1
        generation = self._generation

        def show(loaded: tuple) -> None:
            if generation == self._generation:
                self._show(loaded)

        run_task(lambda job: _load(self.ctx), on_success=show, on_error=self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("Something went wrong; see the details.")
        show_error(self, exc, "Second Readings and Release")

    def _show(self, loaded: tuple) -> None:
        queue, held, late, readers = loaded
        self.queue.clear()
        for s in queue:
            item = QTreeWidgetItem([s.submission_key, str(s.attempt), s.credential_key, s.reason_text,
                                    s.first_reviewer, s.assigned_to or "(not assigned)"])
            item.setData(0, Qt.ItemDataRole.UserRole, (s.submission_key, s.attempt))
            self.queue.addTopLevelItem(item)
        self.reader.clear()
        for e in readers:
            self.reader.addItem(e.name, e.name)
        self.held.clear()
        for h in held:
            state = ("to backread" if h.waits_for_backreading else
                     "backread" if h.backread_at else "ready")
            item = QTreeWidgetItem([h.submission_key, str(h.attempt), h.credential_key,
                                    h.decision.replace("_", " "), h.source, state])
            item.setData(0, Qt.ItemDataRole.UserRole, (h.submission_key, h.attempt))
            self.held.addTopLevelItem(item)
        self.late.clear()
        for r in late:
            item = QTreeWidgetItem([r.submission_key, str(r.attempt), r.reviewer,
                                    (r.decision or "").replace("_", " "), r.final_decision.replace("_", " "),
                                    "yes" if r.agrees else "NO: discrepancy"])
            item.setToolTip(5, "\n".join(r.reasons))
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

        run_task(lambda job: fn(), on_success=ok, on_error=lambda exc: show_error(self, exc, "Second Readings and Release"),
                 owner=self)

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

    def confirm(self) -> None:
        chosen = self._selected(self.held)
        if chosen is None:
            self.status.setText("Choose a held decision to confirm.")
            return
        self._do(lambda: release.backread(self.ctx, chosen[0], chosen[1]),
                 f"{chosen[0]} attempt {chosen[1]}: confirmed by backreading.")

    def release_all(self) -> None:
        self._do(lambda: release.release(self.ctx).describe(), "")


def open_release_window(ctx: AppContext, parent: QWidget | None = None) -> ReleaseWindow:
    from reviewer_app.gui.lead.common import single

    return single(parent, ReleaseWindow, lambda: ReleaseWindow(ctx, parent))
