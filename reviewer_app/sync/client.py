"""HTTP to an issuer: httpx with the app's rules, and the errors a sync can meet.

Rules: TLS certificates are always verified for https (a verifying context with the CA
bundle, hostname checks on, never turned off); plain http only to this machine (localhost,
127.0.0.0/8, ::1) unless the user allowed that issuer's host explicitly; redirects are not
followed (one could lead from https to http, or to another site: the adapters follow a
package link's redirects themselves, by the rules of ``origin``); every request has
timeouts. A sign-in token goes only to the *origin* (scheme, host and port) of the issuer
profile it belongs to.
Errors fall in three kinds:

* ``TransientError``: worth trying again later (network down, timeout, connection
  dropped mid-reply, 5xx, 429): the outbox keeps the entry with a backoff;
* ``SignInRequired`` / ``IssuerRefused`` / ``InsecureURL``: ``UserError``s, plain words for
  the user, who must act (sign in again, fix the address, ask the issuer);
* an issuer's answer per decision (accepted, duplicate, rejected with a reason), which
  is not an error at all.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

import httpx

from reviewer_app import __version__
from reviewer_app.errors import UserError

log = logging.getLogger(__name__)

# httpx logs each request's URL at INFO; never headers, but keep the app's log about the
# app. (httpcore's DEBUG output would include headers: it stays off.)
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)


class TransientError(Exception):
    """The request failed in a way that may pass: try again later."""


class SignInRequired(UserError):
    """No valid sign-in for an issuer profile: the user must sign in (again)."""

    def __init__(self, profile: str, why: str = "") -> None:
        super().__init__(
            f"Sign in to the issuer \u201c{profile}\u201d{' again' if why else ''}: "
            f"reviewer-app issuer login {profile} (or Sync \u203a Issuer Settings in the window)."
            + (f" ({why})" if why else ""))
        self.profile = profile


class IssuerRefused(UserError):
    """The issuer refused a whole request in a way retrying will not fix."""


class InsecureURL(UserError):
    """An issuer address the app will not use (plain http to another machine, not http(s))."""


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool = False) -> httpx.URL:
    """The issuer's base URL, if the app may use it; else ``InsecureURL`` saying why."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise InsecureURL(f"Not a valid issuer address: {url!r} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InsecureURL(f"The issuer address must start with https:// (got {url!r}).")
    if parsed.userinfo:
        raise InsecureURL("Put the user name in the profile, not in the issuer address.")
    if parsed.scheme == "http" and not is_loopback(parsed.host) and not allow_http:
        raise InsecureURL(
            f"Plain http to {parsed.host} would send sign-in tokens unprotected. Use https, "
            f"or allow this host explicitly (reviewer-app issuer add ... --allow-http).")
    return parsed


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL (the default port left out): two URLs with the
    same origin are the same site as far as tokens go; anything else is another."""
    host = url.host.lower()
    host = f"[{host}]" if ":" in host else host
    port = url.port if url.port not in (None, _DEFAULT_PORTS.get(url.scheme)) else None
    return f"{url.scheme}://{host}" + (f":{port}" if port else "")


def check_origin(text: str, *, allow_http: bool = False) -> str:
    """A host a profile lets packages come from (without a token): its origin, checked
    like an issuer address; an ``InsecureURL`` if it is more than an origin or insecure."""
    text = text.strip()
    url = check_url(text if "://" in text else f"https://{text}", allow_http=True)
    if url.scheme == "http" and not is_loopback(url.host) and not allow_http:
        raise InsecureURL(f"Packages from {origin(url)} would travel unprotected over plain http "
                          "(readable by anyone on the way). Use https, or allow plain http for "
                          "this profile (--allow-http).")
    if url.raw_path not in (b"", b"/") or url.query or url.fragment:
        raise InsecureURL(f"A download host is a site, as https://downloads.example.org, "
                          f"not a page (got {text!r}).")
    return origin(url)


_tls_lock = threading.Lock()
_tls_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The process's one verifying TLS context: certifi's CA bundle (or SSL_CERT_FILE /
    SSL_CERT_DIR, as httpx honours them), hostname checks on. Made once: loading the CA
    bundle holds the interpreter for tens of milliseconds, which every sync pass would
    otherwise cost the window."""
    global _tls_context
    with _tls_lock:
        if _tls_context is None:
            import certifi

            cafile = os.environ.get("SSL_CERT_FILE") or (None if os.environ.get("SSL_CERT_DIR")
                                                         else certifi.where())
            context = ssl.create_default_context(cafile=cafile, capath=os.environ.get("SSL_CERT_DIR"))
            context.check_hostname = True
            context.verify_mode = ssl.CERT_REQUIRED
            _tls_context = context
        return _tls_context


def _plain_http_context() -> ssl.SSLContext:
    """For an http issuer: never used for TLS (no redirects are followed), and if it were,
    it would verify and, holding no CA, refuse."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _certificate_problem(exc: BaseException) -> str | None:
    """The TLS verification failure behind a connection error, if that is what it was."""
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
        current = current.__cause__ or current.__context__
    text = str(exc)
    return text if "CERTIFICATE_VERIFY_FAILED" in text else None


def _transport_error(exc: httpx.TransportError, url: httpx.URL) -> Exception:
    problem = _certificate_problem(exc)
    if problem:
        return IssuerRefused(
            f"The TLS certificate of {url.host} could not be verified ({problem}); Reviewer "
            "does not connect to an issuer it cannot verify.")
    return TransientError(f"{type(exc).__name__}: {_short(exc)}")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:200] + "\u2026"


class HttpSession:
    """One issuer's HTTP connection pool, with the rules above."""

    def __init__(self, base_url: str, *, allow_http: bool = False,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = check_url(base_url, allow_http=allow_http)
        verify = tls_context() if self.base_url.scheme == "https" else _plain_http_context()
        self.client = httpx.Client(
            base_url=str(self.base_url).rstrip("/"), timeout=timeout, verify=verify,
            follow_redirects=False, transport=transport,
            headers={"User-Agent": f"reviewer-app/{__version__}", "Accept": "application/json"})
        #: The issuer's clock minus this machine's, in seconds, from the ``Date`` header of
        #: its latest reply (None until one came). Dates have whole seconds, so this errs
        #: on the early side: now + clock_offset is never later than the issuer's now.
        self.clock_offset: float | None = None

    def _note_date(self, response: httpx.Response) -> None:
        from email.utils import parsedate_to_datetime

        received = time.time()
        try:
            when = parsedate_to_datetime(response.headers["date"])
            stamp = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
        except (KeyError, TypeError, ValueError, IndexError):
            return
        self.clock_offset = stamp - received

    def close(self) -> None:
        self.client.close()

    @property
    def origin(self) -> str:
        return origin(self.base_url)

    def resolve(self, target: str | httpx.URL) -> httpx.URL:
        """The absolute URL a request for ``target`` goes to (as httpx merges it with the
        base URL: a path is appended to the base URL's path; an absolute URL stays)."""
        try:
            return self.client.build_request("GET", target).url
        except (httpx.InvalidURL, TypeError) as exc:
            raise IssuerRefused(f"The issuer gave an address that is not valid ({_short(exc)}).") from None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:  # connect, timeout, dropped connection, protocol
            raise _transport_error(exc, self.base_url) from None
        self._note_date(response)
        raise_for_transient(response)
        return response

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        try:
            with self.client.stream(method, path, **kwargs) as response:
                self._note_date(response)
                raise_for_transient(response)
                yield response
        except httpx.TransportError as exc:
            raise _transport_error(exc, self.base_url) from None


def raise_for_transient(response: httpx.Response) -> None:
    if response.status_code >= 500 or response.status_code in (408, 425, 429):
        raise TransientError(f"the issuer answered HTTP {response.status_code}")


def json_body(response: httpx.Response) -> Any:
    """The JSON of a reply; a reply that is not JSON (cut short, a proxy's page) is transient."""
    try:
        response.read()
        return response.json()
    except (ValueError, httpx.TransportError) as exc:
        raise TransientError(f"the issuer's reply was not complete JSON ({_short(exc)})") from None


def error_text(response: httpx.Response) -> str:
    """A short, safe description of an error reply (never echoes request headers)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error_description", "detail", "message", "reason", "error"):
            if isinstance(body.get(key), str):
                return body[key][:300]
    return f"HTTP {response.status_code}"
