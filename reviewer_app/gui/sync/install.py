"""``install_sync``: sync in a main window (a status-bar indicator and a Sync menu)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from reviewer_app.gui.sync.controller import DEFAULT_INTERVAL_MS, SyncController
from reviewer_app.gui.sync.widgets import IssuerSettingsDialog, OutboxDialog, SyncIndicator
from reviewer_app.store.context import AppContext


def install_sync(main_window: QMainWindow, ctx: AppContext, *, interval_ms: int = DEFAULT_INTERVAL_MS,
                 start: bool = True, **controller_options: object) -> SyncController:
    """Add the sync indicator to the window's status bar and a Sync menu to its menu bar
    (Sync Now, Outbox…, Issuer Settings…), and start syncing in the background.

    Returns the controller (also kept as ``main_window.sync_controller``); its actions are
    ``controller.actions`` ({"sync_now", "outbox", "issuer_settings"}) for a shortcut registry.
    ``controller_options`` go to ``SyncController`` (``store``, ``settings``, ``transport``).
    """
    controller = SyncController(ctx, main_window, interval_ms=interval_ms, **controller_options)  # type: ignore[arg-type]
    indicator = SyncIndicator(controller, main_window)
    main_window.statusBar().addPermanentWidget(indicator)

    dialogs: dict[str, object] = {}

    def show(name: str, kind: type) -> None:
        """One dialog of each kind, reloaded when shown again."""
        dialog = dialogs.get(name)
        if dialog is None:
            dialog = dialogs[name] = kind(controller, main_window)
        else:
            dialog.reload()  # type: ignore[attr-defined]
        dialog.show()  # type: ignore[attr-defined]
        dialog.raise_()  # type: ignore[attr-defined]

    def show_outbox() -> None:
        show("outbox", OutboxDialog)

    def show_settings() -> None:
        show("settings", IssuerSettingsDialog)

    menu = main_window.menuBar().addMenu("&Sync")
    menu.setObjectName("menuSync")
    sync_now = QAction("Sync &Now", main_window)
    sync_now.setObjectName("actionSyncNow")
    sync_now.setShortcut(QKeySequence("F9"))
    sync_now.triggered.connect(controller.sync_now)
    outbox = QAction("&Outbox\u2026", main_window)
    outbox.setObjectName("actionOutbox")
    outbox.triggered.connect(show_outbox)
    settings = QAction("&Issuer Settings\u2026", main_window)
    settings.setObjectName("actionIssuerSettings")
    settings.triggered.connect(show_settings)
    for action in (sync_now, outbox, settings):
        menu.addAction(action)
    indicator.clicked.connect(show_outbox)

    controller.indicator = indicator  # type: ignore[attr-defined]
    controller.dialogs = dialogs  # type: ignore[attr-defined]
    controller.actions = {"sync_now": sync_now, "outbox": outbox,  # type: ignore[attr-defined]
                          "issuer_settings": settings}
    main_window.sync_controller = controller  # type: ignore[attr-defined]
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(controller.stop)
    if start:
        controller.start()
    return controller
