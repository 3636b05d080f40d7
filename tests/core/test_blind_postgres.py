"""Blind by design, the lead's side, on a real PostgreSQL server (``.ci/run`` starts one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import text

from reviewer_app.domain.model import Role
from reviewer_app.intake import sealed as sealing
from reviewer_app.services import lead_database, moderation
from reviewer_app.services.demo import load_demo
from reviewer_app.services.final_exports import write_feedback_letters
from reviewer_app.services.imports import import_package
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

from lead_support import FA_NOT_YET, add_profile, arrive, attempt_id, score_as, simple_rules
from postgres_support import needs_postgres
from test_blind_by_design import SEALED, sealed_package

pytestmark = needs_postgres


def test_the_leads_database_on_postgresql_keeps_names_and_wants_the_leads_key(
        pg_paths, tmp_path: Path, memory_keyring):
    with AppContext.open(pg_paths) as ctx:
        assert ctx.engine.dialect.name == "postgresql"
        update_self(ctx, name="Lena Lead", role=Role.LEAD_ASSESSOR)  # a new lead database
        assert lead_database.is_lead_database(ctx)
        load_demo(ctx)  # identities sealed to this lead's key
        shown = get_submission(ctx, "DEMO-1002", reveal_candidate=True).candidate
        assert (shown.display_name, shown.recipient.identity) == ("Sam Rivera", "sam.rivera@example.org")
        import_package(ctx, sealed_package(tmp_path / "in", lead_database.sealing_public_key(ctx)).path)
        other = sealing.public_text(X25519PrivateKey.generate())
        import_package(ctx, sealed_package(tmp_path / "in", other, "SUB-OTHER").path)
        assert get_submission(ctx, "SUB-SEALED", reveal_candidate=True).candidate.display_name == SEALED[0]
        assert get_submission(ctx, "SUB-OTHER", reveal_candidate=True).candidate.display_name is None
        with ctx.engine.connect() as conn:
            stored = conn.execute(text(
                "SELECT a.manifest_json FROM attempt a JOIN submission s ON s.id = a.submission_id "
                "WHERE s.key = 'SUB-OTHER'")).scalar_one()
        assert "sealed" in json.loads(stored)["candidate"]  # kept, for the lead it was meant for

        simple_rules(ctx)
        score_as(ctx, add_profile(ctx, "Rita Reviewer"), "DEMO-1002", 2, FA_NOT_YET)
        assert arrive(ctx, [attempt_id(ctx, "DEMO-1002", 2)]).final
        letters = write_feedback_letters(ctx, tmp_path / "letters")
        assert any("Sam-Rivera" in p.name for p in letters.files)

    memory_keyring.items.clear()  # the same database, reached from a laptop without the key
    with AppContext.open(pg_paths) as ctx:
        with pytest.raises(lead_database.NotLeadDatabase, match="bound to the lead's key"):
            moderation.list_disputes(ctx)
