"""Badgr v2 (the open-source Badgr server's API, also behind Canvas Credentials).

* Sign-in: ``POST /o/token``, parameters in a form body: ``grant_type=password`` with
  ``username``, ``password``, ``client_id`` (``public`` by default) and ``scope``;
  refreshed with ``grant_type=refresh_token``. The reply is OAuth 2's
  ``{access_token, token_type, expires_in, refresh_token, scope}``; Badgr rotates the
  refresh token, and the new one replaces the old in the keyring.
* An *earned* decision issues an assertion on the credential's badge class:
  ``POST /v2/badgeclasses/{entityId}/assertions`` with the package's
  ``candidate.recipient`` (an email hashed by the server by default), a narrative, one
  evidence item (a narrative and a link) and ``allowDuplicateAwards: false``: Badgr
  then refuses a second award of the badge to the same recipient ("A previous award of
  this badge already exists for this recipient."), so a replay cannot award twice. That
  refusal is read as "duplicate", and the existing assertion is looked up
  (``GET .../assertions?recipient=...``) to record its entityId.
* A *not yet* decision issues nothing; it is done at once.

Replies come in Badgr's v2 envelope: ``{status: {success, description}, result: [...],
fieldErrors, validationErrors}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from reviewer_app.sync.adapters.base import IssuerAdapter
from reviewer_app.sync.client import TransientError, json_body
from reviewer_app.sync.outbox import Claimed, Outcome

DUPLICATE_MARK = "previous award"
NOTHING_ISSUED = "Not yet: no badge is issued."


def _errors(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for item in body.get("validationErrors") or []:
        parts.append(str(item))
    fields = body.get("fieldErrors") or {}
    if isinstance(fields, dict):
        for key, value in fields.items():
            parts.append(f"{key}: {'; '.join(map(str, value)) if isinstance(value, list) else value}")
    description = (body.get("status") or {}).get("description") if isinstance(body.get("status"), dict) else None
    if not parts and description:
        parts.append(str(description))
    return " ".join(parts)[:400]


def _utc_z(iso: str) -> str:
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion_narrative(payload: dict[str, Any]) -> str:
    cred, rubric = payload.get("credential", {}), payload.get("rubric", {})
    day = _utc_z(payload.get("decided_at", ""))[:10]
    return (f"Earned the micro-credential \u201c{cred.get('title')}\u201d (version "
            f"{cred.get('version')}): every criterion of the rubric \u201c{rubric.get('title')}\u201d "
            f"reached its required level, as judged by a trained reviewer on {day}.")


def evidence_narrative(payload: dict[str, Any]) -> str:
    rubric = payload.get("rubric", {})
    lines = [f"Submission {payload.get('submission_id')}, attempt {payload.get('attempt')}, "
             f"scored against \u201c{rubric.get('title')}\u201d version {rubric.get('version')}:", ""]
    for c in payload.get("criteria", []):
        label = f" ({c['label']})" if c.get("label") else ""
        lines.append(f"- {c.get('title')}: level {c.get('level')}{label}, "
                     f"required {c.get('required_level')}")
    if payload.get("feedback"):
        lines += ["", f"Feedback: {payload['feedback']}"]
    return "\n".join(lines)


class BadgrAdapter(IssuerAdapter):
    kind = "badgr"
    max_batch = 1
    can_pull = False

    def _token_request(self, form: dict[str, str]) -> httpx.Response:
        data = {**form, "client_id": self.profile.option("client_id")}
        if form.get("grant_type") == "password":
            data["scope"] = self.profile.option("scope")
        return self.http.request("POST", "/o/token", data=data,
                                 headers={"Accept": "application/json"})

    def ping(self) -> None:
        response = self.authorized("GET", "/v2/users/self")
        if response.status_code >= 400:
            raise TransientError(f"the Badgr server answered HTTP {response.status_code}")

    def push(self, entries: Sequence[Claimed]) -> list[Outcome]:
        return [self._issue(entry) for entry in entries]

    def assertion_body(self, payload: dict[str, Any], recipient: tuple[str, str]) -> dict[str, Any]:
        rtype, identity = recipient
        person: dict[str, Any] = {"identity": identity, "type": rtype}
        if rtype in ("email", "telephone"):
            person["hashed"] = bool(self.profile.option("recipient_hashed"))
        evidence: dict[str, Any] = {"narrative": evidence_narrative(payload)}
        template = self.profile.option("evidence_url")
        if template:
            evidence["url"] = template.format(submission_id=quote(str(payload.get("submission_id")), safe=""),
                                              attempt=payload.get("attempt"))
        return {
            "recipient": person,
            "issuedOn": _utc_z(payload.get("decided_at", "")),
            "narrative": assertion_narrative(payload),
            "evidence": [evidence],
            "notify": False,
            "allowDuplicateAwards": False,
        }

    def _issue(self, entry: Claimed) -> Outcome:
        payload = entry.payload
        if payload.get("decision") != "earned":
            return Outcome(entry.uid, "accepted", NOTHING_ISSUED)
        credential = (payload.get("credential") or {}).get("id", "")
        badge_class = (self.profile.option("badge_classes") or {}).get(credential)
        if not badge_class:
            return Outcome(entry.uid, "rejected",
                           f"no Badgr badge class is set for credential {credential!r} "
                           f"(reviewer-app issuer set {self.profile.name} --badge-class "
                           f"{credential}=ENTITYID), then Retry")
        recipient = self.recipient_lookup(payload["submission_id"], payload["attempt"]) \
            if self.recipient_lookup else None
        if recipient is None:
            return Outcome(entry.uid, "rejected",
                           "the submission package names no badge recipient (candidate.recipient)")
        path = f"/v2/badgeclasses/{quote(badge_class, safe='')}/assertions"
        response = self.authorized("POST", path, json=self.assertion_body(payload, recipient))
        if response.status_code in (200, 201):
            body = json_body(response)
            result = (body.get("result") or [{}])[0] if isinstance(body, dict) else {}
            return Outcome(entry.uid, "accepted", None, result.get("entityId"))
        if response.status_code == 400:
            body = json_body(response)
            text = _errors(body)
            if DUPLICATE_MARK in text.lower():
                return Outcome(entry.uid, "duplicate", None,
                               self._existing_assertion(path, recipient[1]))
            return Outcome(entry.uid, "rejected", f"Badgr refused the assertion: {text or 'bad request'}")
        if response.status_code in (403, 404):
            return Outcome(entry.uid, "rejected",
                           f"badge class {badge_class} was not found on the Badgr server, or "
                           f"{self.profile.username} may not award it")
        raise TransientError(f"the Badgr server answered HTTP {response.status_code}")

    def _existing_assertion(self, path: str, identity: str) -> str | None:
        response = self.authorized("GET", path, params={"recipient": identity})
        if response.status_code != 200:
            raise TransientError(f"looking up the earlier award answered HTTP {response.status_code}")
        body = json_body(response)
        for item in (body.get("result") or []) if isinstance(body, dict) else []:
            if isinstance(item, dict) and not item.get("revoked"):
                return item.get("entityId")
        return None
