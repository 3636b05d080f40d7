"""Badges an issuer issued for the lead's delivered decisions: fetched back and checked.

The reference issuer answers an accepted earned decision with a link to the Open Badge it
issued (signed with its own key, ``eddsa-rdfc-2022``). ``issued_badge`` fetches it through
the profile's adapter (on the issuer's own origin only; the link is public, no token goes
with it), checks that it is signed by the key its issuer names (a ``did:key``) and that it
records the levels the lead decided, then keeps it in the outbox entry (``badge_json``),
so the lead sees what the teacher received. No Qt.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from sqlalchemy import update

from reviewer_app.errors import NotFound, UserError
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import credential_proofs, issuer_profiles, outbox
from reviewer_app.sync.adapters import make_adapter
from reviewer_app.sync.client import TransientError
from reviewer_app.sync.secrets import TokenStore, default_store


def check_badge(badge: dict[str, Any], decision: dict[str, Any]) -> str:
    """Why ``badge`` is not the signed badge of ``decision`` ("" when it is)."""
    try:
        issuer = badge["issuer"]["id"]
        method = badge["proof"][0]["verificationMethod"]
    except (KeyError, IndexError, TypeError):
        return "it carries no issuer or no proof"
    if not (isinstance(issuer, str) and issuer.startswith("did:key:")
            and method == credential_proofs.did_key_method(issuer)):
        return f"it is not signed by the key its issuer names ({issuer})"
    try:
        public = credential_proofs.public_from_multibase(issuer.removeprefix("did:key:"))
        signed = credential_proofs.verify(badge, public)
    except (credential_proofs.SigningError, ValueError, TypeError):
        signed = False
    if not signed:
        return "its signature does not match: it was altered after it was signed"
    achieved = {r.get("achievedLevel") for r in badge.get("credentialSubject", {}).get("result", [])
                if isinstance(r, dict)}
    for crit in decision.get("criteria", []):
        if crit.get("level") is None:
            continue
        wanted = f"#criterion-{quote(str(crit['criterion_id']), safe='')}-level-{crit['level']}"
        if not any(isinstance(a, str) and a.endswith(wanted) for a in achieved):
            return (f"it does not record level {crit['level']} on \u201c{crit.get('title')}\u201d, "
                    "as decided")
    return ""


def issued_badge(ctx: AppContext, submission_key: str, attempt: int | None = None, *,
                 store: TokenStore | None = None, transport: Any = None) -> dict[str, Any]:
    """The Open Badge the issuer issued for a delivered earned decision (fetched once)."""
    with ctx.sessions() as session:
        entry = outbox.newest_entry(session, submission_key, attempt, state=outbox.ACCEPTED)
        if entry is None:
            raise NotFound(f"No decision on submission {submission_key!r}"
                           + (f" attempt {attempt}" if attempt is not None else "")
                           + " has reached an issuer yet.")
        uid, url, kept, issuer = entry.uid, entry.badge_url, entry.badge_json, entry.issuer
        decision, number = json.loads(entry.payload_json), entry.attempt_number
    if kept:
        return json.loads(kept)
    label = f"{submission_key} attempt {number}"
    if not url:
        raise UserError(f"The issuer issued no badge for {label}"
                        + (" (it was decided \u201cnot yet\u201d)." if decision.get("decision") != "earned"
                           else f": {issuer or 'the issuer'} does not serve the badges it issues."))
    profile = issuer_profiles.get_profile(ctx.sessions, issuer)
    with make_adapter(profile, store or default_store(), transport=transport) as adapter:
        fetch = getattr(adapter, "fetch_badge", None)
        if fetch is None:
            raise UserError(f"The issuer \u201c{profile.name}\u201d does not serve the badges it issues.")
        try:
            badge = fetch(url)
        except TransientError as exc:
            raise UserError(f"Cannot reach the issuer \u201c{profile.name}\u201d to fetch the badge "
                            f"of {label}: {exc}") from None
    problem = check_badge(badge, decision)
    if problem:
        raise UserError(f"The badge the issuer \u201c{profile.name}\u201d serves for {label} is not "
                        f"kept: {problem}.", details=url)
    with ctx.sessions() as session, session.begin():
        session.execute(update(m.OutboxEntry).where(m.OutboxEntry.uid == uid)
                        .values(badge_json=json.dumps(badge, ensure_ascii=False))
                        .execution_options(synchronize_session=False))
    return badge
