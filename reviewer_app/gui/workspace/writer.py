"""Every edit goes to the database at once, in order, off the GUI thread.

One single-threaded pool runs the service calls for a workspace in the order they were
made (Anki's serialized executor for writes); the window shows "Saving…" while any is
pending and "All changes saved" when none is. A failed write is shown once and the caller
reloads from the database, so the screen never claims something that was not stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from reviewer_app.gui.tasks import run_task


class SerialWriter(QObject):
    pendingChanged = Signal(int)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> None:
        self._pending += 1
        self.pendingChanged.emit(self._pending)

        def done(result: Any) -> None:
            self._finish()
            if on_done is not None:
                on_done(result)

        def error(exc: BaseException) -> None:
            self._finish()
            if on_error is not None:
                on_error(exc)
            else:
                self.failed.emit(exc)

        run_task(lambda job: fn(), on_success=done, on_error=error, pool=self._pool)

    def _finish(self) -> None:
        self._pending -= 1
        self.pendingChanged.emit(self._pending)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every queued write is done (closing the window, tests)."""
        return self._pool.waitForDone(msecs)
