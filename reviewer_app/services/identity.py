"""This profile's identity: an Ed25519 key pair, made on first use, that signs its score batches.

The private key lives in the operating system's keyring only (service ``reviewer-app``,
item ``signing-key/<profile uid>``), behind the same checks as the issuer's sign-in
tokens (``sync.secrets``): with no secure keyring, ``NoKeyring`` says what to install and
nothing is made or written anywhere else. The public key, with a fingerprint a person can
read aloud (``signatures.fingerprint``), goes to the lead assessor in a small
**enrolment file** (``<name>.reviewer-enrolment.json``)::

    {"format": "reviewer-enrolment/1", "algorithm": "Ed25519",
     "reviewer": {"uid": "...", "name": "Alice Morgan"},
     "public_key": "<base64 of the raw 32 bytes>", "fingerprint": "K3QZ-7HWA-...",
     "exported_at": "..."}

The lead enrols it only when the fingerprint the reviewer reads out (by phone, in person)
matches the key in the file (``services.enrolment``).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from reviewer_app.domain.model import Profile
from reviewer_app.errors import UserError
from reviewer_app.exports.batches import _slug, iso
from reviewer_app.services.profiles import current_profile
from reviewer_app.signatures import ALGORITHM, fingerprint, public_key_text
from reviewer_app.store.atomic_files import atomic_text_file
from reviewer_app.store.context import AppContext
from reviewer_app.sync.secrets import SERVICE, KeyringTokenStore, NoKeyring

log = logging.getLogger(__name__)

ENROLMENT_FORMAT = "reviewer-enrolment/1"
ENROLMENT_SUFFIX = ".reviewer-enrolment.json"
_KEY_WHAT, _KEY_NOUN = "your signing key (it signs your score batches)", "signing keys"
_lock = threading.Lock()  # one key made on first use, even if two threads ask at once


def _account(profile_uid: str) -> str:
    return f"signing-key/{profile_uid}"


class KeyringKeyStore(KeyringTokenStore):
    """Signing keys as keyring items: the issuer tokens' interface and refusals, reused."""

    def _call(self, method: str, *args: str):  # noqa: ANN202
        try:
            return super()._call(method, *args)
        except NoKeyring as exc:
            raise NoKeyring(exc.details, what=_KEY_WHAT, noun=_KEY_NOUN) from None

    def backend(self):  # noqa: ANN201
        try:
            return super().backend()
        except NoKeyring as exc:
            raise NoKeyring(exc.details, what=_KEY_WHAT, noun=_KEY_NOUN) from None

    def read_key(self, profile_uid: str) -> Ed25519PrivateKey | None:
        text = self._call("get_password", SERVICE, _account(profile_uid))
        if not text:
            return None
        try:
            data = json.loads(text)
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(data["private_key"]))
        except (ValueError, KeyError, TypeError):
            raise UserError("The signing key in the system keyring is unreadable; make a new one "
                            "(reviewer-app identity --new-key) and ask your lead assessor to enrol "
                            "you again.") from None

    def write_key(self, profile_uid: str, key: Ed25519PrivateKey) -> None:
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        self._call("set_password", SERVICE, _account(profile_uid), json.dumps(
            {"algorithm": ALGORITHM, "private_key": base64.b64encode(raw).decode("ascii"),
             "created_at": iso(datetime.now(UTC))}))


@dataclass(frozen=True)
class Identity:
    """Who this profile is to a lead assessor: uid, name, and the public half of its key."""

    uid: str
    name: str
    public_key: str
    fingerprint: str

    def describe(self) -> str:
        return (f"{self.name} (profile {self.uid})\nSigning key fingerprint: {self.fingerprint}\n"
                "Read the fingerprint to your lead assessor when they enrol you.")


def signing_key(ctx: AppContext, store: KeyringKeyStore | None = None
                ) -> tuple[Profile, Ed25519PrivateKey]:
    """This profile and its private key, made (and put in the keyring) on first use."""
    store = store or KeyringKeyStore()
    me = current_profile(ctx)
    with _lock:
        key = store.read_key(me.uid)
        if key is None:
            key = Ed25519PrivateKey.generate()
            store.write_key(me.uid, key)
            log.info("made a signing key for profile %s (fingerprint %s)", me.uid, fingerprint(key))
    return me, key


def identity(ctx: AppContext, store: KeyringKeyStore | None = None) -> Identity:
    me, key = signing_key(ctx, store)
    return Identity(me.uid, me.name, public_key_text(key), fingerprint(key))


def new_key(ctx: AppContext, store: KeyringKeyStore | None = None) -> Identity:
    """Replace this profile's key with a new one (the lead must enrol the new one)."""
    store = store or KeyringKeyStore()
    me = current_profile(ctx)
    key = Ed25519PrivateKey.generate()
    with _lock:
        store.write_key(me.uid, key)
    log.info("replaced the signing key of profile %s (fingerprint %s)", me.uid, fingerprint(key))
    return Identity(me.uid, me.name, public_key_text(key), fingerprint(key))


def export_enrolment(ctx: AppContext, out: Path, store: KeyringKeyStore | None = None
                     ) -> tuple[Path, Identity]:
    """Write the enrolment file into the folder ``out`` (made if need be), or to ``out`` when
    it names a ``.json`` file; returns the file with the identity it holds."""
    me = identity(ctx, store)
    out = Path(out)
    is_file = out.suffix.lower() == ".json" and not out.is_dir()
    path = out if is_file else out / f"{_slug(me.name)}{ENROLMENT_SUFFIX}"
    document = {"format": ENROLMENT_FORMAT, "algorithm": ALGORITHM,
                "reviewer": {"uid": me.uid, "name": me.name}, "public_key": me.public_key,
                "fingerprint": me.fingerprint, "exported_at": iso(datetime.now(UTC))}
    try:
        with atomic_text_file(path) as f:
            f.write(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise UserError(f"The enrolment file could not be written to {path} "
                        f"({exc.strerror or exc}).") from None
    return path, me
