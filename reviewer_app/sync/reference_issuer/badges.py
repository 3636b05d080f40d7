"""The reference issuer's own Open Badges: its Ed25519 key, its issuer profile, and the
``OpenBadgeCredential`` it issues for an accepted earned decision.

The key is made on the server's first start and kept in the system keyring of the
machine that issues, never in a file (``signing_key``). It is never logged and never
sent: only its public half goes out, as the issuer's ``did:key``. The credential is built
by the same code as the lead's (``sync.ob3``) and signed by the same code
(``sync.credential_proofs``, ``eddsa-rdfc-2022``), so any verifier that accepts the lead's
badges accepts these.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.sync import credential_proofs, ob3
from reviewer_app.sync.credential_proofs import DID_CONTEXTS

log = logging.getLogger(__name__)

DEFAULT_NAME = "Reviewer reference issuer"


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _level(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rubric_from_decision(decision: dict[str, Any]) -> dict[str, Any]:
    """A rubric for a submission whose package the issuer does not hold: only what the
    decision tells (each criterion's title, the level reached and the level required)."""
    meta = decision.get("rubric") if isinstance(decision.get("rubric"), dict) else {}
    criteria = []
    for item in decision.get("criteria") or []:
        if not isinstance(item, dict) or not _text(item.get("criterion_id")):
            continue
        reached, required = _level(item.get("level")), _level(item.get("required_level"))
        required = required if required is not None else reached
        if required is None:
            continue
        levels = {required: f"Level {required}"}
        if reached is not None:
            levels[reached] = _text(item.get("label")) or f"Level {reached}"
        criteria.append({"id": item["criterion_id"],
                         "title": _text(item.get("title")) or item["criterion_id"],
                         "required_level": required,
                         "levels": [{"value": v, "label": label} for v, label in sorted(levels.items())]})
    return {"id": _text(meta.get("id")), "version": _text(meta.get("version")),
            "title": _text(meta.get("title")) or "the rubric", "criteria": criteria}


@dataclass(frozen=True)
class BadgeIssuer:
    key: Ed25519PrivateKey
    name: str
    url: str

    @property
    def did(self) -> str:
        return credential_proofs.did_key(self.key.public_key())

    @property
    def verification_method(self) -> str:
        return credential_proofs.did_key_method(self.did)

    def profile(self) -> dict[str, Any]:
        """The issuer's public profile and DID document (what a verifier needs)."""
        method = self.verification_method
        public = credential_proofs.public_multibase(self.key.public_key())
        return {"id": self.did, "type": ["Profile"], "name": self.name, "url": self.url,
                "did_document": {
                    "@context": list(DID_CONTEXTS), "id": self.did,
                    "verificationMethod": [{"id": method, "type": "Multikey", "controller": self.did,
                                            "publicKeyMultibase": public}],
                    "assertionMethod": [method], "authentication": [method]}}

    def credential(self, decision: dict[str, Any], rubric: dict[str, Any] | None,
                   recipient: tuple[str, str] | None, credential_id: str,
                   issued_at: str) -> dict[str, Any]:
        """The unsigned credential for an accepted earned decision (cheap: no canonicalising)."""
        from datetime import datetime

        cred = decision.get("credential") if isinstance(decision.get("credential"), dict) else {}
        criteria = [{"criterion_id": c["criterion_id"], "level": _level(c.get("level")),
                     "label": _text(c.get("label")) or None}
                    for c in decision.get("criteria") or []
                    if isinstance(c, dict) and _text(c.get("criterion_id"))]
        earned = {"decision": "earned", "submission_id": _text(decision.get("submission_id")),
                  "attempt": _level(decision.get("attempt")) or 1,
                  "candidate_id": _text(decision.get("candidate_id")),
                  "decided_at": _text(decision.get("decided_at")) or None,
                  "credential": {"id": _text(cred.get("id")) or "credential",
                                 "version": str(cred.get("version", "")) or "1",
                                 "title": _text(cred.get("title")) or "Micro-credential"},
                  "criteria": criteria}
        options = {"issuer_id": self.did, "issuer_name": self.name, "issuer_url": self.url,
                   "credential_id": credential_id, "recipient": recipient,
                   "issued_at": datetime.fromisoformat(issued_at)}
        if rubric is not None:
            try:
                return ob3.open_badge_credential(earned, rubric, **options)
            except (KeyError, TypeError, ValueError, AttributeError):
                log.info("the rubric of %s is not usable; the badge names the decision's criteria",
                         earned["submission_id"])
        return ob3.open_badge_credential(earned, rubric_from_decision(decision), **options)

    def sign(self, credential: dict[str, Any]) -> dict[str, Any]:
        return credential_proofs.sign(credential, self.key, self.verification_method)
