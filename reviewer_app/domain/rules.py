"""The decision rule and the checks a review must pass before it is submitted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reviewer_app.domain.model import Decision, EvidenceItem, Rubric


def decide(rubric: Rubric, levels: Mapping[str, int | None]) -> Decision | None:
    """Earned only when every criterion reaches its required level.

    ``Decision.NOT_YET`` as soon as any scored criterion falls below its required level
    (scoring the rest cannot change that); ``None`` while the review is incomplete and
    nothing has failed yet.
    """
    complete = True
    for criterion in rubric.criteria:
        value = levels.get(criterion.key)
        if value is None:
            complete = False
        elif not criterion.meets(value):
            return Decision.NOT_YET
    return Decision.EARNED if complete else None


def missing_criteria(rubric: Rubric, levels: Mapping[str, int | None]) -> list[str]:
    """Keys of the criteria that have no level yet, in rubric order."""
    return [c.key for c in rubric.criteria if levels.get(c.key) is None]


def unsupported_criteria(rubric: Rubric, evidence: Iterable[EvidenceItem]) -> list[str]:
    """Criteria that no evidence item says it supports, in rubric order."""
    supported = {key for item in evidence for key in item.criteria}
    return [c.key for c in rubric.criteria if c.key not in supported]


def submission_problems(rubric: Rubric, levels: Mapping[str, int | None],
                        feedback: str) -> list[str]:
    """Why a review cannot be submitted yet, in plain words; empty when it can."""
    problems = []
    for key in missing_criteria(rubric, levels):
        criterion = rubric.criterion(key)
        problems.append(f"Criterion \u201c{criterion.title if criterion else key}\u201d has no level.")
    for key, value in levels.items():
        criterion = rubric.criterion(key)
        if criterion is not None and value is not None and criterion.level(value) is None:
            problems.append(f"Criterion \u201c{criterion.title}\u201d has no level {value}.")
    if decide(rubric, levels) is Decision.NOT_YET and not feedback.strip():
        problems.append("Feedback to the candidate is required when the decision is \u201cnot yet\u201d.")
    return problems
