"""Importing submission packages (from the CLI, the window, or a sync pull).

A refused package stores nothing, but its refusal is written to the audit log
(``package.refuse``: the package's name and SHA-256, the reason in the reviewer's words
and the technical details) in a transaction of
its own.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.errors import PackageError
from reviewer_app.intake.importer import ImportOutcome, Importer
from reviewer_app.jobs import Job
from reviewer_app.services import audit, lead_database
from reviewer_app.services.context import AppContext


def import_package(ctx: AppContext, path: Path, job: Job | None = None) -> ImportOutcome:
    """Import one package, all or nothing; raises ``PackageError`` when it is refused."""
    path = Path(path)
    try:
        policy = lead_database.identity_policy(ctx)
        outcome = Importer(ctx.sessions, ctx.evidence, policy).import_path(path, job)
        if not policy.keep:
            lead_database.mark_reviewer_copy(ctx)
        return outcome
    except PackageError as exc:
        details = {"package": path.name, "reason": exc.reason, "details": exc.details}
        digest = audit.file_sha256(path)
        if digest is not None:
            details["file_sha256"] = digest
        audit.record_refusal(ctx, audit.PACKAGE_REFUSED, f"package {path.name}", details)
        raise
