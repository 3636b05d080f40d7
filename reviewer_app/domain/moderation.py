"""Double scoring, disputes and calibration: the pure rules a lead assessor's policy sets.

No I/O and no storage: the services pass plain values in and store what comes out.

* ``second_review_reason``: does a submission get a second review, and why. The random
  pick is deterministic (SHA-256 of the policy's seed and the submission id), so every
  machine holding the same policy picks the same submissions.
* ``disagreements``: why two reviews of one submission dispute, one plain sentence each.
* ``calibration_matches`` / ``calibration_agreement``: how a reviewer's levels compare with the agreed
  (calibration) levels, and whether the reviewer's exact agreement qualifies them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reviewer_app.domain.model import Decision, Rubric

# Why a submission gets a second review (stored on the attempt).
NEAR_CUT = "near_cut"
NEW_REVIEWER = "new_reviewer"
RANDOM = "random"
UNQUALIFIED = "unqualified"

REASON_TEXT = {
    NEAR_CUT: "near the cut",
    NEW_REVIEWER: "the reviewer is still in their first reviews",
    RANDOM: "picked at random",
    UNQUALIFIED: "the reviewer is not yet qualified by calibration",
}

DEFAULT_THRESHOLD = 0.8


@dataclass(frozen=True)
class DoubleScoring:
    """A credential's double-scoring rule (the defaults: no second reviews, no gap allowed)."""

    second_review_percent: int = 0
    near_cut_margin: int | None = None  # None: off
    first_reviews: int = 0  # 0: off
    max_level_gap: int = 0
    seed: str = ""


def random_share(seed: str, submission_key: str) -> float:
    """A number in [0, 100) fixed by the seed and the submission id (the same everywhere)."""
    digest = hashlib.sha256((seed + submission_key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") * 100 / 2 ** 64


def picked_at_random(seed: str, submission_key: str, percent: int) -> bool:
    return percent > 0 and random_share(seed, submission_key) < percent


def near_cut(rubric: Rubric, levels: Mapping[str, int | None], margin: int | None) -> list[str]:
    """Keys of the criteria whose level is within ``margin`` levels of the required one."""
    if margin is None:
        return []
    out = []
    for criterion in rubric.criteria:
        value = levels.get(criterion.key)
        if value is not None and abs(value - criterion.required_level) <= margin:
            out.append(criterion.key)
    return out


def second_review_reason(rule: DoubleScoring, rubric: Rubric, submission_key: str,
                         levels: Mapping[str, int | None], reviewer_earlier_reviews: int) -> str | None:
    """Why the first review of a submission needs a second one, or None when one is enough.

    ``reviewer_earlier_reviews`` counts the first reviewer's submitted reviews of this
    credential before this one. When several reasons apply, the most specific is given:
    near the cut, then a new reviewer, then the random pick.
    """
    if near_cut(rubric, levels, rule.near_cut_margin):
        return NEAR_CUT
    if rule.first_reviews > 0 and reviewer_earlier_reviews < rule.first_reviews:
        return NEW_REVIEWER
    if picked_at_random(rule.seed, submission_key, rule.second_review_percent):
        return RANDOM
    return None


@dataclass(frozen=True)
class ScoredReview:
    """One submitted review as the dispute rule needs it."""

    reviewer_name: str
    levels: Mapping[str, int | None]
    decision: Decision | None


def _label(rubric: Rubric, key: str, value: int | None) -> str:
    if value is None:
        return "no level"
    criterion = rubric.criterion(key)
    level = criterion.level(value) if criterion else None
    return f"{value} ({level.label})" if level else str(value)


def _decision_text(decision: Decision | None) -> str:
    return f"\u201c{decision.label.lower()}\u201d" if decision else "nothing"


def disagreements(rubric: Rubric, first: ScoredReview, second: ScoredReview,
                  max_level_gap: int) -> list[str]:
    """Why two reviews dispute, one plain sentence each; empty when they agree.

    They dispute when their decisions differ, or when any criterion's levels differ by
    more than ``max_level_gap``.
    """
    reasons = []
    if first.decision != second.decision:
        reasons.append(f"{first.reviewer_name} decided {_decision_text(first.decision)} and "
                       f"{second.reviewer_name} decided {_decision_text(second.decision)}.")
    for criterion in rubric.criteria:
        a, b = first.levels.get(criterion.key), second.levels.get(criterion.key)
        if a is None or b is None:
            if a != b:
                reasons.append(f"Criterion \u201c{criterion.title}\u201d: only one of "
                               f"{first.reviewer_name} and {second.reviewer_name} gave a level.")
            continue
        gap = abs(a - b)
        if gap > max_level_gap:
            allowed = "no difference is allowed" if max_level_gap == 0 else \
                f"at most {max_level_gap} allowed"
            reasons.append(f"Criterion \u201c{criterion.title}\u201d: {first.reviewer_name} gave "
                           f"{_label(rubric, criterion.key, a)} and {second.reviewer_name} gave "
                           f"{_label(rubric, criterion.key, b)}, {gap} level{'s' if gap != 1 else ''} "
                           f"apart ({allowed}).")
    return reasons


def all_disagreements(rubric: Rubric, reviews: Sequence[ScoredReview], max_level_gap: int) -> list[str]:
    """Disagreements between every pair of reviews (two reviews: just that pair)."""
    reasons: list[str] = []
    for i, first in enumerate(reviews):
        for second in reviews[i + 1:]:
            for reason in disagreements(rubric, first, second, max_level_gap):
                if reason not in reasons:
                    reasons.append(reason)
    return reasons


# -- calibration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionMatch:
    """One criterion of a calibration item: the agreed level and the reviewer's."""

    criterion_key: str
    agreed: int
    given: int | None

    @property
    def exact(self) -> bool:
        return self.given is not None and self.given == self.agreed

    @property
    def adjacent(self) -> bool:
        """The same level or one away."""
        return self.given is not None and abs(self.given - self.agreed) <= 1


def calibration_matches(rubric: Rubric, agreed: Mapping[str, int],
                        given: Mapping[str, int | None]) -> list[CriterionMatch]:
    """Agreed against given, criterion by criterion in rubric order (criteria with an agreed level)."""
    return [CriterionMatch(c.key, agreed[c.key], given.get(c.key))
            for c in rubric.criteria if c.key in agreed]


@dataclass(frozen=True)
class CalibrationAgreement:
    """A reviewer's agreement with the calibration scores."""

    items: int  # calibration items scored
    criteria: int  # criterion levels compared
    exact: int
    adjacent: int
    decisions_matched: int
    threshold: float

    @property
    def exact_rate(self) -> float | None:
        return self.exact / self.criteria if self.criteria else None

    @property
    def adjacent_rate(self) -> float | None:
        return self.adjacent / self.criteria if self.criteria else None

    @property
    def qualified(self) -> bool:
        """Exact agreement at or above the threshold (never with nothing scored)."""
        rate = self.exact_rate
        return rate is not None and rate >= self.threshold - 1e-12


def calibration_agreement(results: Iterable[tuple[Sequence[CriterionMatch], bool]],
                          threshold: float = DEFAULT_THRESHOLD) -> CalibrationAgreement:
    """Sum a reviewer's calibration results: (criterion matches, decision matched) per item."""
    items = criteria = exact = adjacent = decisions = 0
    for matches, decision_matched in results:
        items += 1
        criteria += len(matches)
        exact += sum(1 for m in matches if m.exact)
        adjacent += sum(1 for m in matches if m.adjacent)
        decisions += 1 if decision_matched else 0
    return CalibrationAgreement(items, criteria, exact, adjacent, decisions, threshold)
