"""A small fake of the Badgr server's API (v2), for the adapter's tests.

It follows the open-source badgr-server's shapes (``apps/issuer/serializers_v2.py``,
``apps/entity/serializers.py``, ``apps/issuer/api.py``):

* ``POST /o/token``: OAuth 2 password and refresh_token grants, parameters in a form body;
  the refresh token rotates, as with django-oauth-toolkit's default.
* ``POST /v2/badgeclasses/{entityId}/assertions``: ``allowDuplicateAwards`` defaults to true;
  when false and the recipient already holds an unrevoked, unexpired award of the badge
  class, the answer is 400 with ``validationErrors: ["A previous award of this badge
  already exists for this recipient."]``. Replies use the v2 envelope
  ``{status: {success, description}, result: [...]}``; an email recipient is hashed by
  default (``sha256$...`` with a salt in the reply).
* ``GET /v2/badgeclasses/{entityId}/assertions?recipient=...`` lists the awards.
* A request without a valid token gets 401 "no valid auth token found".
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DUPLICATE = "A previous award of this badge already exists for this recipient."


def envelope(result: list, success: bool = True, description: str = "ok",
             validation: list | None = None, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": {"success": success, "description": description},
                            "result": result}
    if not success:
        body["fieldErrors"] = fields or {}
        body["validationErrors"] = validation or []
    return body


@dataclass
class BadgrState:
    users: dict[str, str] = field(default_factory=dict)
    badge_classes: set[str] = field(default_factory=set)
    access: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    assertion_requests: list[dict[str, Any]] = field(default_factory=list)
    access_ttl: float = 86400.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_all(self) -> None:
        with self.lock:
            self.access = {t: (u, 0.0) for t, (u, _) in self.access.items()}

    def _issue(self, user: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = (user, time.time() + self.access_ttl)
        self.refresh[refresh] = user
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(self.access_ttl),
                "refresh_token": refresh, "scope": "rw:profile rw:issuer rw:backpack"}


def create_badgr_app(state: BadgrState) -> Starlette:
    def unauthorized() -> JSONResponse:
        return JSONResponse(envelope([], False, "no valid auth token found"), 401)

    def user_of(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with state.lock:
            found = state.access.get(token) if scheme == "Bearer" else None
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    async def token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        state.token_requests.append({"content_type": request.headers.get("content-type", ""),
                                     "query": dict(request.query_params), "form": form})
        if form.get("client_id") != "public":
            return JSONResponse({"error": "invalid_client"}, 401)
        with state.lock:
            if form.get("grant_type") == "password":
                if state.users.get(form.get("username", "")) != form.get("password"):
                    return JSONResponse({"error": "invalid_grant",
                                         "error_description": "Invalid credentials given."}, 400)
                return JSONResponse(state._issue(form["username"]))
            if form.get("grant_type") == "refresh_token":
                user = state.refresh.pop(form.get("refresh_token", ""), None)  # rotates
                if user is None:
                    return JSONResponse({"error": "invalid_grant"}, 400)
                return JSONResponse(state._issue(user))
        return JSONResponse({"error": "unsupported_grant_type"}, 400)

    async def me(request: Request) -> JSONResponse:
        user = user_of(request)
        if user is None:
            return unauthorized()
        return JSONResponse(envelope([{"entityType": "BadgeUser", "entityId": "self", "emails": [user]}]))

    async def assertions(request: Request) -> JSONResponse:
        user = user_of(request)
        if user is None:
            return unauthorized()
        entity = request.path_params["entity_id"]
        if entity not in state.badge_classes:
            return JSONResponse(envelope([], False, "entity not found or insufficient privileges"), 404)
        if request.method == "GET":
            wanted = request.query_params.getlist("recipient")
            with state.lock:
                found = [a for a in state.assertions if a["badgeclass"] == entity
                         and (not wanted or a["_identity"] in wanted)]
            return JSONResponse(envelope([_public(a) for a in found]))
        body = json.loads(await request.body())
        state.assertion_requests.append(body)
        recipient = body.get("recipient") or {}
        identity, kind = recipient.get("identity"), recipient.get("type", "email")
        if not identity:
            return JSONResponse(envelope([], False, "bad request",
                                         fields={"recipient": ["This field is required"]}), 400)
        for item in body.get("evidence", []):
            if not (item.get("url") or item.get("narrative")):
                return JSONResponse(envelope([], False, "bad request",
                                             validation=["Either url or narrative is required"]), 400)
        with state.lock:
            if body.get("allowDuplicateAwards", True) is False and any(
                    a["badgeclass"] == entity and a["_identity"] == identity and not a["revoked"]
                    for a in state.assertions):
                return JSONResponse(envelope([], False, "bad request", validation=[DUPLICATE]), 400)
            hashed = recipient.get("hashed")
            if hashed is None:
                hashed = kind in ("email", "telephone")
            salt = secrets.token_hex(8)
            assertion = {
                "entityType": "Assertion", "entityId": secrets.token_urlsafe(16)[:22],
                "badgeclass": entity, "revoked": False,
                "recipient": {"type": kind, "hashed": hashed, "plaintextIdentity": identity,
                              "identity": ("sha256$" + hashlib.sha256((identity.lower() + salt).encode())
                                           .hexdigest()) if hashed else identity,
                              **({"salt": salt} if hashed else {})},
                "issuedOn": body.get("issuedOn"), "narrative": body.get("narrative"),
                "evidence": body.get("evidence", []), "_identity": identity,
            }
            state.assertions.append(assertion)
        return JSONResponse(envelope([_public(assertion)]), 201)

    return Starlette(routes=[
        Route("/o/token", token, methods=["POST"]),
        Route("/v2/users/self", me, methods=["GET"]),
        Route("/v2/badgeclasses/{entity_id}/assertions", assertions, methods=["GET", "POST"]),
    ])


def _public(assertion: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in assertion.items() if not k.startswith("_")}
