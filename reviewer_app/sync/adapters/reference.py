"""The issuer API documented in ``reviewer_app/sync/openapi.yaml`` (the reference issuer
implements it; so can any issuer)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx

from reviewer_app.sync.adapters.base import (
    Assignment,
    AssignmentPage,
    IssuerAdapter,
    PackageRef,
    SplitBatch,
)
from reviewer_app.sync.client import IssuerRefused, TransientError, error_text, json_body
from reviewer_app.sync.outbox import Claimed, Outcome
from reviewer_app.sync.secrets import Tokens

API = "/api/v1"
#: The issuer refused the lead's audit head (see reference_issuer/heads.py).
_HEAD_ERRORS = {
    "audit_head_rewound": "the audit log on this computer was cut back or rewritten since the "
                          "issuer last saw it",
    "audit_head_key_changed": "the audit log is now signed by another key than before",
    "audit_head_required": "the decisions came without the signed audit head the issuer expects",
    "invalid_audit_head": "the signed audit head sent with them does not check out",
}


def _with(payload_json: str, extra: dict) -> str:
    """A JSON object's text with ``extra``'s members added at its end (a later member wins,
    as when the two are merged as dicts)."""
    text = payload_json.rstrip()
    if not text.endswith("}"):  # never so (json.dumps of a dict); merged the slow way then
        return json.dumps({**json.loads(payload_json), **extra}, ensure_ascii=False)
    inner = text[:-1].rstrip()
    members = json.dumps(extra, ensure_ascii=False)[1:-1]
    return f"{inner}{'' if inner.endswith('{') or not members else ', '}{members}}}"


def _error_code(response: httpx.Response) -> str:
    body = json_body(response) if response.content else None
    return str(body.get("error", "")) if isinstance(body, dict) else ""


class ReferenceAdapter(IssuerAdapter):
    kind = "reference"
    max_batch = 500  # the API's limit per request
    can_pull = True
    carries_audit_head = True

    def _token_request(self, form: dict[str, str]) -> httpx.Response:
        return self.http.request("POST", f"{API}/auth/token", json=form)

    def revoke(self, tokens: Tokens) -> None:
        """Both tokens: the access token would otherwise work until it expires."""
        for value in (tokens.refresh_token, tokens.access_token):
            if value:
                self.http.request("POST", f"{API}/auth/revoke", json={"token": value})

    def ping(self) -> None:
        response = self.http.request("GET", f"{API}/health")
        if response.status_code != 200:
            raise IssuerRefused(f"{self.profile.base_url} does not look like an issuer "
                                f"(HTTP {response.status_code} from {API}/health).")
        self.contacted = True

    def _recipient(self, entry: Claimed) -> dict:
        """An earned decision names its badge's recipient, as a Badgr award does: the lead's
        database knows it (the package sealed it to the lead's key), the issuer does not
        (it hands reviewers packages that carry a pseudonym only; blind by design, #12)."""
        if entry.decision != "earned" or self.recipient_lookup is None:
            return {}
        found = self.recipient_lookup(entry.submission_key, entry.attempt)
        return {"recipient": {"type": found[0], "identity": found[1]}} if found else {}

    def body(self, entries: Sequence[Claimed]) -> bytes:
        """The request: each stored payload as it is, its idempotency key (and recipient)
        added inside it, without parsing and re-encoding every decision."""
        decisions = ", ".join(_with(e.payload_json, {"idempotency_key": e.uid, **self._recipient(e)})
                              for e in entries)
        head = "" if self.audit_head is None else f', "audit_head": {json.dumps(self.audit_head)}'
        return f'{{"decisions": [{decisions}]{head}}}'.encode()

    def push(self, entries: Sequence[Claimed]) -> list[Outcome]:
        response = self.authorized("POST", f"{API}/decisions", content=self.body(entries),
                                   headers={"Content-Type": "application/json"})
        status = response.status_code
        if status in (400, 409) and (code := _error_code(response)) in _HEAD_ERRORS:
            raise IssuerRefused(
                f"The issuer \u201c{self.profile.name}\u201d refused the decisions: "
                f"{_HEAD_ERRORS[code]}. Nothing was sent; the decisions stay in the outbox. "
                "Check the log with 'reviewer-app audit verify' (Lead \u203a Audit Log \u203a "
                "Verify) before anything else.", details=error_text(response))
        if status == 413:
            raise SplitBatch("the batch is too large for the issuer")
        if status in (400, 422):
            if len(entries) > 1:
                raise SplitBatch(error_text(response))
            return [Outcome(entries[0].uid, "rejected", f"the issuer refused it: {error_text(response)}")]
        if status == 403:
            raise IssuerRefused(f"The issuer \u201c{self.profile.name}\u201d does not let "
                                f"{self.profile.username} send decisions ({error_text(response)}).")
        if status == 404:
            raise IssuerRefused(f"{self.profile.base_url} has no decisions API (is the address right?).")
        if status != 200:
            raise TransientError(f"the issuer answered HTTP {status} to the decisions")
        body = json_body(response)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise TransientError("the issuer's reply had no results")
        wanted = {e.uid for e in entries}
        outcomes = []
        for item in results:
            if not isinstance(item, dict) or item.get("idempotency_key") not in wanted:
                continue
            kind = item.get("status")
            if kind not in ("accepted", "duplicate", "rejected"):
                continue  # unknown: the entry stays pending and is sent again
            reason = item.get("reason")
            badge = item.get("badge")
            outcomes.append(Outcome(item["idempotency_key"], kind,
                                    str(reason) if reason else None,
                                    str(item["decision_id"]) if item.get("decision_id") else None,
                                    badge if isinstance(badge, str) and badge else None))
        return outcomes

    def remembered_head(self) -> dict | None:
        """The lead's audit head the issuer remembers for this account (None: none yet)."""
        response = self.authorized("GET", f"{API}/audit-head")
        if response.status_code != 200:
            return None  # 404: no head yet (or an issuer that keeps none)
        body = json_body(response)
        return body if isinstance(body, dict) else None

    def fetch_badge(self, href: str) -> dict:
        """The issued badge at ``href`` (on the issuer's own origin; it is public: no token)."""
        response = self.http.request("GET", str(self._own(href)))
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"the badge answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise IssuerRefused(f"The issuer \u201c{self.profile.name}\u201d has no badge at {href} "
                                f"(HTTP {response.status_code}).")
        body = json_body(response)
        if not isinstance(body, dict):
            raise IssuerRefused("The issuer's badge was not a JSON credential.")
        return body

    def assignments(self, since: str | None, limit: int = 500) -> AssignmentPage:
        params: dict[str, str | int] = {"limit": limit}
        if since:
            params["since"] = since
        response = self.authorized("GET", f"{API}/assignments", params=params)
        if response.status_code == 403:
            raise IssuerRefused(f"The issuer does not let {self.profile.username} list assignments.")
        if response.status_code != 200:
            raise TransientError(f"the assignment list answered HTTP {response.status_code}")
        body = json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise TransientError("the assignment list reply was not understood")
        items = []
        for raw in body["items"]:
            try:
                pkg = raw.get("package")
                items.append(Assignment(
                    str(raw["submission_id"]), int(raw["attempt"]), str(raw.get("status", "assigned")),
                    PackageRef(str(pkg["href"]), int(pkg["size"]), str(pkg["sha256"]).lower())
                    if isinstance(pkg, dict) else None,
                    str((raw.get("credential") or {}).get("id", "")), str(raw.get("updated_at", ""))))
            except (KeyError, TypeError, ValueError):
                continue
        return AssignmentPage(tuple(items), body.get("next_since"), bool(body.get("has_more")))
