"""Pure domain rules: no I/O, no storage, no Qt."""

from reviewer_app.domain.model import (
    Annotation,
    AnnotationKind,
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
    Region,
    Review,
    ReviewStatus,
    Role,
    Rubric,
    SubmissionStatus,
    format_ms,
)
from reviewer_app.domain.rules import decide, missing_criteria, unsupported_criteria

__all__ = [
    "Annotation", "AnnotationKind", "Region", "format_ms",
    "Candidate", "Credential", "Criterion", "CriterionScore", "Decision", "EvidenceItem",
    "EvidenceKind", "Level", "Profile", "Recipient", "Review", "ReviewStatus", "Role", "Rubric",
    "SubmissionStatus", "decide", "missing_criteria", "unsupported_criteria",
]
