"""Opening the workspace on a submission: everything it needs is loaded off the GUI thread.

Building a workspace window (viewers, docks, menus, keys) and laying it out the first time
takes longer than libvlc needs for a first picture, so one window is built ahead of time
(:func:`prepare_spare`, once the queue is on screen and idle, in small steps so the queue
never stalls), laid out while hidden, and an opening only binds the submission to it. A
closed workspace window is emptied and kept as the next spare.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QWidget

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import annotations, reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

_open: dict[tuple[str, int], QWidget] = {}
_spare: list[QWidget] = []  # at most one workspace window, built and laid out, hidden
_building: list[QWidget] = []  # the viewers of a spare being built
_loading: set[tuple[str, int | None]] = set()  # openings asked for and not yet shown


def load_workspace_data(ctx: AppContext, key: str, attempt: int | None):  # noqa: ANN201
    detail = get_submission(ctx, key, attempt)
    review = reviews.start_review(ctx, detail.attempt_id)
    return detail, review, annotations.list_notes(ctx, review.uid)


def prepare_spare(ctx: AppContext, settings: QSettings) -> None:
    """Build a workspace window ahead, hidden, so the next opening only binds a submission
    to it. Harmless to call more than once."""
    if _spare or _building:
        return
    from reviewer_app.gui.workspace.evidence_viewer import EvidenceViewer

    _building.append(EvidenceViewer(ctx))  # the viewers first (about half the work) ...
    QTimer.singleShot(0, lambda: _finish_spare(ctx, settings))


def _finish_spare(ctx: AppContext, settings: QSettings) -> None:
    """... then, in the next turn of the event loop, the window around them."""
    from reviewer_app.gui.workspace.window import WorkspaceWindow

    if not _building:  # discarded meanwhile
        return
    viewer = _building.pop()
    if _spare:  # a window was closed meanwhile and kept
        viewer.deleteLater()
        return
    window = WorkspaceWindow(ctx, settings, viewer=viewer)
    _keep(window)
    # Then laid out (polished, sized) without being shown, so the real show only paints;
    # then painted once off screen, part by part, so the first real paint finds fonts,
    # styles and icons ready. Each step is a turn of the event loop of its own.
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    parts = [window.menuBar(), window.viewer, *window.docks.values(), window.statusBar()]

    def paint_next() -> None:
        if not _usable(window) or window.detail is not None:
            return
        if not window.isVisible():
            window.show()  # (hidden, and still not on screen)
            QTimer.singleShot(0, paint_next)
        elif parts:
            part = parts.pop(0)
            if part.width() > 0 and part.height() > 0:
                part.render(QPixmap(part.size()))
            QTimer.singleShot(0, paint_next)
        elif window.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen):
            window.hide()

    QTimer.singleShot(0, paint_next)


def take_spare(ctx: AppContext, settings: QSettings) -> QWidget:
    """The window built ahead, or a new one."""
    from reviewer_app.gui.workspace.window import WorkspaceWindow

    while _spare:
        window = _spare.pop()
        if _usable(window) and window.ctx is ctx and window.settings is settings:
            break
        window.deleteLater()
    else:
        window = WorkspaceWindow(ctx, settings)
        _keep(window, spare=False)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
    return window


def spare_windows() -> list[QWidget]:
    return [w for w in _spare if _usable(w)]


def discard_spare() -> None:
    while _spare:
        _spare.pop().deleteLater()
    while _building:
        _building.pop().deleteLater()


def _keep(window: QWidget, *, spare: bool = True) -> None:
    """A window the opener reuses: closing it empties it and keeps it as the spare."""
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    if spare:
        _spare.append(window)

    def closed() -> None:
        for ident in [i for i, w in _open.items() if w is window]:
            del _open[ident]
        if window in _spare:
            return
        window.unbind()
        if _spare:
            window.deleteLater()
        else:
            _spare.append(window)

    window.closed.connect(closed)


def _usable(window: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(window) and getattr(window, "detail", None) is None


def open_workspace(ctx: AppContext, settings: QSettings, key: str, attempt: int | None = None,
                   parent: QWidget | None = None,
                   on_open: Callable[[QWidget], None] | None = None) -> None:
    """Show the workspace for ``key`` (an existing one is raised instead of opened twice,
    and asking again while it loads does nothing). A queue in ``parent`` (its ``model``) is
    refreshed as the review is opened, submitted or reopened."""
    asked = (key, attempt)
    if asked in _loading:
        return
    _loading.add(asked)
    queue = getattr(parent, "model", None)

    def show(result) -> None:  # noqa: ANN001
        _loading.discard(asked)
        detail, review, notes = result
        ident = (detail.key, detail.attempt)
        window = _open.get(ident)
        if window is None:
            window = take_spare(ctx, settings)
            window.bind(detail, review, notes)
            _open[ident] = window
        if queue is not None and hasattr(queue, "refresh"):
            window.queue_refresh = queue.refresh
            queue.refresh()  # a new submission is "in progress" once opened
        window.show()
        window.raise_()
        window.activateWindow()
        if on_open is not None:
            on_open(window)
        QTimer.singleShot(2000, lambda: prepare_spare(ctx, settings) if not _spare else None)

    def failed(exc: BaseException) -> None:
        _loading.discard(asked)
        show_error(parent, exc, "Cannot open the submission")

    run_task(lambda job: load_workspace_data(ctx, key, attempt), on_success=show,
             on_error=failed, owner=parent)


def open_windows() -> list[QWidget]:
    return list(_open.values())
