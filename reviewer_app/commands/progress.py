"""Long commands' progress on a terminal (sync, batches, exports): one tqdm bar per phase.

Drawn on stderr only when it is a terminal; otherwise silent (the summary and the
problems are printed by the command itself).
"""

from __future__ import annotations

import sys

from reviewer_app.jobs import Job


class TerminalProgress(Job):
    """``unit`` names what is counted (" decisions", " reviews"); phases whose message
    starts with "Downloading" or "Importing" count bytes."""

    def __init__(self, unit: str = " decisions") -> None:
        super().__init__()
        self.unit = unit
        self.progress = self._on_progress
        self._bar = None
        self._shown = 0

    def start(self, total: int, message: str) -> None:
        self.close_bar()
        super().start(total, message)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            from tqdm import tqdm

            in_bytes = message.startswith(("Downloading", "Importing"))
            self._bar = tqdm(total=total or None, desc=message, leave=False, dynamic_ncols=True,
                             unit="B" if in_bytes else self.unit, unit_scale=in_bytes,
                             unit_divisor=1024 if in_bytes else 1000)
            self._shown = 0
        self._bar.update(max(0, done - self._shown))
        self._shown = done

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_bar()
