"""A review that arrives after its submission's final decision, by every route: a second
reading assigned before the decision and answered after its release (a score batch), and
a review the lead types in their own database after finalisation. Each is kept, flagged
when it disagrees, listed for the lead, and never changes the decision."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from reviewer_app.services import policies, release, second_reads
from reviewer_app.services.late_reviews import list_late_reviews
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, FA_NOT_YET, attempt_id, score
from test_scoring_centre import bare_demo, outbox, people, send  # noqa: F401 - fixtures

FA_ONE_OFF = {**FA_EARNED, "checks-for-understanding": 3}  # one level from FA_EARNED: agrees


def _final(lead: AppContext, key: str, attempt: int) -> tuple[str, str]:
    with lead.sessions() as s:
        f = s.scalars(select(m.FinalDecision)
                      .where(m.FinalDecision.attempt_id == attempt_id(lead, key, attempt))).one()
        return f.decision.value, f.review.uid


def test_a_second_reading_answered_after_release_is_late(people, tmp_path: Path):
    lead, ana, ben, cara = people["lena"], people["ana"], people["ben"], people["cara"]
    score(ana, "DEMO-1001", 1, FA_EARNED)
    assert send(ana, lead, tmp_path / "ana").waiting == 1  # Ana is new: a second reading
    second_reads.assign(lead, "DEMO-1001", "Ben")
    files = {p.name: p for p in second_reads.export_assignments(lead, tmp_path / "assignments")}
    second_reads.import_assignments(ben, files["second-reads-Ben.json"])
    # Meanwhile Cara scores it too and agrees: the final decision is made, backread, released.
    score(cara, "DEMO-1001", 1, FA_EARNED)
    assert send(cara, lead, tmp_path / "cara").final == 1
    release.backread(lead, "DEMO-1001", 1)
    assert release.release(lead).released == 1
    before = _final(lead, "DEMO-1001", 1)
    assert outbox(lead) == {"DEMO-1001 1": "earned"}

    # Ben answers his assignment, not yet: it arrives late, is kept and flagged.
    score(ben, "DEMO-1001", 1, FA_NOT_YET)
    outcome = send(ben, lead, tmp_path / "ben")
    assert (outcome.final, outcome.late) == (0, 1)
    [late] = list_late_reviews(lead)
    assert (late.submission_key, late.reviewer, late.decision, late.final_decision, late.agrees) == \
        ("DEMO-1001", "Ben", "not_yet", "earned", False)
    assert late.reasons and any("decided" in r for r in late.reasons)
    assert _final(lead, "DEMO-1001", 1) == before  # never changes the decision
    assert outbox(lead) == {"DEMO-1001 1": "earned"}
    with lead.sessions() as s:  # the review itself is kept
        assert s.scalar(select(m.Review.decision).where(m.Review.uid == late.review_uid)).value == "not_yet"


def test_a_review_the_lead_types_after_finalisation_is_late(people, tmp_path: Path):
    lead, ana = people["lena"], people["ana"]
    policies.set_policy(lead, "fa-math", second_review_percent=0, near_cut_margin=None, first_reviews=0,
                        calibration_items=0)
    score(ana, "DEMO-1001", 1, FA_EARNED)
    score(ana, "DEMO-1002", 2, FA_EARNED)
    assert send(ana, lead, tmp_path / "ana").final == 2
    before = _final(lead, "DEMO-1001", 1)

    # The lead scores both on their own machine: one differs (flagged), one agrees (kept, quiet).
    score(lead, "DEMO-1001", 1, FA_NOT_YET, feedback="Revisit the goals at the end.")
    score(lead, "DEMO-1002", 2, FA_ONE_OFF)
    late = {r.submission_key: r for r in list_late_reviews(lead)}
    assert set(late) == {"DEMO-1001", "DEMO-1002"}
    assert (late["DEMO-1001"].reviewer, late["DEMO-1001"].agrees) == ("Lena Lead", False)
    assert late["DEMO-1002"].agrees
    assert [r.submission_key for r in list_late_reviews(lead, discrepancies_only=True)] == ["DEMO-1001"]
    assert _final(lead, "DEMO-1001", 1) == before
    with lead.sessions() as s:
        assert s.scalar(select(m.Dispute.id).limit(1)) is None  # no dispute opened either
    entries = [e for e in audit.recent(lead) if e.action == audit.LATE]
    assert len(entries) == 2 and audit.verify(lead).ok
