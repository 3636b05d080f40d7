"""A candidate's identity sealed to the lead assessor's key, as a package may carry it.

A package a reviewer imports names the candidate by a pseudonym only. When it must also
carry the identity (name, badge recipient) to the lead, it carries it **sealed**: only the
holder of the lead's private key can open it, so a reviewer's laptop stores ciphertext it
cannot read. The construction is the usual "sealed box" of standard primitives from
``cryptography`` (no home-made crypto):

* the lead's **sealing key** is an X25519 key derived from the lead's Ed25519 signing key
  (HKDF-SHA256 over its 32 raw private bytes, info ``reviewer-app sealing key/1``), so it
  lives in the keyring with it and is replaced with it;
* the sender makes a fresh X25519 key pair, agrees a secret with the lead's public key, and
  derives a 32-byte key with HKDF-SHA256 (info ``mcred-sealed-identity/1`` + the ephemeral
  and the lead's public keys);
* ChaCha20-Poly1305 encrypts the canonical JSON ``{"display_name": ..., "recipient": ...}``
  with a random 12-byte nonce; the associated data is the candidate's pseudonym, so a sealed
  identity moved to another candidate does not open.

In the manifest: ``candidate.sealed = {"alg": ALG, "to": <fingerprint of the lead's X25519
public key>, "epk": <base64 of the ephemeral public key>, "nonce": ..., "ciphertext": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from reviewer_app.signatures import fingerprint

ALG = "X25519-HKDF-SHA256-ChaCha20Poly1305"
_INFO = b"mcred-sealed-identity/1"
_KEY_INFO = b"reviewer-app sealing key/1"


class CannotOpen(ValueError):
    """The sealed identity is not for this key, or it was altered."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def sealing_key(signing_key: Ed25519PrivateKey) -> X25519PrivateKey:
    """The X25519 key derived from a profile's Ed25519 signing key."""
    raw = signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(raw)
    return X25519PrivateKey.from_private_bytes(derived)


def public_text(key: X25519PrivateKey | X25519PublicKey) -> str:
    """The public half as the packages carry it: raw 32 bytes, base64."""
    public = key.public_key() if isinstance(key, X25519PrivateKey) else key
    return base64.b64encode(_raw(public)).decode("ascii")


def load_public(text: str) -> X25519PublicKey:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        return X25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, UnicodeEncodeError, ValueError, AttributeError):
        raise CannotOpen("the lead's sealing key is not an X25519 public key in base64") from None


def _aead_key(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_INFO + epk + recipient).derive(shared)


def seal(recipient: X25519PublicKey | str, candidate_id: str, display_name: str | None,
         recipient_id: dict[str, str] | None) -> dict[str, str]:
    """The identity sealed to ``recipient`` (the lead's sealing public key), for the manifest."""
    public = load_public(recipient) if isinstance(recipient, str) else recipient
    ephemeral = X25519PrivateKey.generate()
    epk = _raw(ephemeral.public_key())
    key = _aead_key(ephemeral.exchange(public), epk, _raw(public))
    nonce = os.urandom(12)
    plain = json.dumps({"display_name": display_name, "recipient": recipient_id},
                       sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    sealed = ChaCha20Poly1305(key).encrypt(nonce, plain, candidate_id.encode("utf-8"))
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return {"alg": ALG, "to": fingerprint(public_text(public)), "epk": b64(epk),
            "nonce": b64(nonce), "ciphertext": b64(sealed)}


def addressed_to(sealed: dict[str, Any], key: X25519PrivateKey) -> bool:
    return sealed.get("to") == fingerprint(public_text(key))


def open_sealed(key: X25519PrivateKey, candidate_id: str, sealed: dict[str, Any]) -> dict[str, Any]:
    """``{"display_name", "recipient"}`` from a sealed identity; ``CannotOpen`` when it is
    sealed to another key, names another candidate, or was altered."""
    if sealed.get("alg") != ALG:
        raise CannotOpen(f"unknown sealing algorithm {sealed.get('alg')!r}")
    try:
        epk, nonce, data = (base64.b64decode(str(sealed[f]).encode("ascii"), validate=True)
                            for f in ("epk", "nonce", "ciphertext"))
        shared = key.exchange(X25519PublicKey.from_public_bytes(epk))
    except (KeyError, binascii.Error, UnicodeEncodeError, ValueError):
        raise CannotOpen("the sealed identity is malformed") from None
    aead = _aead_key(shared, epk, _raw(key.public_key()))
    try:
        plain = ChaCha20Poly1305(aead).decrypt(nonce, data, candidate_id.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise CannotOpen("the sealed identity does not open with this key "
                         "(sealed to another key, for another candidate, or altered)") from None
    value = json.loads(plain.decode("utf-8"))
    if not isinstance(value, dict):
        raise CannotOpen("the sealed identity holds no identity")
    return value
