"""Reviewers' notes: anchored to a moment, a range or a page region; numbers never reused."""

from __future__ import annotations

import pytest

from reviewer_app.domain import AnnotationKind, Region
from reviewer_app.errors import UserError
from reviewer_app.services import annotations as notes
from reviewer_app.services import reviews
from reviewer_app.services.submissions import get_submission


@pytest.fixture
def review(demo_ctx):
    return reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 2).attempt_id)


def test_time_and_page_notes(demo_ctx, review):
    point = notes.add_time_note(demo_ctx, review.uid, "video", 83_400, text="Hinge question",
                                criterion_key="checks-for-understanding")
    span = notes.add_time_note(demo_ctx, review.uid, "video", 90_000, 95_500, "Regrouping")
    page = notes.add_page_note(demo_ctx, review.uid, "plan", 2, Region(300, 400, 72, 100),
                               "Exit ticket plan", "learning-goals")
    assert [n.number for n in notes.list_notes(demo_ctx, review.uid)] == [1, 2, 3]
    assert (point.where(), point.citation, point.criterion_key) == (
        "01:23.4", "[note 1]", "checks-for-understanding")
    assert span.is_range and span.where() == "01:30.0\u201301:35.5"
    assert page.kind is AnnotationKind.PAGE and page.where() == "p. 3"
    assert page.region == Region(72, 100, 300, 400)  # normalised


def test_numbers_are_never_reused_and_undo_restores_exactly(demo_ctx, review):
    first = notes.add_time_note(demo_ctx, review.uid, "video", 1000)
    second = notes.add_time_note(demo_ctx, review.uid, "video", 2000)
    gone = notes.delete_note(demo_ctx, second.uid)
    third = notes.add_time_note(demo_ctx, review.uid, "video", 3000)
    assert third.number == 3
    restored = notes.restore_note(demo_ctx, review.uid, gone)
    assert (restored.uid, restored.number) == (second.uid, 2)
    assert [n.number for n in notes.list_notes(demo_ctx, review.uid)] == [1, 2, 3]
    assert first.number == 1


def test_edit_text_and_criterion(demo_ctx, review):
    note = notes.add_time_note(demo_ctx, review.uid, "audio", 5000, text="draft")
    changed = notes.update_note(demo_ctx, note.uid, text="Names the regrouping",
                                criterion_key="adjusting-instruction")
    assert (changed.text, changed.criterion_key) == ("Names the regrouping", "adjusting-instruction")
    untied = notes.update_note(demo_ctx, note.uid, criterion_key=None)
    assert untied.criterion_key is None and untied.text == "Names the regrouping"


def test_anchors_must_fit_the_evidence(demo_ctx, review):
    with pytest.raises(UserError, match="video or an audio"):
        notes.add_time_note(demo_ctx, review.uid, "plan", 1000)
    with pytest.raises(UserError, match="PDF"):
        notes.add_page_note(demo_ctx, review.uid, "video", 0)
    with pytest.raises(UserError, match="end after"):
        notes.add_time_note(demo_ctx, review.uid, "video", 5000, 4000)
    with pytest.raises(UserError):
        notes.add_time_note(demo_ctx, review.uid, "nope", 0)
    assert notes.list_notes(demo_ctx, review.uid) == []


def test_notes_lock_with_the_submitted_review(demo_ctx):
    done = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 1).attempt_id)
    assert done.status.value == "submitted"
    with pytest.raises(reviews.ReviewLocked):
        notes.add_time_note(demo_ctx, done.uid, "video", 1000)
