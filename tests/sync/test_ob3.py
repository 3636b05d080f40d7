"""An earned final decision issued as a signed Open Badges 3.0 OpenBadgeCredential: valid
against 1EdTech's current JSON Schema (tests/sync/schemas, see its README), signed by the
issuing organisation's key from the keyring, and only on a lead assessor's machine.
The independent verifier's checks are in test_ob3_verifier.py."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.domain.model import Role
from reviewer_app.errors import UserError
from reviewer_app.services import issuer_identity, sync
from reviewer_app.services.roles import NotAllowed, update_self
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext
from reviewer_app.sync import credential_proofs

from support import ORG, ob3_schema_errors
from sync_test_keyring import MemoryKeyring

EVIDENCE = "https://lms.springfield.example/evidence/{submission_id}/{attempt}"


@pytest.fixture
def earned(scored: AppContext) -> AppContext:
    issuer_identity.set_identity(scored, *ORG, "did:web:schools.springfield.example",
                                 evidence_url=EVIDENCE)
    return scored


def test_the_credential_is_current_ob3_signed_and_carries_the_rubric_levels(earned: AppContext):
    credential = sync.open_badge(earned, "DEMO-1002", 2, salt="pepper")
    assert ob3_schema_errors(credential) == []
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert "validFrom" in credential and "issuanceDate" not in credential
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": "did:web:schools.springfield.example", "type": ["Profile"],
                                    "name": ORG[0], "url": ORG[1]}
    [proof] = credential["proof"]
    identity = issuer_identity.get_identity(earned)
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == \
        ("DataIntegrityProof", "eddsa-rdfc-2022", "assertionMethod")
    assert proof["verificationMethod"] == identity.verification_method
    public = credential_proofs.public_from_multibase(identity.public_key_multibase)
    assert credential_proofs.verify(credential, public)

    subject = credential["credentialSubject"]
    [recipient] = subject["identifier"]
    expected = hashlib.sha256(b"sam.rivera@example.orgpepper").hexdigest()
    assert recipient == {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${expected}",
                         "identityType": "emailAddress", "salt": "pepper"}
    achievement = subject["achievement"]
    assert achievement["name"] == "Formative Assessment in Mathematics"
    assert achievement["id"].startswith(ORG[1] + "/achievements/")
    described = {d["id"]: d for d in achievement["resultDescription"]}
    assert len(described) == 4 and len(subject["result"]) == 4
    reached = {}
    for result in subject["result"]:
        description = described[result["resultDescription"]]
        level = next(lv for lv in description["rubricCriterionLevel"] if lv["id"] == result["achievedLevel"])
        required = next(lv for lv in description["rubricCriterionLevel"]
                        if lv["id"] == description["requiredLevel"])
        assert int(level["level"]) >= int(required["level"])  # earned: every criterion met
        reached[description["name"]] = (int(level["level"]), level["name"])
    assert reached == {"Clear learning goals": (3, "Proficient"),
                       "Checks for understanding": (4, "Exemplary"),
                       "Actionable feedback to students": (3, "Proficient"),
                       "Adjusting instruction from evidence": (2, "Developing")}
    [evidence] = credential["evidence"]
    assert evidence["id"] == "https://lms.springfield.example/evidence/DEMO-1002/2"
    # The teacher's private feedback is not in the public credential.
    assert "zebra" not in json.dumps(credential)


def test_the_schema_really_checks(earned: AppContext):
    credential = sync.open_badge(earned, "DEMO-1002", 2)
    old = copy.deepcopy(credential)  # what the app issued before: VC 1.1
    old["@context"][0] = "https://www.w3.org/2018/credentials/v1"
    old["issuanceDate"] = old.pop("validFrom")
    old["credentialSubject"]["identifier"][0]["extra"] = "not allowed"
    messages = " ".join(ob3_schema_errors(old))
    assert "validFrom" in messages and "credentials/v2" in messages and "extra" in messages


def test_a_changed_field_breaks_the_signature(earned: AppContext):
    credential = sync.open_badge(earned, "DEMO-1002", 2)
    public = credential_proofs.public_from_multibase(
        issuer_identity.get_identity(earned).public_key_multibase)
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["result"][3]["achievedLevel"] = \
        forged["credentialSubject"]["result"][3]["achievedLevel"].replace("level-2", "level-4")
    assert not credential_proofs.verify(forged, public)
    someone_else = Ed25519PrivateKey.generate().public_key()
    assert not credential_proofs.verify(credential, someone_else)


def test_the_key_lives_only_in_the_keyring(scored: AppContext, memory_keyring: MemoryKeyring):
    identity = issuer_identity.set_identity(scored, *ORG, "did:key")
    assert identity.id == f"did:key:{identity.public_key_multibase}"
    [(service_name, account)] = [k for k in memory_keyring.items if k[1].startswith("ob3-issuer-key/")]
    assert account == f"ob3-issuer-key/{identity.public_key_multibase}"
    private = json.loads(memory_keyring.items[(service_name, account)])["private"]
    for path in scored.paths.data_dir.rglob("*"):
        if path.is_file():
            assert private.encode() not in path.read_bytes(), path
    # A rename keeps the key; --new-key makes another (and a new did:key).
    renamed = issuer_identity.set_identity(scored, "Springfield District", ORG[1], "did:key")
    assert renamed.id == identity.id
    assert issuer_identity.set_identity(scored, *ORG, "did:key", new_key=True).id != identity.id
    # Each change is in the audit log: who set which id and key, and when.
    newest, renaming, first = audit.recent(scored, subject="issuer identity")
    assert json.loads(first.details_json)["id"] == [None, identity.id]
    assert json.loads(renaming.details_json) == {"name": [ORG[0], "Springfield District"]}
    assert json.loads(newest.details_json)["id"][0] == identity.id
    assert audit.verify(scored).ok


def test_without_the_key_in_this_keyring_nothing_is_signed(earned: AppContext,
                                                           memory_keyring: MemoryKeyring):
    memory_keyring.items.clear()  # another machine: the database, but not the keyring
    with pytest.raises(UserError, match="keyring has no signing key"):
        sync.open_badge(earned, "DEMO-1002", 2)


def test_a_reviewer_never_signs(earned: AppContext):
    update_self(earned, role=Role.REVIEWER)
    with pytest.raises(NotAllowed, match="lead assessor"):
        sync.open_badge(earned, "DEMO-1002", 2)
    with pytest.raises(NotAllowed, match="lead assessor"):
        issuer_identity.set_identity(earned, *ORG, "did:key")


def test_without_an_identity_it_says_how_to_set_one_up(scored: AppContext):
    with pytest.raises(UserError, match="issuer identity set --name NAME --url"):
        sync.open_badge(scored, "DEMO-1002", 2)


@pytest.mark.parametrize("name,url,id_,message", [
    ("", ORG[1], "did:key", "needs a name"),
    (ORG[0], "http://schools.springfield.example", "did:key", "https://"),
    (ORG[0], ORG[1], "did:web:bad host/x", "not a did:web"),
    (ORG[0], ORG[1], "http://schools.springfield.example/issuer", "--id must be"),
    (ORG[0], ORG[1], "did:example:123", "--id must be"),
    (ORG[0], ORG[1], "did:key", "evidence-url must be an https"),
    (ORG[0], ORG[1], "did:key", "evidence-url may use only"),
])
def test_a_bad_identity_is_refused(scored: AppContext, name, url, id_, message):
    evidence = {"evidence-url must be an https": "http://lms.example/{submission_id}",
                "evidence-url may use only": "https://lms.example/{submission_id.__class__}"}
    with pytest.raises(UserError, match=message):
        issuer_identity.set_identity(scored, name, url, id_, evidence_url=evidence.get(message))
    assert issuer_identity.get_identity(scored) is None


def test_the_did_web_document_and_where_it_goes(earned: AppContext):
    identity = issuer_identity.get_identity(earned)
    document = issuer_identity.did_document(identity)
    [method] = document["verificationMethod"]
    assert method["controller"] == identity.id and method["type"] == "Multikey"
    assert document["assertionMethod"] == [identity.verification_method] == [method["id"]]
    assert issuer_identity.did_web_address(identity.id) == \
        "https://schools.springfield.example/.well-known/did.json"
    assert issuer_identity.did_web_address("did:web:example.org%3A8443:district:badges") == \
        "https://example.org:8443/district/badges/did.json"


def test_a_context_the_app_does_not_carry_is_never_fetched():
    key = Ed25519PrivateKey.generate()
    document = {"@context": [credential_proofs.VC_V2, "https://attacker.example/context.json"],
                "type": ["VerifiableCredential"], "issuer": "did:example:1",
                "credentialSubject": {"id": "did:example:2"}}
    with pytest.raises(credential_proofs.SigningError, match="not one the app carries"):
        credential_proofs.sign(document, key, "did:example:1#k")


def test_a_not_yet_decision_is_no_badge(earned: AppContext):
    with pytest.raises(UserError, match="only an earned decision becomes an Open Badge"):
        sync.open_badge(earned, "DEMO-1002", 1)  # the demo's "not yet"


def test_the_export_is_written_whole(earned: AppContext, tmp_path: Path):
    out = sync.export_open_badge(earned, "DEMO-1002", tmp_path / "badge.json", 2)
    credential = json.loads(out.read_text())
    assert ob3_schema_errors(credential) == []
    assert credential["id"].startswith("urn:uuid:") and credential["proof"][0]["proofValue"].startswith("z")


@pytest.mark.parametrize("change,message", [
    # The schema validator type OB 3.0 examples use: in no context, so a relative IRI.
    (lambda c: c.update(credentialSchema=[{"id": "https://example.org/s.json",
                                           "type": "1EdTechJsonSchemaValidator2019"}]),
     "'1EdTechJsonSchemaValidator2019' is defined by no context"),
    (lambda c: c["evidence"][0].update(id="evidence/1"), "'evidence/1' is not an absolute IRI"),
])
def test_what_a_safe_mode_verifier_refuses_is_never_signed(earned: AppContext, change, message):
    credential = sync.open_badge(earned, "DEMO-1002", 2)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    change(unsigned)
    with pytest.raises(credential_proofs.SigningError, match=re.escape(message)):
        credential_proofs.sign(unsigned, Ed25519PrivateKey.generate(), "did:example:1#k")
