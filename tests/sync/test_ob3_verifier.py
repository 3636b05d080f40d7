"""Every kind of credential the app signs, checked by someone else's verifier: the Digital
Credentials Consortium's libraries (tests/sync/verifier, from npm), offline; and a changed
field, another key, or a key that is not the issuer's fails there too."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.services import issuer_identity, sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync import credential_proofs

from dcc_verifier import verify
from support import ORG, ob3_schema_errors


@pytest.fixture
def issued(scored: AppContext) -> tuple[dict[str, dict], list[dict]]:
    """The same earned decision issued under each kind of issuer id, with the DID documents."""
    credentials, documents = {}, []
    for name, id_ in [("did-key", "did:key"), ("did-web", "did:web:schools.springfield.example"),
                      ("https", "https://schools.springfield.example/issuer")]:
        identity = issuer_identity.set_identity(
            scored, *ORG, id_, new_key=True, evidence_url="https://lms.example/e/{submission_id}")
        credentials[name] = sync.open_badge(scored, "DEMO-1002", 2)
        if not id_.startswith("did:key"):
            documents.append(issuer_identity.did_document(identity))
    return credentials, documents


def test_the_independent_verifier_accepts_what_the_app_signs(issued, tmp_path):
    credentials, documents = issued
    for credential in credentials.values():
        assert ob3_schema_errors(credential) == []
    results = verify(credentials, tmp_path, did_documents=documents)
    assert {name: (r["verified"], r["errors"]) for name, r in results.items()} == \
        {name: (True, []) for name in credentials}


def test_the_independent_verifier_rejects_a_changed_credential(issued, tmp_path):
    credentials, documents = issued
    good = credentials["did-web"]
    changes = {
        "higher-level": lambda c: c["credentialSubject"]["result"][3].update(
            achievedLevel=c["credentialSubject"]["result"][3]["achievedLevel"].replace("level-2", "level-4")),
        "other-recipient": lambda c: c["credentialSubject"]["identifier"][0].update(
            identityHash="sha256$" + "0" * 64),
        "other-achievement": lambda c: c["credentialSubject"]["achievement"].update(name="Calculus"),
        "issuer-name": lambda c: c["issuer"].update(name="Shelbyville Academy"),
        "valid-from": lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
        "proof-created": lambda c: c["proof"][0].update(created="2020-01-01T00:00:00Z"),
    }
    forged = {}
    for name, change in changes.items():
        forged[name] = copy.deepcopy(good)
        change(forged[name])
    unsigned = {k: v for k, v in good.items() if k != "proof"}
    # Signed by another key, claiming the organisation's key.
    forged["other-key"] = credential_proofs.sign(unsigned, Ed25519PrivateKey.generate(),
                                       good["proof"][0]["verificationMethod"])
    # Validly signed by a key of its own (a did:key), naming the did:web organisation as issuer.
    stranger = Ed25519PrivateKey.generate()
    forged["wrong-issuer"] = credential_proofs.sign(
        unsigned, stranger,
        credential_proofs.did_key_method(credential_proofs.did_key(stranger.public_key())))

    results = verify({"good": good, **forged}, tmp_path, did_documents=documents)
    assert results.pop("good")["verified"] is True  # the same run accepts the original
    assert {name: r["verified"] for name, r in results.items()} == {name: False for name in forged}
    errors = {name: " ".join(r["errors"]) for name, r in results.items()}
    assert "issuer must match the verification method controller" in errors.pop("wrong-issuer")
    assert errors == {name: "Invalid signature." for name in errors}
