"""A guard against a reference-counting bug of PySide6 6.12.0 on CPython 3.11.

Measured here: with PySide6-Essentials 6.12.0 (the cp310-abi3 wheel) on CPython 3.11, every
call of a Qt method that returns ``None`` (``QWidget.update()``, ``QLabel.setText()``,
``QCoreApplication.processEvents()``...) or a ``bool`` (``Signal.emit()``) takes one reference
from ``None``/``True``/``False`` that it never gave. ``True`` starts with about 150 references,
so about 150 signal emissions later the interpreter aborts with "Fatal Python error:
bool_dealloc" (or "none_dealloc"). PySide6 6.11.3 does not do this, and on CPython 3.12+ those
objects are immortal, so it is harmless there. A media pane makes several such calls per
video frame, so it would bring the app down within seconds of playback.

The proper fix is a dependency pin (``PySide6-Essentials<6.12``) or Python 3.12; until then,
:func:`guard` gives the three singletons a reference count no program can exhaust, which is
what CPython 3.12 does for them anyway. It does nothing on other versions.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_BIG = 1 << 40
_done = False


def affected() -> bool:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    try:
        import PySide6  # noqa: PLC0415
    except ImportError:
        return False
    return PySide6.__version__.startswith("6.12.")


def guard() -> bool:
    """Apply the workaround once per process when needed; True when it is in effect."""
    global _done
    if _done:
        return True
    if not affected():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BIG
    _done = True
    log.warning("PySide6 %s on Python %s.%s: guarding None/True/False against its reference "
                "count bug (pin PySide6-Essentials<6.12 to remove this)",
                __import__("PySide6").__version__, *sys.version_info[:2])
    return True
