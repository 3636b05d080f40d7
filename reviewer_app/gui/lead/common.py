"""Small pieces the lead assessor's windows share: escaping, dates, one window per parent,
the dispute-above-decision split, and a progress dialog bound to a background task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QProgressDialog, QScrollArea, QSplitter, QWidget

from reviewer_app.gui.tasks import Task, run_task

W = TypeVar("W", bound=QWidget)

AGREE_BG = "#e8f4ea"  # reviewers agree
DIFFER_BG = "#fff4d6"  # levels differ, within the allowed gap
DISPUTED_BG = "#fde2d4"  # levels differ by more than the allowed gap
MUTED = "#666666"
EARNED_FG = "#1d7a3a"
NOT_YET_FG = "#b25a00"


def esc(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para(text: str | None) -> str:
    """Plain text as HTML keeping its line breaks."""
    return esc(text).replace("\n", "<br>")


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def single(parent: QWidget | None, cls: type[W], make: Callable[[], W]) -> W:
    """The ``cls`` window already open under ``parent`` (raised), or a new one shown."""
    if parent is not None:
        for existing in parent.findChildren(cls):
            if existing.isVisible():
                existing.raise_()
                existing.activateWindow()
                return existing
    window = make()
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window


def view_over_form(parent: QWidget, view: QWidget,
                   form: QWidget) -> tuple[QSplitter, QScrollArea, QScrollArea]:
    """A dispute (or held decision) above the form that decides it, 3:2, each scrolling on
    its own and neither collapsible; the view is never wider than its pane. Returns the
    splitter and the view's and the form's scroll areas."""
    scrolls = []
    for widget in (view, form):
        scroll = QScrollArea(parent)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        scrolls.append(scroll)
    scrolls[0].setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    split = QSplitter(Qt.Orientation.Vertical, parent)
    for scroll in scrolls:
        split.addWidget(scroll)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    split.setChildrenCollapsible(False)
    return split, scrolls[0], scrolls[1]


def progress_dialog(parent: QWidget, title: str, text: str, task: Task | None = None) -> QProgressDialog:
    """A window-modal progress dialog; Cancel cancels ``task`` (its worker stops at the next
    safe point). Bind a task later with ``bind_cancel``."""
    dialog = QProgressDialog(text, "Cancel", 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(420)
    dialog.setValue(0)
    if task is not None:
        bind_cancel(dialog, task)
    return dialog


def bind_cancel(dialog: QProgressDialog, task: Task) -> None:
    def cancel() -> None:
        task.cancel()
        dialog.setLabelText("Cancelling\u2026")

    dialog.canceled.connect(cancel)


def show_progress(dialog: QProgressDialog | None, done: int, total: int, message: str) -> None:
    if dialog is None:
        return
    if total:
        dialog.setValue(min(1000, int(1000 * done / total)))
    if message:
        dialog.setLabelText(message)


class ReloadsWhenChanged:
    """A lead's window that reloads when what it shows changed elsewhere (the command line,
    another window): on activation, and when asked (``check_changes``), it compares the data's
    version (``data_version(ctx)``, read off the GUI thread) with the one it loaded.

    The window keeps ``ctx``, ``_changes`` (the version loaded; None before the first load),
    ``_loading`` (loads on their way: a check then waits for them), ``reload()`` and a
    ``changesChecked(bool)`` signal; it lists this class before its Qt class."""

    @staticmethod
    def data_version(ctx):  # noqa: ANN001, ANN205 - the window's service (e.g. release.version)
        raise NotImplementedError

    def check_changes(self) -> None:
        """Reload when the data changed since the last load (cheap to call)."""
        ctx, version = self.ctx, self.data_version

        def compared(changes: tuple) -> None:
            changed = not self._loading and self._changes is not None and changes != self._changes
            if changed:
                self.reload()
            self.changesChecked.emit(changed)

        run_task(lambda job: version(ctx), on_success=compared, on_error=lambda exc: None, owner=self)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.check_changes()
