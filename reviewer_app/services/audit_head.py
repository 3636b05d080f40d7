"""The audit log's head, signed and kept outside the database.

The chain alone cannot show that its last entries were removed if the head record was
rewound with them. A **signed head** anchors it: the last entry's number and hash, signed
with this profile's Ed25519 key (the lead's key in a lead database; ``services.identity``),
written to a small file kept outside the database (``<name>.audit-head.json``; ``audit
head``, and ``decisions export`` beside its file)::

    {"format": "audit-head/1", "entry": 1234, "hash": "<sha-256 hex of entry 1234>",
     "signer": {"uid": "...", "name": "Lena Lead"}, "public_key": "<base64, raw 32 bytes>",
     "fingerprint": "K3QZ-...", "signed_at": "...", "signature": "<base64 Ed25519>"}

The signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of every other
field. ``check`` (``audit verify --head FILE``) confirms that the log still holds that
entry with that hash: a log cut back past it, or rewritten, is reported. The database
remembers the key of its first signed head (``audit_head_key``); a head signed by any
other key is reported, so a head re-signed by someone else proves nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reviewer_app.errors import UserError
from reviewer_app.exports.audit_head_format import HEAD_FORMAT, HEAD_SUFFIX, head_message
from reviewer_app.exports.batches import iso
from reviewer_app.services.identity import KeyringKeyStore, signing_key
from reviewer_app.signatures import BadKey, fingerprint, public_key_text, sign, verify
from reviewer_app.store import models as m
from reviewer_app.store.atomic_files import atomic_text_file
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

KEY_SETTING = "audit_head_key"


def signed_head(ctx: AppContext, store: KeyringKeyStore | None = None) -> dict[str, Any]:
    """The current head, signed with this profile's key (made on first use)."""
    me, key = signing_key(ctx, store)
    public = public_key_text(key)
    with ctx.transaction() as session:
        head = session.get(m.AuditHead, 1)
        entry, digest = (head.last_id, head.last_hash) if head else (0, "0" * 64)
        if not ctx.read_only and session.get(m.AppSetting, KEY_SETTING) is None:
            session.add(m.AppSetting(key=KEY_SETTING, value=public))
    document: dict[str, Any] = {
        "format": HEAD_FORMAT, "entry": entry, "hash": digest,
        "signer": {"uid": me.uid, "name": me.name}, "public_key": public,
        "fingerprint": fingerprint(key), "signed_at": iso(utcnow())}
    document["signature"] = sign(key, head_message(document))
    return document


def write_head(ctx: AppContext, out: Path, store: KeyringKeyStore | None = None) -> Path:
    """Write the signed head to ``out`` (a file; ``.audit-head.json`` added if need be)."""
    out = Path(out)
    if not out.name.endswith(HEAD_SUFFIX):
        out = out.with_name(out.name + HEAD_SUFFIX)
    document = signed_head(ctx, store)
    with atomic_text_file(out) as f:
        json.dump(document, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return out


def still_holds(ctx: AppContext, entry: int, digest: str) -> str:
    """Why this database's log no longer holds ``entry`` with hash ``digest`` ("" if it does)."""
    with ctx.sessions() as session:
        held = session.scalar(select(m.AuditEntry.hash).where(m.AuditEntry.id == entry))
        last = session.scalar(select(m.AuditHead.last_id).where(m.AuditHead.id == 1)) or 0
    if held == digest or entry == 0:
        return ""
    if held is None:
        return f"entry {entry} is gone (the log ends at entry {last})"
    return f"entry {entry} has another hash (it was rewritten, or the log was cut back and grown again)"


@dataclass(frozen=True)
class HeadCheck:
    file: str
    ok: bool
    message: str


def check(ctx: AppContext, path: Path) -> HeadCheck:
    """Whether this database's log still holds the entry the signed head at ``path`` names."""
    name = Path(path).name
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{name} cannot be read as a signed audit head.", details=str(exc)) from None
    if not isinstance(document, dict) or document.get("format") != HEAD_FORMAT:
        raise UserError(f"{name} is not a signed audit head ({HEAD_FORMAT}).")
    try:
        entry, digest = int(document["entry"]), str(document["hash"])
        signed = verify(document["public_key"], document.get("signature"), head_message(document))
    except (KeyError, TypeError, ValueError, BadKey):
        signed = False
    if not signed:
        return HeadCheck(name, False, f"{name}: its signature does not match: the file was altered "
                                      "or not signed by its key; it anchors nothing.")
    when = document.get("signed_at", "?")
    with ctx.sessions() as session:
        known = session.get(m.AppSetting, KEY_SETTING)
        held = session.scalar(select(m.AuditEntry.hash).where(m.AuditEntry.id == entry))
        last = session.scalar(select(m.AuditHead.last_id).where(m.AuditHead.id == 1)) or 0
    if known is None:
        return HeadCheck(name, False, f"{name}: signed by {document.get('fingerprint')}, but no head "
                                      "was ever signed in this database itself (audit head), so it "
                                      "has no key to check it against.")
    if known.value != document["public_key"]:
        return HeadCheck(name, False, f"{name}: signed by {document.get('fingerprint')}, not by the key "
                                      "this database's heads are signed with.")
    if entry == 0:
        return HeadCheck(name, True, f"{name}: the log was empty when signed on {when}.")
    if held is None and entry > last:
        return HeadCheck(name, False, f"{name}: the log was cut back: it ends at entry {last}, but entry "
                                      f"{entry} was signed as its head on {when}.")
    if held != digest:
        return HeadCheck(name, False, f"{name}: entry {entry}, signed as the head on {when}, was "
                                      f"{'removed' if held is None else 'rewritten'} since.")
    return HeadCheck(name, True, f"{name}: entry {entry}, the head signed on {when} by "
                                 f"{document.get('fingerprint')}, is intact in the log.")
