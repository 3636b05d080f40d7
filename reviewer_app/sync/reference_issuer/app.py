"""The reference issuer's HTTP API (Starlette), as documented in ``../openapi.yaml``.

``/api/v1/...`` is the issuer API a reviewer's app uses; ``/admin/...`` is for the demo and
the tests (add users and packages, withdraw a submission, read what was stored, set the
injected faults, expire every access token). Admin requests are accepted from this
machine only, or with the ``X-Admin-Key`` header when the server was given a key.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from reviewer_app.sync.client import is_loopback
from reviewer_app.sync.reference_issuer.faults import FaultConfig, FaultMiddleware, FaultState
from reviewer_app.sync.reference_issuer.heads import HeadRefused
from reviewer_app.sync.reference_issuer.store import MAX_ATTEMPT, MAX_BATCH, MAX_SEQ, IssuerStore

API_NAME = "reviewer-issuer/1"
CHUNK = 256 * 1024
PACKAGE_PATH = "/api/v1/submissions/{submission_id}/attempts/{attempt}/package"
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, int] = {"requests": 0, "decision_requests": 0, "duplicates": 0,
                                       "rejected": 0, "accepted": 0, "refreshes": 0,
                                       "sign_ins": 0, "range_requests": 0, "downloads": 0}

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.values[key] = self.values.get(key, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.values)


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)


def _unauthorized(why: str) -> JSONResponse:
    text = "The access token expired" if why == "expired" else "The access token is not valid"
    return _error(401, "invalid_token", text,
                  {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{text}"'})


async def _body(request: Request) -> dict[str, Any] | None:
    """A JSON object or a form body (OAuth clients send either); None for anything else,
    including JSON nested too deep or holding text no UTF-8 can carry (a lone surrogate)."""
    kind = request.headers.get("content-type", "")
    try:
        if kind.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        data = json.loads(await request.body() or b"null")
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _int_in(text: str | None, low: int, high: int) -> int | None:
    """``text`` as an integer from ``low`` to ``high`` (decimal digits only), else None."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    value = int(text)
    return value if low <= value <= high else None


def create_app(store: IssuerStore, faults: FaultState | None = None, *,
               admin_key: str | None = None) -> FaultMiddleware:
    faults = faults or FaultState()
    stats = Stats()

    def user_of(request: Request) -> tuple[str | None, JSONResponse | None]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, _unauthorized("missing")
        user, why = store.token_user(token.strip())
        return (user, None) if user else (None, _unauthorized(why))

    # -- the issuer API ----------------------------------------------------------------
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "api": API_NAME})

    async def token(request: Request) -> Response:
        stats.add("requests")
        body = await _body(request)
        if body is None:
            return _error(400, "invalid_request", "the body must be JSON or a form")
        grant = body.get("grant_type")
        if grant == "password":
            username, password = str(body.get("username", "")), str(body.get("password", ""))
            if not store.check_password(username, password):
                return _error(400, "invalid_grant", "wrong user name or password")
            stats.add("sign_ins")
            return JSONResponse(store.issue_tokens(username), headers={"Cache-Control": "no-store"})
        if grant == "refresh_token":
            refresh = str(body.get("refresh_token", ""))
            user, _why = store.token_user(refresh, "refresh")
            if not user:
                return _error(400, "invalid_grant", "the refresh token is not valid")
            stats.add("refreshes")
            tokens = store.issue_tokens(user, with_refresh=False)
            tokens["refresh_token"] = refresh
            return JSONResponse(tokens, headers={"Cache-Control": "no-store"})
        return _error(400, "unsupported_grant_type", "use grant_type password or refresh_token")

    async def revoke(request: Request) -> Response:
        body = await _body(request)
        if body is None or not isinstance(body.get("token"), str):
            return _error(400, "invalid_request", 'the body must be {"token": "..."}')
        store.revoke(body["token"])
        return JSONResponse({})

    async def assignments(request: Request) -> Response:
        stats.add("requests")
        user, denied = user_of(request)
        if denied:
            return denied
        since = _int_in(request.query_params.get("since") or "0", 0, MAX_SEQ)
        limit = _int_in(request.query_params.get("limit") or "100", 1, MAX_BATCH)
        if since is None or limit is None:
            return _error(400, "invalid_request",
                          f"since is a next_since given earlier; limit is 1 to {MAX_BATCH}")
        items, more = store.assignments(user, since, limit)
        next_since = str(items[-1]["seq"]) if items else str(since)
        for item in items:
            item.pop("seq", None)
        return JSONResponse({"items": items, "next_since": next_since, "has_more": more})

    async def package(request: Request) -> Response:
        stats.add("requests")
        user, denied = user_of(request)
        if denied:
            return denied
        attempt = _int_in(request.path_params["attempt"], 1, MAX_ATTEMPT)
        if attempt is None:
            return _error(404, "not_found", "no such attempt")
        found = store.package_for(user, request.path_params["submission_id"], attempt)
        if found is None:
            return _error(404, "not_found", "no such package assigned to you")
        path, sha = found
        size = path.stat().st_size
        etag = f'"{sha}"'
        start, end, status = 0, size - 1, 200
        headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Type": "application/zip",
                   "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(sha)).decode()}:",
                   "X-Checksum-SHA256": sha}
        # Range is defined for GET only: a HEAD answers as for the whole package (RFC 9110 14.2).
        wanted = request.headers.get("range") if request.method == "GET" else None
        if_range = request.headers.get("if-range")
        if wanted and (if_range is None or if_range.strip() == etag):
            match = _RANGE.fullmatch(wanted.strip())
            if match:
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
                if start >= size or start > end:
                    return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                stats.add("range_requests")
        headers["Content-Length"] = str(end - start + 1)
        stats.add("downloads")
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        return StreamingResponse(_read(path, start, end), status_code=status, headers=headers)

    async def decisions(request: Request) -> Response:
        stats.add("requests")
        stats.add("decision_requests")
        user, denied = user_of(request)
        if denied:
            return denied
        body = await _body(request)
        if body is None or not isinstance(body.get("decisions"), list):
            return _error(400, "invalid_request", 'the body must be {"decisions": [...]}')
        if len(body["decisions"]) > MAX_BATCH:
            return _error(413, "too_large", f"at most {MAX_BATCH} decisions per request")
        try:
            results = store.record(user, body["decisions"], body.get("audit_head"))
        except HeadRefused as refused:
            return _error(refused.status, refused.error, refused.description)
        _count(results)
        return JSONResponse({"results": [r.to_json() for r in results]})

    async def decision_one(request: Request) -> Response:
        stats.add("requests")
        stats.add("decision_requests")
        user, denied = user_of(request)
        if denied:
            return denied
        body = await _body(request)
        if body is None:
            return _error(400, "invalid_request", "the body must be a decision object")
        body["idempotency_key"] = request.path_params["idempotency_key"]
        head = body.pop("audit_head", None)
        try:
            results = store.record(user, [body], head)
        except HeadRefused as refused:
            return _error(refused.status, refused.error, refused.description)
        _count(results)
        return JSONResponse({"result": results[0].to_json()})

    async def audit_head(request: Request) -> Response:
        stats.add("requests")
        user, denied = user_of(request)
        if denied:
            return denied
        seen = store.remembered_head(user)
        if seen is None:
            return _error(404, "not_found", "no signed audit head was sent from this account yet")
        return JSONResponse(seen)

    async def issuer_profile(request: Request) -> Response:
        if store.badge_issuer is None:
            return _error(404, "not_found", "this issuer issues no badges")
        return JSONResponse(store.badge_issuer.profile())

    async def badge(request: Request) -> Response:
        """A badge is public, like the page of a printed certificate: no token needed."""
        found = await run_in_threadpool(store.badge, request.path_params["decision_id"])
        if found is None:
            return _error(404, "not_found", "no such badge")
        return JSONResponse(found, media_type="application/ld+json")

    def _count(results) -> None:  # noqa: ANN001
        for r in results:
            stats.add({"duplicate": "duplicates"}.get(r.status, r.status))

    # -- admin ----------------------------------------------------------------------
    def admin_denied(request: Request) -> Response | None:
        if admin_key:
            given = request.headers.get("x-admin-key", "")
            if hmac.compare_digest(given.encode(), admin_key.encode()):
                return None
            return _error(403, "forbidden", "admin key required")
        host = request.client.host if request.client else ""
        return None if is_loopback(host) else _error(403, "forbidden", "admin from this machine only")

    async def admin_stats(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        return JSONResponse({**stats.snapshot(), "decisions_stored": store.decision_count(),
                             "faults": faults.snapshot()})

    async def admin_decisions(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        return JSONResponse({"decisions": store.decisions()})

    async def admin_faults(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        if request.method == "PUT":
            try:
                faults.set(FaultConfig.from_json(await request.json()))
            except (ValueError, TypeError) as exc:
                return _error(400, "invalid_request", str(exc))
        return JSONResponse(faults.snapshot())

    async def admin_expire(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        return JSONResponse({"expired": store.expire_access_tokens()})

    async def admin_users(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        body = await _body(request) or {}
        if not body.get("username") or not body.get("password"):
            return _error(400, "invalid_request", "username and password")
        store.add_user(str(body["username"]), str(body["password"]))
        return JSONResponse({"username": body["username"]}, 201)

    async def admin_assignments(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        body = await _body(request) or {}
        items = body.get("items")
        if not body.get("username") or not isinstance(items, list):
            return _error(400, "invalid_request", '{"username": ..., "items": [...]}')
        return JSONResponse({"assigned": store.assign(str(body["username"]), items)}, 201)

    async def admin_packages(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        user = request.query_params.get("assign")
        if not user:
            return _error(400, "invalid_request", "?assign=USERNAME")
        try:
            info = store.add_package(await request.body(), user)
        except ValueError as exc:
            return _error(400, "invalid_request", str(exc))
        return JSONResponse(info, 201)

    async def admin_heads(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        return JSONResponse({"audit_heads": store.audit_heads()})

    async def admin_forget_key(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        body = await _body(request) or {}
        if not isinstance(body.get("username"), str):
            return _error(400, "invalid_request", '{"username": ...}')
        return JSONResponse({"forgotten": store.forget_head_key(body["username"])})

    async def admin_withdraw(request: Request) -> Response:
        if (denied := admin_denied(request)):
            return denied
        body = await _body(request) or {}
        attempt = body.get("attempt")
        count = store.withdraw(str(body.get("submission_id", "")), int(attempt) if attempt else None)
        return JSONResponse({"withdrawn": count})

    routes = [
        Route("/api/v1/health", health, methods=["GET"]),
        Route("/api/v1/auth/token", token, methods=["POST"]),
        Route("/api/v1/auth/revoke", revoke, methods=["POST"]),
        Route("/api/v1/assignments", assignments, methods=["GET"]),
        Route(PACKAGE_PATH, package, methods=["GET", "HEAD"]),
        Route("/api/v1/decisions", decisions, methods=["POST"]),
        Route("/api/v1/decisions/{idempotency_key}", decision_one, methods=["PUT"]),
        Route("/api/v1/audit-head", audit_head, methods=["GET"]),
        Route("/api/v1/issuer", issuer_profile, methods=["GET"]),
        Route("/api/v1/badges/{decision_id}", badge, methods=["GET"]),
        Route("/admin/stats", admin_stats, methods=["GET"]),
        Route("/admin/decisions", admin_decisions, methods=["GET"]),
        Route("/admin/faults", admin_faults, methods=["GET", "PUT"]),
        Route("/admin/expire-tokens", admin_expire, methods=["POST"]),
        Route("/admin/users", admin_users, methods=["POST"]),
        Route("/admin/assignments", admin_assignments, methods=["POST"]),
        Route("/admin/packages", admin_packages, methods=["POST"]),
        Route("/admin/withdraw", admin_withdraw, methods=["POST"]),
        Route("/admin/audit-heads", admin_heads, methods=["GET"]),
        Route("/admin/forget-head-key", admin_forget_key, methods=["POST"]),
    ]
    for route in routes:  # Starlette adds HEAD to every GET; only the documented HEAD stays
        if route.path != PACKAGE_PATH:
            route.methods.discard("HEAD")
    app = Starlette(routes=routes)
    wrapped = FaultMiddleware(app, faults)
    wrapped.stats = stats  # type: ignore[attr-defined]
    wrapped.store = store  # type: ignore[attr-defined]
    wrapped.faults = faults  # type: ignore[attr-defined]
    return wrapped


async def _read(path: Path, start: int, end: int) -> AsyncIterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
