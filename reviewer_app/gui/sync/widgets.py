"""The status-bar indicator, the outbox view and the issuer settings dialog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import FitScrollArea, fit_window
from reviewer_app.gui.sync.controller import SyncController
from reviewer_app.services import sync
from reviewer_app.sync.outbox import EntryView

STATE_LABELS = {"queued": "Queued", "sending": "Sending", "accepted": "Accepted",
                "rejected": "Rejected"}
DECISION_LABELS = {"earned": "Earned", "not_yet": "Not yet"}


def _alive(owner: QWidget, callback: Callable[..., None]) -> Callable[..., None]:
    """The callback, skipped if ``owner`` was closed and deleted while the work ran."""

    def guarded(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return guarded


def _clock(when: datetime | None) -> str:
    if when is None:
        return ""
    local = when.astimezone()
    return local.strftime("%H:%M") if local.date() == datetime.now().astimezone().date() \
        else local.strftime("%Y-%m-%d %H:%M")


def indicator_text(status: sync.SyncStatus | None, online: bool | None,
                   progress: tuple[int, int] | None = None) -> str:
    """"Online · 3 pending · last sync 12:04", "Offline · 3 pending", "Syncing… 40/200"."""
    if status is None:
        return "Sync: \u2026"
    pending = f"{status.pending} pending"
    if progress is not None:
        done, total = progress
        head = f"Syncing\u2026 {done}/{total}" if total else "Syncing\u2026"
        return head
    if status.profile is None:
        parts = ["Sync not set up", pending]
    elif online is False:
        parts = ["Offline", pending]
    else:
        parts = ["Online" if online else "Not synced yet", pending]
        if status.last_sync_at is not None:
            parts.append(f"last sync {_clock(status.last_sync_at)}")
    if status.rejected:
        parts.append(f"{status.rejected} rejected")
    return " \u00b7 ".join(parts)


class SyncIndicator(QLabel):
    """The status bar's sync state; a click opens the outbox."""

    clicked = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.controller = controller
        self._progress: tuple[int, int] | None = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        controller.status_changed.connect(self._update)
        controller.pass_started.connect(self._started)
        controller.pass_finished.connect(self._ended)
        controller.pass_failed.connect(self._ended)
        controller.progress.connect(self._on_progress)
        self._update()

    def _started(self) -> None:
        self._progress = (0, 0)
        self._update()

    def _ended(self, *_: object) -> None:
        self._progress = None
        self._update()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if self._progress is not None and message.startswith("Sending"):
            self._progress = (done, total)
            self._update()

    def _update(self, *_: object) -> None:
        c = self.controller
        self.setText(indicator_text(c.status, c.online, self._progress))
        tip = []
        if c.status is not None and c.status.profile:
            tip.append(f"Issuer: {c.status.profile}")
        if c.last_error:
            tip.append(c.last_error)
        tip.append("Click to see the outbox")
        self.setToolTip("\n".join(tip))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class OutboxTableModel(QAbstractTableModel):
    """Outbox entries: submission, decision, state, reason, when."""

    HEADERS = ("Submission", "Decision", "State", "Reason", "When")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[EntryView] = []

    def set_rows(self, rows: list[EntryView]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def entry(self, row: int) -> EntryView:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        e = self._rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return e.uid
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = index.column()
        if column == 0:
            return f"{e.submission_key} (attempt {e.attempt})"
        if column == 1:
            return DECISION_LABELS.get(e.decision, e.decision)
        if column == 2:
            label = STATE_LABELS.get(e.state, e.state)
            if e.state == "accepted" and e.result == "duplicate":
                label += " (already received)"
            return label
        if column == 3:
            if e.state == "rejected":
                return e.reason or "rejected by the issuer"
            if e.state == "accepted":
                return e.reason or ("Open Badge issued" if e.badge_url else "")
            return f"will retry: {e.last_error}" if e.last_error and e.tries else (e.last_error or "")
        if column == 4:
            if e.state in ("accepted", "rejected"):
                return _clock(e.done_at)
            return f"next try {_clock(e.next_attempt_at)}" if e.tries else _clock(e.created_at)
        return None


class OutboxDialog(QDialog):
    """Every submitted decision and where it is; Retry sends a rejected one again."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxDialog")
        self.setWindowTitle("Outbox")
        fit_window(self, "outbox", (820, 420))
        self.controller = controller
        self.summary = QLabel(self)
        self.model = OutboxTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        em = self.table.fontMetrics().horizontalAdvance("M")
        for column, width in ((0, 14), (1, 6), (2, 12), (4, 9)):
            header.resizeSection(column, width * em)
        self.retry_button = QPushButton("&Retry", self)
        self.retry_button.setObjectName("retryButton")
        self.retry_button.setToolTip("Send the selected rejected decision again (same decision, "
                                     "same key: it can never count twice)")
        self.retry_button.setEnabled(False)
        self.badge_button = QPushButton("Save &Badge\u2026", self)
        self.badge_button.setObjectName("saveBadgeButton")
        self.badge_button.setToolTip("Fetch the Open Badge the issuer issued for the selected "
                                     "decision, check its signature, and save it (JSON)")
        self.badge_button.setEnabled(False)
        self.note = QLabel(self)
        self.note.setObjectName("outboxNote")
        self.note.setWordWrap(True)
        self.sync_button = QPushButton("&Sync Now", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        row = QHBoxLayout()
        row.addWidget(self.retry_button)
        row.addWidget(self.badge_button)
        row.addWidget(self.sync_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addLayout(row)
        buttons.rejected.connect(self.close)
        self.retry_button.clicked.connect(self.retry_selected)
        self.badge_button.clicked.connect(self.save_badge)
        self.sync_button.clicked.connect(controller.sync_now)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        controller.entries_changed.connect(self.reload)
        controller.status_changed.connect(self._update_summary)
        controller.pass_failed.connect(self._failed)
        self._update_summary()
        self.reload()

    def reload(self) -> None:
        self.controller.load_entries(_alive(self, self._loaded))

    def _loaded(self, rows: list[EntryView]) -> None:
        selected = self.selected_entry()
        self.model.set_rows(rows)
        if selected is not None:
            for i in range(self.model.rowCount()):
                if self.model.entry(i).uid == selected.uid:
                    self.table.selectRow(i)
                    break
        self._selection_changed()

    def selected_entry(self) -> EntryView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.entry(rows[0].row()) if rows else None

    def _selection_changed(self, *_: object) -> None:
        entry = self.selected_entry()
        self.retry_button.setEnabled(entry is not None and entry.state == "rejected")
        self.badge_button.setEnabled(entry is not None and bool(entry.badge_url))

    def save_badge(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.badge_url:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Open Badge", f"{entry.submission_key}-attempt-{entry.attempt}.json",
            "Open Badge (*.json)")
        if not path:
            return
        self.badge_button.setEnabled(False)
        self.note.setText(f"Fetching the Open Badge of {entry.submission_key} "
                          f"(attempt {entry.attempt})\u2026")

        def saved(where: str) -> None:
            self.note.setText(f"Saved the Open Badge of {entry.submission_key} (attempt "
                              f"{entry.attempt}), signature checked, to {where}")
            self._selection_changed()

        def failed(exc: BaseException) -> None:
            self.note.setText("")
            self._selection_changed()
            show_error(self, exc, "Open Badge")

        self.controller.save_badge(entry.submission_key, entry.attempt, path,
                                   _alive(self, saved), _alive(self, failed))

    def retry_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.state == "rejected":
            self.retry_button.setEnabled(False)
            self.controller.retry(entry.uid)

    def _update_summary(self, *_: object) -> None:
        self.summary.setText(indicator_text(self.controller.status, self.controller.online))

    def _failed(self, exc: BaseException) -> None:
        if self.isVisible():
            show_error(self, exc, "Sync")


class IssuerSettingsDialog(QDialog):
    """Issuer profiles: add or change one, sign in and out, choose the default."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("issuerSettingsDialog")
        self.setWindowTitle("Issuer Settings")
        self.controller = controller
        self.profiles = QListWidget(self)
        self.name = QLineEdit(self)
        self.kind = QComboBox(self)
        self.kind.addItem("Reviewer issuer API", "reference")
        self.kind.addItem("Badgr v2 (Canvas Credentials)", "badgr")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://issuer.example.org")
        self.username = QLineEdit(self)
        self.allow_http = QCheckBox("Allow plain http to this host (tokens travel unprotected)", self)
        self.make_default = QCheckBox("Default issuer", self)
        self.badge_classes = QPlainTextEdit(self)
        self.badge_classes.setPlaceholderText("credential-id = badge class entityId, one per line")
        self.badge_classes.setMaximumHeight(80)
        self.evidence_url = QLineEdit(self)
        self.evidence_url.setPlaceholderText("https://lms.example/submissions/{submission_id}")
        self.public_evidence = QComboBox(self)
        for label, value in (("The decision and the link", "decision"),
                             ("The decision and each criterion's level", "levels"),
                             ("Levels and the feedback to the candidate too", "full")):
            self.public_evidence.addItem(label, value)
        self.public_evidence.setToolTip("What anyone who sees the badge can read in its evidence")
        self.download_hosts = QLineEdit(self)
        self.download_hosts.setPlaceholderText("other sites packages may come from (no sign-in sent)")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("only to sign in; never stored")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("issuerMessage")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Address", self.url)
        form.addRow("User name", self.username)
        form.addRow("", self.allow_http)
        form.addRow("", self.make_default)
        form.addRow("Badge classes", self.badge_classes)
        form.addRow("Evidence link", self.evidence_url)
        form.addRow("Public evidence", self.public_evidence)
        form.addRow("Download sites", self.download_hosts)
        form.addRow("Password", self.password)
        self.save_button = QPushButton("&Save", self)
        self.sign_in_button = QPushButton("Sign &In", self)
        self.sign_out_button = QPushButton("Sign &Out", self)
        self.remove_button = QPushButton("&Remove", self)
        self.new_button = QPushButton("&New", self)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.sign_in_button, self.sign_out_button,
                  self.remove_button):
            buttons.addWidget(b)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.close)
        right = QVBoxLayout()
        right.addWidget(FitScrollArea(form, self), 1)  # scrolls on a short screen
        right.addLayout(buttons)
        right.addWidget(self.message)
        right.addWidget(close)
        layout = QHBoxLayout(self)
        layout.addWidget(self.profiles, 1)
        layout.addLayout(right, 3)
        fit_window(self, "issuerSettings")
        self.profiles.currentTextChanged.connect(self._show)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.new_button.clicked.connect(self._new)
        self.save_button.clicked.connect(self.save)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_out_button.clicked.connect(self.sign_out)
        self.remove_button.clicked.connect(self.remove)
        self._rows: dict[str, Any] = {}
        self._kind_changed()
        self.reload()

    # -- data --------------------------------------------------------------------------
    def _call(self, fn, done, what: str) -> None:  # noqa: ANN001
        self.message.setText(f"{what}\u2026")
        self.controller.run(fn, _alive(self, done), _alive(self, self._error))

    def _error(self, exc: BaseException) -> None:
        self.message.setText(getattr(exc, "message", None) or str(exc))
        show_error(self, exc, "Issuer Settings")

    def reload(self, select: str | None = None) -> None:
        ctx = self.controller.ctx

        def loaded(rows: list) -> None:
            self._rows = {p.name: p for p in rows}
            current = select or self.profiles.currentItem() and self.profiles.currentItem().text()
            self.profiles.blockSignals(True)
            self.profiles.clear()
            for p in rows:
                self.profiles.addItem(p.name)
            self.profiles.blockSignals(False)
            names = [p.name for p in rows]
            if current in names:
                self.profiles.setCurrentRow(names.index(current))
            elif names:
                self.profiles.setCurrentRow(0)
            else:
                self._new()
            if not rows:
                self.message.setText("No issuer yet: fill in the form and Save.")

        self.controller.run(lambda: sync.list_profiles(ctx), _alive(self, loaded),
                            _alive(self, self._error))

    def _new(self) -> None:
        self.profiles.clearSelection()
        for w in (self.name, self.url, self.username, self.evidence_url, self.password,
                  self.download_hosts):
            w.clear()
        self.public_evidence.setCurrentIndex(0)
        self.badge_classes.clear()
        self.name.setReadOnly(False)
        self.kind.setEnabled(True)
        self.allow_http.setChecked(False)
        self.make_default.setChecked(not self._rows)

    def _show(self, name: str) -> None:
        p = self._rows.get(name)
        if p is None:
            return
        self.name.setText(p.name)
        self.name.setReadOnly(True)
        self.kind.setCurrentIndex(max(0, self.kind.findData(p.kind)))
        self.kind.setEnabled(False)
        self.url.setText(p.base_url)
        self.username.setText(p.username)
        self.allow_http.setChecked(p.allow_http)
        self.make_default.setChecked(p.is_default)
        classes = p.settings.get("badge_classes", {})
        self.badge_classes.setPlainText("\n".join(f"{k} = {v}" for k, v in classes.items()))
        self.evidence_url.setText(p.settings.get("evidence_url") or "")
        self.public_evidence.setCurrentIndex(max(0, self.public_evidence.findData(
            p.settings.get("public_evidence", "decision"))))
        self.download_hosts.setText(" ".join(p.settings.get("download_hosts") or ()))
        self.password.clear()

    def _kind_changed(self, *_: object) -> None:
        badgr = self.kind.currentData() == "badgr"
        self.badge_classes.setEnabled(badgr)
        self.evidence_url.setEnabled(badgr)
        self.public_evidence.setEnabled(badgr)

    def _settings(self) -> dict[str, Any]:
        hosts = {"download_hosts": self.download_hosts.text().replace(",", " ").split()}
        if self.kind.currentData() != "badgr":
            return hosts
        classes = {}
        for line in self.badge_classes.toPlainText().splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                classes[key.strip()] = value.strip()
        settings: dict[str, Any] = {"badge_classes": classes, **hosts,
                                    "public_evidence": self.public_evidence.currentData()}
        if self.evidence_url.text().strip():
            settings["evidence_url"] = self.evidence_url.text().strip()
        return settings

    def save(self) -> None:
        ctx = self.controller.ctx
        name, kind = self.name.text().strip(), self.kind.currentData()
        url, user = self.url.text().strip(), self.username.text().strip()
        allow, default = self.allow_http.isChecked(), self.make_default.isChecked()
        settings = self._settings()
        existing = name in self._rows

        def work():  # noqa: ANN202
            if existing:
                current = sync.get_profile(ctx, name)
                merged = {**current.settings, **settings}
                return sync.update_profile(ctx, name, base_url=url, username=user,
                                              allow_http=allow, settings=merged, make_default=default)
            return sync.add_profile(ctx, name, kind, url, user, allow_http=allow,
                                       settings=settings, make_default=default)

        def saved(profile) -> None:  # noqa: ANN001
            self.message.setText(f"Saved {profile.name}. Sign in with your password.")
            self.reload(profile.name)
            self.controller.refresh_status()

        self._call(work, saved, "Saving")

    def sign_in(self) -> None:
        ctx, store = self.controller.ctx, self.controller.store
        name, password = self.name.text().strip(), self.password.text()
        transport = self.controller.transport
        self.password.clear()

        def signed_in(profile) -> None:  # noqa: ANN001
            self.message.setText(f"Signed in to {profile.name} as {profile.username}; the tokens "
                                 "are in the system keyring.")
            self.controller.sync_now()

        self._call(lambda: sync.login(ctx, name, password, store=store, transport=transport),
                   signed_in, "Signing in")

    def sign_out(self) -> None:
        ctx, store, name = self.controller.ctx, self.controller.store, self.name.text().strip()
        self._call(lambda: sync.logout(ctx, name, store=store, transport=self.controller.transport),
                   lambda p: self.message.setText(f"Signed out of {p.name}."), "Signing out")

    def remove(self) -> None:
        ctx, store, name = self.controller.ctx, self.controller.store, self.name.text().strip()

        def removed(_: object) -> None:
            self.message.setText(f"Removed {name}.")
            self.reload()
            self.controller.refresh_status()

        self._call(lambda: sync.remove_profile(ctx, name, store), removed, "Removing")
