"""One window per data folder.

The window that holds the data folder's write lock (``reviewer_app.store.owner``) listens
on a local socket named after the folder. A second ``reviewer-app`` (or ``reviewer-app open
ID``) on the same folder hands its request to that window, which opens the submission and
comes to the front, and then exits. When no window answers (the lock is held by a
command, or by a window on another machine sharing the folder), the second one opens
read-only, with a banner saying who holds the folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QLabel, QMainWindow

log = logging.getLogger(__name__)

ANSWER_MS = 3000


def server_name(data_dir: Path) -> str:
    return "reviewer-app-" + hashlib.sha256(str(data_dir).encode()).hexdigest()[:24]


class InstanceServer(QObject):
    """Takes "open this" requests from later instances: ``handler(target, attempt)``."""

    def __init__(self, data_dir: Path, handler: Callable[[str | None, int | None], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handler = handler
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(data_dir)
        QLocalServer.removeServer(name)  # a socket left by a killed window (we hold the lock)
        if not self.server.listen(name):
            log.warning("cannot listen for other instances: %s", self.server.errorString())
        self.server.newConnection.connect(self._connected)

    def _connected(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        try:
            request = json.loads(bytes(socket.readLine().data()).decode())
            target, attempt = request.get("open"), request.get("attempt")
        except (ValueError, AttributeError):
            socket.disconnectFromServer()
            return
        socket.write(b"ok\n")
        socket.flush()
        log.info("another instance asked to open %s", target or "the window")
        self.handler(target if isinstance(target, str) else None,
                     attempt if isinstance(attempt, int) else None)


def hand_over(data_dir: Path, target: str | None, attempt: int | None) -> bool:
    """Ask the window holding ``data_dir`` to open ``target``; True once it said it will."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(ANSWER_MS):
        return False
    socket.write(json.dumps({"open": target, "attempt": attempt}).encode() + b"\n")
    socket.flush()
    answered = socket.waitForReadyRead(ANSWER_MS) and bytes(socket.readLine().data()) == b"ok\n"
    socket.disconnectFromServer()
    return answered


def show_read_only_banner(window: QMainWindow, holder: str) -> QLabel:
    banner = QLabel(f"<b>Read-only.</b> {holder} is writing to this data folder, so this "
                    "window can show reviews but not change them. Close the other one and "
                    "start Reviewer again to make changes.", window)
    banner.setObjectName("readOnlyBanner")
    banner.setWordWrap(True)
    banner.setStyleSheet("background: #fff3cd; color: #664d03; padding: 6px;")
    layout = window.centralWidget().layout()
    if layout is not None:
        layout.insertWidget(0, banner)
    return banner
