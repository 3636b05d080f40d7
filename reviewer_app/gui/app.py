"""Starting the window: ``reviewer-app`` with no command calls ``run``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from reviewer_app import APP_ID, APP_NAME, __version__
from reviewer_app.config import AppPaths
from reviewer_app.errors import UserError
from reviewer_app.gui.errors import install_excepthook, show_error
from reviewer_app.resources_path import resource
from reviewer_app.services.context import AppContext

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    icon = resource("icons", "reviewer.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app  # type: ignore[return-value]


def run(paths: AppPaths, open_target: str | None = None, attempt: int | None = None) -> int:
    """Open the main window; ``open_target`` (a submission id or a package path) opens a
    workspace on it, importing the package first through the same importer."""
    app = make_application()
    install_excepthook()
    try:
        ctx = AppContext.open(paths)
    except UserError as exc:
        box = show_error(None, exc, "Reviewer cannot start")
        if box is not None:
            box.exec()
        return exc.exit_status
    from reviewer_app.gui.main_window import MainWindow

    window = MainWindow(ctx)
    window.show()
    from PySide6.QtCore import QTimer

    from reviewer_app.gui.prewarm import prewarm

    QTimer.singleShot(0, prewarm)
    if open_target:
        target = Path(open_target)
        if target.exists():
            window.import_path(target, open_after=True)
        else:
            window.open_submission(open_target, attempt)
    try:
        return app.exec()
    finally:
        ctx.close()
