"""The reviewers a lead assessor enrols: whose signed score batches this database imports.

A reviewer exports an enrolment file (``services.identity``) and reads their key's
fingerprint to the lead; ``enrol`` accepts the file only when the fingerprint typed in
matches the key in it, as SSH's "known hosts" asks a person to check a host key. An
enrolment binds one public key to one profile uid and name; ``revoke`` ends it (batches
signed with that key are refused from then on; those imported before stay), and
``enrolled`` lists them all. Each enrolment and revocation is written to the audit log.
``check_signer`` is what a batch import asks before it stores anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer_app.errors import UserError
from reviewer_app.services.identity import ENROLMENT_FORMAT
from reviewer_app.services.roles import require_lead
from reviewer_app.signatures import BadKey, fingerprint, load_public_key, normalise_fingerprint
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

_MAX_FILE_BYTES = 64 * 1024
_UID = re.compile(r"[0-9A-Za-z-]{8,36}")


class EnrolmentRefused(UserError):
    """Nothing was enrolled or revoked."""


@dataclass(frozen=True)
class Enrolled:
    reviewer_uid: str
    name: str
    public_key: str
    fingerprint: str
    enrolled_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def describe(self) -> str:
        state = ("enrolled" if self.active
                 else f"revoked {self.revoked_at.astimezone():%Y-%m-%d %H:%M}")
        return f"{self.name:<24} {self.fingerprint}  {state} (since {self.enrolled_at.astimezone():%Y-%m-%d})"


def _enrolled(row: m.Enrolment) -> Enrolled:
    return Enrolled(row.reviewer_uid, row.name, row.public_key, row.fingerprint, row.enrolled_at,
                    row.revoked_at)


@dataclass(frozen=True)
class EnrolmentFile:
    uid: str
    name: str
    public_key: str
    fingerprint: str  # computed from the key, never taken from the file


def read_enrolment_file(path: Path) -> EnrolmentFile:
    path = Path(path)
    bad = f"{path.name} is not a reviewer's enrolment file"
    try:
        raw = path.read_bytes()[:_MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise EnrolmentRefused(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise EnrolmentRefused(f"{bad} (it is far too large).")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise EnrolmentRefused(f"{bad} (it is not readable JSON).") from None
    if not isinstance(data, dict) or data.get("format") != ENROLMENT_FORMAT:
        raise EnrolmentRefused(f"{bad} (it has no \"format\": \"{ENROLMENT_FORMAT}\").")
    reviewer = data.get("reviewer")
    uid = reviewer.get("uid") if isinstance(reviewer, dict) else None
    name = reviewer.get("name") if isinstance(reviewer, dict) else None
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        raise EnrolmentRefused(f"{bad} (it names no valid profile uid).")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise EnrolmentRefused(f"{bad} (it names no reviewer).")
    try:
        load_public_key(data.get("public_key"))
    except BadKey as exc:
        raise EnrolmentRefused(f"{bad} ({exc}).") from None
    return EnrolmentFile(uid, name.strip(), data["public_key"], fingerprint(data["public_key"]))


def enrol(ctx: AppContext, path: Path, told_fingerprint: str) -> Enrolled:
    """Enrol the reviewer of an enrolment file, if ``told_fingerprint`` (what the reviewer
    read out) is the fingerprint of the key in it. A refusal enrols nobody and is written to
    the audit log (``reviewer.enrol.refuse``)."""
    me = require_lead(ctx, "enrol reviewers")
    try:
        return _enrol(ctx, me.uid, Path(path), told_fingerprint)
    except EnrolmentRefused as exc:
        details: dict[str, object] = {"file": Path(path).name, "reason": exc.message,
                                      "fingerprint_given": told_fingerprint[:60],
                                      "file_sha256": audit.file_sha256(Path(path))}
        try:
            found = read_enrolment_file(path)
            details.update(reviewer=found.name, reviewer_uid=found.uid, fingerprint=found.fingerprint)
        except EnrolmentRefused:
            pass
        audit.record_refusal(ctx, audit.ENROL_REFUSED, f"enrolment file {Path(path).name}", details)
        raise


def _enrol(ctx: AppContext, me_uid: str, path: Path, told_fingerprint: str) -> Enrolled:
    found = read_enrolment_file(path)
    told = normalise_fingerprint(told_fingerprint)
    if told != found.fingerprint:
        raise EnrolmentRefused(
            f"The fingerprint you were given ({told_fingerprint.strip() or 'none'}) is not that of "
            f"the key in {Path(path).name}; the file may have been swapped or altered on its way. "
            f"Nothing was enrolled: ask {found.name} for their file again and check the "
            "fingerprint with them in person or by phone.")
    if found.uid == me_uid:
        raise EnrolmentRefused("That is this database's own profile; a lead assessor does not "
                               "enrol themselves.")
    with ctx.transaction() as session:
        same_key = session.scalars(select(m.Enrolment)
                                   .where(m.Enrolment.public_key == found.public_key)).first()
        if same_key is not None:
            if same_key.revoked_at is not None:
                raise EnrolmentRefused(
                    f"This key ({found.fingerprint}) was revoked on "
                    f"{same_key.revoked_at.astimezone():%Y-%m-%d}; a revoked key is never enrolled "
                    f"again. Ask {found.name} to make a new one (reviewer-app identity --new-key).")
            raise EnrolmentRefused(f"This key ({found.fingerprint}) is already enrolled, for "
                                   f"{same_key.name}.")
        for row in session.scalars(select(m.Enrolment).where(m.Enrolment.revoked_at.is_(None))):
            if row.reviewer_uid == found.uid:
                raise EnrolmentRefused(
                    f"{row.name} is already enrolled with another key ({row.fingerprint}); revoke "
                    "that one first (reviewer-app revoke) if they have a new key.")
            if row.name.casefold() == found.name.casefold():
                raise EnrolmentRefused(
                    f"Another reviewer enrolled here is already named {row.name}; ask "
                    f"{found.name} to make their profile name distinct, then export the file again.")
        known = session.scalars(select(m.Profile).where(m.Profile.uid == found.uid)).first()
        if known is not None and known.name != found.name:
            raise EnrolmentRefused(
                f"This database holds reviews by profile {found.uid[:8]} under the name "
                f"{known.name}, but the file names {found.name}; nothing was enrolled.")
        now = utcnow()
        row = m.Enrolment(reviewer_uid=found.uid, name=found.name, public_key=found.public_key,
                          fingerprint=found.fingerprint, enrolled_at=now, enrolled_by=me_uid)
        session.add(row)
        session.flush()
        audit.append(session, audit.ENROL, f"reviewer {found.uid}",
                     {"name": found.name, "fingerprint": found.fingerprint,
                      "public_key": found.public_key}, actor_uid=me_uid, at=now)
        return _enrolled(row)


def enrolled(ctx: AppContext, *, include_revoked: bool = True) -> list[Enrolled]:
    """Every enrolment, the active ones first, by name."""
    require_lead(ctx, "see who is enrolled")
    with ctx.sessions() as session:
        query = select(m.Enrolment)
        if not include_revoked:
            query = query.where(m.Enrolment.revoked_at.is_(None))
        rows = [_enrolled(r) for r in session.scalars(query)]
    return sorted(rows, key=lambda e: (not e.active, e.name.casefold(), e.enrolled_at))


def revoke(ctx: AppContext, who: str) -> Enrolled:
    """Revoke the active enrolment named by ``who``: a reviewer's name (any case) or their
    key's fingerprint (at least its first group)."""
    me = require_lead(ctx, "revoke reviewers")
    wanted = who.strip()
    code = normalise_fingerprint(wanted).replace("-", "")
    with ctx.transaction() as session:
        active = list(session.scalars(select(m.Enrolment).where(m.Enrolment.revoked_at.is_(None))))
        matches = [r for r in active if r.name.casefold() == wanted.casefold()]
        if not matches and len(code) >= 4:
            matches = [r for r in active if r.fingerprint.replace("-", "").startswith(code)]
        if not matches:
            raise EnrolmentRefused(f"No enrolled reviewer is named {wanted!r} or has a key with that "
                                   "fingerprint (reviewer-app enrolled lists them).")
        if len(matches) > 1:
            raise EnrolmentRefused(f"{wanted!r} matches {len(matches)} enrolled keys ("
                                   + ", ".join(r.fingerprint for r in matches)
                                   + "); give more of the fingerprint.")
        row = matches[0]
        now = utcnow()
        row.revoked_at, row.revoked_by = now, me.uid
        audit.append(session, audit.REVOKE, f"reviewer {row.reviewer_uid}",
                     {"name": row.name, "fingerprint": row.fingerprint}, actor_uid=me.uid, at=now)
        session.flush()
        return _enrolled(row)


def check_signer(session: Session, reviewer_uid: str, name: str, public_key: str) -> str | None:
    """Why a batch signed with ``public_key`` and naming this reviewer may not be imported
    (the end of a sentence that starts with the file's name), or None when its signer is
    enrolled, not revoked, as that very reviewer (profile uid and name)."""
    row = session.scalars(select(m.Enrolment).where(m.Enrolment.public_key == public_key)).first()
    fp = fingerprint(public_key)
    if row is None:
        return (f"is signed with a key no reviewer enrolled here holds (fingerprint {fp}, "
                f"naming itself {name}), so it was not imported; if {name} is one of your "
                "reviewers, enrol them first, checking that fingerprint with them.")
    if row.revoked_at is not None:
        return (f"is signed with the key of {row.name} ({fp}), revoked on "
                f"{row.revoked_at.astimezone():%Y-%m-%d}, so it was not imported.")
    if row.reviewer_uid != reviewer_uid or row.name != name:
        return (f"names {name} as its reviewer but is signed with the key enrolled for "
                f"{row.name} ({fp}), so it was not imported.")
    return None
