"""Sync in the window: a controller running sync passes on a worker thread, the status-bar
indicator, the outbox view and the issuer settings. ``install_sync`` puts them in a main window.
"""

from __future__ import annotations

from reviewer_app.gui.sync.controller import SyncController
from reviewer_app.gui.sync.install import install_sync
from reviewer_app.gui.sync.widgets import (
    IssuerSettingsDialog,
    OutboxDialog,
    OutboxTableModel,
    SyncIndicator,
)

__all__ = ["IssuerSettingsDialog", "OutboxDialog", "OutboxTableModel", "SyncController",
           "SyncIndicator", "install_sync"]
