"""Show Folder: open a folder in the desktop's file manager, or say plainly that none
could be opened and where the folder is (copyable), instead of doing nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from reviewer_app.errors import UserError
from reviewer_app.gui.errors import show_error

log = logging.getLogger(__name__)


def show_folder(parent: QWidget | None, folder: Path | str) -> QMessageBox | None:
    """Open ``folder`` in a file manager; None when one opened, else the message shown."""
    folder = Path(folder)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    log.warning("no file manager could open %s", folder)
    return show_error(parent, UserError(
        f"No file manager could be opened on this computer. The folder is:\n{folder}",
        details=str(folder)), "Show Folder")
