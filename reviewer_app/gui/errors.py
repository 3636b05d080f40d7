"""The one way the window shows an error: plain words, copyable details, and a log."""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from reviewer_app.errors import Cancelled, UserError
from reviewer_app.gui.geometry import fit_window
from reviewer_app.logs import current_log_file
from reviewer_app.store.faults import data_folder, explain

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> tuple[str, str]:
    """(plain words, details) for any exception. A storage fault (disk full, read-only,
    damaged, held by another process) is named as such; nothing here claims work is saved."""
    if isinstance(exc, UserError):
        return exc.message, exc.details
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    fault = explain(exc, data_folder())
    if fault is not None:
        return fault.message, details
    return ("Something unexpected went wrong; what you were doing may not have been done. "
            "The details below are also in the log.", details)


def show_error(parent: QWidget | None, exc: BaseException, title: str = "Reviewer") -> QMessageBox | None:
    if isinstance(exc, Cancelled):
        return None  # the user asked for it: not an error
    text, details = describe(exc)
    log_file = current_log_file()
    if log_file is not None:
        details = (details + "\n\n" if details else "") + f"Log file: {log_file}"
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if details:
        box.setDetailedText(details)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    fit_window(box, "error", remember=False)
    box.open()
    return box
