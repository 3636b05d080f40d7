"""Roles in the main window: who is using it (status bar; Settings > Profile), the score
batch export every reviewer needs (File menu), and the Lead menu, shown only to a lead
assessor (the services refuse a reviewer anyway). The menus follow the role as it changes.

``install_lead(main_window, ctx)`` adds all of it and returns the controller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox, QToolButton, QWidget

from reviewer_app.domain.model import Profile, Role
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.lead.profile_dialog import ProfileDialog, role_label
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.store.context import AppContext


class LeadController(QObject):
    profileChanged = Signal(object)  # Profile

    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.window, self.ctx = window, ctx
        self.profile: Profile | None = None
        self.last_message: QMessageBox | None = None  # the latest outcome shown (for tests)
        self.last_summary = None  # the latest BatchImportSummary
        self._build_file_actions()
        self._build_lead_menu()
        self._build_settings_menu()
        self.profile_button = QToolButton(window)
        self.profile_button.setObjectName("profileButton")
        self.profile_button.setAutoRaise(True)
        self.profile_button.setToolTip("Your profile (Settings \u25b8 Profile)")
        self.profile_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.profile_button.clicked.connect(self.edit_profile)
        window.statusBar().addPermanentWidget(self.profile_button)
        self.set_profile(None)
        refresh = getattr(getattr(window, "ui", None), "actionRefresh", None)
        if refresh is not None:
            refresh.triggered.connect(self.load_profile)
        self.load_profile()

    # -- building ------------------------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Callable[[], object], menu: QMenu,
                shortcut: str | QKeySequence | None = None, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _build_file_actions(self) -> None:
        """Before File > Quit: Export Score Batch and Import Calibration File."""
        ui = getattr(self.window, "ui", None)
        file_menu: QMenu = ui.menuFile if ui is not None else self.window.menuBar().addMenu("&File")
        holder = QMenu(self.window)  # built here, then moved before Quit
        self.export_batch_action = self._action(
            "actionExportBatch", "&Export Score Batch\u2026", self.choose_and_export_batch, holder,
            "Ctrl+Shift+E", "Write your submitted reviews as a batch file for your lead assessor")
        self.import_calibration_action = self._action(
            "actionImportCalibration", "Import &Calibration File\u2026", self.choose_and_import_calibration,
            holder, None, "Import the agreed scores your lead assessor sent")
        actions = file_menu.actions()
        quit_action = getattr(ui, "actionQuit", None)
        before = None
        if quit_action in actions:
            i = actions.index(quit_action)
            before = actions[i - 1] if i > 0 and actions[i - 1].isSeparator() else quit_action
        if before is None:
            file_menu.addSeparator()
            file_menu.addActions(holder.actions())
        else:
            file_menu.insertSeparator(before)
            file_menu.insertActions(before, holder.actions())

    def _build_lead_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Lead")
        menu.setObjectName("menuLead")
        self.lead_menu = menu
        self._action("actionImportBatches", "&Import Score Batches\u2026", self.choose_and_import_batches,
                     menu, "Ctrl+Shift+I", "Import reviewers' score batch files")
        self._action("actionEnrolment", "&Enrolled Reviewers\u2026", self.open_enrolment, menu, None,
                     "Enrol reviewers by their signing keys; revoke a key")
        menu.addSeparator()
        self._action("actionModeration", "&Moderation\u2026", self.open_moderation, menu, "Ctrl+M",
                     "Settle disputes between reviewers")
        self._action("actionStats", "Agreement &Statistics\u2026", self.open_stats, menu, None,
                     "How often reviewers agree")
        self._action("actionCalibration", "&Calibration\u2026", self.open_calibration, menu, None,
                     "Calibration submissions and reviewers' qualification")
        self._action("actionRelease", "Second &Readings and Release\u2026", self.open_release, menu, None,
                     "What waits for a second reader; held final decisions, backreading and release")
        menu.addSeparator()
        self._action("actionExportDecisions", "Export Final &Decisions\u2026", self.open_exports, menu, None,
                     "Final decisions as CSV, JSON or XLSX")
        self._action("actionLetters", "Feedback &Letters\u2026", self.open_letters, menu, None,
                     "A PDF letter per candidate")
        menu.addSeparator()
        self._action("actionPolicies", "Credential &Policies\u2026", self.open_policies, menu, None,
                     "Second reviews, disputes, qualification and blind review")
        self._action("actionAudit", "&Audit Log\u2026", self.open_audit, menu, None,
                     "Recent audit entries; verify the hash chain")

    def _build_settings_menu(self) -> None:
        menu = self.window.menuBar().addMenu("Se&ttings")
        menu.setObjectName("menuSettings")
        self.settings_menu = menu
        self.profile_action = self._action("actionProfile", "&Profile\u2026", self.edit_profile, menu, None,
                                           "Your name and role")
        self._action("actionSigningKey", "Signing &Key\u2026", self.open_identity, menu, None,
                     "Your signing key's fingerprint and enrolment file, for your lead assessor")

    # -- the profile ---------------------------------------------------------------------------
    def load_profile(self) -> None:
        from reviewer_app.services.profiles import current_profile

        ctx = self.ctx
        run_task(lambda job: current_profile(ctx), on_success=self.set_profile,
                 on_error=lambda exc: show_error(self.window, exc), owner=self.window)

    def set_profile(self, profile: Profile | None) -> None:
        self.profile = profile
        lead = profile is not None and profile.role == Role.LEAD_ASSESSOR
        self.lead_menu.menuAction().setVisible(lead)
        for action in self.lead_menu.actions():
            action.setEnabled(lead)  # their shortcuts too
        if profile is None:
            self.profile_button.setText("")
            self.profile_button.hide()
        else:
            self.profile_button.setText(f"{profile.name} \u00b7 {role_label(profile.role)}")
            self.profile_button.show()
        if profile is not None:
            self.profileChanged.emit(profile)

    @property
    def is_lead(self) -> bool:
        return self.profile is not None and self.profile.role == Role.LEAD_ASSESSOR

    def edit_profile(self) -> ProfileDialog | None:
        if self.profile is None:
            return None
        dialog = ProfileDialog(self.ctx, self.profile, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._profile_saved)
        dialog.open()
        return dialog

    def _profile_saved(self, profile: Profile) -> None:
        self.set_profile(profile)
        self.window.statusBar().showMessage(
            f"Profile saved: {profile.name}, {role_label(profile.role).lower()}.", 8000)
        refresh = getattr(self.window, "refresh", None)
        if callable(refresh):
            refresh()  # blind review shows or hides candidates with the role

    # -- score batches -------------------------------------------------------------------------
    def choose_and_export_batch(self) -> Task | None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export Score Batch to Folder",
                                                  str(Path.home()))
        return self.export_batch(Path(folder)) if folder else None

    def export_batch(self, folder: Path, include_all: bool = False) -> Task:
        from reviewer_app.gui.lead.batches import export_score_batch

        return export_score_batch(self.window, self.ctx, folder, include_all=include_all,
                                  on_message=self._message_shown)

    def _message_shown(self, box: QMessageBox) -> None:
        self.last_message = box

    def choose_and_import_batches(self) -> Task | None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.window, "Import Score Batches", str(Path.home()),
            "Score batches (*.reviewer-batch.json);;All files (*)")
        return self.import_batches([Path(p) for p in paths]) if paths else None

    def import_batches(self, paths: Sequence[Path]) -> Task:
        """What Lead > Import Score Batches does once the files are chosen."""
        from reviewer_app.gui.lead.batches import import_score_batches

        def done(summary) -> None:  # noqa: ANN001
            self.last_summary = summary
            refresh = getattr(self.window, "refresh", None)
            if callable(refresh):
                refresh()
            self._reload_moderation()

        return import_score_batches(self.window, self.ctx, paths, on_done=done)

    def _reload_moderation(self) -> None:
        from reviewer_app.gui.lead.moderation import ModerationWindow

        for window in self.window.findChildren(ModerationWindow):
            window.reload()

    # -- calibration file (any role) -----------------------------------------------------------
    def choose_and_import_calibration(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import Calibration File", str(Path.home()),
                                              "Calibration files (*.json);;All files (*)")
        if path:
            self.import_calibration(Path(path))

    def import_calibration(self, path: Path) -> Task:
        from reviewer_app.services.calibration import import_calibration

        ctx = self.ctx

        def done(result) -> None:  # noqa: ANN001
            box = QMessageBox(QMessageBox.Icon.Information, "Import Calibration File", result.describe(),
                              QMessageBox.StandardButton.Close, self.window)
            box.setObjectName("calibrationImported")
            box.open()
            self.last_message = box

        return run_task(lambda job: import_calibration(ctx, path), on_success=done,
                        on_error=lambda exc: show_error(self.window, exc, "Calibration file not imported"),
                        owner=self.window)

    # -- windows -------------------------------------------------------------------------------
    def _settings(self):  # noqa: ANN202
        return getattr(self.window, "settings", None)

    def current_submission(self) -> tuple[str, int] | None:
        """The submission selected in the queue: (key, attempt)."""
        ui, model = getattr(self.window, "ui", None), getattr(self.window, "model", None)
        if ui is None or model is None:
            return None
        index = ui.submissionTable.currentIndex()
        if not index.isValid():
            return None
        row = model.row(index.row())
        return (row.key, row.attempt) if row is not None else None

    def open_moderation(self) -> QWidget:
        from reviewer_app.gui.lead.moderation import open_moderation_window

        window = open_moderation_window(self.ctx, self._settings(), self.window)
        refresh = getattr(self.window, "refresh", None)
        if callable(refresh) and not window.property("queueLinked"):
            window.setProperty("queueLinked", True)
            window.recorded.connect(lambda _: refresh())  # the queue shows the new status
        return window

    def open_release(self) -> QWidget:
        from reviewer_app.gui.lead.release_window import open_release_window

        return open_release_window(self.ctx, self.window)

    def open_stats(self) -> QWidget:
        from reviewer_app.gui.stats import open_stats_window

        return open_stats_window(self.ctx, self.window)

    def open_calibration(self) -> QWidget:
        from reviewer_app.gui.lead.calibration import CalibrationDialog
        from reviewer_app.gui.lead.common import single

        return single(self.window, CalibrationDialog,
                      lambda: CalibrationDialog(self.ctx, self.current_submission, self.window))

    def open_exports(self) -> QWidget:
        from reviewer_app.gui.lead.exports_dialog import open_exports_dialog

        return open_exports_dialog(self.ctx, self.window)

    def open_letters(self) -> QWidget:
        from reviewer_app.gui.lead.exports_dialog import open_letters_dialog

        return open_letters_dialog(self.ctx, self.window)

    def open_policies(self) -> QWidget:
        from reviewer_app.gui.lead.policies_dialog import open_policies_dialog

        return open_policies_dialog(self.ctx, self.window)

    def open_identity(self) -> QWidget:
        from reviewer_app.gui.lead.common import single
        from reviewer_app.gui.lead.enrolment_dialog import IdentityDialog

        return single(self.window, IdentityDialog, lambda: IdentityDialog(self.ctx, self.window))

    def open_enrolment(self) -> QWidget:
        from reviewer_app.gui.lead.common import single
        from reviewer_app.gui.lead.enrolment_dialog import EnrolmentDialog

        return single(self.window, EnrolmentDialog, lambda: EnrolmentDialog(self.ctx, self.window))

    def open_audit(self) -> QWidget:
        from reviewer_app.gui.lead.audit_dialog import AuditDialog
        from reviewer_app.gui.lead.common import single

        return single(self.window, AuditDialog, lambda: AuditDialog(self.ctx, self.window))


def install_lead(window: QMainWindow, ctx: AppContext) -> LeadController:
    return LeadController(window, ctx)
