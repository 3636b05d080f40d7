"""Opening the workspace on a submission: everything it needs is loaded off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import annotations, reviews
from reviewer_app.services.context import AppContext
from reviewer_app.services.submissions import get_submission

_open: dict[tuple[str, int], QWidget] = {}


def load_workspace_data(ctx: AppContext, key: str, attempt: int | None):  # noqa: ANN201
    detail = get_submission(ctx, key, attempt)
    review = reviews.start_review(ctx, detail.attempt_id)
    return detail, review, annotations.list_notes(ctx, review.uid)


def open_workspace(ctx: AppContext, settings: QSettings, key: str, attempt: int | None = None,
                   parent: QWidget | None = None,
                   on_open: Callable[[QWidget], None] | None = None) -> None:
    """Show the workspace for ``key`` (an existing one is raised instead of opened twice)."""
    from reviewer_app.gui.workspace.window import WorkspaceWindow

    def show(result) -> None:  # noqa: ANN001
        detail, review, notes = result
        ident = (detail.key, detail.attempt)
        window = _open.get(ident)
        if window is None:
            window = WorkspaceWindow(ctx, settings, detail, review, notes)
            _open[ident] = window
            window.closed.connect(lambda: _open.pop(ident, None))
        window.show()
        window.raise_()
        window.activateWindow()
        if on_open is not None:
            on_open(window)

    run_task(lambda job: load_workspace_data(ctx, key, attempt), on_success=show,
             on_error=lambda exc: show_error(parent, exc, "Cannot open the submission"), owner=parent)


def open_windows() -> list[QWidget]:
    return list(_open.values())
