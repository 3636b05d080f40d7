"""Badgr v2 (the open-source Badgr server's API, also behind Canvas Credentials).

* Sign-in: ``POST /o/token``, parameters in a form body: ``grant_type=password`` with
  ``username``, ``password``, ``client_id`` (``public`` by default) and ``scope``
  (``rw:issuer``: nothing more is needed); refreshed with ``grant_type=refresh_token``.
  The reply is OAuth 2's ``{access_token, token_type, expires_in, refresh_token,
  scope}``; Badgr rotates the refresh token, and the new one replaces the old in the
  keyring. Sign-out revokes both at ``POST /o/revoke_token/`` (django-oauth-toolkit's).
* A call outside the token's scopes is answered 404, so the idle check is one that
  ``rw:issuer`` allows: ``GET /v2/issuers`` (``/v2/users/self`` needs a profile scope).
* An *earned* decision issues an assertion on the credential's badge class:
  ``POST /v2/badgeclasses/{entityId}/assertions`` with the package's
  ``candidate.recipient`` (an email hashed by the server by default), a narrative, one
  evidence item (a link and what the profile's ``public_evidence`` lets out) and
  ``allowDuplicateAwards: false``: Badgr then refuses a second award of the badge to the
  same recipient ("A previous award of this badge already exists for this recipient."),
  so a replay cannot award twice. Badgr *stores* an email lowercased (a url with its host
  lowercased) but compares the identity as sent, so it is sent as Badgr stores it. That
  refusal is read as "duplicate", and the existing assertion is looked up
  (``GET .../assertions?recipient=...``) to record its entityId.
* ``issuedOn`` is the decision's time, but never later than the server's clock (Badgr
  refuses a date in its future): the server's ``Date`` header gives its clock.
* A *not yet* decision issues nothing; it is done at once.

Replies come in Badgr's v2 envelope: ``{status: {success, description}, result: [...],
fieldErrors, validationErrors}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

import httpx

from reviewer_app.sync.adapters.base import IssuerAdapter
from reviewer_app.sync.client import TransientError, json_body
from reviewer_app.sync.outbox import Claimed, Outcome
from reviewer_app.sync.secrets import Tokens

log = logging.getLogger(__name__)

DUPLICATE_MARK = "previous award"
NOTHING_ISSUED = "Not yet: no badge is issued."
#: What of the decision goes into the assertion's public evidence (a profile setting):
#: the decision only (and the evidence link), the levels too, or the feedback as well.
PUBLIC_EVIDENCE = ("decision", "levels", "full")
#: Kept between ``issuedOn`` and the server's clock as measured.
CLOCK_MARGIN = timedelta(seconds=2)


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
    status = body.get("status")
    description = status.get("description") if isinstance(status, dict) else None
    if not parts and description:
        parts.append(str(description))
    return " ".join(parts)[:400]


def _when(iso: str) -> datetime:
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _utc_z(iso: str) -> str:
    return _when(iso).strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_identity(kind: str, identity: str) -> str:
    """A recipient identity as Badgr stores it (``issuer.utils.sanitize_id``): an email
    lowercased, a url with its host lowercased, anything else as it is."""
    if kind == "email":
        return identity.strip().lower()
    if kind == "url":
        p = urlparse(identity.strip())
        return urlunparse((p.scheme, p.netloc.lower(), p.path, p.params, p.query, p.fragment))
    return identity


def assertion_narrative(payload: dict[str, Any]) -> str:
    cred, rubric = payload.get("credential", {}), payload.get("rubric", {})
    day = _utc_z(payload.get("decided_at", ""))[:10]
    return (f"Earned the micro-credential \u201c{cred.get('title')}\u201d (version "
            f"{cred.get('version')}): every criterion of the rubric \u201c{rubric.get('title')}\u201d "
            f"reached its required level, as judged by a trained reviewer on {day}.")


def evidence_narrative(payload: dict[str, Any], show: str = "decision") -> str:
    """The public evidence's narrative: anyone who sees the badge can read it, so by
    default it holds the decision only; ``levels`` adds each criterion's level, ``full``
    the feedback written for the candidate too. Per-criterion comments never go."""
    rubric = payload.get("rubric", {})
    lines = [f"Decision: earned. Submission {payload.get('submission_id')}, attempt "
             f"{payload.get('attempt')}, judged against the rubric \u201c{rubric.get('title')}\u201d "
             f"version {rubric.get('version')} on {_utc_z(payload.get('decided_at', ''))[:10]}: "
             f"every criterion reached its required level."]
    if show in ("levels", "full"):
        lines.append("")
        for c in payload.get("criteria", []):
            label = f" ({c['label']})" if c.get("label") else ""
            lines.append(f"- {c.get('title')}: level {c.get('level')}{label}, "
                         f"required {c.get('required_level')}")
    if show == "full" and payload.get("feedback"):
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
        # rw:issuer allows this (GET /v2/users/self needs r:profile: a 404 with rw:issuer).
        response = self.authorized("GET", "/v2/issuers")
        if response.status_code >= 400:
            raise TransientError(f"the Badgr server answered HTTP {response.status_code} "
                                 "to GET /v2/issuers")

    def revoke(self, tokens: Tokens) -> None:
        """Revoke the refresh token (its access token goes with it), then the access token."""
        pairs = [(tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")]
        for value, hint in pairs:
            if not value:
                continue
            response = self.http.request("POST", "/o/revoke_token/", data={
                "token": value, "token_type_hint": hint, "client_id": self.profile.option("client_id")})
            if response.status_code != 200:
                log.info("Badgr refused to revoke the %s (HTTP %d)", hint, response.status_code)

    def push(self, entries: Sequence[Claimed]) -> list[Outcome]:
        if self.http.clock_offset is None and any(e.payload.get("decision") == "earned" for e in entries):
            self.ping()  # the server's Date: its clock, before an issuedOn is chosen
        return [self._issue(entry) for entry in entries]

    def issued_on(self, payload: dict[str, Any]) -> str:
        """The decision's time, unless that is later than the server's clock (Badgr
        refuses an issuedOn in its future): then the server's clock, less a margin."""
        when = _when(payload.get("decided_at", ""))
        if self.http.clock_offset is not None:
            server_now = datetime.now(UTC) + timedelta(seconds=self.http.clock_offset)
            when = min(when, server_now - CLOCK_MARGIN)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def assertion_body(self, payload: dict[str, Any], recipient: tuple[str, str]) -> dict[str, Any]:
        rtype, identity = recipient[0], stored_identity(*recipient)
        person: dict[str, Any] = {"identity": identity, "type": rtype}
        if rtype in ("email", "telephone"):
            person["hashed"] = bool(self.profile.option("recipient_hashed"))
        show = self.profile.option("public_evidence")
        evidence: dict[str, Any] = {"narrative": evidence_narrative(
            payload, show if show in PUBLIC_EVIDENCE else "decision")}
        template = self.profile.option("evidence_url")
        if template:
            evidence["url"] = template.format(submission_id=quote(str(payload.get("submission_id")), safe=""),
                                              attempt=payload.get("attempt"))
        return {
            "recipient": person,
            "issuedOn": self.issued_on(payload),
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
            fields = body.get("fieldErrors") if isinstance(body, dict) else None
            if isinstance(fields, dict) and "issuedOn" in fields:
                self.http.clock_offset = None  # its clock moved: measured again next time
                raise TransientError(f"Badgr refused the issue date ({text}); trying again")
            if DUPLICATE_MARK in text.lower():
                return Outcome(entry.uid, "duplicate", None,
                               self._existing_assertion(path, stored_identity(*recipient)))
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
