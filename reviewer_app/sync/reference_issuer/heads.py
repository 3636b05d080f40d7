"""The lead's signed audit head, carried with every decision request and remembered here.

A lead's app sends its current signed audit head (``services.audit_head``, format
``audit-head/1``: the last audit entry's number and hash, signed with the lead's Ed25519
key) with every request that posts decisions. The issuer checks the signature, pins each
account to the key of its first head (as SSH pins a host key), and keeps the highest head
seen per key. A head that goes **backwards** -- a lower entry number than one already
seen from that key, or the same number with another hash -- means the lead's log was cut
back and its head rewound (or rewritten): the request is refused (409) and nothing in it
is stored, so the app keeps its outbox entries and says why.

The issuer cannot see the log itself, so a log cut back and then grown past the head it
remembers would look like progress. ``GET /audit-head`` closes that gap: it tells the app
the head the issuer remembers, and the app checks that its log still holds that entry with
that hash before it sends anything.

Once an account has sent a head, every later request must carry one (an app that stops
sending heads is refused too); an account that never sent one (an older app) is served
as before.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reviewer_app.exports.audit_head_format import HEAD_FORMAT, head_message
from reviewer_app.signatures import BadKey, fingerprint, verify

MAX_ENTRY = 2**63 - 1


@dataclass(frozen=True)
class HeadRefused(Exception):
    status: int
    error: str
    description: str


@dataclass(frozen=True)
class Head:
    public_key: str
    entry: int
    hash: str
    signed_at: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def parse(document: Any) -> Head:
    """The head, if ``document`` is a well-formed ``audit-head/1`` signed by its own key."""
    bad = HeadRefused(400, "invalid_audit_head",
                      f"audit_head must be a signed audit head ({HEAD_FORMAT}) whose signature matches")
    if not isinstance(document, dict) or document.get("format") != HEAD_FORMAT:
        raise bad
    entry, digest = document.get("entry"), document.get("hash")
    public, signed_at = document.get("public_key"), document.get("signed_at")
    if (not isinstance(entry, int) or isinstance(entry, bool) or not 0 <= entry <= MAX_ENTRY
            or not isinstance(digest, str) or len(digest) != 64 or not isinstance(public, str)):
        raise bad
    try:
        ok = verify(public, document.get("signature"), head_message(document))
    except (BadKey, TypeError, ValueError):
        ok = False
    if not ok:
        raise bad
    return Head(public, entry, digest, signed_at if isinstance(signed_at, str) else "")


def remember(db: sqlite3.Connection, username: str, document: Any) -> None:
    """Check the head a request of ``username`` carries and remember it (in the caller's
    transaction); ``HeadRefused`` if it is missing when required, malformed, signed by
    another key than the account's, or goes backwards."""
    pinned = db.execute("SELECT public_key FROM account_keys WHERE username = ?", (username,)).fetchone()
    if document is None:
        if pinned is None:
            return
        raise HeadRefused(409, "audit_head_required",
                          "this account's earlier requests carried the lead's signed audit head; "
                          "this one carries none")
    head = parse(document)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    if pinned is None:
        db.execute("INSERT INTO account_keys VALUES (?, ?, ?)", (username, head.public_key, now))
    elif pinned[0] != head.public_key:
        raise HeadRefused(409, "audit_head_key_changed",
                          f"the audit head is signed by the key {head.fingerprint}, but this "
                          f"account's heads are signed by {fingerprint(pinned[0])}; the issuer's "
                          "administrator must confirm a new key before it is accepted")
    seen = db.execute("SELECT entry, hash, signed_at FROM audit_heads WHERE public_key = ?",
                      (head.public_key,)).fetchone()
    if seen is not None:
        entry, digest, when = seen
        if head.entry < entry:
            raise HeadRefused(409, "audit_head_rewound",
                              f"the lead's audit log now ends at entry {head.entry}, but this issuer "
                              f"already saw entry {entry} as its head (signed {when}): the log was cut "
                              "back and its head rewound")
        if head.entry == entry and head.hash != digest:
            raise HeadRefused(409, "audit_head_rewound",
                              f"entry {entry} of the lead's audit log has another hash than when this "
                              f"issuer saw it (signed {when}): the log was rewritten")
        if head.entry == entry:
            return
    db.execute("INSERT INTO audit_heads VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (public_key) DO UPDATE"
               " SET entry = excluded.entry, hash = excluded.hash, signed_at = excluded.signed_at,"
               " seen_at = excluded.seen_at, username = excluded.username",
               (head.public_key, head.entry, head.hash, head.signed_at, now, username))


def remembered(db: sqlite3.Connection, username: str) -> dict[str, Any] | None:
    """The highest head seen from the key ``username`` is pinned to (None: no head yet)."""
    row = db.execute("SELECT h.public_key, h.entry, h.hash, h.signed_at FROM account_keys k"
                     " JOIN audit_heads h ON h.public_key = k.public_key WHERE k.username = ?",
                     (username,)).fetchone()
    if row is None:
        return None
    return {"public_key": row[0], "fingerprint": fingerprint(row[0]), "entry": row[1],
            "hash": row[2], "signed_at": row[3]}


def forget_key(db: sqlite3.Connection, username: str) -> int:
    """Unpin an account's key (the lead made a new one); its next head is pinned afresh."""
    return db.execute("DELETE FROM account_keys WHERE username = ?", (username,)).rowcount
