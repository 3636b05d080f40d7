"""Lead > Second Readings and Release: the queue of second readings, the held decisions with
the backreading sample, Confirm and Release All Ready, on a real lead database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from reviewer_app.gui.lead.release_window import ReleaseWindow
from reviewer_app.services import policies
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import CL_EARNED, FA_EARNED, add_profile, arrive, attempt_id, make_lead, score_as


def _outbox(ctx: AppContext) -> int:
    with ctx.sessions() as s:
        return s.scalar(select(func.count(m.OutboxEntry.id)))


def test_confirm_the_sample_then_release_all(qtbot, demo_ctx: AppContext):
    make_lead(demo_ctx, defaults=True)
    policies.set_policy(demo_ctx, "fa-math", second_review_percent=0, near_cut_margin=None, first_reviews=0)
    ana, ben = add_profile(demo_ctx, "Ana Silva"), add_profile(demo_ctx, "Ben Okoye")
    score_as(demo_ctx, ana, "DEMO-1001", 1, FA_EARNED)
    score_as(demo_ctx, ben, "DEMO-2001", 1, CL_EARNED)  # the defaults: Ben's first review waits
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1001", 1), attempt_id(demo_ctx, "DEMO-2001", 1)])
    assert _outbox(demo_ctx) == 0

    win = ReleaseWindow(demo_ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 1, timeout=10_000)
    first = win.queue.topLevelItem(0)
    assert [first.text(c) for c in (0, 4, 5)] == ["DEMO-2001", "Ben Okoye", "(not assigned)"]
    held = win.held.topLevelItem(0)
    assert [held.text(c) for c in range(5)] == ["DEMO-1001", "1", "earned", "to backread", "in sample"]

    win.release_all()  # the sample is not backread: nothing goes
    qtbot.waitUntil(lambda: "1 still wait for backreading" in win.status.text(), timeout=10_000)
    assert _outbox(demo_ctx) == 0

    win.held.setCurrentItem(win.held.topLevelItem(0))
    win.confirm()
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 1
                    and win.held.topLevelItem(0).text(3) == "backread", timeout=10_000)
    win.release_all()
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 0, timeout=10_000)
    assert "Released 1 final decision" in win.status.text()
    assert _outbox(demo_ctx) == 1
    assert win.findChild(type(win.queue), "secondReadQueue").topLevelItemCount() == 1
    assert win.queue.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole) == ("DEMO-2001", 1)


def test_a_review_typed_here_after_finalisation_is_listed_late(qtbot, demo_ctx: AppContext):
    from lead_support import FA_NOT_YET, score

    make_lead(demo_ctx)  # simple rules: Ana's review becomes final and is released at once
    ana = add_profile(demo_ctx, "Ana Silva")
    score_as(demo_ctx, ana, "DEMO-1001", 1, FA_EARNED)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1001", 1)])
    win = ReleaseWindow(demo_ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.loaded, timeout=10_000):
        win.show()
    assert win.late.topLevelItemCount() == 0
    found: list[bool] = []
    win.changesChecked.connect(found.append)
    score(demo_ctx, "DEMO-1001", 1, FA_NOT_YET, feedback="Revisit the goals.")  # the lead, here
    win.check_changes()  # what activating the window does (showing it may have activated it
    qtbot.waitUntil(lambda: True in found, timeout=10_000)  # too: one of the checks finds it)
    qtbot.waitUntil(lambda: win.late.topLevelItemCount() == 1, timeout=10_000)
    row = win.late.topLevelItem(0)
    assert [row.text(c) for c in (0, 2, 3, 4, 5)] == ["DEMO-1001", "Lena Lead", "not yet", "earned",
                                                      "NO: discrepancy"]
    assert "decided" in row.text(7)
    assert "1 late review discrepancies" in win.status.text()
    assert _outbox(demo_ctx) == 1  # the released decision stays as it was
