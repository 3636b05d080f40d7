"""Reviewer identity in the window.

* Settings > Signing Key (any role): your key's fingerprint, to read to your lead assessor,
  and Export Enrolment File.
* Lead > Enrolled Reviewers (a lead assessor): who is enrolled, Enrol (an enrolment file,
  and the fingerprint the reviewer reads out) and Revoke.

The keyring and the database are reached off the GUI thread (``run_task``); refusals show
as every error does (``show_error``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.lead.common import MUTED, when
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.store.context import AppContext


class IdentityDialog(QDialog):
    """This profile's signing key: the fingerprint to read aloud, and the enrolment file."""

    exported = Signal(object)  # Path

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.identity = None
        self.setObjectName("identityDialog")
        self.setWindowTitle("Signing Key")
        intro = QLabel("Your score batches are signed with a key kept in this computer's keyring. "
                       "Send your lead assessor the enrolment file, then read them this "
                       "fingerprint yourself (in person or by phone) so they know the file is yours.",
                       self)
        intro.setWordWrap(True)
        intro.setMinimumHeight(intro.fontMetrics().height() * 4)
        self.name = QLabel("", self)
        self.fingerprint = QLabel("\u2026", self)
        self.fingerprint.setObjectName("fingerprintLabel")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setWeight(QFont.Weight.DemiBold)
        self.fingerprint.setFont(font)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.export_button = self.buttons.addButton("&Export Enrolment File\u2026",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.choose_and_export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.name)
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.buttons)
        self.resize(520, 0)
        self.load()

    def load(self) -> Task:
        from reviewer_app.services.identity import identity

        ctx = self.ctx

        def done(me) -> None:  # noqa: ANN001
            self.identity = me
            self.name.setText(f"{me.name}, profile {me.uid[:8]}")
            self.fingerprint.setText(me.fingerprint)
            self.export_button.setEnabled(True)

        def failed(exc: BaseException) -> None:
            self.fingerprint.setText("No signing key")
            show_error(self, exc, "Signing key not available")

        return run_task(lambda job: identity(ctx), on_success=done, on_error=failed, owner=self)

    def choose_and_export(self) -> Task | None:
        folder = QFileDialog.getExistingDirectory(self, "Export Enrolment File to Folder", str(Path.home()))
        return self.export_to(Path(folder)) if folder else None

    def export_to(self, folder: Path) -> Task:
        from reviewer_app.services.identity import export_enrolment

        ctx = self.ctx

        def done(result) -> None:  # noqa: ANN001
            path, me = result
            self.exported.emit(path)
            QMessageBox.information(self, "Enrolment File", f"Written to {path}.\n\nSend it to your lead "
                                    f"assessor and read them your fingerprint: {me.fingerprint}")

        return run_task(lambda job: export_enrolment(ctx, folder), on_success=done,
                        on_error=lambda exc: show_error(self, exc, "Enrolment file not written"),
                        owner=self)


class EnrolmentDialog(QDialog):
    """The reviewers enrolled in this database (a lead assessor): enrol, revoke, see."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list = []
        self.loads = 0  # how many times the list was shown (the tests wait on it)
        self.setObjectName("enrolmentDialog")
        self.setWindowTitle("Enrolled Reviewers")
        intro = QLabel("Score batches are imported only when signed by a reviewer enrolled here. "
                       "Enrol a reviewer from the enrolment file they send you, with the fingerprint "
                       "they read out to you.", self)
        intro.setWordWrap(True)
        self.table = QTreeWidget(self)
        self.table.setObjectName("enrolmentTable")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Reviewer", "Key fingerprint", "State", "Enrolled"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.enrol_button = QPushButton("&Enrol\u2026", self)
        self.revoke_button = QPushButton("&Revoke", self)
        self.buttons.addButton(self.enrol_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.revoke_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.enrol_button.clicked.connect(self.choose_and_enrol)
        self.revoke_button.clicked.connect(self.confirm_and_revoke)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 320)
        self._update_buttons()
        self.reload()

    def reload(self) -> Task:
        from reviewer_app.services.enrolment import enrolled

        ctx = self.ctx
        return run_task(lambda job: enrolled(ctx), on_success=self._show,
                        on_error=lambda exc: show_error(self, exc, "Enrolled reviewers"), owner=self)

    def _show(self, rows: list) -> None:
        self.rows = list(rows)
        self.loads += 1
        self.table.clear()
        for row in self.rows:
            state = "Enrolled" if row.active else f"Revoked {when(row.revoked_at)}"
            item = QTreeWidgetItem([row.name, row.fingerprint, state, when(row.enrolled_at)])
            if not row.active:
                for col in range(4):
                    item.setForeground(col, QBrush(QColor(MUTED)))
            self.table.addTopLevelItem(item)
        self._update_buttons()
        self.changed.emit()

    def _selected(self):  # noqa: ANN202
        index = self.table.indexOfTopLevelItem(self.table.currentItem()) if self.table.currentItem() else -1
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _update_buttons(self) -> None:
        row = self._selected()
        self.revoke_button.setEnabled(row is not None and row.active)

    def choose_and_enrol(self) -> Task | None:
        path, _ = QFileDialog.getOpenFileName(self, "Enrol a Reviewer", str(Path.home()),
                                              "Enrolment files (*.reviewer-enrolment.json);;All files (*)")
        if not path:
            return None
        told, ok = QInputDialog.getText(
            self, "Enrol a Reviewer", "The fingerprint the reviewer read out to you\n"
            "(not one copied from the file or an email):")
        return self.enrol(Path(path), told) if ok else None

    def enrol(self, path: Path, fingerprint: str) -> Task:
        from reviewer_app.services.enrolment import enrol

        ctx = self.ctx
        return run_task(lambda job: enrol(ctx, path, fingerprint), on_success=lambda _: self.reload(),
                        on_error=lambda exc: show_error(self, exc, "Reviewer not enrolled"), owner=self)

    def confirm_and_revoke(self) -> Task | None:
        row = self._selected()
        if row is None or not row.active:
            return None
        answer = QMessageBox.question(
            self, "Revoke Key", f"Revoke the key of {row.name} ({row.fingerprint})? Batches signed with "
            "it will be refused from now on; those already imported stay.")
        return self.revoke(row.fingerprint) if answer == QMessageBox.StandardButton.Yes else None

    def revoke(self, who: str) -> Task:
        from reviewer_app.services.enrolment import revoke

        ctx = self.ctx
        return run_task(lambda job: revoke(ctx, who), on_success=lambda _: self.reload(),
                        on_error=lambda exc: show_error(self, exc, "Key not revoked"), owner=self)
