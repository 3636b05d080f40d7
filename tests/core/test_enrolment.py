"""Reviewer identity and enrolment: a key pair per profile, its private half in the keyring
only; the lead enrols a reviewer only when the fingerprint read aloud matches the file."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from reviewer_app.domain.model import Role
from reviewer_app.services import enrolment, identity
from reviewer_app.services.batches import export_batch
from reviewer_app.services.roles import NotAllowed
from reviewer_app.store import audit
from reviewer_app.sync.secrets import NoKeyring

from test_batches import FA_LEVELS, _open, bare_demo, lead, reviewer, score  # noqa: F401


@pytest.fixture
def carol(bare_demo: Path, tmp_path: Path):
    ctx = _open(bare_demo, tmp_path / "carol", "Carol Diaz", Role.REVIEWER)
    yield ctx
    ctx.close()


def test_the_key_is_made_once_and_its_private_half_is_only_in_the_keyring(carol, memory_keyring, tmp_path):
    first = identity.identity(carol)
    assert identity.identity(carol) == first  # the same key every time
    assert re.fullmatch(r"([A-Z2-7]{4}-){4}[A-Z2-7]{4}", first.fingerprint)
    [stored] = [v for (service, account), v in memory_keyring.items.items()
                if account == f"signing-key/{first.uid}"]
    private = json.loads(stored)["private_key"]
    path, _ = identity.export_enrolment(carol, tmp_path / "out")
    score(carol, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(carol, tmp_path / "out")
    # Neither the data folder (database, logs) nor the files written hold the private key.
    raw = base64.b64decode(private)
    needles = [private.encode(), raw, raw.hex().encode()]
    folders = [tmp_path / "carol", tmp_path / "out"]
    for folder in folders:
        for f in folder.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                assert not any(n in data for n in needles), f
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["public_key"] == first.public_key and doc["reviewer"]["name"] == "Carol Diaz"
    assert json.loads(batch.json_path.read_text(encoding="utf-8"))["header"]["reviewer"]["public_key"] \
        == first.public_key


def test_no_keyring_is_a_plain_refusal_and_no_batch_is_written(carol, tmp_path):
    score(carol, "DEMO-1002", 1, FA_LEVELS)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(NoKeyring) as refused:
        identity.identity(carol)
    assert "No secure system keyring is available to keep your signing key" in refused.value.message
    assert "never stores signing keys anywhere else" in refused.value.message
    with pytest.raises(NoKeyring):
        export_batch(carol, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_enrolment_needs_the_fingerprint_read_aloud(lead, carol, bare_demo, tmp_path):
    path, me = identity.export_enrolment(carol, tmp_path / "carol-out")
    entries = len(audit.recent(lead))
    # A wrong fingerprint, or Mallory's key swapped into Carol's file on its way: refused.
    wrong = me.fingerprint[:-1] + ("A" if me.fingerprint[-1] != "A" else "B")
    with pytest.raises(enrolment.EnrolmentRefused, match="is not that of the key"):
        enrolment.enrol(lead, path, wrong)
    mallory = _open(bare_demo, tmp_path / "mallory", "Mallory", Role.REVIEWER)
    try:
        swapped = json.loads(path.read_text(encoding="utf-8"))
        swapped["public_key"] = identity.identity(mallory).public_key  # "fingerprint" left as Carol's
    finally:
        mallory.close()
    forged = tmp_path / "swapped.reviewer-enrolment.json"
    forged.write_text(json.dumps(swapped), encoding="utf-8")
    with pytest.raises(enrolment.EnrolmentRefused, match="may have been swapped or altered"):
        enrolment.enrol(lead, forged, me.fingerprint)
    assert [e.name for e in enrolment.enrolled(lead) if e.name == "Carol Diaz"] == []
    # Both refusals are in the audit log, with the fingerprint given and the file's claims.
    refused = [json.loads(e.details_json) for e in audit.recent(lead)[:2]]
    assert len(audit.recent(lead)) == entries + 2
    assert {e.action for e in audit.recent(lead)[:2]} == {audit.ENROL_REFUSED}
    assert [r["fingerprint_given"] for r in refused] == [me.fingerprint, wrong]
    assert refused[0]["reviewer"] == "Carol Diaz" and refused[0]["fingerprint"] != me.fingerprint
    # Typed in lower case with spaces: the same fingerprint.
    done = enrolment.enrol(lead, path, me.fingerprint.lower().replace("-", " "))
    assert (done.name, done.fingerprint, done.active) == ("Carol Diaz", me.fingerprint, True)
    assert audit.recent(lead)[0].action == audit.ENROL
    with pytest.raises(enrolment.EnrolmentRefused, match="already enrolled"):
        enrolment.enrol(lead, path, me.fingerprint)
    # Carol with a new key: one key per reviewer at a time.
    identity.new_key(carol)
    again, new = identity.export_enrolment(carol, tmp_path / "carol-new")
    with pytest.raises(enrolment.EnrolmentRefused, match="already enrolled with another key"):
        enrolment.enrol(lead, again, new.fingerprint)


def test_the_lead_lists_and_revokes_and_a_reviewer_may_do_neither(lead, reviewer, carol, tmp_path):
    from lead_support import enrol

    fp = enrol(lead, carol, tmp_path / "c")
    listed = {e.name: e for e in enrolment.enrolled(lead)}
    assert set(listed) == {"Alice Morgan", "Carol Diaz"} and all(e.active for e in listed.values())
    with pytest.raises(enrolment.EnrolmentRefused, match="No enrolled reviewer"):
        enrolment.revoke(lead, "Dave")
    done = enrolment.revoke(lead, fp.split("-")[0].lower())
    assert done.name == "Carol Diaz" and not done.active
    rows = enrolment.enrolled(lead)
    assert [(e.name, e.active) for e in rows] == [("Alice Morgan", True), ("Carol Diaz", False)]
    assert audit.recent(lead)[0].action == audit.REVOKE
    carol_file = tmp_path / "c" / "carol-diaz.reviewer-enrolment.json"
    for call in (lambda: enrolment.enrolled(reviewer), lambda: enrolment.revoke(reviewer, "Carol Diaz"),
                 lambda: enrolment.enrol(reviewer, carol_file, fp)):
        with pytest.raises(NotAllowed, match="Only a lead assessor"):
            call()


def test_an_enrolment_cannot_claim_a_profile_the_lead_knows_by_another_name(lead, reviewer, carol, tmp_path):
    from reviewer_app.services.profiles import current_profile

    alice = current_profile(reviewer).uid
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    from reviewer_app.services.batches import import_batches

    assert import_batches(lead, [export_batch(reviewer, tmp_path / "a").json_path])[0].imported == 1
    # Carol's key, claiming Alice's profile uid: her batches would land on Alice's profile.
    path, me = identity.export_enrolment(carol, tmp_path / "c")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["reviewer"]["uid"] = alice
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(enrolment.EnrolmentRefused, match="already enrolled with another key"):
        enrolment.enrol(lead, path, me.fingerprint)
    enrolment.revoke(lead, "Alice Morgan")
    with pytest.raises(enrolment.EnrolmentRefused, match="under the name Alice Morgan"):
        enrolment.enrol(lead, path, me.fingerprint)


def test_a_fingerprint_is_typed_as_heard():
    from reviewer_app.signatures import normalise_fingerprint

    assert normalise_fingerprint("jb5n jpr0 1bf4-zyen 8n56") == "JB5N-JPRO-IBF4-ZYEN-BN56"
    assert normalise_fingerprint("JB5N") == "JB5N"  # a prefix stays a prefix
