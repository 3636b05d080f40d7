"""Long work without Qt: a progress callback and a cancel flag.

Workers (import, hashing, export, sync) take a ``Job``. They call ``job.advance`` as
they go and ``job.check`` at safe points; the CLI turns progress into a terminal bar,
the GUI's thin adapter (``reviewer_app.gui.tasks``) turns it into Qt signals.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reviewer_app.errors import Cancelled

#: progress(done, total, message); ``total`` is 0 when unknown.
ProgressCallback = Callable[[int, int, str], None]


def _ignore(done: int, total: int, message: str) -> None:
    return None


@dataclass
class Job:
    progress: ProgressCallback = _ignore
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    message: str = ""

    def start(self, total: int, message: str) -> None:
        self.done, self.total, self.message = 0, total, message
        self.progress(0, total, message)

    def advance(self, amount: int, message: str | None = None) -> None:
        self.done += amount
        if message is not None:
            self.message = message
        self.progress(self.done, self.total, self.message)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if the user asked to stop."""
        if self.cancel_event.is_set():
            raise Cancelled()


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for a piece of bulk work, and resumed (if it ran).

    Bulk work (a score batch's parsed JSON and rows, a sync pass's claimed entries and
    answers) makes hundreds of thousands of short-lived objects that reference counting
    frees; meanwhile they set off full collections, each of which walks the whole heap
    holding the interpreter lock: a fifth of a batch import's CPU time, and in the window
    (its models, Qt's wrappers) 100-200 ms in which the GUI thread could not run during a
    10,000-decision sync (both measured).
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
