"""Ed25519 keys and signatures for what a reviewer sends a lead assessor (``cryptography``).

* A **public key** travels as its raw 32 bytes in standard base64 (44 characters).
* Its **fingerprint** is what two people read aloud to each other to check a key: the
  SHA-256 of the raw public key, in base32 (RFC 4648: the letters and the digits 2 to 7),
  its first 20 characters (100 bits) in groups of four, e.g. ``K3QZ-7HWA-MPL4-XR2D-NE6B``.
  A person may type it in any case, with or without dashes or spaces, and a 0, 1 or 8
  (never in the alphabet) for the O, I or B it was heard as.
* A **signature** is the 64-byte Ed25519 signature in standard base64.

No Qt, no database: ``services.identity`` keeps the private key in the keyring,
``services.enrolment`` keeps the lead's enrolled public keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"
FINGERPRINT_CHARS = 20
_MISHEARD = str.maketrans("018", "OIB")


class BadKey(ValueError):
    """Text that is not an Ed25519 public key or signature in base64."""


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as the files carry it: raw 32 bytes, base64."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def _b64(text: object, size: int, what: str) -> bytes:
    if not isinstance(text, str) or len(text) > 200:
        raise BadKey(f"{what} is not base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise BadKey(f"{what} is not valid base64") from None
    if len(raw) != size:
        raise BadKey(f"{what} is {len(raw)} bytes long, not {size}")
    return raw


def load_public_key(text: object) -> Ed25519PublicKey:
    """The public key from its base64 text; ``BadKey`` when it is not one."""
    raw = _b64(text, 32, "the public key")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:  # pragma: no cover - any 32 bytes load; kept for other backends
        raise BadKey("the public key is not an Ed25519 key") from None


def fingerprint(public_key: str | Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The fingerprint a person reads aloud (``XXXX-XXXX-XXXX-XXXX-XXXX``)."""
    text = public_key if isinstance(public_key, str) else public_key_text(public_key)
    raw = _b64(text, 32, "the public key")
    code = base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:FINGERPRINT_CHARS]
    return "-".join(code[i:i + 4] for i in range(0, FINGERPRINT_CHARS, 4))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed, in its grouped form (case, spaces and dashes do not matter);
    the text upper-cased and stripped of separators when it is not a whole fingerprint."""
    code = re.sub(r"[\s\-]+", "", text or "").upper().translate(_MISHEARD)
    if len(code) == FINGERPRINT_CHARS:
        return "-".join(code[i:i + 4] for i in range(0, FINGERPRINT_CHARS, 4))
    return code


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify(public_key: str, signature: object, message: bytes) -> bool:
    """Whether ``signature`` (base64) is the key's signature of ``message``; False for a
    malformed signature too. ``BadKey`` when the public key itself is malformed."""
    key = load_public_key(public_key)
    try:
        raw = _b64(signature, 64, "the signature")
    except BadKey:
        return False
    try:
        key.verify(raw, message)
    except InvalidSignature:
        return False
    return True
