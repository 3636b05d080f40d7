"""A small fake of the Badgr server's API (v2), for the adapter's tests.

It behaves as the open-source badgr-server's source does (``apps/mainsite/oauth2_api.py``,
``apps/mainsite/oauth_validator.py``, ``apps/mainsite/permissions.py``,
``apps/entity/views.py``, ``apps/issuer/api.py``, ``apps/issuer/serializers_v2.py``,
``apps/issuer/managers.py``, ``apps/issuer/utils.py``, ``apps/mainsite/settings.py``;
django-oauth-toolkit 1.3 for ``/o/revoke_token/``):

* ``POST /o/token``: OAuth 2 password and refresh_token grants, parameters in a form body
  (query parameters: 400); an unknown ``client_id`` is 400; the token carries the scopes
  asked for (a scope the app may not grant: 400 "invalid scope requested"; none asked:
  ``r:profile``, the server's default), a refresh keeps them, and the refresh token
  rotates. Access tokens live 24 h; an expired one is 401 "no valid auth token found".
* Each view lists the scopes that let a token in; a token without one of them gets
  **404** "entity not found or insufficient privileges" (the server turns the
  PermissionDenied into a 404): ``GET /v2/users/self`` needs ``r:profile`` or
  ``rw:profile``; ``GET /v2/issuers`` and the assertions need ``rw:issuer``.
* ``POST /v2/badgeclasses/{entityId}/assertions``: an email recipient is stored
  lowercased (a url recipient with its host lowercased), but ``allowDuplicateAwards:
  false`` compares the identity *as sent* with the stored ones (as PostgreSQL does,
  case-sensitively): a duplicate is 400 with the reason in a top-level
  ``validationErrors``; an ``issuedOn`` later than the server's clock is 400 with
  ``fieldErrors.issuedOn``. Replies use the v2 envelope ``{status, result}``.
* ``GET /v2/badgeclasses/{entityId}/assertions?recipient=...`` matches stored identities.
* ``POST /o/revoke_token/`` (form: ``token``, ``token_type_hint``, ``client_id``): 200
  with an empty body; a refresh token takes its access token with it.
* Every reply has a ``Date`` header from the server's clock, which a test can set apart
  from this machine's (``clock_offset`` seconds).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlparse, urlunparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DUPLICATE = "A previous award of this badge already exists for this recipient."
FUTURE = "Only issuedOn dates in the past are acceptable."
NOT_FOUND = "entity not found or insufficient privileges"
#: The scopes the ``public`` application may hand out.
APP_SCOPES = {"r:profile", "rw:profile", "rw:issuer", "rw:backpack"}


def envelope(result: list, success: bool = True, description: str = "ok",
             validation: list | None = None, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": {"success": success, "description": description},
                            "result": result}
    if not success:
        body["fieldErrors"] = fields or {}
        body["validationErrors"] = validation or []
    return body


def sanitize_id(identity: str, kind: str) -> str:
    """As ``issuer.utils.sanitize_id``: how the server stores a recipient identity."""
    if kind == "email":
        return identity.lower()
    if kind == "url":
        p = urlparse(identity)
        return urlunparse((p.scheme, p.netloc.lower(), p.path, p.params, p.query, p.fragment))
    return identity


@dataclass
class Grant:
    user: str
    expires: float
    scopes: frozenset[str]
    refresh: str | None = None


@dataclass
class BadgrState:
    users: dict[str, str] = field(default_factory=dict)
    badge_classes: set[str] = field(default_factory=set)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    assertion_requests: list[dict[str, Any]] = field(default_factory=list)
    revocations: list[dict[str, str]] = field(default_factory=list)
    #: (method, path, status) of every API request, in order.
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    access_ttl: float = 86400.0
    #: The server's clock minus this machine's, in seconds.
    clock_offset: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def expire_all(self) -> None:
        with self.lock:
            for grant in self.access.values():
                grant.expires = 0.0

    def _issue(self, user: str, scopes: frozenset[str]) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = Grant(user, self.now() + self.access_ttl, scopes, refresh)
        self.refresh[refresh] = (user, scopes)
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(self.access_ttl),
                "refresh_token": refresh, "scope": " ".join(sorted(scopes))}


def _error(body: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(body, status)


def create_badgr_app(state: BadgrState) -> Any:
    def unauthorized() -> JSONResponse:
        return JSONResponse(envelope([], False, "no valid auth token found"), 401,
                            headers={"WWW-Authenticate": 'Bearer realm="api"'})

    def not_found() -> JSONResponse:
        return JSONResponse(envelope([], False, NOT_FOUND), 404)

    def grant_of(request: Request) -> Grant | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with state.lock:
            grant = state.access.get(token) if scheme == "Bearer" else None
        if grant is None or grant.expires <= state.now():
            return None
        return grant

    def allowed(request: Request, *scopes: str) -> tuple[Grant | None, JSONResponse | None]:
        grant = grant_of(request)
        if grant is None:
            return None, unauthorized()
        if not grant.scopes & set(scopes):
            return None, not_found()
        return grant, None

    async def form_of(request: Request) -> dict[str, str]:
        return dict(parse_qsl((await request.body()).decode()))

    async def token(request: Request) -> JSONResponse:
        form = await form_of(request)
        state.token_requests.append({"content_type": request.headers.get("content-type", ""),
                                     "query": dict(request.query_params), "form": form})
        if request.query_params:
            return _error({"error": "Token grant parameters must be sent in post body, "
                                    "not query parameters"}, 400)
        if form.get("client_id") != "public":
            return _error({"error": "invalid client_id"}, 400)
        asked = frozenset(s for s in form.get("scope", "").split() if s)
        if not asked <= APP_SCOPES:
            return _error({"error": "invalid scope requested"}, 400)
        with state.lock:
            if form.get("grant_type", "password") == "password":
                if state.users.get(form.get("username", "")) != form.get("password"):
                    return _error({"error": "invalid_grant",
                                   "error_description": "Invalid credentials given."}, 400)
                return JSONResponse(state._issue(form["username"], asked or frozenset({"r:profile"})))
            if form.get("grant_type") == "refresh_token":
                found = state.refresh.pop(form.get("refresh_token", ""), None)  # rotates
                if found is None:
                    return _error({"error": "invalid_grant"}, 400)
                return JSONResponse(state._issue(*found))
        return _error({"error": "unsupported_grant_type"}, 400)

    async def revoke_token(request: Request) -> Response:
        form = await form_of(request)
        state.revocations.append(form)
        if request.query_params:
            return _error({"error": "invalid_request",
                           "error_description": "URL query parameters are not allowed"}, 400)
        if form.get("client_id") != "public":
            return _error({"error": "invalid_client"}, 401)
        if not form.get("token"):
            return _error({"error": "invalid_request",
                           "error_description": "Missing token parameter."}, 400)
        if form.get("token_type_hint") not in (None, "access_token", "refresh_token"):
            return _error({"error": "unsupported_token_type"}, 400)
        with state.lock:
            value = form["token"]
            state.access.pop(value, None)
            if state.refresh.pop(value, None) is not None:
                for key in [k for k, g in state.access.items() if g.refresh == value]:
                    del state.access[key]
        return Response(b"", 200)

    async def me(request: Request) -> JSONResponse:
        grant, denied = allowed(request, "r:profile", "rw:profile")
        if denied:
            return denied
        return JSONResponse(envelope([{"entityType": "BadgeUser", "entityId": "self",
                                       "emails": [grant.user]}]))

    async def issuers(request: Request) -> JSONResponse:
        _grant, denied = allowed(request, "rw:issuer")
        if denied:
            return denied
        return JSONResponse(envelope([{"entityType": "Issuer", "entityId": "ISS-1",
                                       "name": "District Micro-credentials"}]))

    async def assertions(request: Request) -> JSONResponse:
        _grant, denied = allowed(request, "rw:issuer")
        if denied:
            return denied
        entity = request.path_params["entity_id"]
        if entity not in state.badge_classes:
            return not_found()
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
        if body.get("issuedOn"):
            issued = datetime.fromisoformat(body["issuedOn"].replace("Z", "+00:00"))
            if issued.timestamp() > state.now():
                return JSONResponse(envelope([], False, "bad request",
                                             fields={"issuedOn": [FUTURE]}), 400)
        for item in body.get("evidence", []):
            if not (item.get("url") or item.get("narrative")):
                return JSONResponse(envelope([], False, "bad request",
                                             validation=["Either url or narrative is required"]), 400)
        with state.lock:
            if body.get("allowDuplicateAwards", True) is False and any(
                    a["badgeclass"] == entity and a["_identity"] == identity and not a["revoked"]
                    for a in state.assertions):  # the identity as sent, not as stored
                return JSONResponse(envelope([], False, "bad request", validation=[DUPLICATE]), 400)
            stored = sanitize_id(identity, kind)
            hashed = recipient.get("hashed")
            if hashed is None:
                hashed = kind in ("email", "telephone")
            salt = secrets.token_hex(8)
            assertion = {
                "entityType": "Assertion", "entityId": secrets.token_urlsafe(16)[:22],
                "badgeclass": entity, "revoked": False,
                "recipient": {"type": kind, "hashed": hashed, "plaintextIdentity": stored,
                              "identity": ("sha256$" + hashlib.sha256((stored + salt).encode())
                                           .hexdigest()) if hashed else stored,
                              **({"salt": salt} if hashed else {})},
                "issuedOn": body.get("issuedOn"), "narrative": body.get("narrative"),
                "evidence": body.get("evidence", []), "_identity": stored,
                "_created": state.now(),
            }
            state.assertions.append(assertion)
        return JSONResponse(envelope([_public(assertion)]), 201)

    app = Starlette(routes=[
        Route("/o/token", token, methods=["POST"]),
        Route("/o/revoke_token/", revoke_token, methods=["POST"]),
        Route("/v2/users/self", me, methods=["GET"]),
        Route("/v2/issuers", issuers, methods=["GET"]),
        Route("/v2/badgeclasses/{entity_id}/assertions", assertions, methods=["GET", "POST"]),
    ])
    app.router.redirect_slashes = False  # Django does not redirect a POST either

    async def with_clock(scope, receive, send) -> None:
        """Every reply dated by the server's clock; every call recorded."""
        status = 0

        async def dated(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"date", formatdate(state.now(), usegmt=True).encode())]}
            await send(message)

        await app(scope, receive, dated)
        if scope["type"] == "http":
            state.calls.append((scope["method"], scope["path"], status))

    return with_clock


def _public(assertion: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in assertion.items() if not k.startswith("_")}


def server_time(state: BadgrState) -> datetime:
    return datetime.fromtimestamp(state.now(), UTC)
