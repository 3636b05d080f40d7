"""What a reviewer may not see or do is refused in the service layer (not only hidden in
the window): moderation, final decisions, policies, blind review, calibration scores,
other reviewers' reviews and notes, and candidates' identity while blind review is on."""

from __future__ import annotations

import pytest

from reviewer_app.services import annotations, calibration, moderation, policies, reviews
from reviewer_app.services.roles import NotAllowed
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

from lead_support import (
    CL_EARNED,
    FA_EARNED,
    FA_NOT_YET,
    add_profile,
    arrive,
    attempt_id,
    become,
    make_lead,
    score,
    score_as,
)


@pytest.fixture
def two(demo_ctx: AppContext) -> tuple[AppContext, str, str, str]:
    """A lead's database with a dispute; returns (ctx, lead uid, Ana's uid, her review uid)."""
    lead = make_lead(demo_ctx)
    ana, ben = add_profile(demo_ctx, "Ana"), add_profile(demo_ctx, "Ben")
    ana_review = score_as(demo_ctx, ana, "DEMO-1002", 2, FA_EARNED)
    score_as(demo_ctx, ben, "DEMO-1002", 2, FA_NOT_YET)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1002", 2)])
    return demo_ctx, lead, ana, ana_review


def test_a_reviewer_is_refused_everything_a_lead_assessor_does(two):
    ctx, lead, ana, _ = two
    [dispute] = moderation.list_disputes(ctx)
    target = attempt_id(ctx, "DEMO-2001")
    become(ctx, ana)
    refusals = [
        lambda: moderation.list_disputes(ctx),
        lambda: moderation.get_dispute(ctx, dispute.uid),
        lambda: moderation.moderate(ctx, dispute.uid, FA_EARNED, feedback="x", rationale="I say so"),
        lambda: moderation.list_final_decisions(ctx),
        lambda: policies.get_policy(ctx, "fa-math"),
        lambda: policies.list_policies(ctx),
        lambda: policies.set_policy(ctx, "fa-math", second_review_percent=0),
        lambda: policies.set_blind_review(ctx, False),
        lambda: calibration.mark_calibration(ctx, target, CL_EARNED),
        lambda: calibration.unmark_calibration(ctx, target),
        lambda: calibration.list_calibration(ctx),
        lambda: calibration.export_calibration(ctx, ctx.paths.data_dir / "cal.json"),
    ]
    for call in refusals:
        with pytest.raises(NotAllowed, match="Only a lead assessor may"):
            call()
    become(ctx, lead)
    assert moderation.get_dispute(ctx, dispute.uid).state == "open"  # nothing was changed
    assert policies.blind_review(ctx) is True


def test_a_reviewer_cannot_read_or_change_another_reviewers_review(two):
    ctx, lead, ana, ana_review = two
    ben_review = moderation.get_dispute(ctx, moderation.list_disputes(ctx)[0].uid).reviews[1].uid
    become(ctx, ana)
    assert reviews.get_review(ctx, ana_review).uid == ana_review  # her own
    assert annotations.list_notes(ctx, ana_review) == []
    with pytest.raises(NotAllowed, match="only their own reviews"):
        reviews.get_review(ctx, ben_review)
    with pytest.raises(NotAllowed):
        annotations.list_notes(ctx, ben_review)
    become(ctx, lead)  # a lead assessor reads every review
    assert reviews.get_review(ctx, ben_review).uid == ben_review
    assert annotations.list_notes(ctx, ben_review) == []


def test_nobody_changes_a_review_that_is_not_theirs(demo_ctx: AppContext):
    lead = make_lead(demo_ctx)
    ana = add_profile(demo_ctx, "Ana")
    become(demo_ctx, ana)
    draft = reviews.start_review(demo_ctx, attempt_id(demo_ctx, "DEMO-2001"))
    become(demo_ctx, lead)
    for call in [lambda: reviews.set_level(demo_ctx, draft.uid, "discourse-moves", 3),
                 lambda: reviews.set_comment(demo_ctx, draft.uid, "discourse-moves", "mine now"),
                 lambda: reviews.set_feedback(demo_ctx, draft.uid, "mine now"),
                 lambda: reviews.submit_review(demo_ctx, draft.uid),
                 lambda: annotations.add_time_note(demo_ctx, draft.uid, "group", 1000)]:
        with pytest.raises(NotAllowed, match="another reviewer's"):
            call()
    assert reviews.get_review(demo_ctx, draft.uid).levels()["discourse-moves"] is None


def test_blind_review_withholds_the_candidate_from_reviewers_only(demo_ctx: AppContext):
    # The demo's profile is a reviewer; blind review is on by default.
    blind = get_submission(demo_ctx, "DEMO-1001", reveal_candidate=True)
    assert blind.candidate.key == policies.BLIND_CANDIDATE == "Candidate (blind)"
    assert (blind.candidate.display_name, blind.candidate.recipient) == (None, None)
    assert blind.key == "DEMO-1001"  # the submission id stays
    lead = make_lead(demo_ctx)
    shown = get_submission(demo_ctx, "DEMO-1001", reveal_candidate=True)
    assert (shown.candidate.key, shown.candidate.display_name) == ("cand-7f3a", "Alex Morgan")
    assert shown.candidate.recipient.identity == "alex.morgan@example.org"
    # The lead switches blind review off: a reviewer may then see who the candidate is.
    policies.set_blind_review(demo_ctx, False)
    ana = add_profile(demo_ctx, "Ana")
    become(demo_ctx, ana)
    revealed = get_submission(demo_ctx, "DEMO-1001", reveal_candidate=True)
    assert revealed.candidate.display_name == "Alex Morgan"
    become(demo_ctx, lead)
    policies.set_blind_review(demo_ctx, True)
    become(demo_ctx, ana)
    assert get_submission(demo_ctx, "DEMO-1001", reveal_candidate=True).candidate.key == "Candidate (blind)"


def test_policy_changes_are_checked_and_audited(demo_ctx: AppContext):
    from reviewer_app.errors import NotFound, UserError
    from reviewer_app.store import audit

    make_lead(demo_ctx, defaults=True)
    default = policies.get_policy(demo_ctx, "fa-math")
    assert (default.stored, default.second_review_percent, default.calibration_threshold) == (False, 10, 0.8)
    changed = policies.set_policy(demo_ctx, "fa-math", second_review_percent=20, near_cut_margin=1,
                                  first_reviews=5, max_level_gap=1, calibration_threshold=0.9)
    assert (changed.stored, changed.second_review_percent, changed.near_cut_margin, changed.first_reviews,
            changed.max_level_gap, changed.calibration_threshold) == (True, 20, 1, 5, 1, 0.9)
    assert policies.set_policy(demo_ctx, "fa-math", near_cut_margin=None).near_cut_margin is None
    assert policies.get_policy(demo_ctx, "fa-math").second_review_percent == 20
    for bad in [dict(second_review_percent=101), dict(max_level_gap=-1), dict(calibration_threshold=1.5),
                dict(first_reviews=-2), dict(near_cut_margin=-1)]:
        with pytest.raises(UserError):
            policies.set_policy(demo_ctx, "fa-math", **bad)
    with pytest.raises(NotFound):
        policies.set_policy(demo_ctx, "no-such-credential", second_review_percent=5)
    lines = audit.recent(demo_ctx, subject="credential fa-math")
    assert [line.action for line in lines] == ["policy.change", "policy.change"]
    assert '"second_review_percent":[10,20]' in lines[-1].details_json
    assert [p.credential_key for p in policies.list_policies(demo_ctx)] == ["cl-discussion", "fa-math"]


def test_every_score_change_and_the_submit_are_audited_once(demo_ctx: AppContext):
    import json

    from reviewer_app.store import audit

    me = reviews.start_review(demo_ctx, attempt_id(demo_ctx, "DEMO-1002", 2))
    uid = score(demo_ctx, "DEMO-1002", 2, FA_EARNED, comments={"feedback": "Specific."}, submit=False)
    # The window saves as the user types: an unchanged value is not logged again.
    reviews.set_comment(demo_ctx, uid, "feedback", "Specific.")
    reviews.set_level(demo_ctx, uid, "feedback", 3)
    reviews.submit_review(demo_ctx, uid)
    lines = list(reversed(audit.recent(demo_ctx, subject="DEMO-1002 attempt 2")))
    assert [a.action for a in lines] == ["score.level"] * 4 + ["score.comment", "review.feedback",
                                                              "review.submit"]
    assert {a.actor_uid for a in lines} == {reviews.get_review(demo_ctx, uid).reviewer_uid}
    first = json.loads(lines[0].details_json)
    written = first.pop("rows")  # the review as this change left it (audit_rows)
    assert first == {"review": uid, "criterion": "learning-goals", "level": [None, 3]}
    assert written[f"review:{uid}"]["scores"]["learning-goals"][0] == 3
    comment = json.loads(lines[4].details_json)
    assert comment["chars"] == len("Specific.") and len(comment["sha256"]) == 64
    assert json.loads(lines[-1].details_json)["decision"] == "earned"
    assert me.uid == uid and audit.verify(demo_ctx).ok
