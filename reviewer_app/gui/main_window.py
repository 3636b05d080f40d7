"""The main window: the queue of submissions, with search, filters and import.

At start the window is made and painted before the database is open (``MainWindow(None,
paths=...)``: the queue's headers, menus and filters, no rows), and nothing here imports
SQLAlchemy until then; ``attach`` gives it the context and the queue fills.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMainWindow, QProgressDialog

from reviewer_app import APP_NAME
from reviewer_app.domain.model import SubmissionStatus
from reviewer_app.gui.forms.ui_main_window import Ui_MainWindow
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.settings import open_settings
from reviewer_app.gui.shortcuts import ShortcutRegistry, ShortcutsDialog
from reviewer_app.gui.submission_model import STATUS_CHOICES, SubmissionTableModel
from reviewer_app.gui.tasks import Task, run_task

if TYPE_CHECKING:
    from reviewer_app.config import AppPaths
    from reviewer_app.services import submissions as svc
    from reviewer_app.store.context import AppContext

#: What needs the database: enabled once it is open.
NEEDS_DATA = ("actionImport", "actionRefresh", "actionAbout")


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext | None, settings: QSettings | None = None, *,
                 paths: AppPaths | None = None) -> None:
        super().__init__()
        self.ctx: AppContext = None  # type: ignore[assignment]  # (until attach)
        paths = ctx.paths if ctx is not None else paths
        assert paths is not None, "a context, or the paths of the one to come"
        self.paths = paths
        self.settings = settings if settings is not None else open_settings(paths.data_dir)
        self.ui = Ui_MainWindow()
        self.ui.setupUi(self)
        self.setWindowTitle(APP_NAME)
        fit_window(self, "queue", QSize(1100, 680), maximize_small=True, settings=self.settings)
        self.model = SubmissionTableModel(None, self)
        table = self.ui.submissionTable
        table.setModel(self.model)
        table.verticalHeader().hide()
        # Widths are set once from the font: measuring rows on every load costs more than
        # the query itself on a large queue.
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        for column, sample in enumerate(["DEMO-00000000", "Attempt", "", "2026-12-31 23:59",
                                         "In progress", "Evidence"]):
            if sample:
                header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)
        header.setSectionResizeMode(2, header.ResizeMode.Stretch)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.count_label = QLabel(self)
        self.ui.statusbar.addPermanentWidget(self.count_label)
        self.ui.statusbar.showMessage(f"Data: {paths.data_dir}")
        self._import_task: Task | None = None
        self._open_after_import = False
        self._progress: QProgressDialog | None = None

        for label, status in STATUS_CHOICES:
            self.ui.statusCombo.addItem(label, status)
        self.ui.credentialCombo.addItem("All credentials", None)
        self._search_timer = QTimer(self, singleShot=True, interval=200)
        self._search_timer.timeout.connect(self._apply_filters)
        self.ui.searchEdit.textChanged.connect(self._search_timer.start)
        self.ui.statusCombo.currentIndexChanged.connect(self._apply_filters)
        self.ui.credentialCombo.currentIndexChanged.connect(self._apply_filters)
        self.ui.draftCheck.toggled.connect(self._apply_filters)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self._show_error)
        # (A double-click also activates: connecting doubleClicked too opened it twice.)
        table.activated.connect(self._open_index)
        self.ui.actionImport.triggered.connect(self.choose_and_import)
        self.ui.actionRefresh.triggered.connect(self.refresh)
        self.ui.actionQuit.triggered.connect(self.quit_all)
        self.ui.actionAbout.triggered.connect(self.show_about)
        self.ui.actionOpenLog.triggered.connect(self._show_log_folder)
        self._install_shortcuts()
        self.ui.emptyLabel.hide()
        self._sync_controller = self._lead = None
        self._extras = False
        # Sync and the lead's menus come once the first page is painted: their imports
        # (httpx, the dialogs) would otherwise take longer than the page itself.
        self.model.pageShown.connect(self._after_first_page)
        self.model.failed.connect(self._after_first_page)
        for name in NEEDS_DATA:
            getattr(self.ui, name).setEnabled(False)
        if ctx is not None:
            self.attach(ctx)

    def attach(self, ctx: AppContext) -> None:
        """The database is open: the queue fills (with the filters chosen meanwhile)."""
        self.ctx = ctx
        for name in NEEDS_DATA:
            getattr(self.ui, name).setEnabled(True)
        self.model.attach(ctx, self._filtered_query())
        self._load_credentials()

    def _after_first_page(self, *_: object) -> None:
        QTimer.singleShot(0, self.install_extras)

    def install_extras(self) -> None:
        """The sync indicator and menu, File > Export Score Batch, the Lead menu (lead
        assessors only), Settings > Profile. Once; at the latest when asked for."""
        if self._extras or self.ctx is None:
            return
        self._extras = True
        from reviewer_app.gui.sync import install_sync

        # (A read-only window, another one holding the data folder, leaves syncing to it.)
        self.sync_controller = install_sync(self, self.ctx, start=self.ctx.view_only is None)
        from reviewer_app.gui.lead.menus import install_lead

        self._lead = install_lead(self, self.ctx)
        # Help stays the last menu.
        self.menuBar().removeAction(self.ui.menuHelp.menuAction())
        self.menuBar().addAction(self.ui.menuHelp.menuAction())

    @property
    def sync_controller(self):  # noqa: ANN201 - the SyncController
        self.install_extras()
        return self._sync_controller

    @sync_controller.setter
    def sync_controller(self, controller) -> None:  # noqa: ANN001 - (install_sync keeps it here)
        self._sync_controller = controller

    @property
    def lead(self):  # noqa: ANN201 - the LeadController
        self.install_extras()
        return self._lead

    # -- the queue ---------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.ctx is None:
            return  # (attach reads it all)
        self._load_credentials()
        self.model.refresh()

    def _load_credentials(self) -> None:
        from reviewer_app.services import submissions as svc

        ctx = self.ctx
        run_task(lambda job: svc.credentials(ctx), on_success=self._set_credentials,
                 on_error=self._show_error, owner=self)

    def _set_credentials(self, creds) -> None:  # noqa: ANN001
        combo = self.ui.credentialCombo
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("All credentials", None)
        for cred in {c.key: c for c in creds}.values():
            combo.addItem(cred.title, cred.key)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _filtered_query(self) -> svc.QueueQuery:
        return replace(self.model.query, search=self.ui.searchEdit.text(),
                       credential_key=self.ui.credentialCombo.currentData(),
                       status=SubmissionStatus(status) if (status := self.ui.statusCombo.currentData())
                       else None,
                       has_draft=True if self.ui.draftCheck.isChecked() else None)

    def _apply_filters(self) -> None:
        if self.model.attached:  # (before, attach applies them)
            self.model.set_query(self._filtered_query())

    def _on_loaded(self, total: int) -> None:
        from reviewer_app.services import submissions as svc

        filtered = self.model.query != replace(svc.QueueQuery(), sort=self.model.query.sort,
                                               descending=self.model.query.descending)
        self.count_label.setText(f"{total} submission{'s' if total != 1 else ''}"
                                 + (" match" if filtered else ""))
        self.ui.emptyLabel.setVisible(total == 0 and not filtered)
        self.ui.submissionTable.setVisible(total > 0 or filtered)

    def _open_index(self, index) -> None:  # noqa: ANN001
        row = self.model.row(index.row())
        self.open_submission(row.key, row.attempt)

    def open_submission(self, key: str, attempt: int | None = None, on_open=None) -> None:  # noqa: ANN001
        """Open the workspace on a submission attempt (the latest when ``attempt`` is None)."""
        from reviewer_app.gui.workspace.opener import open_workspace

        open_workspace(self.ctx, self.settings, key, attempt, self, on_open)

    # -- import ------------------------------------------------------------------------------
    def choose_and_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import Submission Package", str(Path.home()),
            "Submission packages (*.zip);;All files (*)")
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path, open_after: bool = False) -> Task:
        """Import a package on a worker thread, with a progress dialog that can cancel it."""
        from reviewer_app.services.imports import import_package

        ctx = self.ctx
        dialog = QProgressDialog(f"Importing {path.name}\u2026", "Cancel", 0, 1000, self)
        dialog.setObjectName("importProgress")
        dialog.setWindowTitle("Import")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self._open_after_import = open_after
        task = run_task(lambda job: import_package(ctx, path, job),
                        on_success=self._import_done, on_error=self._import_failed,
                        on_cancel=self._import_cancelled, on_progress=self._import_progress)
        dialog.canceled.connect(task.cancel)
        self._import_task, self._progress = task, dialog
        return task

    def _import_progress(self, done: int, total: int, message: str) -> None:
        if self._progress is not None and total:
            self._progress.setValue(int(1000 * done / total))

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
        self._progress, self._import_task = None, None

    def _import_done(self, outcome) -> None:  # noqa: ANN001
        self._close_progress()
        self.ui.statusbar.showMessage(outcome.describe(), 10_000)
        self.refresh()
        if self._open_after_import:
            self.open_submission(outcome.submission_key, outcome.attempt)

    def _import_failed(self, exc: BaseException) -> None:
        self._close_progress()
        self._show_error(exc, "Import refused")

    def _import_cancelled(self) -> None:
        self._close_progress()
        self.ui.statusbar.showMessage("Import cancelled; nothing was stored.", 10_000)

    def _show_error(self, exc: BaseException, title: str = "Reviewer") -> None:
        from reviewer_app.gui.errors import show_error  # (not needed for the first paint)

        show_error(self, exc, title)

    def _show_log_folder(self) -> None:
        from reviewer_app.gui.folders import show_folder

        show_folder(self, self.paths.log_dir)

    # -- help and quitting -------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: ANN001
        self.model.cancel_reads()  # a count of a large queue need not run on after the window
        super().closeEvent(event)

    def _install_shortcuts(self) -> None:
        """The queue's keys, listed (and changeable) with F1, as in the workspace."""
        self.registry = ShortcutRegistry(self.settings)
        search = QAction("&Find Submissions", self)
        search.setObjectName("queue.search")
        search.triggered.connect(lambda: (self.ui.searchEdit.setFocus(), self.ui.searchEdit.selectAll()))
        self.addAction(search)
        self.help_action = QAction("&Keyboard Shortcuts\u2026", self)
        self.help_action.setObjectName("queue.help")
        self.help_action.triggered.connect(self.show_shortcuts)
        self.ui.menuHelp.insertAction(self.ui.menuHelp.actions()[0] if self.ui.menuHelp.actions()
                                      else None, self.help_action)
        for action_id, action, key in (("queue.import", self.ui.actionImport, "Ctrl+I"),
                                       ("queue.refresh", self.ui.actionRefresh, "F5"),
                                       ("queue.quit", self.ui.actionQuit, "Ctrl+Q"),
                                       ("queue.search", search, "Ctrl+F"),
                                       ("queue.help", self.help_action, "F1")):
            self.registry.register(action_id, action, "Queue", key)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.registry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def quit_all(self) -> None:
        """File > Quit: every window closes (workspaces store their pending edits first)."""
        QApplication.closeAllWindows()

    def show_about(self):  # noqa: ANN201 - the AboutDialog
        from reviewer_app.gui.about import show_about

        return show_about(self.ctx, self)
