"""Dispute ids (issue #13, item 7): the short form shown, a unique start of the id
accepted, an ambiguous one refused with its candidates; and the word that disputes
changed, for windows that show them."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from reviewer_app.errors import NotFound
from reviewer_app.services import dispute_ids, moderation
from reviewer_app.services.dispute_ids import AmbiguousDispute, short_ids
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, FA_NOT_YET, add_profile, arrive, attempt_id, make_lead, score_as

FIRST = "abcd1234-0000-4000-8000-000000000001"
SECOND = "abcd1299-0000-4000-8000-000000000002"


def test_the_short_form_grows_only_where_two_ids_share_it():
    short = short_ids([FIRST, SECOND, "ffff0000-1111-4000-8000-000000000003"])
    assert short == {FIRST: "abcd1234", SECOND: "abcd1299",
                     "ffff0000-1111-4000-8000-000000000003": "ffff0000"}
    twins = short_ids(["abcd1234-5-a", "abcd1234-6-b"])
    assert twins == {"abcd1234-5-a": "abcd1234-5", "abcd1234-6-b": "abcd1234-6"}


@pytest.fixture
def two_disputes(demo_ctx: AppContext) -> AppContext:
    """Two disputes (DEMO-1002 attempts 1 and 2) whose ids start alike."""
    lead = make_lead(demo_ctx)
    ana, ben = add_profile(demo_ctx, "Ana Silva"), add_profile(demo_ctx, "Ben Okoye")
    for attempt in (2, 1):
        if attempt == 1:  # the demo's own review of attempt 1 is the lead's: set it aside
            with demo_ctx.transaction() as s:
                s.execute(update(m.Review).where(m.Review.attempt_id == attempt_id(demo_ctx, "DEMO-1002", 1))
                          .values(status="draft", submitted_at=None))
        score_as(demo_ctx, ana, "DEMO-1002", attempt, FA_EARNED)
        score_as(demo_ctx, ben, "DEMO-1002", attempt, FA_NOT_YET)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", n) for n in (1, 2)])
    rows = sorted(moderation.list_disputes(demo_ctx), key=lambda r: r.attempt)
    assert [r.attempt for r in rows] == [1, 2]
    with demo_ctx.transaction() as s:
        for row, uid in zip(rows, (FIRST, SECOND), strict=True):
            s.execute(update(m.Dispute).where(m.Dispute.uid == row.uid).values(uid=uid))
    assert lead
    return demo_ctx


def test_a_unique_start_names_the_dispute_and_a_shared_one_lists_the_candidates(two_disputes):
    ctx = two_disputes
    assert moderation.find_dispute(ctx, "abcd1234") == FIRST
    assert moderation.find_dispute(ctx, "ABCD129") == SECOND  # case does not matter
    with pytest.raises(AmbiguousDispute) as caught:
        moderation.find_dispute(ctx, "abcd")
    text = caught.value.message
    assert "'abcd' is ambiguous" in text and "2 disputes" in text
    assert "abcd1234 (DEMO-1002 attempt 1)" in text and "abcd1299 (DEMO-1002 attempt 2)" in text
    with pytest.raises(NotFound):
        moderation.find_dispute(ctx, "abc")  # too short to be an id
    with pytest.raises(NotFound):
        moderation.find_dispute(ctx, "abcd9")


def test_resolving_a_dispute_notifies_and_changes_the_counter(two_disputes):
    ctx = two_disputes
    before = dispute_ids.version(ctx)
    calls = []
    off = dispute_ids.subscribe(lambda: calls.append(dispute_ids.version(ctx)))
    try:
        moderation.moderate(ctx, FIRST, FA_EARNED, feedback="Keep going.", rationale="Descriptors.")
    finally:
        off()
    assert len(calls) == 1 and calls[0] != before  # told after the change was committed
    assert dispute_ids.version(ctx) == calls[0]
    moderation.moderate(ctx, SECOND, FA_EARNED, feedback="Keep going.", rationale="Descriptors.")
    assert len(calls) == 1  # unsubscribed
