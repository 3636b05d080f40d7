"""The issuing organisation: who signs the Open Badges 3.0 credentials, and with which key.

Set up once, by a lead assessor, on the machine that issues (``reviewer-app issuer identity
set``): the organisation's name, its web site, and an id the world can resolve:

* ``did:web:<domain>[:<path>]`` (the usual one): the organisation publishes the DID document
  this module writes (``did_document``) at ``https://<domain>/.well-known/did.json`` (or
  ``https://<domain>/<path>/did.json``), and anyone can check its badges;
* an ``https://`` profile URL that serves the same document;
* ``did:key``: the id is the public key itself (for tests and trials: nothing to publish,
  but nothing ties it to the organisation either).

The name, url, id and public key are a setting of the database (``app_setting``); the
Ed25519 private key lives only in the system keyring of that machine (``sync/secrets.py``,
service ``reviewer-app``, account ``ob3-issuer-key/<public key>``). A reviewer's database
refuses all of it: reviewers never sign badges.
"""

from __future__ import annotations

import base64
import json
import re
import string
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from reviewer_app.errors import UserError
from reviewer_app.services.roles import require_lead
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import credential_proofs
from reviewer_app.sync.secrets import KeyringTokenStore

SETTING = "ob3_issuer"
_DID_WEB = re.compile(r"^did:web:[A-Za-z0-9.-]+(%3[Aa][0-9]+)?(:[A-Za-z0-9._~-]+)*$")


@dataclass(frozen=True)
class IssuerIdentity:
    name: str
    url: str
    id: str
    verification_method: str
    public_key_multibase: str
    #: The public link to a submission's evidence, with ``{submission_id}`` and ``{attempt}``
    #: (e.g. ``https://lms.example/s/{submission_id}/{attempt}``); None: no link.
    evidence_url: str | None = None

    def evidence_link(self, submission_id: str, attempt: int) -> str | None:
        if not self.evidence_url:
            return None
        return self.evidence_url.format(submission_id=quote(str(submission_id), safe=""),
                                        attempt=int(attempt))


def _key_account(public_multibase: str) -> str:
    return f"ob3-issuer-key/{public_multibase}"


def get_identity(ctx: AppContext) -> IssuerIdentity | None:
    with ctx.sessions() as session:
        row = session.get(m.AppSetting, SETTING)
        return IssuerIdentity(**json.loads(row.value)) if row is not None else None


def require_identity(ctx: AppContext) -> IssuerIdentity:
    identity = get_identity(ctx)
    if identity is None:
        raise UserError("The issuing organisation is not set up yet: run "
                        "'reviewer-app issuer identity set --name NAME --url https://... "
                        "--id did:web:DOMAIN' on the machine that issues.")
    return identity


def _check(name: str, url: str, id_: str) -> tuple[str, str, str]:
    name, url, id_ = name.strip(), url.strip(), id_.strip()
    if not name:
        raise UserError("The issuing organisation needs a name.")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise UserError(f"--url must be the organisation's https:// web address (got {url!r}).")
    if id_ == "did:key" or id_.startswith("did:key:"):
        return name, url, "did:key"
    if id_.startswith("did:web:"):
        if not _DID_WEB.match(id_):
            raise UserError(f"{id_!r} is not a did:web id (did:web:example.org or "
                            "did:web:example.org:badges).")
        return name, url, id_
    ident = urlsplit(id_)
    if ident.scheme == "https" and ident.hostname and not ident.fragment:
        return name, url, id_
    raise UserError(f"--id must be did:web:DOMAIN, an https:// profile URL, or did:key (got {id_!r}).")


def _check_evidence_url(template: str) -> str:
    bad = f"--evidence-url may use only {{submission_id}} and {{attempt}} (got {template!r})."
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template)
                  if f is not None]
    except ValueError as exc:
        raise UserError(bad, details=str(exc)) from None
    if any(f not in ("submission_id", "attempt") or spec or conv for f, spec, conv in fields):
        raise UserError(bad)  # no attribute access, indexing or format specs
    example = template.format(submission_id="S-1", attempt=1)
    parts = urlsplit(example)
    if parts.scheme != "https" or not parts.hostname:
        raise UserError(f"--evidence-url must be an https:// link (got {template!r}).")
    return template


def set_identity(ctx: AppContext, name: str, url: str, id_: str, *,
                 store: KeyringTokenStore | None = None, new_key: bool = False,
                 evidence_url: str | None = None) -> IssuerIdentity:
    """Configure the organisation; makes its signing key (in the keyring) the first time.

    The key is kept when the name, url or id change, unless ``new_key``: a new key means
    the DID document must be published again (badges signed with the old key then fail).
    ``evidence_url`` (a template, see ``IssuerIdentity``) replaces the current one; None
    keeps it, "" removes it.
    """
    me = require_lead(ctx, "set up the organisation that signs Open Badges")
    name, url, id_ = _check(name, url, id_)
    store = store or KeyringTokenStore()
    current = get_identity(ctx)
    if evidence_url is None:
        evidence_url = current.evidence_url if current else None
    evidence_url = _check_evidence_url(evidence_url.strip()) if evidence_url else None
    key = None if new_key or current is None else _load_key(store, current.public_key_multibase)
    if key is None:
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = credential_proofs.public_multibase(key.public_key())
        store.set_secret(_key_account(public), json.dumps(
            {"type": "Ed25519", "private": base64.b64encode(raw).decode("ascii")}))
    public = credential_proofs.public_multibase(key.public_key())
    if id_ == "did:key":
        id_ = credential_proofs.did_key(key.public_key())
        method = credential_proofs.did_key_method(id_)
    else:
        method = f"{id_}#{public}"
    identity = IssuerIdentity(name, url, id_, method, public, evidence_url)
    with ctx.transaction() as session:
        row = session.get(m.AppSetting, SETTING)
        if row is None:
            row = m.AppSetting(key=SETTING, value="")
            session.add(row)
        row.value = json.dumps(asdict(identity))
        before = asdict(current) if current else {}
        audit.append(session, audit.POLICY, "issuer identity",
                     {k: [before.get(k), v] for k, v in asdict(identity).items() if before.get(k) != v},
                     actor_uid=me.uid)
    return identity


def _load_key(store: KeyringTokenStore, public: str) -> Ed25519PrivateKey | None:
    text = store.get_secret(_key_account(public))
    if not text:
        return None
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(json.loads(text)["private"]))
    if credential_proofs.public_multibase(key.public_key()) != public:
        raise UserError("The signing key in the keyring does not match the issuer's public key.")
    return key


def did_document(identity: IssuerIdentity) -> dict[str, Any]:
    """The document to publish at the id's address (for did:key it is implied by the id)."""
    return {"@context": list(credential_proofs.DID_CONTEXTS), "id": identity.id,
            "verificationMethod": [{"id": identity.verification_method, "type": "Multikey",
                                    "controller": identity.id,
                                    "publicKeyMultibase": identity.public_key_multibase}],
            "assertionMethod": [identity.verification_method],
            "authentication": [identity.verification_method]}


def did_web_address(did: str) -> str | None:
    """Where a did:web's document is published (``https://.../did.json``)."""
    if not did.startswith("did:web:"):
        return None
    host, *path = did.removeprefix("did:web:").split(":")
    host = host.replace("%3A", ":").replace("%3a", ":")
    return f"https://{host}/{'/'.join(path)}/did.json" if path else \
        f"https://{host}/.well-known/did.json"


def sign_credential(ctx: AppContext, credential: dict[str, Any], *,
                    store: KeyringTokenStore | None = None) -> dict[str, Any]:
    """``credential`` issued by the organisation and signed (``eddsa-rdfc-2022``)."""
    require_lead(ctx, "sign Open Badges")
    identity = require_identity(ctx)
    key = _load_key(store or KeyringTokenStore(), identity.public_key_multibase)
    if key is None:
        raise UserError("This machine's keyring has no signing key for the issuing organisation "
                        f"({identity.id}): sign badges on the machine where it was set up, or "
                        "run 'reviewer-app issuer identity set --new-key' and publish the new "
                        "DID document.")
    unsigned = {**credential, "issuer": {**credential["issuer"], "id": identity.id,
                                         "name": identity.name, "url": identity.url}}
    try:
        signed = credential_proofs.sign(unsigned, key, identity.verification_method)
    except credential_proofs.SigningError as exc:
        raise UserError("The Open Badge could not be signed.", details=str(exc)) from None
    if not credential_proofs.verify(signed, key.public_key()):  # pragma: no cover - a broken library
        raise UserError("The credential could not be signed correctly.")
    return signed
