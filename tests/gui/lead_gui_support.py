"""Lead assessor data for the window tests (a module, not tests): a real dispute between
two reviewers on the demo data, made through the services as it happens on a lead's
database (the reviews arrive, the rules compare them)."""

from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.domain.model import Region
from reviewer_app.gui.main_window import MainWindow
from reviewer_app.services import annotations, moderation, reviews
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, FA_NOT_YET, add_profile, arrive, attempt_id, become, make_lead, score_as

VIDEO_NOTE_MS = 7_000  # the demo video's bar is green here
PAGE_NOTE = 2  # the demo lesson plan's third page (0-based)


@dataclass(frozen=True)
class Dispute:
    lead: str
    ana: str
    ben: str
    uid: str


def make_dispute(ctx: AppContext) -> Dispute:
    """DEMO-1002 attempt 2: Ana says earned (with a video note and a page note), Ben says
    not yet; the local profile is the lead assessor Lena Lead, who scored neither."""
    lead = make_lead(ctx, "Lena Lead")
    ana, ben = add_profile(ctx, "Ana Silva"), add_profile(ctx, "Ben Okoye")
    become(ctx, ana)
    review = reviews.start_review(ctx, attempt_id(ctx, "DEMO-1002", 2))
    for crit, level in FA_EARNED.items():
        reviews.set_level(ctx, review.uid, crit, level)
    reviews.set_comment(ctx, review.uid, "learning-goals", "Goals on the board and revisited [note 2].")
    annotations.add_time_note(ctx, review.uid, "video", VIDEO_NOTE_MS, None, "Hinge question here",
                              "checks-for-understanding")
    annotations.add_page_note(ctx, review.uid, "plan", PAGE_NOTE, Region(72, 100, 300, 180),
                              "Success criteria", "learning-goals")
    reviews.set_feedback(ctx, review.uid, "Keep the hinge questions.")
    reviews.submit_review(ctx, review.uid)
    become(ctx, lead)
    score_as(ctx, ben, "DEMO-1002", 2, FA_NOT_YET, comments={"learning-goals": "Goals not revisited."},
             feedback="Return to the goals at the end of the lesson.")
    assert arrive(ctx, [attempt_id(ctx, "DEMO-1002", 2)]).disputed
    [row] = moderation.list_disputes(ctx)
    return Dispute(lead, ana, ben, row.uid)


def main_window(qtbot, ctx: AppContext) -> MainWindow:
    """The main window, shown, with its queue and its profile loaded."""
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded, timeout=10_000):
        win.show()
    qtbot.waitUntil(lambda: win.lead.profile is not None, timeout=10_000)
    return win
