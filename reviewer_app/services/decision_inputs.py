"""What a final decision is made from, read once per call: rubrics, credentials, profiles,
policies and reviewers' histories (``DecisionInputs``), and the reviews a caller has just
written (``Arrived``). Shared by ``finalize`` and ``late_reviews``."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer_app.domain.model import Criterion, Decision, Level, ReviewStatus, Role, Rubric
from reviewer_app.domain.moderation import DoubleScoring
from reviewer_app.services import qualification
from reviewer_app.services.policies import Policy, policy_for
from reviewer_app.store import models as m

CHUNK = 500

def attempt_subject(submission_key: str, number: int) -> str:
    """How the audit log names an attempt."""
    return f"{submission_key} attempt {number}"


@dataclass(frozen=True)
class RubricInfo:
    domain: Rubric
    key: str
    version: str
    title: str
    criteria: tuple[tuple[int, str, str, int, dict[int, str]], ...]  # id, key, title, required, labels
    #: A payload's criterion entry but its comment, by (criterion id, level): made once.
    entries: dict[tuple[int, int | None], dict[str, Any]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    uid: str
    attempt_id: int
    reviewer_id: int
    decision: Decision | None
    feedback: str
    submitted_at: datetime


Scores = dict[int, tuple[int | None, str]]  # criterion id -> (level, comment)


@dataclass(frozen=True, slots=True)
class Arrived:
    """A submitted review (kind "review") the caller has just written in this transaction,
    with its scores, so ``evaluate_attempts`` need not read it back."""

    review: ReviewRow
    scores: Scores

    @classmethod
    def of(cls, id: int, uid: str, attempt_id: int, reviewer_id: int,
           decision: Decision | None, feedback: str, submitted_at: datetime, scores: Scores) -> Arrived:
        return cls(ReviewRow(id, uid, attempt_id, reviewer_id, decision, feedback, submitted_at), scores)


class DecisionInputs:
    """Rubrics, credentials, profiles, policies and reviewers' histories, read once per call."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rubrics: dict[int, RubricInfo] = {}
        self.credentials: dict[int, tuple[str, str, str]] = {}
        self.profiles: dict[int, tuple[str, str, str]] = {}
        self.policies: dict[str, Policy] = {}
        self.rules: dict[str, DoubleScoring] = {}
        self.histories: dict[tuple[int, str], list[tuple[datetime, int]]] = {}
        self.calibration: dict[str, dict[int, tuple[int, int, int]] | None] = {}

    def qualified(self, reviewer_id: int, credential_key: str) -> bool:
        """Whether the reviewer may score this credential alone (calibration that counts)."""
        if credential_key not in self.calibration:
            self.calibration[credential_key] = qualification.calibration_counts(self.session, credential_key)
        counts = self.calibration[credential_key]
        if counts is None:  # no calibration items: nothing to qualify on
            return True
        policy = self.policy(credential_key)
        return qualification.is_qualified(counts.get(reviewer_id), policy.calibration_items,
                                          policy.calibration_threshold)

    def rubric(self, rubric_id: int) -> RubricInfo:
        if rubric_id not in self.rubrics:
            s = self.session
            r = s.execute(select(m.Rubric.key, m.Rubric.version, m.Rubric.title)
                          .where(m.Rubric.id == rubric_id)).one()
            crits = s.execute(select(m.Criterion.id, m.Criterion.key, m.Criterion.title,
                                     m.Criterion.required_level, m.Criterion.guidance)
                              .where(m.Criterion.rubric_id == rubric_id)
                              .order_by(m.Criterion.position)).all()
            levels: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
            for cid, value, label, descriptor in s.execute(
                    select(m.CriterionLevel.criterion_id, m.CriterionLevel.value,
                           m.CriterionLevel.label, m.CriterionLevel.descriptor)
                    .where(m.CriterionLevel.criterion_id.in_([c[0] for c in crits]))
                    .order_by(m.CriterionLevel.value)):
                levels[cid].append((value, label, descriptor))
            domain = Rubric(r[0], r[1], r[2], tuple(
                Criterion(key=c[1], title=c[2], required_level=c[3], guidance=c[4],
                          levels=tuple(Level(v, lab, d) for v, lab, d in levels[c[0]]))
                for c in crits))
            self.rubrics[rubric_id] = RubricInfo(
                domain, r[0], r[1], r[2],
                tuple((c[0], c[1], c[2], c[3], {v: lab for v, lab, _ in levels[c[0]]}) for c in crits))
        return self.rubrics[rubric_id]

    def credential(self, credential_id: int) -> tuple[str, str, str]:
        if credential_id not in self.credentials:
            row = self.session.execute(select(m.Credential.key, m.Credential.version, m.Credential.title)
                                       .where(m.Credential.id == credential_id)).one()
            self.credentials[credential_id] = (row[0], row[1], row[2])
        return self.credentials[credential_id]

    def load_profiles(self, ids: Iterable[int]) -> None:
        missing = [i for i in set(ids) if i not in self.profiles]
        for start in range(0, len(missing), CHUNK):
            for pid, uid, name, role in self.session.execute(
                    select(m.Profile.id, m.Profile.uid, m.Profile.name, m.Profile.role)
                    .where(m.Profile.id.in_(missing[start:start + CHUNK]))):
                self.profiles[pid] = (uid, name, Role(role).value)

    def profiles_of(self, ids: Iterable[int]) -> dict[int, tuple[str, str, str]]:
        ids = list(ids)
        self.load_profiles(ids)
        return {i: self.profiles[i] for i in ids}

    def policy(self, credential_key: str) -> Policy:
        if credential_key not in self.policies:
            self.policies[credential_key] = policy_for(self.session, credential_key)
            self.rules[credential_key] = self.policies[credential_key].rule
        return self.policies[credential_key]

    def rule(self, credential_key: str) -> DoubleScoring:
        self.policy(credential_key)
        return self.rules[credential_key]

    def earlier_reviews(self, reviewer_id: int, credential_key: str, review: ReviewRow) -> int:
        """The reviewer's submitted reviews of this credential before this one."""
        key = (reviewer_id, credential_key)
        if key not in self.histories:
            rows = self.session.execute(
                select(m.Review.submitted_at, m.Review.id)
                .join(m.Attempt, m.Review.attempt_id == m.Attempt.id)
                .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
                .where(m.Review.reviewer_id == reviewer_id, m.Submission.credential_key == credential_key,
                       m.Review.status == ReviewStatus.SUBMITTED, m.Review.kind == "review")).all()
            self.histories[key] = sorted((r[0], r[1]) for r in rows)
        return bisect.bisect_left(self.histories[key], (review.submitted_at, review.id))


def levels_of(info: RubricInfo, scores: dict[int, tuple[int | None, str]]) -> dict[str, int | None]:
    return {c[1]: scores.get(c[0], (None, ""))[0] for c in info.criteria}
