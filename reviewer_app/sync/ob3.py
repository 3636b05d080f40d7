"""An earned decision as an Open Badges 3.0 ``OpenBadgeCredential`` (JSON), before signing.

The credential follows 1EdTech's OB 3.0 data model on the W3C Verifiable Credentials Data
Model 2.0 (its context first, then OB's context 3.0.3; ``validFrom``, not VC 1.1's
``issuanceDate``): the issuing organisation's ``Profile``, an
``AchievementSubject`` naming the recipient by a salted SHA-256 ``IdentityObject``, and an
``Achievement`` (the micro-credential) whose ``resultDescription`` lists the rubric's
criteria, each with its ``RubricCriterionLevel``s and the required level. The subject's
``result`` carries the level reached on each criterion (``achievedLevel``), which is
what a reviewer decided. ``signing.sign`` adds the ``eddsa-rdfc-2022`` proof, on the machine
that issues (``issuer_identity``), never on a reviewer's laptop.

``tests/sync/test_ob3.py`` validates the output against 1EdTech's published JSON Schema
(``ob_v3p0_achievementcredential_schema.json``) and verifies the signed credential with
the Digital Credentials Consortium's verifier.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SCHEMA_ID = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

#: Package recipient types -> OB 3.0 identity types.
IDENTITY_TYPES = {"email": "emailAddress", "url": "identifier", "telephone": "ext:telephone"}


def _iso_z(value: str | datetime | None) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_object(recipient: tuple[str, str] | None, candidate_id: str, *,
                    salt: str | None = None) -> dict[str, Any]:
    """The recipient as a salted SHA-256 hash (OB's ``sha256$<hex>`` over identity + salt)."""
    if recipient is None:
        kind, identity = "identifier", candidate_id
    else:
        kind, identity = recipient
    salt = salt if salt is not None else secrets.token_hex(8)
    normal = identity.strip().lower() if kind == "email" else identity.strip()
    digest = hashlib.sha256((normal + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${digest}",
            "identityType": IDENTITY_TYPES.get(kind, "identifier"), "salt": salt}


def open_badge_credential(decision: dict[str, Any], rubric: dict[str, Any], *, issuer_id: str,
                          issuer_name: str, issuer_url: str, credential_id: str,
                          recipient: tuple[str, str] | None = None, salt: str | None = None,
                          evidence_url: str | None = None,
                          issued_at: datetime | None = None) -> dict[str, Any]:
    """The OpenBadgeCredential for an earned ``decision`` (an outbox payload).

    ``rubric`` is ``{id, version, title, criteria: [{id, title, guidance, required_level,
    levels: [{value, label, descriptor}]}]}``; ``credential_id`` is the credential's URI
    (for example ``urn:uuid:<outbox key>``). ``issuer_id`` is the organisation's resolvable
    id (``did:web:...``, ``did:key:...`` or an https profile URL); its achievements are named
    under ``issuer_url`` (its web site).
    """
    if decision.get("decision") != "earned":
        raise ValueError("only an earned decision becomes an Open Badge")
    cred = decision["credential"]
    base = issuer_url.rstrip("/")
    achievement_id = (f"{base}/achievements/{quote(str(cred['id']), safe='')}/"
                      f"{quote(str(cred['version']), safe='')}")
    levels_by_criterion = {c["criterion_id"]: c for c in decision.get("criteria", [])}

    descriptions, results = [], []
    for crit in rubric["criteria"]:
        rd_id = f"{achievement_id}#criterion-{quote(crit['id'], safe='')}"

        def level_id(value: int, rd_id: str = rd_id) -> str:
            return f"{rd_id}-level-{value}"

        description: dict[str, Any] = {
            "id": rd_id, "type": ["ResultDescription"], "name": crit["title"],
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": level_id(lv["value"]), "type": ["RubricCriterionLevel"], "name": lv["label"],
                 "description": lv.get("descriptor") or lv["label"], "level": str(lv["value"])}
                for lv in crit["levels"]],
            "requiredLevel": level_id(crit["required_level"]),
        }
        descriptions.append(description)
        reached = levels_by_criterion.get(crit["id"], {}).get("level")
        if reached is not None:
            results.append({"type": ["Result"], "resultDescription": rd_id,
                            "achievedLevel": level_id(reached), "status": "Completed"})

    decided = _iso_z(decision.get("decided_at"))
    narrative = "\n".join(
        [f"Scored by a trained reviewer against the rubric \u201c{rubric['title']}\u201d "
         f"(version {rubric['version']}); every criterion reached its required level:"]
        + [f"- {c['title']}: {levels_by_criterion.get(c['id'], {}).get('label') or '?'} "
           f"(level {levels_by_criterion.get(c['id'], {}).get('level')}, required {c['required_level']})"
           for c in rubric["criteria"]])
    evidence: dict[str, Any] = {
        "type": ["Evidence"],
        "name": f"Submission {decision['submission_id']}, attempt {decision['attempt']}",
        "narrative": narrative}
    if evidence_url:
        evidence["id"] = evidence_url
    issued = _iso_z(issued_at) if issued_at else _iso_z(None)
    return {
        "@context": list(CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": str(cred["title"]),
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": issued,
        "awardedDate": decided,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [identity_object(recipient, str(decision.get("candidate_id", "")), salt=salt)],
            "achievement": {
                "id": achievement_id, "type": ["Achievement"], "achievementType": "MicroCredential",
                "name": str(cred["title"]), "version": str(cred["version"]),
                "description": f"The micro-credential \u201c{cred['title']}\u201d, earned by meeting "
                               f"every criterion of its rubric at the required level.",
                "criteria": {"narrative": "Every criterion of the rubric \u201c"
                                          f"{rubric['title']}\u201d reaches its required level:\n"
                                          + "\n".join(f"- {c['title']}" for c in rubric["criteria"])},
                "resultDescription": descriptions,
            },
            "result": results,
        },
        "evidence": [evidence],
        # VC 2.0's own type: "1EdTechJsonSchemaValidator2019" is in no context (a relative IRI).
        "credentialSchema": [{"id": SCHEMA_ID, "type": "JsonSchema"}],
    }
