"""Blind by design: which database is a lead's, and who may act as the lead in it.

A **lead database** is one made a lead's while it held no reviewer's work: ``profile
--role lead`` on a new data folder. It records the lead's public key (``lead_key``, the
Ed25519 key of ``services.identity``), and every lead action in it (``roles.require_lead``)
checks that the running profile's keyring holds that key's private half. Only a lead
database keeps candidates' names and badge recipients; it opens identities sealed to the
lead (``intake.sealed``) with the X25519 key derived from the same signing key.

A **reviewer's database** keeps pseudonyms only: the importer drops any name or recipient a
package carries before anything is stored, and a sealed identity stays ciphertext. Its
first import marks it ``reviewer_copy``; changing its profile's role to lead later makes
it no lead database: its role reads "lead assessor", but lead actions are refused, and it
holds no identity to show. (Whoever controls a laptop can always make a new, empty lead
database of their own; it holds nothing of anyone else's.)

A lead database made before this rule (0.8) has ``lead_key`` = ``pending``: the first lead
action binds it to the running lead's key.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reviewer_app.errors import UserError
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

if TYPE_CHECKING:
    from reviewer_app.intake.importer import IdentityPolicy

# The importer (pydantic) and the keys (cryptography) are imported where they are used: the
# queue's services check roles through this module, and 'reviewer-app list' needs neither.

log = logging.getLogger(__name__)

LEAD_KEY = "lead_key"
PENDING = "pending"
REVIEWER_COPY = "reviewer_copy"
_CHECKED = "lead_database.checked"  # (profile uid, key) already matched in this process


class NotLeadDatabase(UserError):
    """A lead action in a database that is not the lead's, or without the lead's key."""


def _setting(session: Session, key: str) -> str | None:
    row = session.get(m.AppSetting, key)
    return row.value if row is not None else None


def _put(session: Session, key: str, value: str) -> None:
    row = session.get(m.AppSetting, key)
    if row is None:
        session.add(m.AppSetting(key=key, value=value))
    else:
        row.value = value


def is_lead_database(ctx: AppContext) -> bool:
    with ctx.sessions() as session:
        return _setting(session, LEAD_KEY) is not None


def is_reviewer_copy(ctx: AppContext) -> bool:
    with ctx.sessions() as session:
        return _setting(session, LEAD_KEY) is None and _setting(session, REVIEWER_COPY) is not None


def could_become_lead(ctx: AppContext) -> bool:
    """Whether making the profile a lead would make this a lead database (it is new)."""
    with ctx.sessions() as session:
        return (_setting(session, LEAD_KEY) is None and _setting(session, REVIEWER_COPY) is None
                and session.query(m.Attempt.id).first() is None)


def make_lead_database(session: Session, public_key: str | None) -> bool:
    """In the role change's transaction: record ``public_key`` as the lead's, unless this
    database already holds a reviewer's work; returns whether it is a lead database."""
    if _setting(session, LEAD_KEY) is not None:
        return True
    held = session.query(m.Attempt.id).first() is not None
    if held or public_key is None or _setting(session, REVIEWER_COPY) is not None:
        if held:
            _put(session, REVIEWER_COPY, "1")
        return False
    from reviewer_app.signatures import fingerprint

    _put(session, LEAD_KEY, public_key)
    log.info("this database is now a lead database, bound to key %s", fingerprint(public_key))
    return True


def mark_reviewer_copy(ctx: AppContext) -> None:
    """After a blind import: this database holds a reviewer's work."""
    with ctx.transaction() as session:
        if _setting(session, LEAD_KEY) is None and _setting(session, REVIEWER_COPY) is None:
            _put(session, REVIEWER_COPY, "1")


_REVIEWER_COPY_WORDS = (
    "This data folder is a reviewer's: its submissions came without the candidates' names, "
    "and changing the profile's role does not make it a lead's database. Lead actions need "
    "the lead's own database: a new data folder on the lead's computer, made a lead's before "
    "anything is imported (Settings > Profile, or `reviewer-app --data-dir NEW-FOLDER "
    "profile --role lead`).")


def require_lead_key(ctx: AppContext, profile_uid: str) -> None:
    """Refuse, in plain words, unless this is a lead database and the running profile's
    keyring holds the private half of its lead key."""
    from reviewer_app.services.identity import signing_key
    from reviewer_app.signatures import fingerprint, public_key_text

    with ctx.sessions() as session:
        recorded = _setting(session, LEAD_KEY)
    if recorded is None:
        raise NotLeadDatabase(_REVIEWER_COPY_WORDS)
    if ctx._services.get(_CHECKED) == (profile_uid, recorded):  # noqa: SLF001 - per context
        return
    try:
        _, key = signing_key(ctx)
    except UserError as exc:
        raise NotLeadDatabase("Lead actions need the lead's own key from the system keyring, "
                              f"and it cannot be read: {exc.message}") from None
    mine = public_key_text(key)
    if recorded == PENDING:  # a lead database from before 0.8: bound to its lead on first use
        with ctx.transaction() as session:
            _put(session, LEAD_KEY, mine)
        recorded = mine
    if mine != recorded:
        raise NotLeadDatabase(
            f"This is a lead's database, bound to the lead's key {fingerprint(recorded)}, and "
            f"this computer's keyring holds another one ({fingerprint(mine)}): lead actions "
            "need the lead's own key. A copy of the lead's database grants nothing without it.")
    ctx._services[_CHECKED] = (profile_uid, recorded)  # noqa: SLF001


def sealing_public_key(ctx: AppContext) -> str:
    """The lead's X25519 public key (base64), to which package builders seal identities."""
    from reviewer_app.intake.sealed import public_text, sealing_key
    from reviewer_app.services.identity import signing_key

    _, key = signing_key(ctx)
    return public_text(sealing_key(key))


def identity_policy(ctx: AppContext) -> IdentityPolicy:
    """What an import into this database keeps of a candidate's identity."""
    from reviewer_app.intake.importer import BLIND, IdentityPolicy

    if not is_lead_database(ctx):
        return BLIND

    def opener(candidate_id: str, sealed: dict[str, Any]) -> dict[str, Any] | None:
        from reviewer_app.intake.sealed import CannotOpen, addressed_to, open_sealed, sealing_key
        from reviewer_app.services.identity import signing_key

        try:
            _, key = signing_key(ctx)
            x_key = sealing_key(key)
            if not addressed_to(sealed, x_key):
                log.warning("candidate %s: identity sealed to another key (%s)",
                            candidate_id, sealed.get("to"))
                return None
            return open_sealed(x_key, candidate_id, sealed)
        except (CannotOpen, UserError) as exc:
            log.warning("candidate %s: the sealed identity was not opened: %s", candidate_id, exc)
            return None

    return IdentityPolicy(keep=True, opener=opener)
