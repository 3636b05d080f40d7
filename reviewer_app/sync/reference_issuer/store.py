"""The reference issuer's own SQLite database (stdlib ``sqlite3``) and package files.

Tables: users (PBKDF2 password hashes), tokens (SHA-256 of each token, never the token),
submissions (assignments, with a change sequence for ``since``; the rubric and badge
recipient a package named), decisions (one row per idempotency key, and at most one
accepted decision per submission attempt and reviewer), badges (the Open Badge issued for
an earned decision: the credential at once, its proof when first asked for), audit_heads
(the highest signed audit head seen per signing key) and account_keys (the key each
account's heads are signed with, pinned at the first head).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer_app.sync.reference_issuer import heads

log = logging.getLogger(__name__)

ACCESS_TTL = 3600.0
REFRESH_TTL = 30 * 24 * 3600.0
MAX_BATCH = 500
#: The largest attempt number, and change sequence, the issuer knows (SQLite's integers
#: end at 2**63 - 1; anything larger is refused before it reaches the database).
MAX_ATTEMPT = 2**31 - 1
MAX_SEQ = 2**63 - 1
_PBKDF2_ROUNDS = 60_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, salt BLOB NOT NULL, pw_hash BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, username TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS submissions (
    submission_id TEXT NOT NULL, attempt INTEGER NOT NULL, credential_id TEXT NOT NULL DEFAULT '',
    credential_version TEXT NOT NULL DEFAULT '', credential_title TEXT NOT NULL DEFAULT '',
    assigned_to TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'assigned',
    package_file TEXT, size INTEGER, sha256 TEXT, seq INTEGER NOT NULL,
    assigned_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, attempt));
CREATE INDEX IF NOT EXISTS ix_submissions_seq ON submissions (assigned_to, seq);
CREATE TABLE IF NOT EXISTS decisions (
    idempotency_key TEXT PRIMARY KEY, decision_id TEXT NOT NULL UNIQUE,
    submission_id TEXT NOT NULL, attempt INTEGER NOT NULL, username TEXT NOT NULL,
    decision TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
    UNIQUE (submission_id, attempt, username));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS package_details (
    submission_id TEXT NOT NULL, attempt INTEGER NOT NULL, rubric TEXT, recipient TEXT,
    PRIMARY KEY (submission_id, attempt));
CREATE TABLE IF NOT EXISTS badges (
    decision_id TEXT PRIMARY KEY, credential TEXT NOT NULL, signed TEXT, issued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_heads (
    public_key TEXT PRIMARY KEY, entry INTEGER NOT NULL, hash TEXT NOT NULL,
    signed_at TEXT NOT NULL, seen_at TEXT NOT NULL, username TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account_keys (
    username TEXT PRIMARY KEY, public_key TEXT NOT NULL, pinned_at TEXT NOT NULL);
"""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Result:
    idempotency_key: str | None
    status: str  # accepted | duplicate | rejected
    reason: str | None = None
    decision_id: str | None = None
    received_at: str | None = None
    badge: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"idempotency_key": self.idempotency_key, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.decision_id:
            out["decision_id"] = self.decision_id
        if self.received_at:
            out["received_at"] = self.received_at
        if self.badge:
            out["badge"] = self.badge
        return out


class IssuerStore:
    def __init__(self, folder: Path, *, access_ttl: float = ACCESS_TTL,
                 refresh_ttl: float = REFRESH_TTL) -> None:
        self.folder = Path(folder)
        self.packages = self.folder / "packages"
        self.packages.mkdir(parents=True, exist_ok=True)
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.folder / "issuer.sqlite3", check_same_thread=False,
                                   isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        #: Issues an Open Badge for each accepted earned decision (``badges.BadgeIssuer``).
        self.badge_issuer: Any = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self):  # noqa: ANN202
        return _Tx(self._db, self._lock)

    # -- users and tokens ---------------------------------------------------------------
    def add_user(self, username: str, password: str) -> None:
        salt = secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _PBKDF2_ROUNDS)
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)",
                       (username, salt, digest, _now_iso()))

    def has_users(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def check_password(self, username: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT salt, pw_hash FROM users WHERE username = ?",
                                   (username,)).fetchone()
        if row is None:
            hashlib.pbkdf2_hmac("sha256", password.encode(), b"0" * 16, _PBKDF2_ROUNDS)
            return False
        return hmac.compare_digest(
            hashlib.pbkdf2_hmac("sha256", password.encode(), row[0], _PBKDF2_ROUNDS), row[1])

    def issue_tokens(self, username: str, *, with_refresh: bool = True) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        now = time.time()
        rows = [(token_hash(access), "access", username, now + self.access_ttl)]
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                "expires_in": int(self.access_ttl)}
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            rows.append((token_hash(refresh), "refresh", username, now + self.refresh_ttl))
            body["refresh_token"] = refresh
        with self._tx() as db:
            db.executemany("INSERT INTO tokens (token_hash, kind, username, expires_at) "
                           "VALUES (?, ?, ?, ?)", rows)
        return body

    def token_user(self, token: str, kind: str = "access") -> tuple[str | None, str]:
        """(username, "") for a valid token, else (None, "expired" | "invalid")."""
        with self._lock:
            row = self._db.execute(
                "SELECT username, expires_at, revoked FROM tokens WHERE token_hash = ? AND kind = ?",
                (token_hash(token), kind)).fetchone()
        if row is None or row[2]:
            return None, "invalid"
        if row[1] <= time.time():
            return None, "expired"
        return row[0], ""

    def revoke(self, token: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash(token),))

    def expire_access_tokens(self) -> int:
        with self._tx() as db:
            return db.execute("UPDATE tokens SET expires_at = ? WHERE kind = 'access' AND expires_at > ?",
                              (time.time() - 1, time.time())).rowcount

    # -- assignments ------------------------------------------------------------------
    def _next_seq(self, db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO counters VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")
        return db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]

    def assign(self, username: str, items: list[dict[str, Any]]) -> int:
        """Register submissions (no package) as assigned to ``username``; for load tests."""
        now = _now_iso()
        with self._tx() as db:
            for item in items:
                seq = self._next_seq(db)
                cred = item.get("credential") or {}
                db.execute(
                    "INSERT INTO submissions (submission_id, attempt, credential_id, credential_version,"
                    " credential_title, assigned_to, status, seq, assigned_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'assigned', ?, ?, ?)"
                    " ON CONFLICT (submission_id, attempt) DO UPDATE SET assigned_to = excluded.assigned_to,"
                    " status = 'assigned', seq = excluded.seq, updated_at = excluded.updated_at",
                    (str(item["submission_id"]), int(item.get("attempt", 1)), str(cred.get("id", "")),
                     str(cred.get("version", "")), str(cred.get("title", "")), username, seq, now, now))
        return len(items)

    def add_package(self, data: bytes, username: str) -> dict[str, Any]:
        """Store a submission package and assign it; reads its manifest for the ids."""
        import io

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                manifest = json.loads(zf.read("manifest.json").decode("utf-8-sig"))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ValueError(f"not a submission package: {exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        path = self.packages / f"{sha}.zip"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        cred = manifest.get("credential") or {}
        now = _now_iso()
        sid, attempt = str(manifest["submission_id"]), int(manifest["attempt"])
        rubric, recipient = _rubric_and_recipient(data, manifest)
        with self._tx() as db:
            seq = self._next_seq(db)
            db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, 'assigned', ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (submission_id, attempt) DO UPDATE SET assigned_to = excluded.assigned_to,"
                " status = 'assigned', package_file = excluded.package_file, size = excluded.size,"
                " sha256 = excluded.sha256, seq = excluded.seq, updated_at = excluded.updated_at",
                (sid, attempt, str(cred.get("id", "")), str(cred.get("version", "")),
                 str(cred.get("title", "")), username, path.name, len(data), sha, seq, now, now))
            db.execute("INSERT OR REPLACE INTO package_details VALUES (?, ?, ?, ?)",
                       (sid, attempt, rubric, recipient))
        return {"submission_id": sid, "attempt": attempt, "sha256": sha, "size": len(data)}

    def withdraw(self, submission_id: str, attempt: int | None = None) -> int:
        now = _now_iso()
        with self._tx() as db:
            rows = db.execute("SELECT attempt FROM submissions WHERE submission_id = ?"
                              + (" AND attempt = ?" if attempt is not None else ""),
                              (submission_id,) + ((attempt,) if attempt is not None else ())).fetchall()
            for (number,) in rows:
                seq = self._next_seq(db)
                db.execute("UPDATE submissions SET status = 'withdrawn', seq = ?, updated_at = ?"
                           " WHERE submission_id = ? AND attempt = ?", (seq, now, submission_id, number))
            return len(rows)

    def assignments(self, username: str, since: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        with self._lock:
            rows = self._db.execute(
                "SELECT submission_id, attempt, credential_id, credential_version, credential_title,"
                " status, package_file, size, sha256, seq, assigned_at, updated_at FROM submissions"
                " WHERE assigned_to = ? AND seq > ? ORDER BY seq LIMIT ?",
                (username, since, limit + 1)).fetchall()
        items = []
        for r in rows[:limit]:
            item: dict[str, Any] = {
                "submission_id": r[0], "attempt": r[1],
                "credential": {"id": r[2], "version": r[3], "title": r[4]},
                "status": r[5], "seq": r[9], "assigned_at": r[10], "updated_at": r[11]}
            if r[6]:
                item["package"] = {"href": f"/api/v1/submissions/{_q(r[0])}/attempts/{r[1]}/package",
                                   "size": r[7], "sha256": r[8]}
            items.append(item)
        return items, len(rows) > limit

    def package_for(self, username: str, submission_id: str, attempt: int) -> tuple[Path, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT package_file, sha256, status FROM submissions WHERE submission_id = ?"
                " AND attempt = ? AND assigned_to = ?", (submission_id, attempt, username)).fetchone()
        if row is None or not row[0] or row[2] != "assigned":
            return None
        return self.packages / row[0], row[1]

    # -- decisions -----------------------------------------------------------------
    def record(self, username: str, decisions: list[Any], audit_head: Any = None) -> list[Result]:
        """Store each decision once per idempotency key; answer replays with the original.

        ``audit_head`` (the lead's signed head) is checked and remembered first, in the same
        transaction: ``heads.HeadRefused`` if it goes backwards, and then nothing is stored."""
        results: list[Result] = []
        with self._tx() as db:
            heads.remember(db, username, audit_head)
            for d in decisions:
                results.append(self._record_one(db, username, d))
        return results

    def _record_one(self, db: sqlite3.Connection, username: str, d: Any) -> Result:
        if not isinstance(d, dict):
            return Result(None, "rejected", "a decision must be a JSON object")
        key = d.get("idempotency_key")
        if not isinstance(key, str) or not (1 <= len(key) <= 200):
            return Result(None, "rejected", "missing idempotency_key")
        old = db.execute("SELECT username, decision_id, received_at FROM decisions"
                         " WHERE idempotency_key = ?", (key,)).fetchone()
        if old is not None:
            if old[0] != username:
                return Result(key, "rejected", "this idempotency key belongs to another account")
            return Result(key, "duplicate", None, old[1], old[2], self._badge_href(db, old[1]))
        problem = _invalid(d)
        if problem:
            return Result(key, "rejected", f"invalid decision: {problem}")
        sid, attempt = d["submission_id"], d["attempt"]
        sub = db.execute("SELECT assigned_to, status FROM submissions WHERE submission_id = ?"
                         " AND attempt = ?", (sid, attempt)).fetchone()
        if sub is None:
            return Result(key, "rejected", "unknown submission")
        if sub[1] == "withdrawn":
            return Result(key, "rejected", "submission withdrawn")
        if sub[0] != username:
            return Result(key, "rejected", "submission not assigned to this reviewer")
        other = db.execute("SELECT decision_id FROM decisions WHERE submission_id = ? AND attempt = ?"
                           " AND username = ?", (sid, attempt, username)).fetchone()
        if other is not None:
            return Result(key, "rejected", f"another decision ({other[0]}) was already accepted "
                                           "for this submission attempt")
        decision_id = f"dec_{uuid.uuid4().hex[:16]}"
        received = _now_iso()
        db.execute("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (key, decision_id, sid, attempt, username, d["decision"],
                    json.dumps(d, sort_keys=True), received))
        badge = None
        if d["decision"] == "earned" and self.badge_issuer is not None:
            self._issue(db, d, decision_id, received)
            badge = self._badge_href(db, decision_id)
        return Result(key, "accepted", None, decision_id, received, badge)

    # -- badges ------------------------------------------------------------------------
    def _issue(self, db: sqlite3.Connection, d: dict[str, Any], decision_id: str, received: str) -> None:
        """The badge of an accepted earned decision, in the same transaction (its proof is
        made when the badge is first asked for: canonicalising costs ~60 ms)."""
        row = db.execute("SELECT rubric, recipient FROM package_details WHERE submission_id = ?"
                         " AND attempt = ?", (d["submission_id"], d["attempt"])).fetchone()
        rubric = json.loads(row[0]) if row and row[0] else None
        recipient = _named_recipient(d) or (tuple(json.loads(row[1])) if row and row[1] else None)
        try:
            credential = self.badge_issuer.credential(d, rubric, recipient, f"urn:uuid:{uuid.uuid4()}",
                                                      received)
        except (KeyError, TypeError, ValueError, AttributeError):  # the decision stands regardless
            log.exception("no badge could be made for decision %s", decision_id)
            return
        db.execute("INSERT INTO badges VALUES (?, ?, NULL, ?)",
                   (decision_id, json.dumps(credential, ensure_ascii=False), received))

    @staticmethod
    def _badge_href(db: sqlite3.Connection, decision_id: str) -> str | None:
        found = db.execute("SELECT 1 FROM badges WHERE decision_id = ?", (decision_id,)).fetchone()
        return f"/api/v1/badges/{decision_id}" if found else None

    def badge(self, decision_id: str) -> dict[str, Any] | None:
        """The signed badge (signed now, once, if it never was); None: no such badge."""
        with self._lock:
            row = self._db.execute("SELECT credential, signed FROM badges WHERE decision_id = ?",
                                   (decision_id,)).fetchone()
        if row is None or self.badge_issuer is None:
            return None
        if row[1]:
            return json.loads(row[1])
        signed = self.badge_issuer.sign(json.loads(row[0]))
        with self._tx() as db:  # the first proof stays: a badge never changes once served
            db.execute("UPDATE badges SET signed = ? WHERE decision_id = ? AND signed IS NULL",
                       (json.dumps(signed, ensure_ascii=False), decision_id))
            stored = db.execute("SELECT signed FROM badges WHERE decision_id = ?",
                                (decision_id,)).fetchone()[0]
        return json.loads(stored)

    def decisions(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT idempotency_key, decision_id, submission_id, attempt, username, decision,"
                " received_at FROM decisions ORDER BY received_at, idempotency_key").fetchall()
        keys = ("idempotency_key", "decision_id", "submission_id", "attempt", "username",
                "decision", "received_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def remembered_head(self, username: str) -> dict[str, Any] | None:
        with self._lock:
            return heads.remembered(self._db, username)

    def forget_head_key(self, username: str) -> int:
        with self._tx() as db:
            return heads.forget_key(db, username)

    def audit_heads(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT public_key, entry, hash, signed_at, seen_at, username"
                                    " FROM audit_heads ORDER BY seen_at").fetchall()
        keys = ("public_key", "entry", "hash", "signed_at", "seen_at", "username")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def decision_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM decisions").fetchone()[0]


def _named_recipient(decision: dict[str, Any]) -> tuple[str, str] | None:
    """The recipient the lead named with an earned decision (``{"type", "identity"}``), if
    well formed: the badge goes to that person; otherwise to the one the package named."""
    found = decision.get("recipient")
    if not isinstance(found, dict):
        return None
    kind, identity = found.get("type"), found.get("identity")
    if kind in ("email", "url", "telephone") and isinstance(identity, str) and 0 < len(identity) <= 320:
        return kind, identity
    return None


def _rubric_and_recipient(data: bytes, manifest: dict[str, Any]) -> tuple[str | None, str | None]:
    """The package's rubric (JSON text) and badge recipient (``[type, identity]``), if given."""
    import io

    rubric = recipient = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            loaded = json.loads(zf.read(str(manifest["rubric"])).decode("utf-8-sig"))
        if isinstance(loaded, dict):
            rubric = json.dumps(loaded, ensure_ascii=False)
    except (KeyError, ValueError, zipfile.BadZipFile):
        pass
    found = (manifest.get("candidate") or {}).get("recipient") if isinstance(
        manifest.get("candidate"), dict) else None
    if isinstance(found, dict) and isinstance(found.get("type"), str) and \
            isinstance(found.get("identity"), str):
        recipient = json.dumps([found["type"], found["identity"]])
    return rubric, recipient


def _invalid(d: dict[str, Any]) -> str:
    if not isinstance(d.get("submission_id"), str) or not d["submission_id"]:
        return "submission_id must be a non-empty string"
    attempt = d.get("attempt")
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt <= MAX_ATTEMPT:
        return f"attempt must be an integer from 1 to {MAX_ATTEMPT}"
    if d.get("decision") not in ("earned", "not_yet"):
        return "decision must be 'earned' or 'not_yet'"
    if not isinstance(d.get("criteria", []), list):
        return "criteria must be a list"
    return ""


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


class _Tx:
    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, exc, tb) -> None:  # noqa: ANN001
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.lock.release()
