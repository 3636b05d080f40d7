"""The thin Qt adapter for Qt-free workers.

``run_task(fn, ...)`` runs ``fn(job)`` on the thread pool; the ``Job``'s progress
callback and the result or exception come back to the GUI thread as queued signals.
Progress is throttled so that a fast worker cannot flood the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from reviewer_app.errors import Cancelled
from reviewer_app.jobs import Job

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # seconds between progress signals


class TaskSignals(QObject):
    # 'qlonglong': byte counts of large videos overflow a 32-bit int.
    progress = Signal("qlonglong", "qlonglong", str)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()


class Task(QRunnable):
    def __init__(self, fn: Callable[[Job], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = TaskSignals()
        self.job = Job(progress=self._progress)
        self._last_emit = 0.0

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last_emit >= PROGRESS_INTERVAL or (total and done >= total):
            self._last_emit = now
            self.signals.progress.emit(done, total, message)

    def cancel(self) -> None:
        self.job.cancel()

    def run(self) -> None:
        try:
            result = self.fn(self.job)
        except Cancelled:
            self.signals.cancelled.emit()
        except KeyboardInterrupt:
            self.signals.cancelled.emit()
        except BaseException as exc:
            if not hasattr(exc, "message"):
                log.exception("background task failed")
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


_running: set[Task] = set()


def running() -> int:
    """How many tasks were started and have not yet finished. A task counts until its
    ``finished`` signal reaches the GUI thread, after its result's callbacks have run, so
    at 0 every callback of every task started so far has run (tests wait on this)."""
    return len(_running)


def _alive(owner: QObject | None, callback: Callable[..., None]) -> Callable[..., None]:
    """The callback, dropped once ``owner`` (the widget it updates) has been destroyed."""
    if owner is None:
        return callback

    def guarded(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return guarded


def run_task(fn: Callable[[Job], Any], *, on_success: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None,
             on_progress: Callable[[int, int, str], None] | None = None,
             on_cancel: Callable[[], None] | None = None,
             pool: QThreadPool | None = None, owner: QObject | None = None) -> Task:
    """Run ``fn(job)`` off the GUI thread; callbacks run on the GUI thread, and not at all
    if ``owner`` was destroyed meanwhile (a window closed while its work finished)."""
    task = Task(fn)
    if on_success:
        task.signals.succeeded.connect(_alive(owner, on_success))
    if on_error:
        task.signals.failed.connect(_alive(owner, on_error))
    if on_progress:
        task.signals.progress.connect(_alive(owner, on_progress))
    if on_cancel:
        task.signals.cancelled.connect(_alive(owner, on_cancel))
    _running.add(task)
    task.signals.finished.connect(lambda: _running.discard(task))
    (pool or QThreadPool.globalInstance()).start(task)
    return task
