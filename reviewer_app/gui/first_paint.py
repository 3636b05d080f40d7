"""Acting on a window's first paint.

``when_painted`` runs a function once the window has painted for the first time (the start
opens the database then, so that nothing delays the first paint). For the start-up
benchmark (tests/benchmarks/bench_startup.py), when ``REVIEWER_APP_FIRST_PAINT_FILE`` names a
file, ``watch`` writes the moment of the window's first paint there (``time.monotonic()``, the
process's CPU seconds and the modules loaded by then, as JSON) and quits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ENV = "REVIEWER_APP_FIRST_PAINT_FILE"
#: A window that is not painted by then (minimised at start, say) goes on all the same.
FALLBACK_MS = 1500


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.then, self.done = window, then, False
        QApplication.instance().installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self.fire)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (not self.done and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                and obj.window() is self.window):
            # After this paint and the ones queued with it: the whole window is on screen.
            QTimer.singleShot(0, self, self.fire)
            self.done = True
        return False

    def fire(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.then is not None:
            then, self.then, self.done = self.then, None, True
            then()


def when_painted(window: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once ``window`` has first been painted (at the latest after
    ``FALLBACK_MS``)."""
    _FirstPaint(window, then)


class _Report(QObject):
    def __init__(self, window: QWidget, path: str) -> None:
        super().__init__(window)
        self.window, self.path = window, path
        self.painted: dict | None = None
        self.rows: float | None = None
        QApplication.instance().installEventFilter(self)
        window.model.pageShown.connect(self.shown)  # (connected first: it quits before the rest)
        window.model.failed.connect(lambda _exc: QApplication.exit(3))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (self.painted is None and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                and obj.window() is self.window):
            self.painted = {"monotonic": time.monotonic(), "cpu": time.process_time(),
                            "modules": sorted(sys.modules)}
            QApplication.instance().removeEventFilter(self)
            self.report()
        return False

    def shown(self, _count: int) -> None:
        if self.rows is None:
            self.rows = time.monotonic()
            self.report()

    def report(self) -> None:
        """Once both are known (rows on screen come with or after the first paint)."""
        if self.painted is None or self.rows is None:
            return
        with open(self.path, "w", encoding="utf-8") as out:
            json.dump({**self.painted, "rows": max(self.rows, self.painted["monotonic"])}, out)
        QApplication.quit()


def watch(window) -> None:  # noqa: ANN001 - the MainWindow
    """Report ``window``'s first paint and its first page of rows, then quit, if the
    benchmark asked for it."""
    path = os.environ.get(ENV)
    if path:
        _Report(window, path)
