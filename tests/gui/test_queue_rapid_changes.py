"""Typing fast in the queue's search box over a large queue: the reads of every text the
reviewer typed past are stopped (not left to run on, holding the two worker threads),
and the queue shows the answer to the last one."""

from __future__ import annotations

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.gui import submission_model, tasks
from reviewer_app.gui.main_window import MainWindow
from reviewer_app.services import submissions as svc
from reviewer_app.store.context import AppContext

from queue_support import add_bulk_attempts


@pytest.fixture(scope="module")
def big_data_dir(tmp_path_factory):
    from reviewer_app.services.demo import load_demo

    folder = tmp_path_factory.mktemp("big-queue") / "data"
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        load_demo(ctx)
        add_bulk_attempts(ctx, 50_000)
    return folder


def test_rapid_typing_leaves_no_stale_read_running_and_the_last_text_wins(qtbot, big_data_dir,
                                                                          monkeypatch):
    ctx = AppContext.open(resolve_paths(data_dir=big_data_dir))
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded, timeout=20_000):
        win.show()
    with qtbot.waitSignal(win.model.loaded, timeout=20_000):
        win.model.sort(2)  # by credential: every read sorts its matches (tens of ms each)
    started: list[tasks.Task] = []
    real_run_task = submission_model.run_task

    def recording(*args, **kwargs):
        task = real_run_task(*args, **kwargs)
        outcome = task.outcome = []
        task.signals.succeeded.connect(lambda *_: outcome.append("answered"))
        task.signals.cancelled.connect(lambda: outcome.append("stopped"))
        started.append(task)
        return task

    monkeypatch.setattr(submission_model, "run_task", recording)
    typed = ["1", "12", "123", "1234"]
    with qtbot.waitSignal(win.model.loaded, timeout=20_000):
        for text in typed:  # each as the search box's pause timer would apply it
            win.ui.searchEdit.setText(text)
            win._search_timer.stop()
            win._apply_filters()
    # The last text wins: its rows and its count, as the service gives them.
    want = svc.QueueQuery(search="1234", sort="credential")
    assert win.model.query == want
    assert [win.model.row(i).key for i in range(win.model.rowCount())] == [
        r.key for r in svc.list_submissions(ctx, want, limit=win.model.rowCount())]
    assert win.model.total == svc.count_submissions(ctx, want) > 1
    assert win.count_label.text() == f"{win.model.total} submissions match"
    # Every read of a text typed past was stopped, none answered. (A stopped read says so
    # once its worker has unwound, which on a busy machine can be after the last answer.)
    qtbot.waitUntil(lambda: tasks.running() == 0, timeout=2000)
    stale = [t for t in started if t.outcome != ["answered"]]
    assert len(stale) == len(typed) - 1
    assert all(t.outcome == ["stopped"] for t in stale), [t.outcome for t in started]
    win.close()
    ctx.close()
