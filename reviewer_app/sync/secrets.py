"""Sign-in tokens, kept in the operating system's keyring and nowhere else.

A tiny interface (``TokenStore``) with one real implementation over ``keyring``. Where no
secure keyring backend exists (a bare headless Linux box, or only a plain-text
"keyring" such as those of ``keyrings.alt``), storing or reading a token raises
``NoKeyring``, a ``UserError`` that says what to install: there is never a fallback
to a file. Tests install their own in-memory backend with ``keyring.set_keyring``.

Tokens never appear in a ``repr``, a log line or an exception message.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from reviewer_app import APP_ID
from reviewer_app.errors import UserError

log = logging.getLogger(__name__)

SERVICE = APP_ID

#: Backends that would keep secrets in plain files, or not at all: refused, never used.
_REFUSED_MODULE_PREFIXES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class NoKeyring(UserError):
    """No secure keyring: the tokens cannot be kept safely, so nothing is stored."""

    def __init__(self, details: str = "", what: str = "the issuer's sign-in tokens",
                 noun: str = "tokens") -> None:
        super().__init__(
            f"No secure system keyring is available to keep {what} "
            "(on Linux, install and unlock GNOME Keyring or KWallet: it provides the Secret "
            f"Service). Reviewer never stores {noun} anywhere else.", details)


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    #: Seconds since the epoch when the access token expires (None: unknown).
    expires_at: float | None = None

    def expired(self, skew: float = 30.0) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at - skew

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at})

    @classmethod
    def from_json(cls, text: str) -> Tokens:
        data = json.loads(text)
        return cls(data["access_token"], data.get("refresh_token"), data.get("expires_at"))

    @classmethod
    def from_oauth(cls, body: dict, previous: Tokens | None = None) -> Tokens:
        """From an OAuth 2 token response; keeps the old refresh token if none came back."""
        expires_in = body.get("expires_in")
        return cls(str(body["access_token"]),
                   body.get("refresh_token") or (previous.refresh_token if previous else None),
                   time.time() + float(expires_in) if expires_in else None)


class TokenStore(Protocol):
    def load(self, profile: str) -> Tokens | None: ...

    def save(self, profile: str, tokens: Tokens) -> None: ...

    def delete(self, profile: str) -> None: ...


def _account(profile: str) -> str:
    return f"issuer-tokens/{profile}"


class KeyringTokenStore:
    """Tokens of each issuer profile, as one keyring item (service ``reviewer-app``)."""

    def __init__(self, backend=None) -> None:  # noqa: ANN001 - a keyring backend
        self._backend = backend

    def backend(self):  # noqa: ANN201
        import keyring
        from keyring.errors import KeyringError

        try:
            backend = self._backend or keyring.get_keyring()
        except KeyringError as exc:  # pragma: no cover - a broken keyring configuration
            raise NoKeyring(str(exc)) from None
        name = f"{type(backend).__module__}.{type(backend).__qualname__}"
        if name.startswith(_REFUSED_MODULE_PREFIXES) or _only_refused(backend):
            raise NoKeyring(f"keyring backend: {name}")
        return backend

    def load(self, profile: str) -> Tokens | None:
        text = self._call("get_password", SERVICE, _account(profile))
        if not text:
            return None
        try:
            return Tokens.from_json(text)
        except (ValueError, KeyError, TypeError):
            log.warning("the keyring item for issuer profile %r is unreadable; sign in again", profile)
            return None

    def save(self, profile: str, tokens: Tokens) -> None:
        self._call("set_password", SERVICE, _account(profile), tokens.to_json())

    def delete(self, profile: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete_password", SERVICE, _account(profile))
        except PasswordDeleteError:
            pass

    # Other secrets of this app (the issuing organisation's signing key), by account name.
    def get_secret(self, account: str) -> str | None:
        return self._call("get_password", SERVICE, account)

    def set_secret(self, account: str, value: str) -> None:
        self._call("set_password", SERVICE, account, value)

    def delete_secret(self, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete_password", SERVICE, account)
        except PasswordDeleteError:
            pass

    def _call(self, method: str, *args: str):  # noqa: ANN202
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

        backend = self.backend()
        try:
            return getattr(backend, method)(*args)
        except NoKeyringError as exc:
            raise NoKeyring(type(exc).__name__) from None
        except PasswordDeleteError:
            raise
        except KeyringError as exc:
            # The message of a backend error never holds the secret; keep it short anyway.
            raise UserError("The system keyring refused the request (is it locked?).",
                            details=f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _only_refused(backend) -> bool:  # noqa: ANN001
    """A ChainerBackend writes to its first willing member: refuse it if any is refused."""
    members = getattr(backend, "backends", None)
    if type(backend).__name__ != "ChainerBackend":
        return False
    return not members or any(
        type(b).__module__.startswith(_REFUSED_MODULE_PREFIXES) for b in members)


def default_store() -> TokenStore:
    return KeyringTokenStore()
