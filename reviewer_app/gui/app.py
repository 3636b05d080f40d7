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
from reviewer_app.store.context import AppContext

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
    workspace on it, importing the package first through the same importer. When another
    window holds the data folder, the request goes to it; failing that, this window opens
    read-only (see ``reviewer_app.gui.single_instance``)."""
    app = make_application()
    install_exception_hooks()
    from reviewer_app.gui import single_instance
    from reviewer_app.store.owner import FolderBusy, WriterLock

    lock = WriterLock(paths.data_dir) if paths.sqlite_path is not None else None
    view_only = None
    try:
        if lock is not None:
            lock.acquire("the Reviewer window")
    except FolderBusy as busy:
        target = str(Path(open_target).resolve()) if open_target and Path(open_target).exists() \
            else open_target
        if single_instance.hand_over(paths.data_dir, target, attempt):
            print("Reviewer is already open on this data folder: "
                  + (f"{open_target} opens there." if open_target else "it was brought to the front."))
            return 0
        view_only = busy.holder.describe() if busy.holder else "another Reviewer window or command"
        lock = None
    check = bool(lock and lock.unclean)
    while True:
        try:
            ctx = AppContext.open(paths, check=check, view_only=view_only)
            break
        except UserError as exc:
            if lock is not None and offer_restore(exc):
                continue  # the backup is in place: open it
            if lock is not None:
                lock.release()
            box = show_error(None, exc, "Reviewer cannot start")
            if box is not None:
                box.exec()
            return exc.exit_status
    from reviewer_app.gui.main_window import MainWindow

    window = MainWindow(ctx)
    if lock is not None:
        _backup_if_due(ctx)
    if view_only is not None:
        single_instance.show_read_only_banner(window, view_only[0].upper() + view_only[1:])
    else:
        window.instance_server = single_instance.InstanceServer(
            paths.data_dir, lambda target, n: _open_here(window, target, n), window)
    window.show()
    from PySide6.QtCore import QTimer

    from reviewer_app.gui.prewarm import prewarm

    QTimer.singleShot(0, prewarm)
    from reviewer_app.gui.workspace.opener import prepare_spare

    QTimer.singleShot(1500, lambda: prepare_spare(ctx, window.settings))  # the next workspace
    if open_target:
        _open_here(window, open_target, attempt)
    try:
        return app.exec()
    finally:
        ctx.close()
        if lock is not None:
            lock.release()


def _backup_if_due(ctx: AppContext) -> None:
    """A daily backup of the database, made off the GUI thread."""
    from reviewer_app.gui.tasks import run_task
    from reviewer_app.store.migrate import head_revision
    from reviewer_app.store.restore import backup_if_due

    db, backups = ctx.paths.sqlite_path, ctx.paths.backup_dir
    assert db is not None
    run_task(lambda job: backup_if_due(db, backups, head_revision()),
             on_error=lambda exc: log.warning("the daily backup failed: %s", exc))


def offer_restore(exc: UserError) -> bool:
    """For a damaged database with a backup: ask, and if the reviewer agrees, put the backup
    in place (the damaged file is kept beside it). True once restored."""
    from reviewer_app.store.restore import StoreDamaged, restore_backup

    if not isinstance(exc, StoreDamaged) or exc.backup is None:
        return False
    box = QMessageBox(QMessageBox.Icon.Critical, "The database is damaged", exc.message,
                      QMessageBox.StandardButton.Cancel)
    box.setObjectName("restoreDialog")
    box.setDetailedText(exc.details)
    restore = box.addButton("Restore Backup", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not restore:
        return False
    try:
        kept = restore_backup(exc.db_path, exc.backup.path)
    except OSError as error:
        log.error("restoring %s failed: %s", exc.backup.path, error)
        return False
    QMessageBox.information(None, "Backup restored",
                            f"The backup {exc.backup.describe()} is in place. The damaged "
                            f"file is kept as {kept.name}; changes made after the backup "
                            "are not in it.")
    return True


def _open_here(window, target: str | None, attempt: int | None) -> None:  # noqa: ANN001 - MainWindow
    window.showNormal() if window.isMinimized() else window.show()
    window.raise_()
    window.activateWindow()
    if not target:
        return
    path = Path(target)
    if path.exists():
        window.import_path(path, open_after=True)
    else:
        window.open_submission(target, attempt)
