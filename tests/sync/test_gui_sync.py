"""Sync in the window (offscreen): the controller runs passes off the GUI thread, the status
bar says online/offline, pending and last sync, the outbox shows each entry's state and
reason and retries a rejected one, the issuer settings sign in."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox

from reviewer_app.gui.sync import (
    IssuerSettingsDialog,
    OutboxDialog,
    OutboxTableModel,
    SyncController,
    install_sync,
)
from reviewer_app.gui.sync.widgets import indicator_text
from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.outbox import EntryView
from reviewer_app.sync.reference_issuer.server import IssuerServer
from reviewer_app.sync.secrets import KeyringTokenStore, Tokens

from support import FAST, PASSWORD, USER, assign_on_issuer, bulk_decisions


@pytest.fixture(autouse=True)
def _event_loops_work(qapp):
    """A quit left pending by an earlier test (an app that ran ``exec()`` and quit) makes every
    later QEventLoop return at once; one short ``exec()`` consumes it and resets that state."""
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, qapp.quit)
    qapp.exec()


def _status(pending=3, rejected=0, profile="ref", last=None):
    return sync.SyncStatus(profile, "reference", pending, 0, 5, rejected, last)


def test_indicator_texts():
    last = datetime.now(UTC).replace(hour=12, minute=4) if datetime.now().astimezone().utcoffset() is None \
        else datetime.now().astimezone().replace(hour=12, minute=4)
    assert indicator_text(_status(last=last), True) == "Online \u00b7 3 pending \u00b7 last sync 12:04"
    assert indicator_text(_status(), False) == "Offline \u00b7 3 pending"
    assert indicator_text(_status(rejected=1), False) == "Offline \u00b7 3 pending \u00b7 1 rejected"
    assert indicator_text(_status(profile=None), None) == "Sync not set up \u00b7 3 pending"
    assert indicator_text(_status(), True, (40, 200)) == "Syncing\u2026 40/200"


def test_outbox_model(qtmodeltester):
    now = datetime.now(UTC)
    model = OutboxTableModel()
    model.set_rows([
        EntryView("u1", "S-1", 1, "earned", "accepted", "duplicate", None, None, 2,
                  now, now, now, "ref", "d1"),
        EntryView("u2", "S-2", 2, "not_yet", "rejected", "rejected", "submission withdrawn", None, 1,
                  now, now, now, "ref", None),
        EntryView("u3", "S-3", 1, "earned", "queued", None, None, "ConnectError", 2,
                  now, now, None, None, None),
    ])
    qtmodeltester.check(model)
    cells = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(3)]
    assert cells[0][:3] == ["S-1 (attempt 1)", "Earned", "Accepted (already received)"]
    assert cells[1][1:4] == ["Not yet", "Rejected", "submission withdrawn"]
    assert cells[2][2:4] == ["Queued", "will retry: ConnectError"]


@pytest.fixture
def window(qtbot, signed_in: AppContext, issuer: IssuerServer):
    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, signed_in, interval_ms=3_600_000, start=False, settings=FAST)
    win.show()
    yield win
    controller.stop()


def test_install_sync_adds_the_indicator_and_the_menu(window: QMainWindow):
    controller = window.sync_controller
    assert isinstance(controller, SyncController)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Sync")
    assert [a.text() for a in menu.actions()] == ["Sync &Now", "&Outbox\u2026", "&Issuer Settings\u2026"]
    assert controller.indicator in window.statusBar().findChildren(type(controller.indicator))


def test_a_pass_runs_off_the_gui_thread_and_the_indicator_follows(qtbot, window: QMainWindow,
                                                                  signed_in: AppContext,
                                                                  issuer: IssuerServer, monkeypatch):
    controller = window.sync_controller
    keys = bulk_decisions(signed_in, 25)
    assign_on_issuer(issuer, keys)
    threads = []
    real = sync.sync_now

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(sync, "sync_now", spy)
    with qtbot.waitSignal(controller.status_changed, timeout=5000):
        controller.refresh_status()
    assert controller.indicator.text().startswith("Not synced yet \u00b7 25 pending")
    with qtbot.waitSignal(controller.pass_finished, timeout=20_000) as finished:
        controller.actions["sync_now"].trigger()
    assert finished.args[0].accepted == 25
    assert threads and threads[0] != threading.get_ident()
    online = "Online \u00b7 0 pending \u00b7 last sync"
    qtbot.waitUntil(lambda: controller.indicator.text().startswith(online), timeout=5000)


def test_the_outbox_shows_the_reason_and_retries_a_rejected_decision(qtbot, window: QMainWindow,
                                                                      signed_in: AppContext,
                                                                      issuer: IssuerServer):
    controller = window.sync_controller
    keys = bulk_decisions(signed_in, 3)
    assign_on_issuer(issuer, keys)
    issuer.store.withdraw(keys[2])
    with qtbot.waitSignal(controller.pass_finished, timeout=20_000):
        controller.sync_now()
    controller.actions["outbox"].trigger()
    dialog = controller.dialogs["outbox"]
    assert isinstance(dialog, OutboxDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=5000)
    model = dialog.model
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first[:4] == [f"{keys[2]} (attempt 1)", "Earned", "Rejected", "submission withdrawn"]
    assert [model.index(r, 2).data() for r in (1, 2)] == ["Accepted", "Accepted"]
    qtbot.waitUntil(lambda: "1 rejected" in controller.indicator.text(), timeout=5000)
    dialog.table.selectRow(1)
    assert not dialog.retry_button.isEnabled()  # accepted: nothing to retry
    dialog.table.selectRow(0)
    assert dialog.retry_button.isEnabled()
    assign_on_issuer(issuer, [keys[2]])  # the issuer reopened it
    with qtbot.waitSignal(controller.pass_finished, timeout=20_000):
        qtbot.mouseClick(dialog.retry_button, qtbot_button())
    qtbot.waitUntil(lambda: [model.index(r, 2).data() for r in range(3)] == ["Accepted"] * 3,
                    timeout=5000)
    assert issuer.store.decision_count() == 3


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_offline_shows_offline_and_keeps_the_decisions(qtbot, app: AppContext):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sync.add_profile(app, "ref", "reference", f"http://127.0.0.1:{port}", USER)
    KeyringTokenStore().save("ref", Tokens("a", "r"))
    bulk_decisions(app, 2)
    win = QMainWindow()
    qtbot.addWidget(win)
    from dataclasses import replace

    controller = install_sync(win, app, start=False, settings=replace(FAST, max_failures=2, patience=0.1))
    with qtbot.waitSignal(controller.pass_finished, timeout=20_000) as finished:
        controller.sync_in_background()
    assert finished.args[0].online is False
    qtbot.waitUntil(lambda: controller.indicator.text() == "Offline \u00b7 2 pending", timeout=5000)
    assert "did not answer" in controller.indicator.toolTip()
    controller.stop()


def test_without_an_issuer_nothing_runs_and_the_indicator_says_so(qtbot, app: AppContext):
    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, app, start=False)
    with qtbot.waitSignal(controller.status_changed, timeout=5000):
        controller.refresh_status()
    assert controller.indicator.text() == "Sync not set up \u00b7 0 pending"
    assert controller.sync_in_background() is None
    controller.stop()


def test_a_refused_pass_is_shown_in_words(qtbot, window: QMainWindow, signed_in: AppContext,
                                          memory_keyring, monkeypatch):
    controller = window.sync_controller
    memory_keyring.items.clear()  # signed out behind the window's back
    shown = []
    monkeypatch.setattr("reviewer_app.gui.sync.widgets.show_error",
                        lambda parent, exc, title="": shown.append(exc.message))
    controller.actions["outbox"].trigger()
    with qtbot.waitSignal(controller.pass_failed, timeout=10_000):
        controller.sync_now()
    assert shown and shown[0].startswith("Sign in to the issuer \u201cref\u201d")
    qtbot.waitUntil(lambda: "Sign in to the issuer" in controller.indicator.toolTip(), timeout=5000)


def test_issuer_settings_add_a_profile_and_sign_in(qtbot, app: AppContext, issuer: IssuerServer,
                                                   memory_keyring, monkeypatch):
    monkeypatch.setattr(QMessageBox, "open", lambda self: None)
    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, app, start=False, settings=FAST)
    controller.actions["issuer_settings"].trigger()
    dialog = controller.dialogs["settings"]
    assert isinstance(dialog, IssuerSettingsDialog)
    qtbot.waitUntil(lambda: "No issuer yet" in dialog.message.text(), timeout=5000)
    dialog.name.setText("ref")
    dialog.url.setText(issuer.url)
    dialog.username.setText(USER)
    dialog.download_hosts.setText("http://127.0.0.2:8080/")
    assert not dialog.public_evidence.isEnabled()  # a Badgr setting
    qtbot.mouseClick(dialog.save_button, qtbot_button())
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Saved ref"), timeout=5000)
    assert [p.name for p in sync.list_profiles(app)] == ["ref"]
    assert sync.get_profile(app, "ref").settings["download_hosts"] == ["http://127.0.0.2:8080"]
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(controller.pass_finished, timeout=20_000):
        qtbot.mouseClick(dialog.sign_in_button, qtbot_button())
    assert dialog.message.text().startswith("Signed in to ref")
    assert dialog.password.text() == ""  # never kept in the form
    assert KeyringTokenStore().load("ref") is not None
    assert all(PASSWORD not in item for item in memory_keyring.history)
    controller.stop()


def test_issuer_settings_the_lead_chooses_the_public_evidence(qtbot, app: AppContext, monkeypatch):
    monkeypatch.setattr(QMessageBox, "open", lambda self: None)
    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, app, start=False, settings=FAST)
    controller.actions["issuer_settings"].trigger()
    dialog = controller.dialogs["settings"]
    qtbot.waitUntil(lambda: "No issuer yet" in dialog.message.text(), timeout=5000)
    dialog.name.setText("canvas")
    dialog.kind.setCurrentIndex(dialog.kind.findData("badgr"))
    dialog.url.setText("https://badgr.example.org")
    dialog.username.setText("lead@example.org")
    assert dialog.public_evidence.isEnabled() and dialog.public_evidence.currentData() == "decision"
    dialog.public_evidence.setCurrentIndex(dialog.public_evidence.findData("levels"))
    qtbot.mouseClick(dialog.save_button, qtbot_button())
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Saved canvas"), timeout=5000)
    assert sync.get_profile(app, "canvas").settings["public_evidence"] == "levels"
    qtbot.waitUntil(lambda: dialog.profiles.count() == 1, timeout=5000)
    qtbot.mouseClick(dialog.new_button, qtbot_button())
    assert dialog.public_evidence.currentData() == "decision"
    dialog.profiles.setCurrentRow(-1)
    dialog.profiles.setCurrentRow(0)  # shown again, as saved
    assert dialog.public_evidence.currentData() == "levels"
    controller.stop()
