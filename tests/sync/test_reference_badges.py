"""The reference issuer issues signed Open Badges of its own: an accepted earned decision
comes back to the lead as a badge that someone else's verifier (the Digital Credentials
Consortium's) and 1EdTech's schema accept, and that fails once edited. Real HTTP on
loopback, the real app database, the real keyring interface (in memory)."""

from __future__ import annotations

import copy
import json
import logging
import stat
from pathlib import Path

import httpx
import pytest

from reviewer_app.errors import UserError
from reviewer_app.services import sync as service
from reviewer_app.store.context import AppContext
from reviewer_app.sync.issued_badges import check_badge, issued_badge
from reviewer_app.sync.reference_issuer.badges import KEY_FILE
from reviewer_app.sync.reference_issuer.server import IssuerConfig, IssuerServer

from dcc_verifier import verify
from support import (
    EARNED_LEVELS,
    FAST,
    PASSWORD,
    USER,
    ob3_schema_errors,
    outbox_rows,
    score_earned,
    simple_rules,
)


@pytest.fixture
def delivered(signed_in: AppContext, issuer: IssuerServer, tmp_path: Path) -> AppContext:
    """The demo pulled from the issuer; DEMO-1002 attempt 2 decided "earned" and delivered.

    The issuer holds the packages as a programme hands them out: each candidate named by a
    pseudonym, the identity sealed to the lead's key (blind by design): the issuer learns
    the badge's recipient from the lead, with the earned decision."""
    from reviewer_app.services.demo import build_demo_packages
    from reviewer_app.services.lead_database import sealing_public_key

    sealed = build_demo_packages(tmp_path / "sealed", seal_to=sealing_public_key(signed_in))
    for package in sealed:
        issuer.store.add_package(package.read_bytes(), USER)
    assert service.sync_now(signed_in, settings=FAST).problems == []
    simple_rules(signed_in)
    score_earned(signed_in, "Private to Sam: keep the zebra exit tickets.")
    report = service.sync_now(signed_in, settings=FAST)
    assert (report.accepted, report.pending, report.problems) == (1, 0, [])
    return signed_in


def test_an_earned_decision_comes_back_as_a_badge_the_independent_verifier_accepts(
        delivered: AppContext, issuer: IssuerServer, tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    row, = [r for r in outbox_rows(delivered) if r["submission_key"] == "DEMO-1002"]
    assert row["badge_url"].startswith("/api/v1/badges/dec_") and row["badge_json"] is None
    badge = issued_badge(delivered, "DEMO-1002")
    profile = httpx.get(f"{issuer.url}/api/v1/issuer").json()
    assert badge["issuer"] == {"id": profile["id"], "type": ["Profile"],
                               "name": "Reviewer reference issuer", "url": issuer.url}
    assert profile["id"].startswith("did:key:z6Mk")
    assert badge["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert ob3_schema_errors(badge) == []
    subject = badge["credentialSubject"]
    # The package's rubric (every level, with its descriptor) and its recipient, hashed.
    assert [len(d["rubricCriterionLevel"]) for d in subject["achievement"]["resultDescription"]] == [4] * 4
    assert {r["achievedLevel"].rsplit("#criterion-", 1)[1] for r in subject["result"]} == \
        {f"{c}-level-{v}" for c, v in EARNED_LEVELS.items()}
    assert subject["identifier"][0]["identityType"] == "emailAddress"
    assert "sam.rivera" not in json.dumps(badge) and "zebra" not in json.dumps(badge)
    # Kept on the lead's side, and the same at the same address later.
    assert issued_badge(delivered, "DEMO-1002") == badge
    assert [r["badge_json"] is not None for r in outbox_rows(delivered)
            if r["submission_key"] == "DEMO-1002"] == [True]
    assert httpx.get(f"{issuer.url}{row['badge_url']}").json() == badge

    edited_level = copy.deepcopy(badge)
    edited_level["credentialSubject"]["result"][3]["achievedLevel"] = \
        edited_level["credentialSubject"]["result"][3]["achievedLevel"].replace("level-2", "level-4")
    edited_subject = copy.deepcopy(badge)
    edited_subject["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "0" * 64
    results = verify({"issued": badge, "edited-level": edited_level, "edited-subject": edited_subject},
                     tmp_path, did_documents=[profile["did_document"]])
    assert {name: (r["verified"], r["errors"]) for name, r in results.items()} == {
        "issued": (True, []), "edited-level": (False, ["Invalid signature."]),
        "edited-subject": (False, ["Invalid signature."])}
    # The lead's own check refuses an edited badge, and one that records other levels.
    decision = json.loads(row["payload_json"])
    assert check_badge(badge, decision) == ""
    assert "signature does not match" in check_badge(edited_level, decision)
    other = {**decision, "criteria": [{**c, "level": 1} for c in decision["criteria"]]}
    assert "does not record level 1" in check_badge(badge, other)

    # The server's key: its own file, owner-only, never in an answer or a log line.
    key_file = issuer.config.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    private = json.loads(key_file.read_text())["private"]
    assert private not in json.dumps(profile) + json.dumps(badge) + caplog.text


def test_the_issuer_keeps_its_key_across_restarts(tmp_path: Path):
    config = IssuerConfig(tmp_path / "issuer")
    first = IssuerServer(config)
    did = first.store.badge_issuer.did
    first.stop()
    again = IssuerServer(config)
    try:
        assert again.store.badge_issuer.did == did
    finally:
        again.stop()


def test_no_badge_for_a_decision_not_yet_earned(signed_in: AppContext, issuer: IssuerServer,
                                                demo_packages: list[Path]):
    from reviewer_app.services import reviews
    from reviewer_app.services.submissions import get_submission

    for package in demo_packages:
        issuer.store.add_package(package.read_bytes(), USER)
    service.sync_now(signed_in, settings=FAST)
    simple_rules(signed_in)
    review = reviews.start_review(signed_in, get_submission(signed_in, "DEMO-2001", 1).attempt_id)
    for crit, level in [("group-structures", 3), ("discourse-moves", 2), ("equitable-participation", 2)]:
        reviews.set_level(signed_in, review.uid, crit, level)
    reviews.set_feedback(signed_in, review.uid, "Track talk turns for the quieter students.")
    reviews.submit_review(signed_in, review.uid)
    assert service.sync_now(signed_in, settings=FAST).accepted == 1
    with pytest.raises(UserError, match="issued no badge for DEMO-2001 attempt 1 .it was decided"):
        issued_badge(signed_in, "DEMO-2001")
    assert httpx.get(f"{issuer.url}/api/v1/badges/dec_0000000000000000").status_code == 404


def test_a_badge_for_a_submission_without_package_names_the_decisions_criteria(issuer: IssuerServer):
    """Assigned without a package (load tests), the badge still validates: the rubric comes
    from the decision itself."""
    issuer.store.assign(USER, [{"submission_id": "BARE-1", "attempt": 1}])
    with httpx.Client(base_url=f"{issuer.url}/api/v1") as client:
        token = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}).json()["access_token"]
        answer = client.post("/decisions", headers={"Authorization": f"Bearer {token}"}, json={
            "decisions": [{"idempotency_key": "k-1", "submission_id": "BARE-1", "attempt": 1,
                           "decision": "earned", "credential": {"id": "c", "version": 2, "title": "C"},
                           "criteria": [{"criterion_id": "goals", "title": "Goals", "level": 3,
                                         "label": "Secure", "required_level": 2},
                                        {"criterion_id": "odd", "level": "high"}]}]}).json()
        badge = httpx.get(issuer.url + answer["results"][0]["badge"]).json()
    assert ob3_schema_errors(badge) == []
    levels = badge["credentialSubject"]["achievement"]["resultDescription"][0]["rubricCriterionLevel"]
    assert [(lv["level"], lv["name"]) for lv in levels] == [("2", "Level 2"), ("3", "Secure")]


def test_the_outbox_window_saves_the_issued_badge(qtbot, delivered: AppContext, tmp_path: Path,
                                                  monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog, QMainWindow

    from reviewer_app.gui.sync import install_sync

    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, delivered, interval_ms=3_600_000, start=False, settings=FAST)
    win.show()
    controller.actions["outbox"].trigger()
    dialog = controller.dialogs["outbox"]
    model = dialog.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    assert [model.index(0, c).data() for c in range(4)] == \
        ["DEMO-1002 (attempt 2)", "Earned", "Accepted", "Open Badge issued"]
    assert not dialog.badge_button.isEnabled()  # nothing selected yet
    dialog.table.selectRow(0)
    assert dialog.badge_button.isEnabled()
    target = tmp_path / "sam-badge.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(dialog.badge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.note.text().startswith("Saved the Open Badge of DEMO-1002 (attempt 2), "
                                                          "signature checked"), timeout=10_000)
    controller.stop()
    badge = json.loads(target.read_text())
    assert ob3_schema_errors(badge) == [] and badge == issued_badge(delivered, "DEMO-1002", 2)
