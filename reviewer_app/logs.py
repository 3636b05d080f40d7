"""Logging to a rotating file in the data directory (and warnings to stderr)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_configured: Path | None = None


class _LogFile(logging.handlers.RotatingFileHandler):
    """A log file that, when it cannot be written (a full or read-only disk), says so once in
    one line instead of a traceback per record: the app's own message is what matters."""

    _told = False
    _reviewer = True  # marks the app's own handler, to replace it on a second setup

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
        elif not self._told:
            self._told = True
            print(f"note: cannot write the log file {self.baseFilename}: {exc.strerror}",
                  file=sys.stderr)


def setup_logging(log_file: Path, *, level: int = logging.INFO, max_bytes: int = 2_000_000,
                  backups: int = 5) -> Path:
    """Send every log record to ``log_file`` (rotated at ``max_bytes``, ``backups`` kept)."""
    global _configured
    if _configured == log_file:
        return log_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_reviewer", False):
            root.removeHandler(handler)
            handler.close()
    handler = _LogFile(
        log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    _configured = log_file
    return log_file


def current_log_file() -> Path | None:
    return _configured
