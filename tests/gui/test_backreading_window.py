"""Backreading in Lead > Second Readings and Release, clicked through as a lead assessor
would: the held decisions marked in the sample and done, one opened beside its reviews,
scores and notes, agreed with or overturned with a rationale (the CLI's services, audited),
released in bulk; and the window refreshing when a dispute is resolved elsewhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from reviewer_app.gui.lead.release_window import ReleaseWindow
from reviewer_app.services import moderation, policies, release
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_gui_support import make_dispute
from lead_support import FA_EARNED, FA_NOT_YET, add_profile, arrive, attempt_id, make_lead, score_as


def _count(ctx: AppContext, model: type, *where) -> int:
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _final(ctx: AppContext, key: str) -> m.FinalDecision:
    with ctx.sessions() as s:
        return s.scalars(select(m.FinalDecision).join(m.Attempt).join(m.Submission)
                         .where(m.Submission.key == key)).one()


def _window(qtbot, ctx: AppContext) -> ReleaseWindow:
    win = ReleaseWindow(ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.loaded, timeout=10_000):
        win.show()
    win.tabs.setCurrentIndex(1)
    return win


def _row(win: ReleaseWindow, key: str) -> list[str]:
    item = next(win.held.topLevelItem(i) for i in range(win.held.topLevelItemCount())
                if win.held.topLevelItem(i).text(0) == key)
    return [item.text(c) for c in range(win.held.columnCount())]


def test_agree_overturn_with_a_rationale_and_release(qtbot, demo_ctx: AppContext):
    make_lead(demo_ctx, defaults=True)
    policies.set_policy(demo_ctx, "fa-math", second_review_percent=0, near_cut_margin=None, first_reviews=0,
                        backread_percent=50)
    ana, ben = add_profile(demo_ctx, "Ana Silva"), add_profile(demo_ctx, "Ben Okoye")
    score_as(demo_ctx, ana, "DEMO-1001", 1, FA_EARNED, comments={"learning-goals": "Goals revisited."})
    score_as(demo_ctx, ben, "DEMO-1002", 2, FA_EARNED)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1001", 1), attempt_id(demo_ctx, "DEMO-1002", 2)])
    win = _window(qtbot, demo_ctx)
    assert win.held.topLevelItemCount() == 2
    sampled = [win.held.topLevelItem(i).text(0) for i in range(2)
               if win.held.topLevelItem(i).text(4) == "in sample"]
    assert len(sampled) == 1  # 50% of two
    first = sampled[0]
    other = ({"DEMO-1001", "DEMO-1002"} - {first}).pop()
    assert _row(win, first)[3] == "to backread" and _row(win, other)[3] == "ready"
    # the first row (the one to backread) is open beside its review, levels and feedback
    qtbot.waitUntil(lambda: win.pane.detail is not None
                    and win.pane.detail.held.submission_key == first, timeout=10_000)
    reviewer = "Ana Silva" if first == "DEMO-1001" else "Ben Okoye"
    assert [r.reviewer_name for r in win.pane.detail.view.reviews] == [f"{reviewer} (final decision)"]
    assert "3 \u00b7" in win.pane.view.grid.cells[("learning-goals", 0)].text()
    assert "In the backreading sample" in win.pane.view.reasons.text()
    assert win.pane.form.levels["learning-goals"].currentData() == 3  # starts from the decision

    qtbot.mouseClick(win.release_button, Qt.MouseButton.LeftButton)  # the sample is not backread
    qtbot.waitUntil(lambda: "1 still wait for backreading" in win.status.text(), timeout=10_000)
    assert _count(demo_ctx, m.OutboxEntry) == 1  # the other one went
    assert win.held.topLevelItemCount() == 1

    qtbot.mouseClick(win.pane.agree, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 1 and _row(win, first)[3] == "backread",
                    timeout=10_000)
    assert _final(demo_ctx, first).backread_at is not None
    assert _count(demo_ctx, m.AuditEntry, m.AuditEntry.action == audit.BACKREAD) == 1

    # Overturn it: new levels, but no rationale yet: refused, nothing changes
    qtbot.waitUntil(lambda: win.pane.detail is not None and win.pane.detail.held.backread_at is not None,
                    timeout=10_000)
    combo = win.pane.form.levels["learning-goals"]
    combo.setCurrentIndex(combo.findData(FA_NOT_YET["learning-goals"]))
    assert "not yet" in win.pane.form.decision.text().lower()
    qtbot.mouseClick(win.pane.form.record, Qt.MouseButton.LeftButton)
    assert "needs a rationale" in win.status.text()
    assert _final(demo_ctx, first).source != release.OVERTURNED
    qtbot.keyClicks(win.pane.form.rationale, "The goals are stated but never revisited (video 07:00).")
    qtbot.mouseClick(win.pane.form.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "overturned, now not yet" in win.status.text(), timeout=10_000)
    final = _final(demo_ctx, first)
    assert (final.decision.value, final.source) == ("not_yet", release.OVERTURNED)
    assert final.rationale.startswith("The goals are stated")
    with demo_ctx.sessions() as s:
        entry = s.scalars(select(m.AuditEntry).where(m.AuditEntry.action == audit.OVERTURN)).one()
        assert '"not_yet"' in entry.details_json and "never revisited" in entry.details_json
    qtbot.waitUntil(lambda: _row(win, first)[5] == release.OVERTURNED, timeout=10_000)

    qtbot.mouseClick(win.release_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 0, timeout=10_000)
    assert _count(demo_ctx, m.OutboxEntry) == 2
    assert win.pane.stack.currentIndex() == 0


def test_a_dispute_resolved_elsewhere_shows_up_held(qtbot, demo_ctx: AppContext):
    d = make_dispute(demo_ctx)
    policies.set_policy(demo_ctx, "fa-math", hold_for_release=True)
    win = _window(qtbot, demo_ctx)
    assert win.held.topLevelItemCount() == 0
    # resolved in the moderation window (or another one): this window is told and reloads
    moderation.moderate(demo_ctx, d.uid, FA_EARNED, rationale="The hinge question at 07:00 checks all.")
    qtbot.waitUntil(lambda: win.held.topLevelItemCount() == 1, timeout=10_000)
    assert _row(win, "DEMO-1002")[5] == "moderated"
    qtbot.waitUntil(lambda: win.pane.detail is not None, timeout=10_000)
    # both reviewers' columns and the lead's final levels beside them
    assert len(win.pane.detail.view.reviews) == 3
    assert win.pane.view.notes.topLevelItemCount() == 2  # Ana's notes open the evidence

    # a change this window is not told about (another process): seen when it is activated
    win._unsubscribe()
    release.backread(demo_ctx, "DEMO-1002", 2)
    found: list[bool] = []
    win.changesChecked.connect(found.append)
    win.check_changes()  # (an activation may check too: one of the checks finds it)
    qtbot.waitUntil(lambda: True in found, timeout=10_000)
    qtbot.waitUntil(lambda: _row(win, "DEMO-1002")[3] == "backread", timeout=10_000)


def test_a_late_review_of_the_lead_shows_beside_the_held_decision(qtbot, demo_ctx: AppContext):
    from lead_support import score

    make_lead(demo_ctx, defaults=True)
    policies.set_policy(demo_ctx, "fa-math", second_review_percent=0, near_cut_margin=None, first_reviews=0)
    ana = add_profile(demo_ctx, "Ana Silva")
    score_as(demo_ctx, ana, "DEMO-1001", 1, FA_EARNED)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1001", 1)])
    score(demo_ctx, "DEMO-1001", 1, FA_NOT_YET, feedback="Revisit the goals.")  # the lead, after it
    win = _window(qtbot, demo_ctx)
    qtbot.waitUntil(lambda: win.pane.detail is not None, timeout=10_000)
    names = [r.reviewer_name for r in win.pane.detail.view.reviews]
    assert names == ["Ana Silva (final decision)", "Lena Lead"]
    assert "Lena Lead's late review disagrees" in win.pane.view.reasons.text()
    # the lead scored it: they may confirm Ana's decision, not overturn it themselves
    assert not win.pane.form.record.isEnabled() and win.pane.agree.isEnabled()
    assert "another lead assessor must overturn it" in win.pane.form.status.text()
    qtbot.mouseClick(win.pane.agree, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _row(win, "DEMO-1001")[3] == "backread", timeout=10_000)
    assert _final(demo_ctx, "DEMO-1001").decision.value == "earned"
