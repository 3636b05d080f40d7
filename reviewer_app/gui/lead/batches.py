"""Score batches in the window: File > Export Score Batch (any role) and Lead > Import Score
Batches (a lead assessor), each off the GUI thread with progress and Cancel; the import
ends with a summary of what happened to every file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.folders import show_folder
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.lead.common import bind_cancel, progress_dialog, show_progress
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.store.context import AppContext

OUTCOME_LABELS = {"imported": "Imported", "already imported": "Already imported", "refused": "Refused"}
OUTCOME_COLOURS = {"imported": "#1d7a3a", "already imported": "#555555", "refused": "#b00020"}


# -- export ------------------------------------------------------------------------------------

def _export_work(ctx: AppContext, folder: Path, include_all: bool):  # noqa: ANN202
    from reviewer_app.services import batches, lead_views

    def work(job):  # noqa: ANN001, ANN202
        try:
            return batches.export_batch(ctx, folder, include_all=include_all, job=job)
        except batches.NothingToExport:
            return lead_views.batch_export_status(ctx)

    return work


def nothing_to_export_text(status) -> str:  # noqa: ANN001 - lead_views.ExportStatus
    if not status.submitted:
        return "Nothing to export: you have not submitted any reviews yet."
    if status.submitted == 1:
        what, again = "your submitted review is already in an earlier batch", "it"
    else:
        what, again = f"all {status.submitted} of your submitted reviews are already in earlier batches", \
            "them all"
    return (f"Nothing new to export: {what}. Export {again} again if your lead assessor asks; "
            "their import skips the reviews it already holds.")


def export_score_batch(parent: QWidget, ctx: AppContext, folder: Path, *, include_all: bool = False,
                       on_message: Callable[[QMessageBox], None] | None = None) -> Task:
    """Export the profile's new submitted reviews into ``folder``; the outcome is shown in a
    message box (handed to ``on_message`` too)."""
    dialog = progress_dialog(parent, "Export Score Batch", "Collecting your submitted reviews\u2026")
    dialog.setObjectName("batchExportProgress")

    def finish() -> None:
        dialog.close()
        dialog.deleteLater()

    def done(result) -> None:  # noqa: ANN001
        finish()
        from reviewer_app.services.lead_views import ExportStatus

        if isinstance(result, ExportStatus):
            box = QMessageBox(QMessageBox.Icon.Information, "Export Score Batch",
                              nothing_to_export_text(result), QMessageBox.StandardButton.Close, parent)
            again = None
            if result.submitted:
                again = box.addButton("Export &All Again", QMessageBox.ButtonRole.AcceptRole)
            box.setObjectName("nothingToExport")

            def clicked(button) -> None:  # noqa: ANN001
                if again is not None and button is again:
                    export_score_batch(parent, ctx, folder, include_all=True, on_message=on_message)

            box.buttonClicked.connect(clicked)
        else:
            n = result.count
            box = QMessageBox(QMessageBox.Icon.Information, "Export Score Batch",
                              f"{n} review{'s' if n != 1 else ''} exported to {result.json_path.parent}.",
                              QMessageBox.StandardButton.Close, parent)
            box.setObjectName("batchExported")
            box.setInformativeText(f"Send {result.json_path.name} to your lead assessor "
                                   f"(the spreadsheet copy is {result.csv_path.name}).")
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            show = box.addButton("Show &Folder", QMessageBox.ButtonRole.ActionRole)
            show.clicked.connect(lambda: show_folder(parent, result.json_path.parent))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        fit_window(box, "batchExported", remember=False)
        box.open()
        if on_message is not None:
            on_message(box)

    def failed(exc: BaseException) -> None:
        finish()
        show_error(parent, exc, "Score batch not exported")

    def cancelled() -> None:
        finish()

    task = run_task(_export_work(ctx, Path(folder), include_all), on_success=done, on_error=failed,
                    on_cancel=cancelled, on_progress=lambda d, t, msg: show_progress(dialog, d, t, msg),
                    owner=parent)
    bind_cancel(dialog, task)
    return task


# -- import ------------------------------------------------------------------------------------

class BatchImportSummary(QDialog):
    """Each batch file and what became of it: imported N reviews, already imported, or
    refused and why."""

    def __init__(self, outcomes: Sequence, cancelled: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batchImportSummary")
        self.setWindowTitle("Score Batches Imported" if not cancelled else "Score Batch Import Cancelled")
        self.outcomes = list(outcomes)
        imported = sum(o.imported for o in outcomes if o.status == "imported")
        refused = sum(1 for o in outcomes if o.status == "refused")
        disputes = sum(o.disputed for o in outcomes)
        finals = sum(o.final for o in outcomes)
        files = sum(1 for o in outcomes if o.status == "imported")
        parts = [(f"{imported} review{'s' if imported != 1 else ''} imported from {files} of "
                  f"{len(outcomes)} file{'s' if len(outcomes) != 1 else ''}")]
        if finals:
            parts.append(f"{finals} final decision{'s' if finals != 1 else ''} made")
        if disputes:
            parts.append(f"{disputes} new dispute{'s' if disputes != 1 else ''} to moderate")
        if refused:
            parts.append(f"{refused} file{'s' if refused != 1 else ''} refused (nothing from "
                         f"{'them' if refused != 1 else 'it'} was stored)")
        text = "; ".join(parts) + "."
        if cancelled:
            text = ("Cancelled. The files listed were dealt with before you cancelled; the "
                    "rest were not imported. " + text)
        self.summary = QLabel(text, self)
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        self.table = QTreeWidget(self)
        self.table.setObjectName("outcomeTable")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["File", "Reviewer", "Outcome", "Details"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        self.table.setUniformRowHeights(False)
        for o in outcomes:
            item = QTreeWidgetItem([o.path.name, o.reviewer or "", self.outcome_text(o), self.details(o)])
            item.setForeground(2, QBrush(QColor(OUTCOME_COLOURS.get(o.status, "#000000"))))
            for col in range(4):
                item.setToolTip(col, o.message)
            self.table.addTopLevelItem(item)
        header = self.table.header()
        header.setStretchLastSection(True)
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.accept)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        fit_window(self, "batchImportSummary", (820, 320))

    @staticmethod
    def outcome_text(outcome) -> str:  # noqa: ANN001
        if outcome.status == "imported":
            return f"Imported {outcome.imported} review{'s' if outcome.imported != 1 else ''}"
        return OUTCOME_LABELS.get(outcome.status, outcome.status)

    @staticmethod
    def details(outcome) -> str:  # noqa: ANN001
        message = outcome.message.removeprefix(outcome.path.name + ": ")
        if outcome.status == "imported":
            # "imported 3 reviews by Ana: 1 dispute." -> what the rules made of them
            _, _, rest = message.partition(": ")
            extras = [f"{outcome.skipped} already held"] if outcome.skipped else []
            if outcome.final:
                extras.append(f"{outcome.final} final decision{'s' if outcome.final != 1 else ''}")
            if outcome.disputed:
                extras.append(f"{outcome.disputed} dispute{'s' if outcome.disputed != 1 else ''}")
            if outcome.waiting:
                extras.append(f"{outcome.waiting} waiting for a second review")
            return ", ".join(extras) if extras else (rest.rstrip(".") or "")
        return message[:1].upper() + message[1:]

    def rows(self) -> list[list[str]]:
        return [[self.table.topLevelItem(i).text(c) for c in range(4)]
                for i in range(self.table.topLevelItemCount())]


def import_score_batches(parent: QWidget, ctx: AppContext, paths: Sequence[Path],
                         on_done: Callable[[BatchImportSummary], None] | None = None) -> Task:
    """Import batch files off the GUI thread with progress and Cancel, then show the
    summary (handed to ``on_done``, e.g. to refresh the queue)."""
    from reviewer_app.services.batches import import_batches

    paths = [Path(p) for p in paths]
    heard: list = []  # outcomes as they come: kept when the import is cancelled midway
    dialog = progress_dialog(parent, "Import Score Batches",
                             f"Importing {len(paths)} score batch{'es' if len(paths) != 1 else ''}\u2026")
    dialog.setObjectName("batchImportProgress")

    def summary(outcomes: Sequence, cancelled: bool) -> None:
        dialog.close()
        dialog.deleteLater()
        box = BatchImportSummary(outcomes, cancelled, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        if on_done is not None:
            on_done(box)

    def failed(exc: BaseException) -> None:
        dialog.close()
        dialog.deleteLater()
        show_error(parent, exc, "Score batches not imported")

    task = run_task(lambda job: import_batches(ctx, paths, job, on_outcome=heard.append),
                    on_success=lambda outcomes: summary(outcomes, False), on_error=failed,
                    on_cancel=lambda: summary(list(heard), True),
                    on_progress=lambda d, t, msg: show_progress(dialog, d, t, msg), owner=parent)
    bind_cancel(dialog, task)
    return task
