"""The same store on a real PostgreSQL server (``.ci/run`` starts one).

Runs when REVIEWER_APP_TEST_DATABASE_URL names a server; each test gets its own schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from reviewer_app.config import AppPaths
from reviewer_app.domain import Decision, ReviewStatus, SubmissionStatus
from reviewer_app.errors import PackageError
from reviewer_app.services import reviews
from reviewer_app.services.imports import import_package
from reviewer_app.services.review_exports import export_reviews
from reviewer_app.services.submissions import get_submission, list_submissions
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.migrate import current_revision, head_revision

from postgres_support import needs_postgres

pytestmark = needs_postgres


def test_migrates_an_empty_database_to_the_models(pg_paths: AppPaths):
    with AppContext.open(pg_paths) as ctx:
        assert ctx.engine.dialect.name == "postgresql"
        assert current_revision(ctx.engine) == head_revision()
        with ctx.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    m.Base.metadata)
        assert diff == []


def test_import_score_submit_export(pg_paths: AppPaths, demo_packages, tmp_path: Path):
    with AppContext.open(pg_paths) as ctx:
        for package in demo_packages:
            assert import_package(ctx, package).status == "imported"
        assert import_package(ctx, demo_packages[0]).status == "already imported"
        assert len(list_submissions(ctx)) == 4
        detail = get_submission(ctx, "DEMO-1001")
        assert detail.submitted_at == datetime(2026, 9, 14, 14, 20, tzinfo=UTC)
        review = reviews.start_review(ctx, detail.attempt_id)
        for key, level in [("learning-goals", 4), ("checks-for-understanding", 3),
                           ("feedback", 3), ("adjusting-instruction", 3)]:
            reviews.set_level(ctx, review.uid, key, level)
        done = reviews.submit_review(ctx, review.uid)
        assert (done.status, done.decision) == (ReviewStatus.SUBMITTED, Decision.EARNED)
        statuses = {(r.key, r.attempt): r.status for r in list_submissions(ctx)}
        assert statuses[("DEMO-1001", 1)] is SubmissionStatus.SUBMITTED
        summary = export_reviews(ctx, "csv", tmp_path / "out.csv")
        assert (summary.reviews, summary.rows) == (1, 4)


def test_a_refused_package_leaves_postgres_unchanged(pg_paths: AppPaths, demo_packages, tmp_path):
    import json
    import zipfile

    with AppContext.open(pg_paths) as ctx:
        import_package(ctx, demo_packages[0])
        # Same rubric id and version, different content: refused inside the transaction.
        src = zipfile.ZipFile(demo_packages[1])
        changed = tmp_path / "changed.zip"
        with zipfile.ZipFile(changed, "w") as out:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == "rubric.json":
                    rubric = json.loads(data)
                    rubric["criteria"][0]["title"] = "Something else"
                    data = json.dumps(rubric).encode()
                out.writestr(info, data)
        with ctx.sessions() as session:
            before = [session.scalar(select(func.count()).select_from(t)) for t in
                      (m.Submission, m.Attempt, m.Rubric, m.Criterion, m.EvidenceItem)]
        blobs = sorted(p.name for p in ctx.evidence.blobs())
        with pytest.raises(PackageError, match="rubric"):
            import_package(ctx, changed)
        with ctx.sessions() as session:
            after = [session.scalar(select(func.count()).select_from(t)) for t in
                     (m.Submission, m.Attempt, m.Rubric, m.Criterion, m.EvidenceItem)]
        assert after == before
        assert sorted(p.name for p in ctx.evidence.blobs()) == blobs


def test_notes_on_photos_and_passages_and_their_checks(pg_paths: AppPaths, demo_packages):
    """Migration 0005's checks on PostgreSQL: the new kinds are stored; a quote with a page is not."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from reviewer_app.domain import Region
    from reviewer_app.services import annotations

    with AppContext.open(pg_paths) as ctx:
        import_package(ctx, demo_packages[0])
        review = reviews.start_review(ctx, get_submission(ctx, "DEMO-1001").attempt_id)
        photo = annotations.add_region_note(ctx, review.uid, "photo", Region(1, 2, 30, 40), "Region")
        quote = annotations.add_quote_note(ctx, review.uid, "written", "Today", 0, "Quote")
        assert annotations.list_notes(ctx, review.uid) == [photo, quote]
        with pytest.raises(IntegrityError, match="ck_annotation_anchor"), ctx.engine.begin() as conn:
            conn.execute(text("UPDATE annotation SET page = 0 WHERE kind = 'quote'"))
        with pytest.raises(IntegrityError, match="ck_annotation_"), ctx.engine.begin() as conn:
            conn.execute(text("UPDATE annotation SET kind = 'sketch' WHERE kind = 'quote'"))
