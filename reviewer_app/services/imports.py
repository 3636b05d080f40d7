"""Importing submission packages (from the CLI, the window, or a sync pull)."""

from __future__ import annotations

from pathlib import Path

from reviewer_app.intake.importer import ImportOutcome, Importer
from reviewer_app.jobs import Job
from reviewer_app.services.context import AppContext


def import_package(ctx: AppContext, path: Path, job: Job | None = None) -> ImportOutcome:
    """Import one package, all or nothing; raises ``PackageError`` when it is refused."""
    return Importer(ctx.sessions, ctx.evidence).import_path(Path(path), job)
