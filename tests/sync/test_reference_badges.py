"""The reference issuer issues signed Open Badges of its own: an accepted earned decision
comes back to the lead as a badge that someone else's verifier (the Digital Credentials
Consortium's) and 1EdTech's schema accept, and that fails once edited. Real HTTP on
loopback, the real app database, the real keyring interface (in memory). The issuer's
signing key lives in the keyring only: in no file of its folder, no answer, no log line."""

from __future__ import annotations

import base64
import copy
import json
import logging
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.errors import UserError
from reviewer_app.services import sync as service
from reviewer_app.store.context import AppContext
from reviewer_app.sync import credential_proofs
from reviewer_app.sync.issued_badges import check_badge, issued_badge
from reviewer_app.sync.reference_issuer.server import IssuerConfig, IssuerServer
from reviewer_app.sync.reference_issuer.signing_key import OLD_KEY_FILE, SERVICE, NoIssuerKeyring

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
        delivered: AppContext, issuer: IssuerServer, tmp_path: Path, caplog, memory_keyring):
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

    # The server's key: in the keyring only, never in a file, an answer or a log line.
    private = json.loads(memory_keyring.items[(SERVICE, str(issuer.config.data_dir.resolve()))])
    assert credential_proofs.did_key(_key(private["private"]).public_key()) == profile["id"]
    raw = base64.b64decode(private["private"])
    files = [p for p in issuer.config.data_dir.rglob("*") if p.is_file()]
    assert len(files) >= 2 and not (issuer.config.data_dir / OLD_KEY_FILE).exists()
    assert not [p for p in files if private["private"].encode() in p.read_bytes() or raw in p.read_bytes()]
    assert private["private"] not in json.dumps(profile) + json.dumps(badge) + caplog.text


def _key(private: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(private))


def _keyring_item(memory_keyring, folder: Path) -> dict:
    return json.loads(memory_keyring.items[(SERVICE, str(folder.resolve()))])


def test_the_issuer_keeps_its_key_in_the_keyring_across_restarts(tmp_path: Path, memory_keyring):
    config = IssuerConfig(tmp_path / "issuer")
    first = IssuerServer(config)
    did = first.store.badge_issuer.did
    first.stop()
    again = IssuerServer(config)
    other = IssuerServer(IssuerConfig(tmp_path / "another"))
    try:
        assert again.store.badge_issuer.did == did
        # One key per server folder, each in its own keyring item; none in a file.
        assert other.store.badge_issuer.did != did
        assert credential_proofs.did_key(_key(_keyring_item(memory_keyring, tmp_path / "issuer")
                                              ["private"]).public_key()) == did
        assert len(memory_keyring.items) == 2 and len(set(memory_keyring.history)) == 2
    finally:
        again.stop()
        other.stop()


def test_a_key_file_of_an_older_issuer_moves_into_the_keyring(tmp_path: Path, memory_keyring, caplog):
    """The key kept in issuer-key.json before: moved on start, the file deleted, the did:key
    (so every badge issued before) the same."""
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "issuer"
    folder.mkdir()
    old = Ed25519PrivateKey.generate()
    private = base64.b64encode(old.private_bytes_raw()).decode("ascii")
    (folder / OLD_KEY_FILE).write_text(json.dumps({"type": "Ed25519", "private": private}))
    (folder / OLD_KEY_FILE).chmod(0o600)
    signed_before = credential_proofs.sign(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
         "issuer": credential_proofs.did_key(old.public_key()), "credentialSubject": {"id": "urn:x"}},
        old, credential_proofs.did_key_method(credential_proofs.did_key(old.public_key())))

    with IssuerServer(IssuerConfig(folder)) as server:
        profile = httpx.get(f"{server.url}/api/v1/issuer").json()
    assert profile["id"] == credential_proofs.did_key(old.public_key())
    assert not (folder / OLD_KEY_FILE).exists()
    assert _keyring_item(memory_keyring, folder)["private"] == private
    assert "moved the reference issuer's signing key" in caplog.text and private not in caplog.text
    assert not [p for p in folder.rglob("*") if p.is_file() and private.encode() in p.read_bytes()]
    # Its public key (in the profile it serves) still verifies what the old key signed.
    method = profile["did_document"]["verificationMethod"][0]["publicKeyMultibase"]
    assert method == credential_proofs.public_multibase(old.public_key())
    assert credential_proofs.verify(signed_before, _key(private).public_key())
    again = IssuerServer(IssuerConfig(folder))
    try:
        assert again.store.badge_issuer.did == profile["id"]
    finally:
        again.stop()


def test_a_key_file_that_differs_from_the_keyrings_is_refused_and_kept(tmp_path: Path, memory_keyring):
    folder = tmp_path / "issuer"
    IssuerServer(IssuerConfig(folder)).stop()
    in_keyring = _keyring_item(memory_keyring, folder)
    other = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode("ascii")
    (folder / OLD_KEY_FILE).write_text(json.dumps({"type": "Ed25519", "private": other}))
    with pytest.raises(UserError, match="is not the one in the system keyring"):
        IssuerServer(IssuerConfig(folder))
    assert (folder / OLD_KEY_FILE).exists() and _keyring_item(memory_keyring, folder) == in_keyring


def test_without_a_keyring_the_issuer_does_not_start_and_says_how_to_get_one(tmp_path: Path):
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(NoIssuerKeyring) as refused:
        IssuerServer(IssuerConfig(tmp_path / "issuer"))
    message = refused.value.message
    assert "No secure system keyring" in message and "reference issuer's signing key" in message
    assert "GNOME Keyring" in message and "PYTHON_KEYRING_BACKEND" in message
    assert not (tmp_path / "issuer").exists()  # nothing made: no database, no key file


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
