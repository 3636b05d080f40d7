"""The pure rules of double scoring, disputes and calibration (reviewer_app.domain.moderation)."""

from __future__ import annotations

import hashlib

import pytest

from reviewer_app.domain.model import Criterion, Decision, Level, Rubric
from reviewer_app.domain.moderation import (
    NEAR_CUT,
    NEW_REVIEWER,
    RANDOM,
    DoubleScoring,
    ScoredReview,
    all_disagreements,
    calibration_agreement,
    calibration_matches,
    disagreements,
    near_cut,
    picked_at_random,
    random_share,
    second_review_reason,
)

LEVELS = tuple(Level(v, label) for v, label in [(1, "Beginning"), (2, "Developing"), (3, "Proficient"),
                                                (4, "Exemplary")])
RUBRIC = Rubric("r", "1", "Rubric", (
    Criterion("goals", "Clear goals", 3, LEVELS),
    Criterion("checks", "Checks for understanding", 2, LEVELS),
))


def test_the_random_pick_is_sha256_of_seed_and_submission_and_the_same_everywhere():
    digest = hashlib.sha256(b"seed-1SUB-42").digest()
    assert random_share("seed-1", "SUB-42") == int.from_bytes(digest[:8], "big") * 100 / 2 ** 64
    keys = [f"SUB-{i:05d}" for i in range(4000)]
    picked = [k for k in keys if picked_at_random("seed-1", k, 25)]
    assert 0.22 < len(picked) / len(keys) < 0.28  # about the asked share
    assert picked == [k for k in keys if picked_at_random("seed-1", k, 25)]  # deterministic
    assert picked != [k for k in keys if picked_at_random("seed-2", k, 25)]  # the seed matters
    assert not any(picked_at_random("seed-1", k, 0) for k in keys)
    assert all(picked_at_random("seed-1", k, 100) for k in keys)


def test_near_the_cut_is_within_the_margin_of_the_required_level():
    assert near_cut(RUBRIC, {"goals": 3, "checks": 4}, 0) == ["goals"]
    assert near_cut(RUBRIC, {"goals": 4, "checks": 4}, 0) == []
    assert near_cut(RUBRIC, {"goals": 4, "checks": 4}, 1) == ["goals"]
    assert near_cut(RUBRIC, {"goals": 1, "checks": 3}, 1) == ["checks"]
    assert near_cut(RUBRIC, {"goals": 3, "checks": 2}, None) == []  # off


def test_the_second_review_reason_prefers_the_most_specific():
    everything = DoubleScoring(second_review_percent=100, near_cut_margin=0, first_reviews=3, seed="s")
    at_cut = {"goals": 3, "checks": 4}
    far = {"goals": 4, "checks": 4}
    assert second_review_reason(everything, RUBRIC, "SUB-1", at_cut, 0) == NEAR_CUT
    assert second_review_reason(everything, RUBRIC, "SUB-1", far, 2) == NEW_REVIEWER
    assert second_review_reason(everything, RUBRIC, "SUB-1", far, 3) == RANDOM
    assert second_review_reason(DoubleScoring(), RUBRIC, "SUB-1", at_cut, 0) is None


def test_two_reviews_dispute_on_decision_or_a_gap_over_the_allowed_one():
    ana = ScoredReview("Ana", {"goals": 3, "checks": 2}, Decision.EARNED)
    ben = ScoredReview("Ben", {"goals": 4, "checks": 2}, Decision.EARNED)
    assert disagreements(RUBRIC, ana, ben, 1) == []
    assert disagreements(RUBRIC, ana, ben, 0) == [
        "Criterion \u201cClear goals\u201d: Ana gave 3 (Proficient) and Ben gave 4 (Exemplary), "
        "1 level apart (no difference is allowed)."]
    cy = ScoredReview("Cy", {"goals": 1, "checks": 2}, Decision.NOT_YET)
    assert disagreements(RUBRIC, ana, cy, 1) == [
        "Ana decided \u201cearned\u201d and Cy decided \u201cnot yet\u201d.",
        "Criterion \u201cClear goals\u201d: Ana gave 3 (Proficient) and Cy gave 1 (Beginning), "
        "2 levels apart (at most 1 allowed)."]
    # Three reviews: every pair, each reason once.
    assert all_disagreements(RUBRIC, [ana, ben, cy], 1)[0] == disagreements(RUBRIC, ana, cy, 1)[0]
    assert len(all_disagreements(RUBRIC, [ana, ben, cy], 1)) == 4


def test_calibration_matches_and_qualification():
    matches = calibration_matches(RUBRIC, {"goals": 3, "checks": 2}, {"goals": 3, "checks": 4})
    assert [(m.criterion_key, m.agreed, m.given, m.exact, m.adjacent) for m in matches] == [
        ("goals", 3, 3, True, True), ("checks", 2, 4, False, False)]
    adjacent = calibration_matches(RUBRIC, {"goals": 3, "checks": 2}, {"goals": 2, "checks": None})
    assert [(m.exact, m.adjacent) for m in adjacent] == [(False, True), (False, False)]
    # Four items of two criteria: 7 of 8 exact is 87.5%, qualified at 80%, not at 90%.
    perfect = calibration_matches(RUBRIC, {"goals": 3, "checks": 2}, {"goals": 3, "checks": 2})
    one_off = calibration_matches(RUBRIC, {"goals": 3, "checks": 2}, {"goals": 3, "checks": 3})
    results = [(perfect, True), (perfect, True), (perfect, True), (one_off, True)]
    a = calibration_agreement(results, 0.8)
    assert (a.items, a.criteria, a.exact, a.adjacent, a.decisions_matched) == (4, 8, 7, 8, 4)
    assert a.exact_rate == pytest.approx(0.875) and a.qualified
    assert not calibration_agreement(results, 0.9).qualified
    # Exactly at the threshold qualifies; nothing scored never does.
    assert calibration_agreement([(perfect, True), (matches, False)], 0.75).qualified
    assert calibration_agreement([(perfect, True), (matches, False)], 0.76).qualified is False
    none = calibration_agreement([], 0.0)
    assert none.exact_rate is None and not none.qualified
