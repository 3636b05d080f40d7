"""Starting the window: ``reviewer-app`` with no command calls ``run``."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from reviewer_app import APP_ID, APP_NAME, __version__
from reviewer_app.config import AppPaths
from reviewer_app.errors import UserError
from reviewer_app.gui.errors import show_error
from reviewer_app.resources_path import resource
from reviewer_app.services.context import AppContext

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    from reviewer_app.gui import style

    style.install(app)
    icon = resource("icons", "reviewer.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app  # type: ignore[return-value]


class ErrorReporter(QObject):
    """Shows unhandled exceptions from any thread, on the GUI thread, one dialog at a time:
    errors that come while it is open are logged and counted in it, not stacked on it."""

    report = Signal(object)  # the exception, with its traceback

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box: QMessageBox | None = None
        self.more = 0
        # Queued even from the GUI thread: the dialog opens once the failing code is unwound.
        self.report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _show(self, exc: BaseException) -> None:
        if self.box is not None and self.box.isVisible():
            self.more += 1
            self.box.setInformativeText(
                f"{self.more} more unexpected error{'s' if self.more > 1 else ''} since this "
                "one; each is in the log.")
            return
        self.more = 0
        self.box = show_error(QApplication.activeWindow(), exc)


_reporter: ErrorReporter | None = None


def install_exception_hooks() -> ErrorReporter:
    """Unhandled exceptions on the GUI thread (``sys.excepthook``, which PySide6 calls for an
    exception in a slot or an event handler) and in Python threads (``threading.excepthook``)
    are logged with their traceback and shown in one error dialog, never silently lost."""
    global _reporter
    app = QApplication.instance()
    if _reporter is None or _reporter.parent() is not app:
        _reporter = ErrorReporter(app)
    reporter = _reporter

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("unhandled exception", exc_info=(kind, exc, tb))
        reporter.report.emit(exc.with_traceback(tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit) or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error("unhandled exception in thread %s", name,
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        reporter.report.emit(args.exc_value.with_traceback(args.exc_traceback))

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    return reporter


def run(paths: AppPaths, open_target: str | None = None, attempt: int | None = None) -> int:
    """Open the main window; ``open_target`` (a submission id or a package path) opens a
    workspace on it, importing the package first through the same importer."""
    app = make_application()
    install_exception_hooks()
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
    from reviewer_app.gui.workspace.opener import prepare_spare

    QTimer.singleShot(1500, lambda: prepare_spare(ctx, window.settings))  # the next workspace
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
