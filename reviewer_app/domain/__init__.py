"""Pure domain rules: no I/O, no storage, no Qt."""

from reviewer_app.domain.model import (
    Candidate,
    Credential,
    Criterion,
    CriterionScore,
    Decision,
    EvidenceItem,
    EvidenceKind,
    Level,
    Profile,
    Recipient,
    Review,
    ReviewStatus,
    Role,
    Rubric,
    SubmissionStatus,
)
from reviewer_app.domain.rules import decide, missing_criteria, unsupported_criteria

__all__ = [
    "Candidate", "Credential", "Criterion", "CriterionScore", "Decision", "EvidenceItem",
    "EvidenceKind", "Level", "Profile", "Recipient", "Review", "ReviewStatus", "Role", "Rubric",
    "SubmissionStatus", "decide", "missing_criteria", "unsupported_criteria",
]
