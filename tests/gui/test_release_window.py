"""Lead > Second Readings and Release: the queue of second readings, the held decisions with
the backreading sample, Confirm and Release All Ready, on a real lead database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from reviewer_app.gui.lead.release_window import ReleaseWindow
from reviewer_app.services import policies
from reviewer_app.services.context import AppContext
from reviewer_app.store import models as m

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
    assert [win.queue.topLevelItem(0).text(c) for c in (0, 4, 5)] == ["DEMO-2001", "Ben Okoye", "(not assigned)"]
    held = win.held.topLevelItem(0)
    assert (held.text(0), held.text(2), held.text(3), held.text(4)) == ("DEMO-1001", "earned", "to backread",
                                                                         "in sample")

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
