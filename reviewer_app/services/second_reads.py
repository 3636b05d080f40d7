"""The second-reading queue: attempts waiting for a second reviewer, and who is asked.

A lead assessor sees every attempt whose first review needs a second one (the reason the
credential's policy gave) and no second review has arrived; assigns a second reader (an
enrolled reviewer); and exports each reader's assignments as a small JSON file
(``reviewer-app second-reads export``). The reviewer imports it (``reviewer-app assignments
import FILE``) and sees which submissions they are asked to score; their review comes back
in their next score batch like any other. No sync service is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, func, select

from reviewer_app.domain.model import ReviewStatus
from reviewer_app.domain.moderation import REASON_TEXT
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services.finalize import attempt_subject
from reviewer_app.services.roles import require_lead
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

FORMAT = "reviewer-app.second-read-assignments/1"
ASSIGNED_SETTING = "second_read.assigned"


@dataclass(frozen=True)
class SecondRead:
    attempt_id: int
    submission_key: str
    attempt: int
    credential_key: str
    reason: str
    first_reviewer: str
    first_reviewer_uid: str
    assigned_to: str | None

    @property
    def reason_text(self) -> str:
        return REASON_TEXT.get(self.reason, self.reason)


def second_reading_queue(ctx: AppContext, credential_key: str | None = None) -> list[SecondRead]:
    """Attempts whose first review waits for a second one (no final decision, no dispute)."""
    require_lead(ctx, "see the second-reading queue")
    A, S, R, P = m.Attempt, m.Submission, m.Review, m.Profile  # noqa: N806 - table aliases, as in SQL
    counted = (select(R.attempt_id, func.count(R.id).label("n"), func.min(R.id).label("first"))
               .where(R.status == ReviewStatus.SUBMITTED, R.kind == "review")
               .group_by(R.attempt_id).subquery())
    stmt = (select(A.id, S.key, A.number, S.credential_key, A.second_review, P.name, P.uid,
                   m.SecondReadAssignment.reviewer_name)
            .join(S, A.submission_id == S.id).join(counted, counted.c.attempt_id == A.id)
            .join(R, R.id == counted.c.first).join(P, R.reviewer_id == P.id)
            .outerjoin(m.SecondReadAssignment, m.SecondReadAssignment.attempt_id == A.id)
            .where(A.second_review.is_not(None), counted.c.n == 1,
                   ~exists().where(m.FinalDecision.attempt_id == A.id),
                   ~exists().where(m.Dispute.attempt_id == A.id),
                   ~exists().where(m.CalibrationItem.attempt_id == A.id))
            .order_by(S.key, A.number))
    if credential_key:
        stmt = stmt.where(S.credential_key == credential_key)
    with ctx.sessions() as session:
        return [SecondRead(*row) for row in session.execute(stmt)]


def assign(ctx: AppContext, submission_key: str, reviewer: str, attempt: int | None = None) -> SecondRead:
    """Ask an enrolled reviewer (by name or profile uid) for an attempt's second reading."""
    me = require_lead(ctx, "assign second readers")
    waiting = [s for s in second_reading_queue(ctx) if s.submission_key == submission_key
               and (attempt is None or s.attempt == attempt)]
    if not waiting:
        raise NotFound(f"{submission_key} is not waiting for a second reading "
                       "(reviewer-app second-reads lists what is).")
    item = waiting[-1]
    with ctx.transaction() as session:
        enrolled = session.execute(
            select(m.Enrolment.reviewer_uid, m.Enrolment.name)
            .where(m.Enrolment.revoked_at.is_(None),
                   (m.Enrolment.name == reviewer) | (m.Enrolment.reviewer_uid == reviewer))).first()
        if enrolled is None:
            raise NotFound(f"No enrolled reviewer {reviewer!r} (reviewer-app enrolled lists them).")
        if enrolled[0] == item.first_reviewer_uid:
            raise UserError(f"{enrolled[1]} gave the first review; the second reading needs another "
                            "reviewer.")
        row = session.scalars(select(m.SecondReadAssignment)
                              .where(m.SecondReadAssignment.attempt_id == item.attempt_id)).first()
        if row is None:
            row = m.SecondReadAssignment(attempt_id=item.attempt_id)
            session.add(row)
        row.reviewer_uid, row.reviewer_name, row.assigned_at = enrolled[0], enrolled[1], utcnow()
        audit.append(session, audit.ASSIGN, attempt_subject(item.submission_key, item.attempt),
                     {"reviewer": enrolled[0], "name": enrolled[1]}, actor_uid=me.uid)
    return SecondRead(item.attempt_id, item.submission_key, item.attempt, item.credential_key,
                      item.reason, item.first_reviewer, item.first_reviewer_uid, enrolled[1])


def export_assignments(ctx: AppContext, folder: Path) -> list[Path]:
    """One assignment file per assigned reviewer, of the attempts still waiting."""
    require_lead(ctx, "export second-reading assignments")
    queue = second_reading_queue(ctx)
    with ctx.sessions() as session:
        assigned = {a: (uid, name) for a, uid, name in session.execute(
            select(m.SecondReadAssignment.attempt_id, m.SecondReadAssignment.reviewer_uid,
                   m.SecondReadAssignment.reviewer_name))}
    per: dict[tuple[str, str], list[dict[str, object]]] = {}
    for s in queue:
        if s.attempt_id in assigned:
            per.setdefault(assigned[s.attempt_id], []).append(
                {"submission_id": s.submission_key, "attempt": s.attempt, "credential": s.credential_key})
    if not per:
        raise UserError("No second reading is assigned (reviewer-app second-reads assign ...).")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for (uid, name), items in sorted(per.items(), key=lambda kv: kv[0][1]):
        path = folder / f"second-reads-{name.replace(' ', '-').replace('/', '-')}.json"
        path.write_text(json.dumps({"format": FORMAT, "reviewer": {"uid": uid, "name": name},
                                    "exported_at": utcnow().isoformat(), "items": items}, indent=2),
                        encoding="utf-8")
        out.append(path)
    return out


@dataclass(frozen=True)
class Assignment:
    submission_key: str
    attempt: int
    held_here: bool  # this database holds the submission package
    reviewed: bool  # a submitted review of it is here


def import_assignments(ctx: AppContext, path: Path) -> list[Assignment]:
    """A reviewer takes the lead's assignment file (it must name them)."""
    from reviewer_app.services.profiles import current_profile

    me = current_profile(ctx)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        uid = data["reviewer"]["uid"]
        items = [(str(i["submission_id"]), int(i["attempt"])) for i in data["items"]][:10000]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{Path(path).name} is not a second-reading assignment file.",
                        details=str(exc)) from None
    if uid != me.uid:
        raise UserError(f"{Path(path).name} assigns second readings to {data['reviewer'].get('name')!r}, "
                        "not to you.")
    with ctx.transaction() as session:
        row = session.get(m.AppSetting, ASSIGNED_SETTING)
        value = "\n".join(f"{k}\t{n}" for k, n in items)
        if row is None:
            session.add(m.AppSetting(key=ASSIGNED_SETTING, value=value))
        else:
            row.value = value
    return my_assignments(ctx)


def my_assignments(ctx: AppContext) -> list[Assignment]:
    """The second readings the lead asked of this reviewer (from the last file imported)."""
    from reviewer_app.services.profiles import current_profile

    me = current_profile(ctx)
    with ctx.sessions() as session:
        row = session.get(m.AppSetting, ASSIGNED_SETTING)
        pairs = [line.split("\t") for line in (row.value.splitlines() if row else []) if "\t" in line]
        out = []
        for key, number in pairs:
            attempt_id = session.scalar(select(m.Attempt.id).join(m.Submission)
                                        .where(m.Submission.key == key, m.Attempt.number == int(number)))
            reviewed = attempt_id is not None and bool(session.scalar(
                select(func.count(m.Review.id)).join(m.Profile, m.Review.reviewer_id == m.Profile.id)
                .where(m.Review.attempt_id == attempt_id, m.Profile.uid == me.uid,
                       m.Review.status == ReviewStatus.SUBMITTED)))
            out.append(Assignment(key, int(number), attempt_id is not None, reviewed))
        return out


