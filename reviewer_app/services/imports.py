"""Importing submission packages (from the CLI, the window, or a sync pull) into this data
folder, keeping of the candidates' identities what its role allows: a lead's database keeps
names and opens identities sealed to the lead's key; a reviewer's laptop keeps only the
pseudonymous candidate id (``lead_database.identity_policy``; blind by design, issue #12).

The import itself, and the audit of a refused package, are ``intake.importer``'s.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.intake.importer import ImportOutcome, import_package_as
from reviewer_app.jobs import Job
from reviewer_app.services import lead_database
from reviewer_app.store.context import AppContext


def import_package(ctx: AppContext, path: Path, job: Job | None = None) -> ImportOutcome:
    """Import one package, all or nothing; raises ``PackageError`` when it is refused."""
    policy = lead_database.identity_policy(ctx)
    outcome = import_package_as(ctx, path, policy, job)
    if not policy.keep:
        lead_database.mark_reviewer_copy(ctx)
    return outcome
