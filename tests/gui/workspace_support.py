"""Helpers for workspace tests: open a real workspace on a real data folder."""

from __future__ import annotations

from reviewer_app.gui import tasks
from reviewer_app.gui.settings import open_settings
from reviewer_app.gui.workspace.opener import load_workspace_data
from reviewer_app.gui.workspace.window import WorkspaceWindow
from reviewer_app.store.context import AppContext

OPEN: list[WorkspaceWindow] = []


def make_workspace(qtbot, ctx: AppContext, key: str, attempt: int | None = None) -> WorkspaceWindow:
    detail, review, notes = load_workspace_data(ctx, key, attempt)
    window = WorkspaceWindow(ctx, open_settings(ctx.paths.data_dir), detail, review, notes)
    # The window deletes itself on close, so it is not given to qtbot (which would close it
    # again); tests/gui/conftest.py closes the ones a test left open.
    OPEN.append(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def wait_saved(qtbot, window: WorkspaceWindow) -> None:
    window.rubric.commit_pending_text()
    qtbot.waitUntil(lambda: window.editor.writer.pending == 0
                    and window.save_label.property("state") == "saved", timeout=10_000)


def wait_tasks_done(qtbot) -> None:
    """Until every background task started so far has finished and its callbacks have run
    on the GUI thread: after this, whatever those tasks were going to show is shown."""
    qtbot.waitUntil(lambda: tasks.running() == 0, timeout=10_000)


def submit_confirmed(qtbot, window: WorkspaceWindow) -> None:
    """Submit Review, then confirm the summary it shows (the reviewer's two steps)."""
    from reviewer_app.gui.workspace.submit_summary import SubmitSummary

    window.rubric.submit()
    summary = window.findChild(SubmitSummary, "submitSummary")
    assert summary is not None and summary.isVisible()
    summary.accept()
