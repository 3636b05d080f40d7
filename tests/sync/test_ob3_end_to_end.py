"""From a reviewer's laptop to a badge anyone can verify: the reviewer scores and exports a
score batch; the lead assessor imports it (a final decision, queued for the issuer), syncs
it to the reference issuer, and issues the signed Open Badge, which the independent
verifier accepts. The reviewer's laptop can sign nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services import batches, enrolment, issuer_identity, sync
from reviewer_app.services import identity as reviewer_identity
from reviewer_app.services.imports import import_package
from reviewer_app.services.roles import NotAllowed
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox
from reviewer_app.sync.reference_issuer.server import IssuerServer

from dcc_verifier import verify
from support import (
    ORG,
    add_and_login,
    make_lead,
    ob3_schema_errors,
    score_earned,
    sync_until_done,
)


def test_a_reviewers_score_becomes_a_verified_badge(demo_data_dir: Path, demo_packages: list[Path],
                                                    issuer: IssuerServer, tmp_path: Path):
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as reviewer:
        score_earned(reviewer)  # DEMO-1002 attempt 2, on the reviewer's own laptop
        with pytest.raises(NotAllowed):
            issuer_identity.set_identity(reviewer, *ORG, "did:key")
        with pytest.raises(NotAllowed):
            sync.open_badge(reviewer, "DEMO-1002", 2)
        batch = batches.export_batch(reviewer, tmp_path / "batches")
        enrolment_file, me = reviewer_identity.export_enrolment(reviewer, tmp_path / "enrolment")

    with AppContext.open(resolve_paths(data_dir=tmp_path / "lead")) as lead:
        for package in demo_packages:
            import_package(lead, package)
        make_lead(lead)
        enrolment.enrol(lead, enrolment_file, me.fingerprint)  # the fingerprint read out
        batches.import_batch(lead, batch.json_path)
        issuer.store.assign("rev-ana", [{"submission_id": "DEMO-1002", "attempt": 2},
                                        {"submission_id": "DEMO-1002", "attempt": 1}])
        add_and_login(lead, issuer)
        sync_until_done(lead)
        states = {(e.submission_key, e.attempt): e.state for e in outbox.list_entries(lead.sessions)}
        assert states[("DEMO-1002", 2)] == outbox.ACCEPTED, states

        identity = issuer_identity.set_identity(lead, *ORG, "did:web:schools.springfield.example")
        credential = sync.open_badge(lead, "DEMO-1002", 2)
    assert ob3_schema_errors(credential) == []
    result = verify({"badge": credential}, tmp_path,
                    did_documents=[issuer_identity.did_document(identity)])["badge"]
    assert (result["verified"], result["errors"]) == (True, [])
