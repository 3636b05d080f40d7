"""Guards the PySide6 pin: a Qt build that leaks references to True/None would abort the
app within seconds of video playback (PySide6 6.12.0 on CPython 3.11 does)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_signals_do_not_eat_references_to_true_or_none(qapp):
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for value in range(200):
        emitter.fired.emit(value)
        qapp.processEvents()
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5, (before, after)
