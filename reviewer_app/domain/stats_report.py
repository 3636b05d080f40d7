"""A lead's agreement statistics as plain values: what ``services.stats`` computes, the
statistics window shows and ``exports.stats`` writes (figures from ``domain.agreement``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reviewer_app.domain.agreement import Agreement


@dataclass(frozen=True)
class StatsQuery:
    credential_key: str | None = None
    #: Pairs whose later review was submitted at or after ``since`` and before ``until``.
    since: datetime | None = None
    until: datetime | None = None
    #: How agreement over time is grouped: ISO weeks ("2026-W37") or months ("2026-09").
    period: str = "week"


@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str  # unique within a report (a uid prefix is added to a repeated name)


@dataclass(frozen=True)
class AgreementRow:
    """One line of figures: a credential, one of its criteria, or one pair of reviewers."""

    credential_key: str
    credential_title: str
    criterion_key: str | None  # None: every criterion of the credential, pooled
    criterion_title: str | None
    reviewers: tuple[Reviewer, Reviewer] | None  # None: every pair of reviewers
    levels: tuple[int, ...]  # the scale the figures use (from the rubric)
    scores: Agreement  # agreement on criterion levels
    decisions: Agreement | None  # agreement on the decision (credential and pair rows)
    #: Criterion rows: the confusion table, ``confusion[i][j]`` pairs in which the pair's
    #: first reviewer (in canonical order) gave ``levels[i]`` and the other ``levels[j]``.
    confusion: tuple[tuple[int, ...], ...] = ()

    @property
    def label(self) -> str:
        if self.reviewers is not None:
            return f"{self.reviewers[0].name} & {self.reviewers[1].name}"
        return self.criterion_title if self.criterion_title is not None else "All criteria"


@dataclass(frozen=True)
class PeriodRow:
    period: str  # "2026-W37" or "2026-09"
    start: date
    scores: Agreement  # every criterion of every credential in the query, pooled


@dataclass(frozen=True)
class Distribution:
    """How often one reviewer gave each level of one criterion (submitted reviews)."""

    reviewer: Reviewer
    credential_key: str
    criterion_key: str
    criterion_title: str
    levels: tuple[int, ...]
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ReviewerRow:
    """One reviewer's figures: against the other reviewers in one period (their drift, the
    reviewer's level first), or against the lead's moderated result (``period`` None)."""

    credential_key: str
    credential_title: str
    reviewer: Reviewer
    period: str | None
    start: date | None
    levels: tuple[int, ...]
    scores: Agreement  # every criterion pooled
    decisions: Agreement | None = None  # against the moderated decision


@dataclass(frozen=True)
class StatsReport:
    query: StatsQuery
    pairs: int  # pairs of submitted reviews
    by_credential: list[AgreementRow]
    by_criterion: list[AgreementRow]
    by_pair: list[AgreementRow]
    over_time: list[PeriodRow]
    distributions: list[Distribution]
    reviewers: list[Reviewer] = field(default_factory=list)
    #: Each reviewer's agreement with the other reviewers, period by period.
    drift: list[ReviewerRow] = field(default_factory=list)
    #: Each reviewer's agreement with the lead's moderated result (not a rater pair).
    against_moderation: list[ReviewerRow] = field(default_factory=list)
    #: Submitted reviews left out of the pairs: "moderation" (a lead's final scoring of a
    #: dispute) and "calibration" (reviews of calibration submissions).
    excluded: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain data (for ``--json``)."""
        def row(r: AgreementRow) -> dict:
            return {"credential": r.credential_key, "credential_title": r.credential_title,
                    "criterion": r.criterion_key, "criterion_title": r.criterion_title,
                    "reviewers": [p.name for p in r.reviewers] if r.reviewers else None,
                    "levels": list(r.levels), "scores": r.scores.as_dict(),
                    "decisions": r.decisions.as_dict() if r.decisions else None}

        def by_reviewer(r: ReviewerRow) -> dict:
            return {"credential": r.credential_key, "reviewer": r.reviewer.name,
                    "period": r.period, "start": r.start.isoformat() if r.start else None,
                    "levels": list(r.levels), "scores": r.scores.as_dict(),
                    "decisions": r.decisions.as_dict() if r.decisions else None}

        q = self.query
        return {
            "query": {"credential": q.credential_key, "period": q.period,
                      "since": q.since.isoformat() if q.since else None,
                      "until": q.until.isoformat() if q.until else None},
            "review_pairs": self.pairs,
            "by_credential": [row(r) for r in self.by_credential],
            "by_criterion": [row(r) for r in self.by_criterion],
            "by_pair": [row(r) for r in self.by_pair],
            "over_time": [{"period": p.period, "start": p.start.isoformat(),
                           "scores": p.scores.as_dict()} for p in self.over_time],
            "distributions": [{"reviewer": d.reviewer.name, "credential": d.credential_key,
                               "criterion": d.criterion_key, "levels": list(d.levels),
                               "counts": {str(k): d.counts.get(k, 0) for k in d.levels}}
                              for d in self.distributions],
            "drift": [by_reviewer(r) for r in self.drift],
            "against_moderation": [by_reviewer(r) for r in self.against_moderation],
            "excluded_reviews": dict(self.excluded),
        }
