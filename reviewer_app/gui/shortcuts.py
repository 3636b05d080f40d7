"""Every frequent action has a shortcut that works on a laptop (no numpad); users can
rebind them, and their bindings are kept in settings.

Actions register here with an id, a label, a group and a default key; the registry applies
the user's binding (or the default) to the QAction, lists them for the help dialog, and
edits them in ``ShortcutsDialog``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.geometry import fit_window


@dataclass
class Binding:
    id: str
    label: str
    group: str
    default: tuple[str, ...]  # the first is shown and edited; others are alternatives
    action: QAction

#: Viewer groups: their keys work only while their viewer is on show (``activate``).
VIEWER_GROUPS = {"Playback", "Document", "Photo"}
#: Groups never on show together (they share the document slot), so a key may mean one
#: thing in each.
EXCLUSIVE_GROUPS = {"Document", "Photo"}


class ShortcutRegistry:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings
        self._bindings: dict[str, Binding] = {}
        self._active: set[str] = set()

    def register(self, action_id: str, action: QAction, group: str,
                 default: str | tuple[str, ...] | list[str] = "", label: str | None = None) -> QAction:
        defaults = (default,) if isinstance(default, str) else tuple(default)
        binding = Binding(action_id, label or action.text().replace("&", "").rstrip("…."),
                          group, tuple(k for k in defaults if k), action)
        self._bindings[action_id] = binding
        self._apply(binding)
        return action

    def activate(self, groups: set[str]) -> None:
        """Give keys to the viewer groups on show; the other viewers' actions have none."""
        # (Called on every show and hide of a viewer: only the groups that change are applied.)
        changed = (set(groups) ^ self._active) & VIEWER_GROUPS
        self._active = set(groups)
        for binding in self._bindings.values():
            if binding.group in changed:
                self._apply(binding)

    def _apply(self, binding: Binding) -> None:
        keys = self.keys_for(binding.id)
        live = binding.group not in VIEWER_GROUPS or binding.group in self._active
        binding.action.setShortcuts([QKeySequence(k) for k in keys] if live else [])
        shown = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
        binding.action.setToolTip(binding.label + (f"  ({shown})" if shown else ""))

    def keys_for(self, action_id: str) -> tuple[str, ...]:
        binding = self._bindings[action_id]
        value = self._settings.value(f"shortcuts/{action_id}")
        if value is None:
            return binding.default
        return tuple(k for k in str(value).split(";;") if k)

    def key_for(self, action_id: str) -> str:
        """The main key of an action ('' when it has none)."""
        keys = self.keys_for(action_id)
        return keys[0] if keys else ""

    def set_key(self, action_id: str, key: str) -> None:
        """Bind one key ('' for none); the default's alternatives stay only with the default."""
        binding = self._bindings[action_id]
        keys = binding.default if binding.default[:1] == (key,) or (not key and not binding.default) \
            else ((key,) if key else ())
        if keys == binding.default:
            self._settings.remove(f"shortcuts/{action_id}")
        else:
            self._settings.setValue(f"shortcuts/{action_id}", ";;".join(keys) or ";;")
        self._apply(binding)

    def bindings(self) -> list[Binding]:
        return sorted(self._bindings.values(), key=lambda b: (b.group, b.label))

    def conflicts(self, pending: dict[str, str] | None = None) -> dict[str, list[str]]:
        """Keys bound to two actions that can be active together: key -> action labels.
        ``pending`` (action id -> key) are choices not yet kept (the dialog's, as typed)."""
        seen: dict[str, list[Binding]] = {}
        for b in self._bindings.values():
            keys = self.keys_for(b.id)
            if pending is not None and b.id in pending and pending[b.id] != (keys[0] if keys else ""):
                keys = (pending[b.id],) if pending[b.id] else ()
            for key in keys:
                normal = QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)
                seen.setdefault(normal, []).append(b)
        clashes = {}
        for key, bindings in seen.items():
            for i, a in enumerate(bindings):
                for b in bindings[i + 1:]:
                    if not (a.group != b.group and {a.group, b.group} <= EXCLUSIVE_GROUPS):
                        clashes.setdefault(key, [])
                        clashes[key] += [x.label for x in (a, b) if x.label not in clashes[key]]
        return clashes


class ShortcutsDialog(QDialog):
    """Lists every shortcut (the keyboard help) and lets the user change them."""

    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        fit_window(self, "shortcuts", (620, 640))
        self.registry = registry
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Every action and its key. Click a key to change it; press "
                                "Backspace in the key field to clear it."))
        bindings = registry.bindings()
        self.table = QTableWidget(len(bindings), 3, self)
        self.table.setHorizontalHeaderLabels(["Group", "Action", "Key"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._editors: dict[str, QKeySequenceEdit] = {}
        for row, b in enumerate(bindings):
            for col, text in enumerate([b.group, b.label]):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
            editor = QKeySequenceEdit(QKeySequence(registry.key_for(b.id)), self.table)
            editor.setObjectName(f"key-{b.id}")
            editor.setMaximumSequenceLength(1)
            editor.setClearButtonEnabled(True)
            editor.setAccessibleName(f"Key for {b.label}")
            editor.keySequenceChanged.connect(self._show_conflicts)
            self.table.setCellWidget(row, 2, editor)
            self._editors[b.id] = editor
        layout.addWidget(self.table)
        self.warning = QLabel("", self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a33;")
        layout.addWidget(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        layout.addWidget(buttons)
        self._show_conflicts()

    def _defaults(self) -> None:
        for b in self.registry.bindings():
            self._editors[b.id].setKeySequence(QKeySequence(b.default[0] if b.default else ""))

    def pending(self) -> dict[str, str]:
        return {action_id: editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
                for action_id, editor in self._editors.items()}

    def _show_conflicts(self) -> None:
        """Flagged as a key is typed, before anything is kept: the warning names the key
        and both actions, and their rows are marked."""
        clashes = self.registry.conflicts(self.pending())
        self.warning.setText("" if not clashes else "\u26a0 Keys used twice: " + "; ".join(
            f"{k} for {' and '.join(v)}" for k, v in clashes.items()))
        clashing = {label for labels in clashes.values() for label in labels}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            base = item.text().removeprefix("\u26a0 ")
            item.setText(f"\u26a0 {base}" if base in clashing else base)

    def accept(self) -> None:
        for action_id, editor in self._editors.items():
            key = editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            if key != self.registry.key_for(action_id):
                self.registry.set_key(action_id, key)
        super().accept()
