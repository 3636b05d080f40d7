"""Starting the window: ``reviewer-app`` with no command calls ``run``."""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import reviewer_app
from reviewer_app import APP_ID, APP_NAME
from reviewer_app.config import AppPaths
from reviewer_app.errors import UserError
from reviewer_app.resources_path import resource

if TYPE_CHECKING:
    from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

#: How long the end waits for work still running on worker threads (Python must not end
#: under a task that is about to call back).
FINISH_WAIT_MS = 5000


def make_application(argv: list[str] | None = None, *, version: bool = True) -> QApplication:
    """The application, with Reviewer's name, style and icon. ``version=False``: its version
    is set later (``set_version``: reading the installed package's metadata costs about
    20 ms, which the start spends after the first paint)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    if version:
        set_version(app)
    app.setOrganizationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    from reviewer_app.gui import style

    style.install(app)
    icon = resource("icons", "reviewer.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app  # type: ignore[return-value]


def set_version(app: QApplication) -> None:
    app.setApplicationVersion(reviewer_app.__version__)


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
        from reviewer_app.gui.errors import show_error

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
    read-only (see ``reviewer_app.gui.single_instance``).

    The window is shown and painted first; then it listens for later starts and the
    database is opened, on a worker thread (``Start``); the queue fills once it is open."""
    app = make_application(version=False)
    install_exception_hooks()
    from reviewer_app.store.owner import FolderBusy, WriterLock

    lock = WriterLock(paths.data_dir) if paths.sqlite_path is not None else None
    view_only = None
    try:
        if lock is not None:
            lock.acquire("the Reviewer window")
    except FolderBusy as busy:
        from reviewer_app.gui import single_instance

        target = str(Path(open_target).resolve()) if open_target and Path(open_target).exists() \
            else open_target
        if single_instance.hand_over(paths.data_dir, target, attempt):
            print("Reviewer is already open on this data folder: "
                  + (f"{open_target} opens there." if open_target else "it was brought to the front."))
            return 0
        view_only = busy.holder.describe() if busy.holder else "another Reviewer window or command"
        lock = None
    from reviewer_app.gui.first_paint import when_painted
    from reviewer_app.gui.main_window import MainWindow

    window = MainWindow(None, paths=paths)
    start = Start(app, window, lock, check=bool(lock and lock.unclean), view_only=view_only)
    if open_target:
        start.pending.append((open_target, attempt))
    if view_only is not None:
        from reviewer_app.gui import single_instance

        single_instance.show_read_only_banner(window, view_only[0].upper() + view_only[1:])
    if os.environ.get("REVIEWER_APP_FIRST_PAINT_FILE"):  # the start-up benchmark
        from reviewer_app.gui.first_paint import watch

        watch(window)
    window.show()
    when_painted(window, start.painted)
    try:
        status = app.exec()
    finally:
        start.finish()
    if start.error is not None:
        raise start.error  # (the command line logs it and says where the log is)
    return status


class Start:
    """Opening the database once the window is on screen: off the GUI thread (SQLAlchemy's
    import, the migrations' check and any integrity check take about a second), then the
    queue fills, the daily backup, the warm-up and the requests made meanwhile follow. A
    damaged database is offered its backup; a database that cannot open is said, and the
    window ends with the error's exit status, as before the window showed."""

    def __init__(self, app: QApplication, window, lock, *, check: bool,  # noqa: ANN001
                 view_only: str | None) -> None:
        self.app, self.window, self.lock, self.check, self.view_only = app, window, lock, check, view_only
        self.ctx: AppContext | None = None
        self.error: BaseException | None = None
        self.pending: list[tuple[str | None, int | None]] = []  # targets asked for meanwhile
        self._pool: QThreadPool | None = None  # the opening's own: waited for at the end
        # Every context opened, self.ctx among them once it is handed over: one opened on the
        # worker after the window went is closed by finish() too.
        self._late: list[AppContext] = []

    def painted(self) -> None:
        set_version(self.app)
        if self.view_only is None:  # the window that writes takes later starts' requests
            from reviewer_app.gui import single_instance

            self.window.instance_server = single_instance.InstanceServer(
                self.window.paths.data_dir, self.open_here, self.window)
        self.open_data()

    def open_data(self) -> None:
        from reviewer_app.gui.tasks import run_task

        paths, check, view_only = self.window.paths, self.check, self.view_only

        def work(job) -> AppContext:  # noqa: ANN001 - a Job
            from reviewer_app.store import context

            ctx = context.AppContext.open(paths, check=check, view_only=view_only)
            self._late.append(ctx)
            import reviewer_app.services.submissions  # noqa: F401  (the queue's reads: here)

            return ctx

        if self._pool is None:
            self._pool = QThreadPool(self.window)
        run_task(work, on_success=self.opened, on_error=self.failed, pool=self._pool)

    def finish(self) -> None:
        """The window has gone: wait for an opening still under way (Python must not end
        under it), close what is open."""
        if self._pool is not None and not self._pool.waitForDone(60_000):
            log.warning("the database was still opening when the window closed")
        # Reads still running (a count, the credentials, the backup): a moment to end.
        QThreadPool.globalInstance().waitForDone(FINISH_WAIT_MS)
        for ctx in self._late:
            ctx.close()
        self.release()

    def opened(self, ctx: AppContext) -> None:
        from PySide6.QtCore import QTimer

        self.ctx, window = ctx, self.window
        window.attach(ctx)
        if self.lock is not None:
            _backup_if_due(ctx)
        _once(window.model.pageShown, window.model.failed, _prewarm)

        def spare() -> None:
            from reviewer_app.gui.workspace.opener import prepare_spare

            prepare_spare(ctx, window.settings)  # the next workspace

        QTimer.singleShot(1500, spare)
        pending, self.pending = self.pending, []
        for target, attempt in pending:
            _open_here(window, target, attempt)

    def failed(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            log.error("opening the data failed", exc_info=exc)
            self.error = exc
            self.app.exit(1)
            return
        if self.lock is not None and offer_restore(exc, self.window):
            self.open_data()  # the backup is in place: open it
            return
        self.release()
        from reviewer_app.gui.errors import show_error

        box = show_error(self.window, exc, "Reviewer cannot start")  # (over the empty window)
        if box is not None:
            box.exec()
        self.app.exit(exc.exit_status)
        self.window.hide()

    def open_here(self, target: str | None, attempt: int | None) -> None:
        """Another start asked for this window (and maybe a target)."""
        if self.ctx is None:
            _open_here(self.window, None, None)
            if target:
                self.pending.append((target, attempt))
        else:
            _open_here(self.window, target, attempt)

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def _once(*signals_then) -> None:  # noqa: ANN002 - signals, then the function
    """Call the function (last) at the first emission of any of the signals."""
    *signals, fn = signals_then
    done = []

    def call(*_: object) -> None:
        if not done:
            done.append(True)
            fn()

    for signal in signals:
        signal.connect(call)


def _prewarm() -> None:
    from PySide6.QtCore import QTimer

    from reviewer_app.gui.prewarm import prewarm

    QTimer.singleShot(0, prewarm)  # after the page is painted


def _backup_if_due(ctx: AppContext) -> None:
    """A daily backup of the database, made off the GUI thread."""
    from reviewer_app.gui.tasks import run_task
    from reviewer_app.store.migrate import head_revision
    from reviewer_app.store.restore import backup_if_due

    db, backups = ctx.paths.sqlite_path, ctx.paths.backup_dir
    assert db is not None
    run_task(lambda job: backup_if_due(db, backups, head_revision()),
             on_error=lambda exc: log.warning("the daily backup failed: %s", exc))


def offer_restore(exc: UserError, parent: QWidget | None = None) -> bool:
    """For a damaged database with a backup: ask, and if the reviewer agrees, put the backup
    in place (the damaged file is kept beside it). True once restored."""
    from reviewer_app.store.restore import StoreDamaged, restore_backup

    if not isinstance(exc, StoreDamaged) or exc.backup is None:
        return False
    box = QMessageBox(QMessageBox.Icon.Critical, "The database is damaged", exc.message,
                      QMessageBox.StandardButton.Cancel, parent)
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
    QMessageBox.information(parent, "Backup restored",
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
