"""A lead assessor's database on PostgreSQL enrols a reviewer and imports their signed batch
(the reviewer's laptop on SQLite), recognises it a second time, refuses an altered one and
one signed by a key it never enrolled (each refusal in the audit log), and keeps an intact
audit chain (runs when REVIEWER_APP_TEST_DATABASE_URL names a server, as in ``.ci/run``)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from reviewer_app.config import AppPaths, resolve_paths
from reviewer_app.domain.model import Region, Role
from reviewer_app.services import annotations, enrolment, identity, reviews
from reviewer_app.services.batches import export_batch, import_batches
from reviewer_app.services.imports import import_package
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from postgres_support import needs_postgres

pytestmark = needs_postgres


def _count(ctx: AppContext, model) -> int:
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_lead_on_postgresql_imports_a_batch(pg_paths: AppPaths, demo_packages: list[Path],
                                              tmp_path: Path):
    with AppContext.open(resolve_paths(data_dir=tmp_path / "reviewer")) as mine:
        for package in demo_packages:
            import_package(mine, package)
        update_self(mine, name="Alice Morgan", role=Role.REVIEWER)
        review = reviews.start_review(mine, get_submission(mine, "DEMO-1002", 1).attempt_id)
        for key, level in [("learning-goals", 3), ("checks-for-understanding", 2), ("feedback", 3),
                           ("adjusting-instruction", 2)]:
            reviews.set_level(mine, review.uid, key, level)
            reviews.set_comment(mine, review.uid, key, f"{key}: seen.")
        reviews.set_feedback(mine, review.uid, "Check every student's understanding.")
        annotations.add_time_note(mine, review.uid, "video", 1000, 2500, "Here.", "feedback")
        annotations.add_page_note(mine, review.uid, "plan", 0, Region(10.0, 20.0, 30.5, 40.25), "There.")
        reviews.submit_review(mine, review.uid)
        sent = reviews.get_review(mine, review.uid)
        notes = annotations.list_notes(mine, review.uid)
        batch = export_batch(mine, tmp_path / "out")
        card, me = identity.export_enrolment(mine, tmp_path / "enrolment")
    with AppContext.open(resolve_paths(data_dir=tmp_path / "mallory")) as mallory:
        for package in demo_packages:
            import_package(mallory, package)
        update_self(mallory, name="Mallory", role=Role.REVIEWER)
        fake = reviews.start_review(mallory, get_submission(mallory, "DEMO-1002", 1).attempt_id)
        for key in ("learning-goals", "checks-for-understanding", "feedback", "adjusting-instruction"):
            reviews.set_level(mallory, fake.uid, key, 3)
        reviews.submit_review(mallory, fake.uid)
        forged = export_batch(mallory, tmp_path / "mallory-out")

    with AppContext.open(pg_paths) as lead:
        assert lead.engine.dialect.name == "postgresql"
        update_self(lead, name="Lee", role=Role.LEAD_ASSESSOR)  # a new lead database
        for package in demo_packages:
            import_package(lead, package)
        enrolment.enrol(lead, card, me.fingerprint)
        [mallorys, outcome] = import_batches(lead, [forged.json_path, batch.json_path])
        assert mallorys.refused and "no reviewer enrolled here holds" in mallorys.message
        assert outcome.status == "imported" and outcome.imported == 1, outcome.message
        got = reviews.get_review(lead, review.uid)
        assert (got.scores, got.feedback, got.decision, got.submitted_at) == \
            (sent.scores, sent.feedback, sent.decision, sent.submitted_at)
        assert annotations.list_notes(lead, review.uid) == notes

        [again] = import_batches(lead, [batch.json_path])
        assert again.status == "already imported"
        data = json.loads(batch.json_path.read_text(encoding="utf-8"))
        data["reviews"][0]["feedback"] = "Well done."
        altered = tmp_path / "altered.reviewer-batch.json"
        altered.write_text(json.dumps(data), encoding="utf-8")
        reviews_before = _count(lead, m.Review)
        [refused] = import_batches(lead, [altered])
        assert refused.refused and "was changed after it was exported" in refused.message
        assert _count(lead, m.Review) == reviews_before and _count(lead, m.ScoreBatch) == 1
        refused_files = [json.loads(e.details_json)["file"] for e in audit.recent(lead)
                         if e.action == audit.BATCH_REFUSED]
        assert refused_files == [altered.name, forged.json_path.name]
        assert audit.verify(lead).ok
