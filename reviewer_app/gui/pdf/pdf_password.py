"""Opening a password-protected PDF: the password row under the toolbar, and the tries.

The pane asks for the password in a row of its own (not a dialog, which would block the
window); a wrong one is asked for again with the tries left, and after
``MAX_PASSWORD_TRIES`` wrong ones, or Cancel, the pane gives up in plain words.
``PasswordMixin`` is mixed into ``PdfPane`` and works on its fields (``_doc``, ``_info``,
``password_row``, ...).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

MAX_PASSWORD_TRIES = 3

PASSWORD_GIVEN_UP = "This PDF is password-protected and cannot be opened without its password."


def wrong_password_prompt(tries: int) -> str | None:
    """What to ask after ``tries`` wrong passwords, or None once the tries are used up."""
    left = MAX_PASSWORD_TRIES - tries
    if left <= 0:
        return None
    return f"That password is not correct. Try again ({'1 try' if left == 1 else f'{left} tries'} left)."


class PasswordRow(QWidget):
    """Password: [........] [Open] [Cancel]. Hidden until a password is asked for."""

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Password:", self)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("Password")
        self.edit.setMaximumWidth(260)
        self.edit.returnPressed.connect(lambda: self.submitted.emit(self.edit.text()))
        self.ok = QPushButton("Open", self)
        self.ok.clicked.connect(lambda: self.submitted.emit(self.edit.text()))
        self.cancel = QPushButton("Cancel", self)
        self.cancel.clicked.connect(self.cancelled)
        row.addWidget(self.label)
        row.addWidget(self.edit)
        row.addWidget(self.ok)
        row.addWidget(self.cancel)
        row.addStretch(1)
        self.hide()

    def set_busy(self, busy: bool) -> None:
        """While a password is being tried, it cannot be typed or sent again."""
        for w in (self.edit, self.ok):
            w.setEnabled(not busy)


class PasswordMixin:
    """The password half of ``PdfPane`` (see the module docstring)."""

    def needs_password(self) -> bool:
        return not self.password_row.isHidden()

    def submit_password(self, password: str) -> None:
        """Try ``password`` on the encrypted document being opened."""
        if self._doc is None or self._info is not None:
            return
        self.password_row.edit.clear()
        self.password_row.set_busy(True)
        self._open(password)

    def cancel_password(self) -> None:
        if self._doc is None or self._info is not None:
            return
        self._give_up_password()

    def _wrong_password(self) -> None:
        self._tries += 1
        prompt = wrong_password_prompt(self._tries)
        if prompt is None:
            self._give_up_password()
        else:
            self._ask_password(prompt)

    def _ask_password(self, prompt: str) -> None:
        self.canvas.set_placeholder("")
        self._set_message(prompt)
        self.password_row.show()
        self.password_row.edit.setFocus()
        self.passwordRequested.emit(prompt)

    def _give_up_password(self) -> None:
        self.password_row.hide()
        self._fail(PASSWORD_GIVEN_UP)
