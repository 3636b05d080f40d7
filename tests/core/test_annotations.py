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


@pytest.fixture
def review_1001(demo_ctx):  # the submission with a photo and a written reflection
    return reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1001", 1).attempt_id)


def test_photo_regions_and_quoted_passages(demo_ctx, review_1001):
    uid = review_1001.uid
    region = notes.add_region_note(demo_ctx, uid, "photo", Region(640, 480, 120, 90), "Worked example",
                                   "feedback")
    whole = notes.add_region_note(demo_ctx, uid, "photo", None, "Neat work")
    passage = "I moved past that misconception too quickly."
    text = (demo_ctx.evidence.path_for(next(e for e in get_submission(demo_ctx, "DEMO-1001", 1).evidence
                                            if e.key == "written").sha256).read_text(encoding="utf-8"))
    quote = notes.add_quote_note(demo_ctx, uid, "written", passage, text.index(passage), "Honest")
    listed = notes.list_notes(demo_ctx, uid)
    assert [n.kind for n in listed] == [AnnotationKind.REGION, AnnotationKind.REGION, AnnotationKind.QUOTE]
    assert region.region == Region(120, 90, 640, 480) and region.where() == "region"
    assert whole.region is None and whole.where() == "whole photo"
    assert listed[2].quote == passage and listed[2].quote_at == text.index(passage)
    assert quote.where() == "\u201cI moved past that misconception too qui\u2026\u201d"
    # deleted and undone, each comes back as it was
    for note in listed:
        notes.delete_note(demo_ctx, note.uid)
        assert notes.restore_note(demo_ctx, uid, note) == note
    assert notes.list_notes(demo_ctx, uid) == listed


def test_a_quote_must_be_in_the_reflection_and_regions_on_photos(demo_ctx, review_1001):
    uid = review_1001.uid
    with pytest.raises(UserError, match="not in the written reflection"):
        notes.add_quote_note(demo_ctx, uid, "written", "I never said this.", 0)
    with pytest.raises(UserError, match="not in the written reflection"):
        notes.add_quote_note(demo_ctx, uid, "written", "Today's lesson", 1)  # at the wrong place
    with pytest.raises(UserError, match="Select the passage"):
        notes.add_quote_note(demo_ctx, uid, "written", "  ", 0)
    with pytest.raises(UserError, match="written reflection"):
        notes.add_quote_note(demo_ctx, uid, "photo", "Today", 0)
    with pytest.raises(UserError, match="photo"):
        notes.add_region_note(demo_ctx, uid, "plan", Region(0, 0, 10, 10))
    with pytest.raises(UserError, match="finite"):
        notes.add_region_note(demo_ctx, uid, "photo", Region(0, 0, float("nan"), 10))
    assert notes.list_notes(demo_ctx, uid) == []
    ok = notes.add_quote_note(demo_ctx, uid, "written", "Today's lesson", 0)
    assert ok.quote_at == 0
