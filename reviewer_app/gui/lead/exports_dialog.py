"""Lead assessors' exports in the window: "Export Final Decisions…" and "Feedback Letters…".

Both dialogs share the filters (credential, decision dates, decision, sync state), say how
many final decisions match, and run the export off the GUI thread (``run_task``) with a
progress bar and Cancel. The services refuse a reviewer; the dialog shows that refusal
and offers nothing to run. A cancelled or failed export leaves no half file (the services write to a
temporary name and rename).

Open them with ``open_exports_dialog(ctx, parent)`` and ``open_letters_dialog(ctx, parent)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Decision
from reviewer_app.errors import UserError
from reviewer_app.exports.decisions import DecisionFilter
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import FitScrollArea, fit_window
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.jobs import Job
from reviewer_app.services import final_exports
from reviewer_app.store.context import AppContext

FORMATS = [("csv", "CSV (spreadsheets, any tool)"), ("xlsx", "Excel workbook (XLSX)"),
           ("json", "JSON (with nested scores)")]
DECISIONS = [(None, "Any decision"), (Decision.EARNED, "Earned"), (Decision.NOT_YET, "Not yet")]
SYNC_STATES = [(None, "Any state"), ("queued", "Queued for the issuer"), ("sending", "Sending"),
               ("accepted", "Accepted by the issuer"), ("rejected", "Rejected by the issuer"),
               ("not_queued", "Not queued yet")]


def _documents() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class FilterForm(QObject):
    """Which final decisions: credential, decision dates, decision, sync state; its rows go
    into the dialog's form (``add_rows``), so every label lines up."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.credential = QComboBox(parent)
        self.credential.setObjectName("credentialCombo")
        self.credential.addItem("All credentials", None)
        today = date.today()
        self.from_check = QCheckBox("From", parent)
        self.from_check.setObjectName("fromCheck")
        self.from_date = self._date_edit("fromDate", date(today.year, 1, 1))
        self.to_check = QCheckBox("to", parent)
        self.to_check.setObjectName("toCheck")
        self.to_date = self._date_edit("toDate", today)
        self.decision = QComboBox(parent)
        self.decision.setObjectName("decisionCombo")
        for value, label in DECISIONS:
            self.decision.addItem(label, value)
        self.sync_state = QComboBox(parent)
        self.sync_state.setObjectName("syncCombo")
        for value, label in SYNC_STATES:
            self.sync_state.addItem(label, value)

        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self.changed)
            edit.setEnabled(False)
            edit.dateChanged.connect(self.changed)
        for combo in (self.credential, self.decision, self.sync_state):
            combo.currentIndexChanged.connect(self.changed)

    def add_rows(self, form: QFormLayout) -> None:
        dates = QHBoxLayout()
        dates.setContentsMargins(0, 0, 0, 0)
        for w in (self.from_check, self.from_date, self.to_check, self.to_date):
            dates.addWidget(w)
        dates.addStretch(1)
        form.addRow("&Credential:", self.credential)
        form.addRow("Decided:", dates)
        form.addRow("D&ecision:", self.decision)
        form.addRow("S&ync state:", self.sync_state)

    def set_enabled(self, on: bool) -> None:
        for w in (self.credential, self.from_check, self.to_check, self.decision, self.sync_state):
            w.setEnabled(on)
        self.from_date.setEnabled(on and self.from_check.isChecked())
        self.to_date.setEnabled(on and self.to_check.isChecked())

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day), self.parent_widget)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def set_credentials(self, choices: list[final_exports.CredentialChoice]) -> None:
        current = self.credential.currentData()
        self.credential.blockSignals(True)
        self.credential.clear()
        self.credential.addItem("All credentials", None)
        for c in choices:
            n = c.decisions
            self.credential.addItem(f"{c.title} ({c.key}) \u2014 {n} final decision"
                                    f"{'' if n == 1 else 's'}", c.key)
        index = self.credential.findData(current)
        self.credential.setCurrentIndex(max(index, 0))
        self.credential.blockSignals(False)

    def filters(self) -> DecisionFilter:
        """The filters as chosen; ``UserError`` for an empty date range."""
        decision = self.decision.currentData()
        state = self.sync_state.currentData()
        return DecisionFilter(
            credential=self.credential.currentData(),
            date_from=_pydate(self.from_date.date()) if self.from_check.isChecked() else None,
            date_to=_pydate(self.to_date.date()) if self.to_check.isChecked() else None,
            decisions=(decision,) if decision is not None else (),
            sync_states=(state,) if state is not None else ())


class _ExportDialog(QDialog):
    """The shared frame: filters, a destination, a count, progress, Run and Cancel."""

    run_label = "&Export"
    action = "export final decisions"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.result_path: Path | None = None
        self._refusal: BaseException | None = None
        self.filters = FilterForm(self)
        self.destination = QLineEdit(self)
        self.destination.setObjectName("destinationEdit")
        self.browse_button = QPushButton("&Browse\u2026", self)
        self.browse_button.setObjectName("browseButton")
        self.match_label = QLabel("Counting\u2026", self)
        self.match_label.setObjectName("matchLabel")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("progressBar")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.status = QLabel("", self)
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton(self.run_label, self)
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("&Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.open_button = QPushButton("&Open Folder", self)
        self.open_button.setObjectName("openFolderButton")
        self.open_button.setEnabled(False)
        self.close_button = QPushButton("Close", self)

        self.intro = QLabel(self.intro_text(), self)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.filters.add_rows(self.form)
        self.add_options(self.form)
        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(self.browse_button)
        label = QLabel(self.destination_label(), self)
        label.setBuddy(self.destination)
        self.form.addRow(label, where)

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        body = QVBoxLayout()  # scrolls on a short screen; Export stays in view
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.intro)
        body.addSpacing(4)
        body.addLayout(self.form)
        body.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(FitScrollArea(body, self), 1)
        layout.addWidget(self.match_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(150)
        self._count_timer.timeout.connect(self.recount)
        self._count_serial = 0
        self.filters.changed.connect(self._count_timer.start)
        self.browse_button.clicked.connect(self.browse)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.open_button.clicked.connect(self.open_folder)
        fit_window(self, type(self).__name__, (600, 0))

        ctx_ = ctx
        run_task(lambda job: final_exports.credential_choices(ctx_), owner=self,
                 on_success=self._credentials_loaded, on_error=self._refused)

    # -- for subclasses ---------------------------------------------------------------------
    def add_options(self, form: QFormLayout) -> None:
        """Rows above the destination (the format, "one combined PDF")."""

    def destination_label(self) -> str:
        return "Save &to:"

    def intro_text(self) -> str:
        return ""

    def make_work(self, filters: DecisionFilter, target: Path) -> Callable[[Job], Any]:
        """The export to run off the GUI thread (widgets are read here, on the GUI thread)."""
        raise NotImplementedError

    def describe(self, result: Any) -> tuple[str, Path]:
        """(what was written, the folder to open)."""
        raise NotImplementedError

    # -- loading and counting ---------------------------------------------------------------
    def _credentials_loaded(self, choices: list[final_exports.CredentialChoice]) -> None:
        self.filters.set_credentials(choices)
        self.recount()

    def _refused(self, exc: BaseException) -> None:
        """The service said no (a reviewer's profile): say so and offer nothing to run."""
        self._refusal = exc
        for w in (*self.findChildren(QComboBox), *self.findChildren(QCheckBox),
                  *self.findChildren(QDateEdit), self.run_button, self.destination,
                  self.browse_button):
            w.setEnabled(False)
        self.match_label.setText("")
        self.status.setText(getattr(exc, "message", "") or "This export cannot run.")
        show_error(self, exc, self.windowTitle())

    def recount(self) -> None:
        try:
            filters = self.filters.filters()
        except UserError as exc:
            self.match_label.setText(exc.message)
            self.run_button.setEnabled(False)
            return
        self._count_serial += 1
        serial, ctx = self._count_serial, self.ctx

        def counted(n: int) -> None:
            if serial == self._count_serial and self._refusal is None:
                self.match_label.setText(f"{n} final decision{'' if n == 1 else 's'} match.")
                self.run_button.setEnabled(self.task is None)

        run_task(lambda job: final_exports.count_final_decisions(ctx, filters), owner=self,
                 on_success=counted, on_error=self._refused)

    # -- running ----------------------------------------------------------------------------
    def target(self) -> Path | None:
        text = self.destination.text().strip()
        return Path(text).expanduser() if text else None

    def start(self) -> None:
        if self.task is not None:
            return
        target = self.target()
        if target is None:
            self.status.setText("Choose where to save first.")
            return
        try:
            filters = self.filters.filters()
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self._running(True)
        self.progress.setRange(0, 0)  # busy until the count is known
        self.status.setText("Starting\u2026")
        self.result_path = None
        self.task = run_task(self.make_work(filters, target), owner=self,
                             on_progress=self._on_progress, on_success=self._succeeded,
                             on_error=self._failed, on_cancel=self._cancelled)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling\u2026")

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        self.status.setText(message)

    def _succeeded(self, result: Any) -> None:
        self._running(False)
        text, folder = self.describe(result)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setTextVisible(True)
        self.status.setText(text)
        self.result_path = folder
        self.open_button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self._running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Nothing was written." if isinstance(exc, UserError) else
                            "Something went wrong; nothing was written.")
        show_error(self, exc, self.windowTitle())

    def _cancelled(self) -> None:
        self._running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(self.cancelled_text())

    def cancelled_text(self) -> str:
        return "Cancelled: nothing was written."

    def _running(self, running: bool) -> None:
        if not running:
            self.task = None
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.filters.set_enabled(not running)
        self.progress.setTextVisible(running)
        for w in (self.destination, self.browse_button):
            w.setEnabled(not running)
        self.open_button.setEnabled(False)

    def open_folder(self) -> None:
        if self.result_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result_path)))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.task is not None:
            self.task.cancel()  # the temporary file is removed by the worker
        super().closeEvent(event)


class ExportDecisionsDialog(_ExportDialog):
    """Final decisions with their per-criterion levels, as CSV, XLSX or JSON."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        self.format = QComboBox()
        self.format.setObjectName("formatCombo")
        for value, label in FORMATS:
            self.format.addItem(label, value)
        super().__init__(ctx, parent)
        self.setObjectName("exportDecisionsDialog")
        self.setWindowTitle("Export Final Decisions")
        self.destination.setText(str(_documents() / f"final-decisions-{date.today()}.csv"))
        self.format.currentIndexChanged.connect(self._format_changed)

    def intro_text(self) -> str:
        return ("Final decisions with each criterion's final level and comment, who decided "
                "and when, and where the decision stands with the issuer. The file names "
                "candidates: keep it safe.")

    def add_options(self, form: QFormLayout) -> None:
        self.format.setParent(self)
        form.addRow("&Format:", self.format)

    def fmt(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self, *_: object) -> None:
        target = self.target()
        if target is not None and target.suffix.lower() in {".csv", ".xlsx", ".json"}:
            self.destination.setText(str(target.with_suffix("." + self.fmt())))

    def browse(self) -> None:
        fmt = self.fmt()
        start = str(self.target() or _documents())
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Export final decisions to", start, f"{fmt.upper()} files (*.{fmt})")
        if chosen:
            path = Path(chosen)
            self.destination.setText(str(path if path.suffix else path.with_suffix("." + fmt)))

    def make_work(self, filters: DecisionFilter, target: Path) -> Callable[[Job], Any]:
        ctx, fmt = self.ctx, self.fmt()
        return lambda job: final_exports.export_final_decisions(ctx, fmt, target, filters, job)

    def describe(self, result: Any) -> tuple[str, Path]:
        n = result.count
        return (f"Exported {n} final decision{'' if n == 1 else 's'} to {result.path}.",
                result.path.parent)

    def cancelled_text(self) -> str:
        target = self.target()
        kept = " (the file already there is unchanged)" if target and target.exists() else ""
        return f"Cancelled: nothing was written{kept}."


class LettersDialog(_ExportDialog):
    """A PDF feedback letter per final decision, one file each or one combined PDF."""

    run_label = "&Write Letters"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        self.combined = QCheckBox("One combined PDF (a bookmark per letter)")
        self.combined.setObjectName("combinedCheck")
        super().__init__(ctx, parent)
        self.setObjectName("lettersDialog")
        self.setWindowTitle("Feedback Letters")
        self.destination.setText(str(_documents() / f"feedback-letters-{date.today()}"))
        self.combined.toggled.connect(self._combined_changed)

    def intro_text(self) -> str:
        return ("A PDF letter for each candidate: the decision in plain words, the final "
                "level and comment on each criterion, the overall feedback and, for \u201cnot "
                "yet\u201d, the next steps and how to resubmit.")

    def add_options(self, form: QFormLayout) -> None:
        self.combined.setParent(self)
        form.addRow("", self.combined)

    def destination_label(self) -> str:
        return "Save &in:"

    def _combined_changed(self, on: bool) -> None:
        target = self.target()
        if target is None:
            return
        if on and target.suffix.lower() != ".pdf":
            self.destination.setText(str(target.with_name(target.name + ".pdf")))
        elif not on and target.suffix.lower() == ".pdf":
            self.destination.setText(str(target.with_suffix("")))

    def browse(self) -> None:
        start = str(self.target() or _documents())
        if self.combined.isChecked():
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the letters as", start,
                                                    "PDF files (*.pdf)")
        else:
            chosen = QFileDialog.getExistingDirectory(self, "Save the letters in", start)
        if chosen:
            self.destination.setText(chosen)

    def make_work(self, filters: DecisionFilter, target: Path) -> Callable[[Job], Any]:
        ctx, combined = self.ctx, self.combined.isChecked()
        return lambda job: final_exports.write_feedback_letters(ctx, target, filters,
                                                               combined=combined, job=job)

    def describe(self, result: Any) -> tuple[str, Path]:
        n = result.count
        letters = f"{n} feedback letter{'' if n == 1 else 's'}"
        if result.combined:
            return f"Wrote {letters} to {result.path}.", result.path.parent
        if not n:
            return "No final decisions match: no letters were written.", result.path
        return f"Wrote {letters} to {result.path}.", result.path

    def cancelled_text(self) -> str:
        if self.combined.isChecked():
            return "Cancelled: no combined PDF was written."
        return ("Cancelled. The letters finished before that are in the folder, each "
                "complete; none is half written.")


def open_exports_dialog(ctx: AppContext, parent: QWidget | None = None) -> ExportDecisionsDialog:
    """Show "Export Final Decisions" (not modal); a reviewer gets the service's refusal."""
    dialog = ExportDecisionsDialog(ctx, parent)
    dialog.show()
    return dialog


def open_letters_dialog(ctx: AppContext, parent: QWidget | None = None) -> LettersDialog:
    """Show "Feedback Letters" (not modal); a reviewer gets the service's refusal."""
    dialog = LettersDialog(ctx, parent)
    dialog.show()
    return dialog
