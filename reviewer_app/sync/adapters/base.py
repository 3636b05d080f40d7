"""What every issuer adapter does: sign in, keep its tokens fresh, push decisions.

The token dance is here, once: an access token that is known to be expired is refreshed
before use; a 401 answer refreshes once and tries again; a refresh that the issuer
refuses deletes the stale tokens and raises ``SignInRequired``. New tokens go straight to
the keyring (``TokenStore``); they are held in memory only for the adapter's life.

Tokens go only to the origin of the profile's issuer address: a request for any other
origin is refused before it is made. A package link (and every redirect on the way) on
another origin is fetched only if the profile lists that origin as a download host, and
then with no token, through a connection of its own.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from reviewer_app.errors import UserError
from reviewer_app.sync.client import (
    HttpSession,
    IssuerRefused,
    SignInRequired,
    TransientError,
    error_text,
    json_body,
    origin,
)
from reviewer_app.sync.issuer_profiles import IssuerProfile
from reviewer_app.sync.outbox import Claimed, Outcome
from reviewer_app.sync.secrets import Tokens, TokenStore

log = logging.getLogger(__name__)

#: Redirects a package download follows (each checked like the link itself).
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)

#: (submission id, attempt) -> (recipient type, identity) as the package named it.
RecipientLookup = Callable[[str, int], "tuple[str, str] | None"]


class SplitBatch(Exception):
    """The issuer refused a batch as a whole (too large, or one bad decision): send fewer."""


@dataclass(frozen=True)
class PackageRef:
    href: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Assignment:
    submission_id: str
    attempt: int
    status: str  # assigned | withdrawn
    package: PackageRef | None
    credential_id: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class AssignmentPage:
    items: tuple[Assignment, ...]
    next_since: str | None
    has_more: bool


class IssuerAdapter(ABC):
    kind = ""
    #: Decisions per request (1: the issuer takes them one at a time).
    max_batch = 1
    #: Whether the issuer hands out assigned submissions to download.
    can_pull = False
    #: Whether the issuer's API takes the lead's signed audit head with the decisions
    #: (the engine then sets ``audit_head`` before each push).
    carries_audit_head = False

    def __init__(self, profile: IssuerProfile, store: TokenStore, *,
                 recipient_lookup: RecipientLookup | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.profile = profile
        self.store = store
        self.recipient_lookup = recipient_lookup
        self.http = HttpSession(profile.base_url, allow_http=profile.allow_http, transport=transport)
        self._tokens_cache: Tokens | None = None
        self._lock = threading.Lock()
        #: Set once a request got an answer from the issuer in this adapter's life.
        self.contacted = False
        self.refreshes = 0
        self.audit_head: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> IssuerAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what each kind implements ----------------------------------------------------------
    @abstractmethod
    def _token_request(self, form: dict[str, str]) -> httpx.Response:
        """POST the OAuth-style token request (a password or a refresh_token grant)."""

    @abstractmethod
    def push(self, entries: Sequence[Claimed]) -> list[Outcome]:
        """Send decisions; an Outcome per entry the issuer answered for."""

    def ping(self) -> None:
        """One cheap request proving the issuer answers (raises TransientError if not)."""
        self.http.request("GET", "/")
        self.contacted = True

    def revoke(self, tokens: Tokens) -> None:  # noqa: B027 - optional
        """Tell the issuer the tokens are no longer used (best effort)."""

    def assignments(self, since: str | None, limit: int = 100) -> AssignmentPage:
        raise NotImplementedError

    # -- sign in and out ----------------------------------------------------------------
    def sign_in(self, password: str) -> None:
        try:
            response = self._token_request({"grant_type": "password",
                                            "username": self.profile.username,
                                            "password": password})
        except TransientError as exc:
            raise UserError(f"Cannot reach the issuer at {self.profile.base_url}: {exc}") from None
        if response.status_code in (400, 401, 403):
            raise UserError(f"The issuer \u201c{self.profile.name}\u201d refused the user name or "
                            f"password ({error_text(response)}).")
        if response.status_code != 200:
            raise UserError(f"The issuer answered HTTP {response.status_code} to the sign-in.")
        body = json_body(response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise UserError("The issuer's sign-in reply had no access token.")
        self.contacted = True
        tokens = Tokens.from_oauth(body)
        self.store.save(self.profile.name, tokens)
        self._tokens_cache = tokens
        log.info("signed in to issuer profile %s as %s", self.profile.name, self.profile.username)

    def sign_out(self) -> None:
        tokens = self.store.load(self.profile.name)
        self.store.delete(self.profile.name)
        self._tokens_cache = None
        if tokens is not None:
            try:
                self.revoke(tokens)
            except (TransientError, UserError) as exc:
                log.info("could not revoke the tokens of %s at the issuer: %s", self.profile.name, exc)
        log.info("signed out of issuer profile %s", self.profile.name)

    def signed_in(self) -> bool:
        return self.store.load(self.profile.name) is not None

    def require_sign_in(self) -> None:
        """Raise ``SignInRequired`` unless this profile holds tokens."""
        self._tokens()

    # -- tokens ------------------------------------------------------------------------
    def _tokens(self) -> Tokens:
        if self._tokens_cache is None:
            self._tokens_cache = self.store.load(self.profile.name)
        if self._tokens_cache is None:
            raise SignInRequired(self.profile.name)
        return self._tokens_cache

    def _refresh(self, stale: Tokens) -> Tokens:
        with self._lock:
            current = self._tokens_cache
            if current is not None and current.access_token != stale.access_token:
                return current  # another thread refreshed meanwhile
            if not stale.refresh_token:
                self.store.delete(self.profile.name)
                self._tokens_cache = None
                raise SignInRequired(self.profile.name, "the sign-in expired")
            response = self._token_request({"grant_type": "refresh_token",
                                            "refresh_token": stale.refresh_token})
            if response.status_code in (400, 401, 403):
                log.info("issuer profile %s: refresh refused (%s)", self.profile.name,
                         error_text(response))
                self.store.delete(self.profile.name)
                self._tokens_cache = None
                raise SignInRequired(self.profile.name, "the sign-in expired")
            if response.status_code != 200:
                raise TransientError(f"token refresh answered HTTP {response.status_code}")
            body = json_body(response)
            if not isinstance(body, dict) or not body.get("access_token"):
                raise TransientError("the token refresh reply had no access token")
            tokens = Tokens.from_oauth(body, stale)
            self.store.save(self.profile.name, tokens)
            self._tokens_cache = tokens
            self.refreshes += 1
            log.info("issuer profile %s: access token refreshed", self.profile.name)
            return tokens

    def _auth_headers(self, tokens: Tokens, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**(extra or {}), "Authorization": f"Bearer {tokens.access_token}"}

    def _own(self, path: str | httpx.URL) -> httpx.URL:
        """The URL of ``path``, if it is on the issuer's origin; else ``IssuerRefused``."""
        url = self.http.resolve(path)
        if origin(url) != self.http.origin:
            raise IssuerRefused(
                f"The issuer \u201c{self.profile.name}\u201d pointed to {origin(url)}; Reviewer "
                f"sends its sign-in only to {self.http.origin}.")
        return url

    def authorized(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   **kwargs: Any) -> httpx.Response:
        path = str(self._own(path))
        tokens = self._tokens()
        if tokens.expired():
            tokens = self._refresh(tokens)
        response = self.http.request(method, path, headers=self._auth_headers(tokens, headers), **kwargs)
        if response.status_code == 401:
            tokens = self._refresh(tokens)
            response = self.http.request(method, path, headers=self._auth_headers(tokens, headers),
                                         **kwargs)
            if response.status_code == 401:
                # A token refreshed a moment ago and refused at once: the issuer is having a
                # bad moment (a refused *refresh* is what means "sign in again").
                raise TransientError("the issuer refused a freshly refreshed token")
        self.contacted = True
        return response

    @contextmanager
    def authorized_stream(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                          **kwargs: Any) -> Iterator[httpx.Response]:
        path = str(self._own(path))
        tokens = self._tokens()
        if tokens.expired():
            tokens = self._refresh(tokens)
        for attempt in range(2):
            with self.http.stream(method, path, headers=self._auth_headers(tokens, headers),
                                  **kwargs) as response:
                if response.status_code == 401:
                    if attempt:
                        raise TransientError("the issuer refused a freshly refreshed token")
                    response.close()
                else:
                    self.contacted = True
                    yield response
                    return
            tokens = self._refresh(tokens)

    # -- package links ------------------------------------------------------------------
    def download_hosts(self) -> set[str]:
        return set(self.profile.settings.get("download_hosts") or ())

    @contextmanager
    def package_stream(self, href: str, *, headers: dict[str, str] | None = None
                       ) -> Iterator[httpx.Response]:
        """GET a package link, following redirects by hand: on the issuer's origin with
        the token, on a download host of the profile without it, anywhere else not at all."""
        url = self.http.resolve(href)
        for _hop in range(MAX_REDIRECTS + 1):
            with self._open_link(url, headers) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = url.join(location)
                    continue
                yield response
                return
        raise IssuerRefused(f"The package link of \u201c{self.profile.name}\u201d redirected more "
                            f"than {MAX_REDIRECTS} times.")

    @contextmanager
    def _open_link(self, url: httpx.URL, headers: dict[str, str] | None
                   ) -> Iterator[httpx.Response]:
        where = origin(url)
        if where == self.http.origin:
            with self.authorized_stream("GET", str(url), headers=headers) as response:
                yield response
            return
        if where not in self.download_hosts():
            raise IssuerRefused(
                f"A package link of the issuer \u201c{self.profile.name}\u201d leads to {where}: "
                f"Reviewer sends its sign-in only to {self.http.origin}, and does not download "
                f"from another site unless the profile allows it (reviewer-app issuer set "
                f"{self.profile.name} --download-host {where}; no sign-in is sent there).")
        log.info("downloading a package of %s from %s, without the sign-in", self.profile.name, where)
        session = HttpSession(where, allow_http=self.profile.allow_http)  # no token, no cookies
        try:
            with session.stream("GET", str(url), headers=headers) as response:
                self.contacted = True
                yield response
        finally:
            session.close()
