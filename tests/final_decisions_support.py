"""Final decisions over the demo data, written straight with the ORM (for the export tests).

The demo holds four attempts; this makes the local profile a lead assessor, adds a
reviewer, and records a final decision for each attempt:

=============  ==========  ========  ==========  ===========  ===================
submission     attempt     decision  source      decided at   outbox (sync state)
=============  ==========  ========  ==========  ===========  ===================
DEMO-1002      1           not_yet   single      2025-03-03   accepted
DEMO-1001      1           earned    agreed      2025-03-10   queued
DEMO-2001      1           earned    moderated   2025-03-20   none (not_queued)
DEMO-1002      2           not_yet   single      2025-04-02   rejected
=============  ==========  ========  ==========  ===========  ===================

Times are 12:00 UTC, so that the local calendar day is the same in any time zone
between UTC-11 and UTC+11.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.services.roles import update_self
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database

RITA = "Rita Okafor"
FORMULA_COMMENT = "=HYPERLINK(\"http://x\")"


@dataclass(frozen=True)
class Seeded:
    lead_name: str
    reviewer_name: str


def _at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 12, 0, tzinfo=UTC)


def _attempt(s, key: str, number: int) -> m.Attempt:
    return s.scalars(select(m.Attempt).join(m.Submission)
                     .where(m.Submission.key == key, m.Attempt.number == number)).one()


def _review(s, attempt: m.Attempt, reviewer: m.Profile, levels: dict[str, int],
            comments: dict[str, str], feedback: str, decision: Decision, when: datetime,
            kind: str = "review") -> m.Review:
    review = m.Review(attempt=attempt, reviewer=reviewer, status=ReviewStatus.SUBMITTED,
                      decision=decision, feedback=feedback, submitted_at=when, created_at=when,
                      updated_at=when, kind=kind)
    s.add(review)
    for crit in attempt.rubric.criteria:
        if crit.key in levels:
            review.scores.append(m.ReviewScore(criterion_id=crit.id, level=levels[crit.key],
                                               comment=comments.get(crit.key, ""), updated_at=when))
    s.flush()
    return review


def _outbox(s, review: m.Review, attempt: m.Attempt, decision: Decision, state: str) -> None:
    s.flush()
    entry = s.scalars(select(m.OutboxEntry).where(m.OutboxEntry.review_id == review.id)).first()
    if entry is not None:  # the demo's submit queued it (before final decisions existed)
        entry.state = state
        return
    s.add(m.OutboxEntry(review_id=review.id, kind="decision", submission_key=attempt.submission.key,
                        attempt_number=attempt.number, decision=decision.value,
                        payload_json=json.dumps({"decision": decision.value}), state=state,
                        reason="Unknown badge class" if state == "rejected" else None))


def seed_final_decisions(ctx: AppContext, lead_name: str = "Lena Lead") -> Seeded:
    update_self(ctx, name=lead_name, role=Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    with ctx.transaction() as s:
        lead = s.scalars(select(m.Profile).where(m.Profile.is_self.is_(True))).one()
        rita = m.Profile(name=RITA, role=Role.REVIEWER)
        s.add(rita)
        s.flush()

        # DEMO-1002 attempt 1: the demo's own submitted review (not yet), single.
        a = _attempt(s, "DEMO-1002", 1)
        review = s.scalars(select(m.Review).where(m.Review.attempt_id == a.id,
                                                  m.Review.status == ReviewStatus.SUBMITTED)).one()
        fd = m.FinalDecision(attempt=a, review=review, decision=Decision.NOT_YET, source="single",
                             decided_by=lead, decided_at=_at(3, 3))
        s.add(fd)
        _outbox(s, review, a, Decision.NOT_YET, "accepted")

        # DEMO-1001 attempt 1: two reviews agreed; the first holds the final scores.
        a = _attempt(s, "DEMO-1001", 1)
        review = _review(
            s, a, rita,
            {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3,
             "adjusting-instruction": 2},
            {"learning-goals": "Goals on the board and revisited at the end.",
             "checks-for-understanding": "Hinge question with every student answering.",
             "feedback": FORMULA_COMMENT},
            "A strong lesson: the hinge question changed the plan on the spot.",
            Decision.EARNED, _at(3, 9))
        s.add(m.FinalDecision(attempt=a, review=review, decision=Decision.EARNED, source="agreed",
                              decided_by=lead, decided_at=_at(3, 10)))
        _outbox(s, review, a, Decision.EARNED, "queued")

        # DEMO-2001 attempt 1: Rita and the lead's moderation; the moderation is final.
        a = _attempt(s, "DEMO-2001", 1)
        _review(s, a, rita, {"group-structures": 1, "discourse-moves": 1,
                             "equitable-participation": 2}, {}, "Roles were not visible.",
                Decision.NOT_YET, _at(3, 15))
        moderation = _review(
            s, a, lead,
            {"group-structures": 3, "discourse-moves": 2, "equitable-participation": 3},
            {"group-structures": "Role cards are visible at 02:10 in the video.",
             "discourse-moves": "Revoicing, but few presses for reasoning.",
             "equitable-participation": "Every student speaks at least twice."},
            "Your groups ran themselves; keep pressing for reasoning.",
            Decision.EARNED, _at(3, 20), kind="moderation")
        s.add(m.FinalDecision(attempt=a, review=moderation, decision=Decision.EARNED,
                              source="moderated", decided_by=lead, decided_at=_at(3, 20),
                              rationale="The role cards are visible in the video; the first "
                                        "review missed them."))

        # DEMO-1002 attempt 2: not yet again, rejected by the issuer.
        a = _attempt(s, "DEMO-1002", 2)
        review = _review(
            s, a, rita,
            {"learning-goals": 3, "checks-for-understanding": 2, "feedback": 2,
             "adjusting-instruction": 2},
            {"learning-goals": "Clear, shared goals.",
             "checks-for-understanding": "Only volunteers answered the checks.",
             "feedback": "Comments are encouraging but general."},
            "Try an exit ticket every student completes, and say what to do next in your "
            "written comments.",
            Decision.NOT_YET, _at(4, 1))
        s.add(m.FinalDecision(attempt=a, review=review, decision=Decision.NOT_YET, source="single",
                              decided_by=lead, decided_at=_at(4, 2)))
        _outbox(s, review, a, Decision.NOT_YET, "rejected")
    return Seeded(lead_name, RITA)


# -- many final decisions, in bulk (benchmarks, cancel tests) ------------------------------

_WORDS = [
    "the", "students", "explained", "their", "reasoning", "to", "a", "partner", "before",
    "whole", "class", "discussion", "and", "teacher", "used", "hinge", "question", "decide",
    "whether", "move", "on", "exit", "tickets", "showed", "most", "of", "group", "could",
    "apply", "strategy",
]


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def add_bulk_final_decisions(ctx: AppContext, count: int, seed: int = 5) -> None:
    """``count`` more submissions, each with one submitted review (its per-criterion scores
    and comments) and a final decision, most with an outbox entry; inserted in bulk with
    SQLAlchemy Core. Needs the demo data (its credentials and rubrics) and a lead profile.
    """
    rng = random.Random(seed)
    with ctx.transaction() as s:
        lead = s.scalar(select(m.Profile.id).where(m.Profile.is_self.is_(True)))
        reviewers = []
        for i in range(20):
            p = m.Profile(name=f"Reviewer {i:02d}", role=Role.REVIEWER)
            s.add(p)
            s.flush()
            reviewers.append(p.id)
        creds = s.execute(select(m.Credential.id, m.Credential.key)).all()
        rubric_of = {c: s.scalar(select(m.Attempt.rubric_id).where(m.Attempt.credential_id == c))
                     for c, _ in creds}
        criteria = {rid: s.execute(select(m.Criterion.id, m.Criterion.required_level)
                                   .where(m.Criterion.rubric_id == rid)
                                   .order_by(m.Criterion.position)).all()
                    for rid in rubric_of.values()}
        base = datetime(2024, 9, 1, tzinfo=UTC)
        start_sub = s.scalar(select(m.Submission.id).order_by(m.Submission.id.desc())) + 1
        start_att = s.scalar(select(m.Attempt.id).order_by(m.Attempt.id.desc())) + 1
        start_rev = s.scalar(select(m.Review.id).order_by(m.Review.id.desc())) + 1
        subs, atts, revs, scores, finals, outbox = [], [], [], [], [], []
        # As in use: attempts are imported in the order they were submitted, and a
        # final decision (and its outbox entry) is written when it is made, some days
        # later, so decision order roughly follows submission order.
        submitted_times = sorted(base + timedelta(minutes=rng.randrange(400_000))
                                 for _ in range(count))
        for i in range(count):
            cred_id, cred_key = creds[i % len(creds)]
            rid = rubric_of[cred_id]
            sid, aid, vid = start_sub + i, start_att + i, start_rev + i
            submitted = submitted_times[i]
            decided = submitted + timedelta(days=rng.randrange(1, 30), seconds=rng.randrange(86400))
            subs.append({"id": sid, "key": f"BULK-{i:06d}", "credential_key": cred_key,
                         "candidate_key": f"cand-{i:06d}"})
            atts.append({"id": aid, "submission_id": sid, "number": 1, "credential_id": cred_id,
                         "rubric_id": rid, "submitted_at": submitted, "imported_at": submitted,
                         "candidate_display_name": f"Candidate {i:06d} Example",
                         "recipient_type": "email",
                         "recipient_identity": f"candidate{i:06d}@example.org",
                         "manifest_sha256": "0" * 64, "manifest_json": "{}",
                         "queue_status": "submitted", "evidence_count": 0})
            met = True
            for cid, required in criteria[rid]:
                level = rng.randint(max(1, required - 1), required + 1)
                met = met and level >= required
                scores.append({"review_id": vid, "criterion_id": cid, "level": level,
                               "comment": ("=" if rng.random() < 0.001 else "")
                               + _sentence(rng, 6, 18), "updated_at": decided})
            decision = Decision.EARNED if met else Decision.NOT_YET
            revs.append({"id": vid, "uid": f"00000000-0000-4000-8000-{i:012d}", "attempt_id": aid,
                         "reviewer_id": reviewers[i % len(reviewers)],
                         "status": ReviewStatus.SUBMITTED, "decision": decision,
                         "feedback": _sentence(rng, 20, 45), "created_at": submitted,
                         "updated_at": decided, "submitted_at": decided, "notes_issued": 0,
                         "kind": "review"})
            source = rng.choice(("single", "single", "single", "agreed", "moderated"))
            finals.append({"uid": f"10000000-0000-4000-8000-{i:012d}", "attempt_id": aid,
                           "review_id": vid, "decision": decision, "source": source,
                           "rationale": _sentence(rng, 8, 20) if source == "moderated" else "",
                           "decided_by_id": lead, "decided_at": decided})
            r = rng.random()
            if r < 0.9:
                outbox.append({"uid": f"20000000-0000-4000-8000-{i:012d}", "review_id": vid,
                               "kind": "decision", "submission_key": f"BULK-{i:06d}",
                               "attempt_number": 1, "decision": decision.value,
                               "payload_json": "{}", "created_at": decided,
                               "state": "accepted" if r < 0.8 else ("rejected" if r < 0.82
                                                                    else "queued"),
                               "tries": 1, "next_attempt_at": decided})
        finals.sort(key=lambda row: row["decided_at"])
        outbox.sort(key=lambda row: row["created_at"])
        for table, rows in ((m.Submission, subs), (m.Attempt, atts), (m.Review, revs),
                            (m.ReviewScore, scores), (m.FinalDecision, finals),
                            (m.OutboxEntry, outbox)):
            for k in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[k:k + 20_000])
