"""``SyncController``: sync passes on a worker thread, periodically and on demand.

Everything that touches the database, the keyring or the network runs through
``reviewer_app.gui.tasks.run_task`` on the controller's own thread pools (one thread for
passes, so two never overlap; one for quick reads such as the pending count), never on
the GUI thread. Results come back as signals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from reviewer_app.errors import UserError
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.engine import SyncBusy, SyncReport, SyncSettings
from reviewer_app.sync.secrets import TokenStore

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 60_000


class SyncController(QObject):
    #: A ``sync.SyncStatus`` (profile, counts, last sync) was read.
    status_changed = Signal(object)
    pass_started = Signal()
    #: A ``SyncReport``.
    pass_finished = Signal(object)
    #: The exception that stopped a pass (a ``UserError`` says what to do).
    pass_failed = Signal(object)
    progress = Signal("qlonglong", "qlonglong", str)
    #: Outbox entries changed (a pass ended, a retry was queued).
    entries_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None, *,
                 interval_ms: int = DEFAULT_INTERVAL_MS, store: TokenStore | None = None,
                 settings: SyncSettings | None = None, transport: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = store
        self.settings = settings
        self.transport = transport
        self._pass_pool = QThreadPool(self)
        self._pass_pool.setMaxThreadCount(1)
        self._read_pool = QThreadPool(self)
        self._read_pool.setMaxThreadCount(1)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.sync_in_background)
        self._task: Task | None = None
        self._again = False
        self.online: bool | None = None  # None: no pass has reached a verdict yet
        self.status: sync.SyncStatus | None = None
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self.last_pass_at: datetime | None = None

    # -- life ------------------------------------------------------------------------
    def start(self, first_pass_ms: int = 2_000) -> None:
        """Read the status now, sync shortly, then every ``interval_ms``."""
        self.refresh_status()
        self.timer.start()
        if first_pass_ms >= 0:
            QTimer.singleShot(first_pass_ms, self.sync_in_background)

    def stop(self, wait_ms: int = 3_000) -> None:
        """Stop the timer and cancel a running pass (what it did not confirm stays queued)."""
        self.timer.stop()
        if self._task is not None:
            self._task.cancel()
        self._pass_pool.waitForDone(wait_ms)
        self._read_pool.waitForDone(wait_ms)

    @property
    def busy(self) -> bool:
        return self._task is not None

    # -- passes -----------------------------------------------------------------------
    def sync_now(self) -> Task | None:
        """A pass the user asked for: waiting backoffs are skipped."""
        return self._run(sync.sync_now)

    def sync_in_background(self) -> Task | None:
        if self.status is not None and self.status.profile is None:
            return None  # no issuer set up: nothing to do, nothing to report
        return self._run(sync.background_sync)

    def _run(self, fn: Callable[..., SyncReport]) -> Task | None:
        if self._task is not None:
            self._again = True  # run once more when this one ends
            return None
        ctx, store, settings, transport = self.ctx, self.store, self.settings, self.transport
        self._task = run_task(
            lambda job: fn(ctx, None, job, store=store, settings=settings, transport=transport),
            on_success=self._done, on_error=self._failed, on_cancel=self._cancelled,
            on_progress=self.progress.emit, pool=self._pass_pool)
        self.pass_started.emit()
        return self._task

    def _finish(self) -> None:
        self._task = None
        self.last_pass_at = datetime.now().astimezone()
        self.refresh_status()
        self.entries_changed.emit()
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.sync_in_background)

    def _done(self, report: SyncReport) -> None:
        self.last_report = report
        self.online = report.online
        self.last_error = "; ".join(report.problems) or None
        self.pass_finished.emit(report)
        self._finish()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, SyncBusy):
            self._task = None
            return  # the command line is syncing this data folder right now
        self.last_error = exc.message if isinstance(exc, UserError) else f"unexpected error: {exc}"
        if not isinstance(exc, UserError):
            log.error("sync pass failed", exc_info=exc)
        self.pass_failed.emit(exc)
        self._finish()

    def _cancelled(self) -> None:
        self._finish()

    # -- reads and small changes -------------------------------------------------------
    def refresh_status(self) -> None:
        ctx = self.ctx
        run_task(lambda job: sync.status(ctx), on_success=self._set_status,
                 on_error=lambda exc: log.warning("reading the sync status failed: %s", exc),
                 pool=self._read_pool)

    def _set_status(self, status: sync.SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    def load_entries(self, callback: Callable[[list], None], limit: int | None = 5_000) -> Task:
        ctx = self.ctx
        return run_task(lambda job: sync.outbox_entries(ctx, limit), on_success=callback,
                        on_error=lambda exc: log.warning("reading the outbox failed: %s", exc),
                        pool=self._read_pool)

    def retry(self, uid: str) -> Task:
        """Queue a rejected decision again, then sync."""
        ctx = self.ctx

        def queued(_ok: bool) -> None:
            self.entries_changed.emit()
            self.refresh_status()
            self.sync_now()

        return run_task(lambda job: sync.retry_entry(ctx, uid), on_success=queued,
                        on_error=self.pass_failed.emit, pool=self._read_pool)

    def save_badge(self, submission_key: str, attempt: int, path: str,
                   on_success: Callable[[str], None], on_error: Callable[[BaseException], None]) -> Task:
        """Fetch (once), check and save the Open Badge the issuer issued for a decision."""
        ctx, store, transport = self.ctx, self.store, self.transport

        def fetch_and_write(job: object) -> str:
            from reviewer_app.store.atomic_files import atomic_text_file
            from reviewer_app.sync.issued_badges import issued_badge

            badge = issued_badge(ctx, submission_key, attempt, store=store, transport=transport)
            with atomic_text_file(Path(path)) as fh:
                json.dump(badge, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
            return path

        return run_task(fetch_and_write, on_success=on_success, on_error=on_error, pool=self._read_pool)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> Task:
        """Run a small blocking call (profile edits, sign-in) off the GUI thread."""
        return run_task(lambda job: fn(), on_success=on_success, on_error=on_error,
                        pool=self._read_pool)
