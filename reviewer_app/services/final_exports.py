"""Exports for lead assessors: final decisions (CSV, JSON, XLSX) and feedback letters (PDF).

Only a lead assessor may export final decisions or write letters: both carry every
candidate's identity and the final decisions of every reviewer. The refusal is here, so
the CLI and the window give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from reviewer_app.exports import decisions
from reviewer_app.exports.decisions import DecisionFilter, ExportSummary
from reviewer_app.jobs import Job
from reviewer_app.services.roles import require_lead
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

if TYPE_CHECKING:  # the letters module is imported when letters are written
    from reviewer_app.exports.letters import LettersSummary


@dataclass(frozen=True)
class CredentialChoice:
    key: str
    title: str
    decisions: int  # final decisions held for it


def export_final_decisions(ctx: AppContext, fmt: str, out: Path,
                           filters: DecisionFilter | None = None,
                           job: Job | None = None) -> ExportSummary:
    """Write the final decisions selected by ``filters`` to ``out`` (csv, json or xlsx)."""
    require_lead(ctx, "export final decisions")
    return decisions.export_decisions(ctx, fmt, Path(out), filters, job)


def write_feedback_letters(ctx: AppContext, out: Path, filters: DecisionFilter | None = None, *,
                           combined: bool = False, job: Job | None = None,
                           today: date | None = None) -> LettersSummary:
    """One PDF feedback letter per final decision in the folder ``out`` (or, ``combined``,
    one PDF at ``out``), dated ``today`` (default: this day)."""
    require_lead(ctx, "write feedback letters")
    from reviewer_app.exports import letters

    return letters.write_letters(ctx, Path(out), filters, combined=combined, job=job, today=today)


def count_final_decisions(ctx: AppContext, filters: DecisionFilter | None = None) -> int:
    """How many final decisions ``filters`` selects (for a dialog's preview)."""
    require_lead(ctx, "see final decisions")
    with decisions.read_transaction(ctx) as conn:
        return decisions.plan(conn, filters or DecisionFilter()).count


def credential_choices(ctx: AppContext) -> list[CredentialChoice]:
    """Every credential this database holds, with its number of final decisions."""
    require_lead(ctx, "see final decisions")
    with ctx.sessions() as session:
        titles = dict(session.execute(
            select(m.Credential.key, func.max(m.Credential.title)).group_by(m.Credential.key)).all())
        counts = dict(session.execute(
            select(m.Credential.key, func.count(m.FinalDecision.id))
            .join(m.Attempt, m.Attempt.credential_id == m.Credential.id)
            .join(m.FinalDecision, m.FinalDecision.attempt_id == m.Attempt.id)
            .group_by(m.Credential.key)).all())
    return [CredentialChoice(key, titles[key], int(counts.get(key, 0))) for key in sorted(titles)]
