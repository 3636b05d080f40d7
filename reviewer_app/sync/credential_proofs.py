"""Data Integrity proofs (``eddsa-rdfc-2022``) for the Open Badges 3.0 credentials we issue.

The W3C "Data Integrity EdDSA Cryptosuites v1.0" algorithm, with the libraries that do the
hard parts: PyLD canonicalises the credential as RDF (RDFC-1.0, which PyLD calls URDNA2015)
and ``cryptography`` signs with Ed25519. The JSON-LD contexts come from the files shipped in
``contexts/`` (see its README) through a local document loader: nothing is fetched, and a
credential naming any other context is refused rather than signed.

Keys are named the ``did:key`` way: an Ed25519 public key as a multibase (base58btc)
``Multikey`` (``z6Mk...``). The private key never leaves the caller (``issuer_identity``
keeps it in the keyring).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CRYPTOSUITE = "eddsa-rdfc-2022"
# The contexts of an issuer's DID document (its Multikey verification method).
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_CONTEXT_FILES = {VC_V2: "credentials-v2.jsonld", OB_V3_0_3: "ob-context-3.0.3.json"}
#: Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
_ED25519_PUB = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class SigningError(ValueError):
    """The document cannot be signed or checked as asked (not a forgery: a wrong input)."""


# -- base58btc / multibase (a dozen lines: not worth a dependency) ---------------------------

def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, rem = divmod(n, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        index = _B58.find(ch)
        if index < 0:
            raise SigningError(f"not base58btc: {ch!r}")
        n = n * 58 + index
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def public_multibase(public: Ed25519PublicKey) -> str:
    """The key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + b58encode(_ED25519_PUB + raw)


def public_from_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise SigningError("only base58btc multibase keys (z...) are understood")
    raw = b58decode(value[1:])
    if not raw.startswith(_ED25519_PUB) or len(raw) != 34:
        raise SigningError("not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def did_key(public: Ed25519PublicKey) -> str:
    return f"did:key:{public_multibase(public)}"


def did_key_method(did: str) -> str:
    """The verification method of a ``did:key`` (the DID, then ``#`` and its own key)."""
    return f"{did}#{did.removeprefix('did:key:')}"


# -- canonicalisation ------------------------------------------------------------------------

@cache
def _context(url: str) -> dict[str, Any]:
    path = Path(__file__).with_name("contexts") / _CONTEXT_FILES[url]
    return json.loads(path.read_text(encoding="utf-8"))


def _local_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    if url not in _CONTEXT_FILES:
        raise SigningError(f"the context {url} is not one the app carries; nothing is fetched")
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context(url))}


_ABSOLUTE = re.compile(r"^(_:|[A-Za-z][A-Za-z0-9+.-]*:)")


def _check_absolute(node: Any) -> None:
    """Refuse what JSON-LD "safe mode" verifiers refuse: after expansion, a relative ``@type``
    or ``@id``, or a property defined by no context (it would be signed as something other
    than it reads, or not at all)."""
    if isinstance(node, list):
        for item in node:
            _check_absolute(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@type":
            for kind in value if isinstance(value, list) else [value]:
                if isinstance(kind, str) and not _ABSOLUTE.match(kind):
                    raise SigningError(f"the type {kind!r} is defined by no context (a relative IRI)")
        elif key == "@id":
            if isinstance(value, str) and not _ABSOLUTE.match(value):
                raise SigningError(f"the id {value!r} is not an absolute IRI")
        elif not key.startswith("@") and not _ABSOLUTE.match(key):
            raise SigningError(f"the property {key!r} is defined by no context")
        _check_absolute(value)


def canonical(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document (local contexts only)."""
    from pyld import jsonld

    # No base IRI: PyLD would resolve relative ones against http://example.org/base/.
    options = {"documentLoader": _local_loader, "base": None}
    try:
        expanded = jsonld.expand(document, options)
        _check_absolute(expanded)
        return jsonld.normalize(expanded, {**options, "algorithm": "URDNA2015",
                                           "format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:  # PyLD wraps the loader's refusal in its own errors
            if isinstance(cause, SigningError):
                raise SigningError(str(cause)) from None
            cause = cause.__cause__ or cause.__context__
        raise SigningError(f"the document is not valid JSON-LD: {exc}") from None


def _hash_data(document: dict[str, Any], proof: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = unsigned["@context"]
    return (hashlib.sha256(canonical(options).encode("utf-8")).digest()
            + hashlib.sha256(canonical(unsigned).encode("utf-8")).digest())


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(document: dict[str, Any], key: Ed25519PrivateKey, verification_method: str, *,
         created: str | None = None) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` ``DataIntegrityProof`` added.

    The proof is a set of one (``"proof": [{...}]``), as Open Badges 3.0 has it.
    """
    if "proof" in document:
        raise SigningError("the document is signed already")
    contexts = document.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        raise SigningError(f"a Data Integrity proof needs {VC_V2} as the first context")
    proof = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created or _now(),
             "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    signature = key.sign(_hash_data(document, proof))
    signed = copy.deepcopy(document)
    # A set of one proof, as Open Badges 3.0 (and 1EdTech's schema) has it.
    signed["proof"] = [{**proof, "proofValue": "z" + b58encode(signature)}]
    return signed


def verify(document: dict[str, Any], public: Ed25519PublicKey) -> bool:
    """Whether ``document``'s proof is a valid ``eddsa-rdfc-2022`` signature by ``public``.

    The app's own check (after signing, and in the reference issuer); the tests verify
    with an independent implementation as well.
    """
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE \
            or proof.get("type") != "DataIntegrityProof":
        return False
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        public.verify(b58decode(value[1:]), _hash_data(document, proof))
    except (InvalidSignature, SigningError):
        return False
    return True
