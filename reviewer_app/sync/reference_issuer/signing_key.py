"""The reference issuer's Ed25519 signing key, kept in the operating system's keyring.

One keyring item per server: service ``reviewer-app-reference-issuer``, user the server's
data folder (its resolved path, so two servers on one machine have two keys), the key as
JSON text (``{"type": "Ed25519", "private": "<base64 of the raw 32 bytes>"}``). It is made
on the server's first start and never replaced: every badge the server issued is signed
with it. It is never logged, never sent, and never written to a file: only its public half
goes out, as the issuer's ``did:key``.

The keyring is the app's (``sync.secrets``): with no secure keyring, ``NoIssuerKeyring``
says how to provide one, and nothing is made. A server that kept its key in
``issuer-key.json`` beside its database (before this module) has it moved into the keyring
on its next start, and the file deleted: the key stays the same, so the badges it issued
before stay verifiable.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from filelock import FileLock

from reviewer_app.errors import UserError
from reviewer_app.sync import credential_proofs
from reviewer_app.sync.secrets import KeyringTokenStore, NoKeyring

log = logging.getLogger(__name__)

SERVICE = "reviewer-app-reference-issuer"
#: Where the key was kept before it moved to the keyring (moved on start, then deleted).
OLD_KEY_FILE = "issuer-key.json"
#: Held while the key is read, made or moved: two servers starting at once on one folder
#: never make two keys. It holds no secret.
LOCK_FILE = "issuer-key.lock"
_lock = threading.Lock()


class NoIssuerKeyring(NoKeyring):
    """No secure keyring on the issuer's machine: the server does not start."""

    def __init__(self, details: str = "") -> None:
        super().__init__(details, what="the reference issuer's signing key",
                         noun="signing keys")
        self.message += (" On a server without a desktop, start the issuer inside a D-Bus "
                         "session with gnome-keyring-daemon unlocked (see the README), or name "
                         "another secure keyring with PYTHON_KEYRING_BACKEND.")


class IssuerKeyStore(KeyringTokenStore):
    """The keyring item of each reference issuer's key (the app's keyring checks, reused)."""

    def _call(self, method: str, *args: str):  # noqa: ANN202
        try:
            return super()._call(method, *args)
        except NoKeyring as exc:
            raise NoIssuerKeyring(exc.details) from None

    def backend(self):  # noqa: ANN201
        try:
            return super().backend()
        except NoKeyring as exc:
            raise NoIssuerKeyring(exc.details) from None

    def read(self, folder: Path) -> Ed25519PrivateKey | None:
        text = self._call("get_password", SERVICE, str(folder))
        if not text:
            return None
        try:
            return _from_text(text)
        except ValueError:
            raise UserError(f"The reference issuer's signing key in the system keyring (service "
                            f"{SERVICE}, user {folder}) is unreadable; restore it from a backup of "
                            "the keyring (badges already issued were signed with it).") from None

    def write(self, folder: Path, key: Ed25519PrivateKey) -> None:
        self._call("set_password", SERVICE, str(folder), _to_text(key))


def _to_text(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return json.dumps({"type": "Ed25519", "private": base64.b64encode(raw).decode("ascii")})


def _from_text(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(json.loads(text)["private"]))
    except (ValueError, KeyError, TypeError):
        raise ValueError("not an Ed25519 key") from None


def _public(key: Ed25519PrivateKey) -> str:
    return credential_proofs.public_multibase(key.public_key())


def load_or_create_key(folder: Path, store: IssuerKeyStore | None = None) -> Ed25519PrivateKey:
    """The server's signing key from the keyring: moved there from ``issuer-key.json`` if
    that file is found, made on first start, never replaced."""
    store = store or IssuerKeyStore()
    store.backend()  # no secure keyring: refused before anything is read or made
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    with _lock, FileLock(folder / LOCK_FILE):
        key = store.read(folder)
        old = folder / OLD_KEY_FILE
        if old.exists():
            return _move_into_keyring(old, key, folder, store)
        if key is None:
            key = Ed25519PrivateKey.generate()
            store.write(folder, key)
            log.info("made the reference issuer's signing key (public key %s), kept in the "
                     "system keyring", _public(key))
        return key


def _move_into_keyring(old: Path, key: Ed25519PrivateKey | None, folder: Path,
                       store: IssuerKeyStore) -> Ed25519PrivateKey:
    try:
        from_file = _from_text(old.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise UserError(f"{old} is not the issuer's key file; restore it from a backup (badges "
                        "already issued were signed with it), or delete it if the system keyring "
                        f"already holds the key (service {SERVICE}).") from None
    if key is not None and _public(key) != _public(from_file):
        raise UserError(f"The reference issuer's key in {old} is not the one in the system keyring "
                        f"(service {SERVICE}, user {folder}); keep the one that signed its badges "
                        "and remove the other, then start it again.")
    if key is None:
        store.write(folder, from_file)
        written = store.read(folder)
        if written is None or _public(written) != _public(from_file):
            raise UserError("The system keyring did not keep the reference issuer's signing key; "
                            f"{old} is left as it was.")
    old.unlink()
    log.info("moved the reference issuer's signing key (public key %s) from %s into the "
             "system keyring", _public(from_file), OLD_KEY_FILE)
    return from_file
