"""The window keeps answering while a sync of a few hundred decisions runs from it: the GUI
thread is never frozen (not a speed test: a generous bound on the offscreen platform)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QMainWindow

from reviewer_app.gui.sync import install_sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.engine import SyncSettings
from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import assign_on_issuer, bulk_decisions, outbox_rows

#: The longest the GUI thread may go without running a 10 ms timer (a frozen window is
#: seconds; a sync pass's work done on the GUI thread would be hundreds of milliseconds).
MAX_GAP_MS = 100


@pytest.fixture(autouse=True)
def _event_loops_work(qapp):
    """(As in test_gui_sync: consume a quit an earlier test may have left pending.)"""
    QTimer.singleShot(0, qapp.quit)
    qapp.exec()


def test_the_window_keeps_answering_while_it_syncs_hundreds_of_decisions(
        qtbot, signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 400)
    assign_on_issuer(issuer, keys)
    window = QMainWindow()
    qtbot.addWidget(window)
    # Batches of 50: eight requests, each answer recorded and its progress shown.
    controller = install_sync(window, signed_in, interval_ms=3_600_000, start=False,
                              settings=SyncSettings(batch_size=50))
    window.show()
    controller.actions["outbox"].trigger()  # the outbox open: it reloads as the pass ends
    outbox = controller.dialogs["outbox"]
    qtbot.waitUntil(lambda: outbox.model.rowCount() == 400, timeout=10_000)

    clock, ticks = QElapsedTimer(), []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    progress = []
    controller.progress.connect(lambda done, total, _message: progress.append((done, total)))
    clock.start()
    timer.start()
    try:
        with qtbot.waitSignal(controller.pass_finished, timeout=60_000) as finished:
            controller.actions["sync_now"].trigger()  # Sync > Sync Now, as the user starts it
        # And while the window takes in the results (status, indicator, outbox reload).
        qtbot.waitUntil(lambda: outbox.model.entry(0).state == "accepted"
                        and outbox.model.entry(399).state == "accepted", timeout=10_000)
    finally:
        timer.stop()
        controller.stop()
    assert finished.args[0].accepted == 400
    assert {r["state"] for r in outbox_rows(signed_in)} == {"accepted"}
    assert progress and progress[-1] == (400, 400)
    assert len(ticks) > 10
    gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:])]
    assert max(gaps) < MAX_GAP_MS, f"the GUI thread stalled {max(gaps)} ms (ticks: {len(ticks)})"
