"""Every edit goes to the database at once, in order, off the GUI thread.

One single-threaded pool runs the service calls for a workspace in the order they were
made (Anki's serialized executor for writes). A write counts as done only once the
service call has returned, that is, once its transaction has committed.

A write that fails on the storage (a full disk, a read-only file, the database held by
another process: see ``reviewer_app.store.faults``) is not dropped: the worker tries it
again, every few seconds, and the writes queued after it wait behind it, so their order
holds. ``stalled`` says why it waits (once per new reason), ``resumed`` that it went
through. Any other failure (a refusal, a bug) goes to the caller's ``on_error`` or
``failed``. :meth:`abandon` gives up the waiting writes (the reviewer chose to close
without them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from reviewer_app.errors import Cancelled
from reviewer_app.gui.tasks import run_task
from reviewer_app.store.faults import StorageFault, explain

FIRST_RETRY_S = 0.5
LAST_RETRY_S = 5.0  # the longest wait between two tries


class SerialWriter(QObject):
    pendingChanged = Signal(int)
    failed = Signal(object)
    stalled = Signal(object)  # StorageFault: the writes wait for it, tried again
    resumed = Signal()

    def __init__(self, parent: QObject | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending = 0
        self._folder = folder
        self._wake = threading.Event()
        self._abandoned = threading.Event()
        self.stall: StorageFault | None = None  # (GUI thread) why writes wait, if they do
        self.stalled.connect(self._on_stalled)
        self.resumed.connect(self._on_resumed)

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> None:
        self._pending += 1
        self.pendingChanged.emit(self._pending)

        def done(result: Any) -> None:
            self._pending -= 1
            if on_done is not None:
                on_done(result)
            self.pendingChanged.emit(self._pending)

        def error(exc: BaseException) -> None:
            self._pending -= 1
            if on_error is not None:
                on_error(exc)
            else:
                self.failed.emit(exc)
            self.pendingChanged.emit(self._pending)

        def dropped() -> None:  # abandoned
            self._pending -= 1
            self.pendingChanged.emit(self._pending)

        run_task(lambda job: self._until_stored(fn), on_success=done, on_error=error,
                 on_cancel=dropped, pool=self._pool, owner=self)

    def _until_stored(self, fn: Callable[[], Any]) -> Any:
        """(Worker thread.) ``fn()``, tried again while the storage refuses it."""
        delay, last_kind = FIRST_RETRY_S, None
        while True:
            if self._abandoned.is_set():
                raise Cancelled()
            try:
                result = fn()
            except Cancelled:
                raise
            except BaseException as exc:
                fault = explain(exc, self._folder)
                if fault is None:
                    raise
                if fault.kind != last_kind:
                    self.stalled.emit(fault)
                    last_kind = fault.kind
                self._wake.wait(delay)
                self._wake.clear()
                delay = min(delay * 2, LAST_RETRY_S)
                continue
            if last_kind is not None:
                self.resumed.emit()
            return result

    def _on_stalled(self, fault: StorageFault) -> None:
        self.stall = fault

    def _on_resumed(self) -> None:
        self.stall = None

    def abandon(self) -> None:
        """Give up every write not stored yet."""
        self._abandoned.set()
        self._wake.set()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every queued write is done (closing the window, tests)."""
        return self._pool.waitForDone(msecs)
