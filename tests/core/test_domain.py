"""The decision rule and submission checks, on plain values (no database, no Qt)."""

from reviewer_app.domain import Criterion, Decision, EvidenceItem, EvidenceKind, Level, Rubric
from reviewer_app.domain.rules import decide, submission_problems, unsupported_criteria

LEVELS = tuple(Level(v, name) for v, name in [(1, "Beginning"), (2, "Developing"),
                                             (3, "Proficient"), (4, "Exemplary")])
RUBRIC = Rubric("r", "1", "Rubric", (
    Criterion("goals", "Clear goals", 3, LEVELS),
    Criterion("checks", "Checks for understanding", 3, LEVELS),
    Criterion("adjust", "Adjusting instruction", 2, LEVELS),
))


def test_earned_only_when_every_criterion_reaches_its_required_level():
    assert decide(RUBRIC, {"goals": 3, "checks": 4, "adjust": 2}) is Decision.EARNED
    assert decide(RUBRIC, {"goals": 3, "checks": 2, "adjust": 4}) is Decision.NOT_YET


def test_required_level_differs_per_criterion():
    # 2 passes "adjust" (required 2) but not "goals" (required 3).
    assert decide(RUBRIC, {"goals": 2, "checks": 3, "adjust": 2}) is Decision.NOT_YET
    assert decide(RUBRIC, {"goals": 4, "checks": 3, "adjust": 2}) is Decision.EARNED


def test_incomplete_review_has_no_decision_until_something_fails():
    assert decide(RUBRIC, {}) is None
    assert decide(RUBRIC, {"goals": 4, "checks": None}) is None
    assert decide(RUBRIC, {"goals": 1}) is Decision.NOT_YET


def test_submission_problems_name_unscored_criteria_and_missing_feedback():
    problems = submission_problems(RUBRIC, {"goals": 3}, feedback="")
    assert any("Checks for understanding" in p for p in problems)
    assert any("Adjusting instruction" in p for p in problems)
    not_yet = {"goals": 1, "checks": 3, "adjust": 2}
    assert any("Feedback" in p for p in submission_problems(RUBRIC, not_yet, feedback="  "))
    assert submission_problems(RUBRIC, not_yet, feedback="Try exit tickets.") == []
    assert submission_problems(RUBRIC, {"goals": 3, "checks": 3, "adjust": 2}, feedback="") == []


def test_a_level_the_criterion_does_not_have_is_a_problem():
    assert any("no level 7" in p for p in submission_problems(
        RUBRIC, {"goals": 7, "checks": 3, "adjust": 2}, feedback="x"))


def test_criteria_that_no_evidence_supports_are_flagged():
    evidence = [EvidenceItem("v", EvidenceKind.VIDEO, "Video", "v.mp4", "0" * 64, 1, ("goals",))]
    assert unsupported_criteria(RUBRIC, evidence) == ["checks", "adjust"]
