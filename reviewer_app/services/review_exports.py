"""Reviews and their decisions, as CSV (one row per review and criterion) or JSON.

Candidate identity is never exported here: rows carry the candidate's package id only, and
not even that for a reviewer in blind review. A reviewer exports only their own reviews.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, selectinload

from reviewer_app import __version__
from reviewer_app.domain.model import Role
from reviewer_app.domain.rules import decide
from reviewer_app.exports.spreadsheet import spreadsheet_safe
from reviewer_app.jobs import Job
from reviewer_app.services.policies import BLIND_CANDIDATE, identity_withheld
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import models as m
from reviewer_app.store.atomic_files import atomic_text_file
from reviewer_app.store.context import AppContext

EXPORT_FORMAT = "reviewer-export/1"
CSV_COLUMNS = [
    "review_id", "submission_id", "attempt", "credential_id", "credential_version",
    "credential_title", "candidate_id", "reviewer", "reviewer_role", "status", "decision",
    "submitted_at", "updated_at", "criterion_id", "criterion_title", "level", "level_label",
    "required_level", "meets_required", "comment", "feedback",
]


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    reviews: int
    rows: int


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _scope(session: Session) -> tuple[Any, bool]:
    """Which reviews the current profile may export, and whether candidate ids are withheld.

    A lead assessor exports every review; a reviewer only their own, and (in blind review)
    without the candidate's id.
    """
    me = session.scalars(select(m.Profile).where(m.Profile.is_self.is_(True))).first()
    if me is None or me.role is Role.LEAD_ASSESSOR:
        return true(), False
    return m.Review.reviewer_id == me.id, identity_withheld(session)


def iter_review_records(ctx: AppContext, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every review this profile may export as a plain dict, oldest first, a batch at a time."""
    last_id = 0
    while True:
        with ctx.sessions() as session:
            allowed, withheld = _scope(session)
            rows = session.scalars(
                select(m.Review).where(m.Review.id > last_id, allowed).order_by(m.Review.id).limit(batch)
                .options(selectinload(m.Review.reviewer),
                         selectinload(m.Review.scores).selectinload(m.ReviewScore.criterion),
                         selectinload(m.Review.attempt).options(
                             selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                             selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                             .selectinload(m.Criterion.levels)))).all()
            for row in rows:
                record = _record(row)
                if withheld:
                    record["candidate_id"] = BLIND_CANDIDATE
                yield record
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def _record(row: m.Review) -> dict[str, Any]:
    attempt = row.attempt
    rubric = rubric_to_domain(attempt.rubric)
    by_key = {s.criterion.key: s for s in row.scores}
    levels = {k: s.level for k, s in by_key.items()}
    decision = row.decision if row.decision is not None else decide(rubric, levels)
    criteria = []
    for crit in rubric.criteria:
        score = by_key.get(crit.key)
        level = score.level if score else None
        found = crit.level(level) if level is not None else None
        criteria.append({
            "criterion_id": crit.key, "criterion_title": crit.title, "level": level,
            "level_label": found.label if found else None, "required_level": crit.required_level,
            "meets_required": crit.meets(level) if level is not None else None,
            "comment": score.comment if score else "",
        })
    return {
        "review_id": row.uid, "submission_id": attempt.submission.key, "attempt": attempt.number,
        "credential": {"id": attempt.credential.key, "version": attempt.credential.version,
                       "title": attempt.credential.title},
        "rubric": {"id": rubric.key, "version": rubric.version},
        "candidate_id": attempt.submission.candidate_key,
        "reviewer": {"id": row.reviewer.uid, "name": row.reviewer.name,
                     "role": row.reviewer.role.value},
        "status": row.status.value,
        "decision": decision.value if decision else None,
        "decision_final": row.decision is not None,
        "feedback": row.feedback,
        "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
        "submitted_at": _iso(row.submitted_at),
        "criteria": criteria,
    }


def count_reviews(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        allowed, _ = _scope(session)
        return int(session.scalar(select(func.count(m.Review.id)).where(allowed)) or 0)


def export_reviews(ctx: AppContext, fmt: Literal["csv", "json"], out: Path,
                   job: Job | None = None) -> ExportSummary:
    job = job or Job()
    total = count_reviews(ctx)
    job.start(total, f"Exporting {total} reviews")
    if fmt == "csv":
        return _write_csv(ctx, Path(out), job)
    if fmt == "json":
        return _write_json(ctx, Path(out), job)
    raise ValueError(f"unknown export format {fmt!r}")


def _write_csv(ctx: AppContext, out: Path, job: Job) -> ExportSummary:
    reviews = rows = 0
    with atomic_text_file(out, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for record in iter_review_records(ctx):
            job.check()
            for crit in record["criteria"]:
                flat = {
                    "review_id": record["review_id"], "submission_id": record["submission_id"],
                    "attempt": record["attempt"], "credential_id": record["credential"]["id"],
                    "credential_version": record["credential"]["version"],
                    "credential_title": record["credential"]["title"],
                    "candidate_id": record["candidate_id"], "reviewer": record["reviewer"]["name"],
                    "reviewer_role": record["reviewer"]["role"], "status": record["status"],
                    "decision": record["decision"] or "", "submitted_at": record["submitted_at"] or "",
                    "updated_at": record["updated_at"] or "", "feedback": record["feedback"],
                    **crit,
                }
                writer.writerow([_csv_cell(flat[c]) for c in CSV_COLUMNS])
                rows += 1
            reviews += 1
            job.advance(1)
    return ExportSummary(out, reviews, rows)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return spreadsheet_safe(value)


def _write_json(ctx: AppContext, out: Path, job: Job) -> ExportSummary:
    reviews = 0
    with atomic_text_file(out) as fh:
        header = {"format": EXPORT_FORMAT, "app_version": __version__,
                  "exported_at": datetime.now(UTC).isoformat()}
        fh.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "reviews": [')
        for record in iter_review_records(ctx):
            job.check()
            fh.write(("," if reviews else "") + "\n  " + json.dumps(record, ensure_ascii=False))
            reviews += 1
            job.advance(1)
        fh.write(("\n" if reviews else "") + f'], "count": {reviews}}}\n')
    return ExportSummary(out, reviews, reviews)
