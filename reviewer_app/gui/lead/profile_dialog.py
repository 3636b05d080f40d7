"""Settings > Profile: the name shown on reviews and batches, and the role (reviewer or
lead assessor). The role decides what the services allow; the window follows it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Profile, Role
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.tasks import run_task
from reviewer_app.store.context import AppContext

ROLE_LABELS = {Role.REVIEWER: "Reviewer", Role.LEAD_ASSESSOR: "Lead assessor"}
ROLE_HELP = {
    Role.REVIEWER: "Scores submissions and sends the submitted reviews to the lead assessor "
                   "as score batches (File \u25b8 Export Score Batch).",
    Role.LEAD_ASSESSOR: "Imports reviewers' score batches, settles disputes, sets each "
                        "credential's policy and answers for every final decision sent to the "
                        "issuer. Only in a lead's database: a new data folder made a lead's "
                        "before anything is imported, bound to your key. A reviewer's data "
                        "folder stays a reviewer's: lead actions stay refused there.",
}


def role_label(role: Role) -> str:
    return ROLE_LABELS.get(Role(role), str(role))


class ProfileDialog(QDialog):
    """Change the local profile's name and role (``services.roles.update_self``)."""

    saved = Signal(object)  # Profile

    def __init__(self, ctx: AppContext, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("profileDialog")
        self.setWindowTitle("Profile")
        self.name = QLineEdit(profile.name, self)
        self.name.setObjectName("profileName")
        self.name.setMinimumWidth(280)
        self.role = QComboBox(self)
        self.role.setObjectName("profileRole")
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role)
        self.role.setCurrentIndex(max(0, self.role.findData(profile.role)))
        self.help = QLabel(self)
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: #666666;")
        self.help.setMinimumHeight(self.help.fontMetrics().height() * 3)
        self.role.currentIndexChanged.connect(self._role_changed)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Role:", self.role)
        form.addRow("", self.help)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        intro = QLabel("This profile is who scores in this database: its name goes on your "
                       "reviews and score batches.", self)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._role_changed()
        fit_window(self, "profile", (460, 0), remember=False)

    def _role_changed(self) -> None:
        self.help.setText(ROLE_HELP[self.chosen_role()])

    def chosen_role(self) -> Role:
        return Role(self.role.currentData())  # item data comes back as a plain str

    def save(self) -> None:
        from reviewer_app.services.roles import update_self

        ctx, name, role = self.ctx, self.name.text(), self.chosen_role()
        self.buttons.setEnabled(False)

        def done(profile: Profile) -> None:
            self.saved.emit(profile)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            show_error(self, exc, "Profile not changed")

        run_task(lambda job: update_self(ctx, name=name, role=role), on_success=done,
                 on_error=failed, owner=self)
