"""Injected faults, for the demo and the tests: what a bad network and a bad day look like.

Each API request (``/api/...``, not ``/api/v1/health`` nor ``/admin``) first waits
``latency`` seconds (and its reply waits ``reply_delay`` seconds after the request was
processed: a slow reply, the moment a client is most likely to give up or die), then
draws at most one fault:

* ``error``:  a 5xx answer (503), the request not processed;
* ``drop``:   the connection is dropped in the middle of the reply; a POST is not processed,
              a GET (a package download) is cut part-way through its body;
* ``lose``:   the request IS processed (decisions are stored), then the reply is cut off:
              the client cannot know, and must send again; the issuer then says "duplicate";
* ``expire``: an authorized request is answered 401 "the access token expired".

Rates are probabilities per request; ``seed`` makes a run repeatable; ``only`` limits the
faults to paths containing that text (``only=package``: downloads only). On the command line:
``--faults "error=0.05,drop=0.05,lose=0.05,expire=0.05,latency=20ms,seed=7"``; at run time:
``PUT /admin/faults`` with the same fields as JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

KINDS = ("error", "drop", "lose", "expire")


#: Paths that take no access token (so an "expired token" fault makes no sense there).
_NO_TOKEN = ("/api/v1/auth/", "/api/v1/issuer", "/api/v1/badges/")

class InjectedDrop(Exception):
    """Raised after part of a reply was sent: the server closes the connection."""


@dataclass
class FaultConfig:
    error: float = 0.0
    drop: float = 0.0
    lose: float = 0.0
    expire: float = 0.0
    latency: float = 0.0
    reply_delay: float = 0.0
    seed: int | None = None
    only: str | None = None

    def __post_init__(self) -> None:
        for kind in KINDS:
            value = float(getattr(self, kind))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {kind}={value} is not between 0 and 1")
            setattr(self, kind, value)
        if sum(getattr(self, k) for k in KINDS) > 1.0:
            raise ValueError("fault rates add up to more than 1")
        self.latency, self.reply_delay = float(self.latency), float(self.reply_delay)
        if self.latency < 0 or self.reply_delay < 0:
            raise ValueError("latency cannot be negative")

    @classmethod
    def parse(cls, spec: str | None) -> FaultConfig:
        """``"error=0.1,drop=0.05,latency=20ms,seed=3"`` (or ``none``)."""
        if not spec or spec.strip().lower() in ("none", "off", "0"):
            return cls()
        values: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for part in spec.split(","):
            if not part.strip():
                continue
            key, _, raw = part.partition("=")
            key, raw = key.strip(), raw.strip()
            if key not in names:
                raise ValueError(f"unknown fault {key!r} (known: {', '.join(sorted(names))})")
            if key == "seed":
                values[key] = int(raw)
            elif key == "only":
                values[key] = raw or None
            elif key in ("latency", "reply_delay"):
                values[key] = float(raw[:-2]) / 1000 if raw.endswith("ms") else \
                    float(raw[:-1]) if raw.endswith("s") else float(raw)
            else:
                values[key] = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        return cls(**values)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultState:
    """The current configuration, its random draws, and what was injected (thread-safe)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.counts = {k: 0 for k in KINDS}
        self.set(config or FaultConfig())

    def set(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def draw(self, method: str, path: str) -> str | None:
        cfg = self.config
        if cfg.only and cfg.only not in path:
            return None
        with self._lock:
            r = self._rng.random()
        edge = 0.0
        for kind in KINDS:
            edge += getattr(cfg, kind)
            if r < edge:
                if kind == "expire" and path.startswith(_NO_TOKEN):
                    return None  # sign-in, refresh and the public badges take no access token
                with self._lock:
                    self.counts[kind] += 1
                return kind
        return None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"config": self.config.to_json(), "injected": dict(self.counts)}


async def _send_json(send, status: int, body: dict[str, Any],  # noqa: ANN001
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


async def _drain(receive) -> None:  # noqa: ANN001
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


class _CutReply:
    """Passes the reply through, but stops half-way through its body and drops the connection."""

    def __init__(self, send) -> None:  # noqa: ANN001
        self._send = send
        self._limit: int | None = None
        self._sent = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            length = dict(message.get("headers", [])).get(b"content-length")
            self._limit = int(length) // 2 if length else 0
            await self._send(message)
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            room = max(0, (self._limit or 0) - self._sent)
            if len(body) < room and message.get("more_body"):
                self._sent += len(body)
                await self._send(message)
                return
            await self._send({"type": "http.response.body", "body": body[:room], "more_body": True})
            raise InjectedDrop()
        await self._send(message)


class _DelayedReply:
    def __init__(self, send, delay: float) -> None:  # noqa: ANN001
        self._send, self._delay = send, delay

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(self._delay)
        await self._send(message)


class FaultMiddleware:
    """ASGI middleware injecting the configured faults into requests under ``prefixes``."""

    def __init__(self, app, state: FaultState, prefixes: tuple[str, ...] = ("/api/",)) -> None:  # noqa: ANN001
        self.app = app
        self.state = state
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefixes) or path.endswith("/health"):
            await self.app(scope, receive, send)
            return
        cfg = self.state.config
        if cfg.latency:
            await asyncio.sleep(cfg.latency)
        fault = self.state.draw(scope["method"], path)
        if cfg.reply_delay:
            send = _DelayedReply(send, cfg.reply_delay)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "error":
            await _drain(receive)
            await _send_json(send, 503, {"error": "unavailable",
                                         "error_description": "injected fault: try again later"})
        elif fault == "expire":
            await _drain(receive)
            await _send_json(send, 401, {"error": "invalid_token",
                                         "error_description": "The access token expired"},
                             [(b"www-authenticate",
                               b'Bearer error="invalid_token", '
                               b'error_description="The access token expired"')])
        elif fault == "drop" and scope["method"] != "GET":
            await _drain(receive)
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"results": [', "more_body": True})
            raise InjectedDrop()
        else:  # "lose", or "drop" of a GET: process it, then cut the reply short
            await self.app(scope, receive, _CutReply(send))


class QuietInjectedDrops(logging.Filter):
    """Keeps the server's log free of the tracebacks of faults injected on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, InjectedDrop):
                return False
            exc = exc.__cause__ or exc.__context__
        return True
