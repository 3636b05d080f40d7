"""Help > About: the app's version and what it runs on, with the details to copy into a
question to whoever helps (the same as ``reviewer-app --diagnose``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app import APP_NAME, __version__
from reviewer_app.diagnostics import Diagnosis, collect, qt_versions
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.tasks import run_task
from reviewer_app.resources_path import resource
from reviewer_app.store.context import AppContext

PENDING = "\u2026"  # shown until the slower facts (libvlc, MuPDF, keyring) are in

# The rows shown, by the label Diagnosis.rows() gives them; the rest are in "Copy details".
SHOWN = ("Qt", "PySide6", "libvlc", "MuPDF", "Python", "Installed as", "Data folder",
         "Database", "Schema revision", "Keyring")


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.ctx = ctx
        self.diagnosis: Diagnosis | None = None
        self.values: dict[str, QLabel] = {}

        icon = QLabel(self)
        icon.setPixmap(QIcon(str(resource("icons", "reviewer.svg"))).pixmap(64, 64))
        title = QLabel(f"<h2 style='margin:0'>{APP_NAME} {__version__}</h2>"
                       "<p>Review educators' micro-credential evidence, offline.</p>", self)
        title.setObjectName("aboutTitle")
        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, 1)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        qt, pyside = qt_versions()
        for label in SHOWN:
            value = QLabel({"Qt": qt, "PySide6": pyside}.get(label, PENDING), self)
            value.setObjectName(f"about:{label}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            value.setMinimumWidth(380)
            self.values[label] = value
            form.addRow(f"{label}:", value)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy Details", self)
        self.copy_button.setObjectName("copyDetails")
        self.copy_button.setToolTip("Copy everything above, and more, to paste into a message")
        self.copy_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(form)
        layout.addWidget(buttons)
        fit_window(self, "about", remember=False)

        # libvlc, PyMuPDF and the keyring can each take a moment: never on the GUI thread.
        engine = ctx.engine
        self._task = run_task(lambda job: collect(ctx.paths, engine=engine),
                              on_success=self._show, on_error=self._failed, owner=self)

    def _show(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        rows = dict(diagnosis.rows())
        for label, widget in self.values.items():
            widget.setText(rows.get(label, ""))
        plugins = rows.get("VLC plugins")
        if plugins:
            self.values["libvlc"].setToolTip(f"Plugins: {plugins}")
        self.copy_button.setEnabled(True)
        self._fit()

    def _fit(self) -> None:
        """Room for every line now that the longer values are in: a window does not follow
        its wrapped labels' height by itself, so they were cut off (a long data folder)."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        needed = min(needed, self.screen().availableGeometry().height() - 64)  # (its frame)
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)

    def _failed(self, exc: BaseException) -> None:
        for widget in self.values.values():
            if widget.text() == PENDING:
                widget.setText(f"unknown ({type(exc).__name__}: {exc})")

    def is_loaded(self) -> bool:
        return self.diagnosis is not None

    def details_text(self) -> str:
        return self.diagnosis.text() if self.diagnosis is not None else ""

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())
        self.copy_button.setText("Copied")


def show_about(ctx: AppContext, parent: QWidget | None = None) -> AboutDialog:
    dialog = AboutDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
