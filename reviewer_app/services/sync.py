"""What the window and the command line call for sync: plain values in, plain values out.

Every function here may block (database, keyring, network): the window calls them on a
worker thread (``reviewer_app.gui.sync``), the CLI directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reviewer_app.errors import NotFound, UserError
from reviewer_app.jobs import Job
from reviewer_app.services import audit_head
from reviewer_app.services.imports import import_package
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import issuer_profiles, outbox
from reviewer_app.sync.engine import AuditHeads, SyncReport, SyncSettings, run_pass
from reviewer_app.sync.issuer_profiles import IssuerProfile
from reviewer_app.sync.outbox import EntryView
from reviewer_app.sync.secrets import TokenStore, default_store


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows."""

    profile: str | None
    kind: str | None
    queued: int
    sending: int
    accepted: int
    rejected: int
    last_sync_at: datetime | None

    @property
    def pending(self) -> int:
        return self.queued + self.sending


def status(ctx: AppContext) -> SyncStatus:
    counts = outbox.counts(ctx.sessions)
    profile = issuer_profiles.find_default(ctx.sessions)
    return SyncStatus(profile.name if profile else None, profile.kind if profile else None,
                      counts[outbox.QUEUED], counts[outbox.SENDING], counts[outbox.ACCEPTED],
                      counts[outbox.REJECTED], profile.last_sync_at if profile else None)


def audit_heads(ctx: AppContext) -> AuditHeads:
    """The lead's signed audit head, for the issuers that remember it (see sync.engine)."""
    return AuditHeads(signed=lambda: audit_head.signed_head(ctx),
                      still_holds=lambda entry, digest: audit_head.still_holds(ctx, entry, digest))


def sync_now(ctx: AppContext, profile: str | None = None, job: Job | None = None, *,
             store: TokenStore | None = None, settings: SyncSettings | None = None,
             transport=None) -> SyncReport:  # noqa: ANN001
    """A pass the user asked for: queued entries waiting out a backoff are sent at once."""
    outbox.send_now(ctx.sessions)
    return run_pass(ctx, profile, job, store=store, settings=settings, transport=transport,
                    heads=audit_heads(ctx), importer=import_package)


def background_sync(ctx: AppContext, profile: str | None = None, job: Job | None = None, *,
                    store: TokenStore | None = None, settings: SyncSettings | None = None,
                    transport=None) -> SyncReport:  # noqa: ANN001
    """A periodic pass: entries still in their backoff wait for it."""
    return run_pass(ctx, profile, job, store=store, settings=settings, transport=transport,
                    heads=audit_heads(ctx), importer=import_package)


def outbox_entries(ctx: AppContext, limit: int | None = None) -> list[EntryView]:
    return outbox.list_entries(ctx.sessions, limit=limit)


def retry_entry(ctx: AppContext, uid: str) -> bool:
    """Queue a rejected decision again (same key); the next sync sends it."""
    return outbox.retry(ctx.sessions, uid)


# -- issuer profiles and sign-in ------------------------------------------------------------

def list_profiles(ctx: AppContext) -> list[IssuerProfile]:
    return issuer_profiles.list_profiles(ctx.sessions)


def get_profile(ctx: AppContext, name: str | None = None) -> IssuerProfile:
    return issuer_profiles.get_profile(ctx.sessions, name)


def add_profile(ctx: AppContext, name: str, kind: str, base_url: str, username: str, *,
                allow_http: bool = False, settings: dict[str, Any] | None = None,
                make_default: bool = False) -> IssuerProfile:
    return issuer_profiles.add_profile(ctx.sessions, name, kind, base_url, username,
                                allow_http=allow_http, settings=settings, make_default=make_default)


def update_profile(ctx: AppContext, name: str, **changes: Any) -> IssuerProfile:
    return issuer_profiles.update_profile(ctx.sessions, name, **changes)


def remove_profile(ctx: AppContext, name: str, store: TokenStore | None = None) -> None:
    issuer_profiles.get_profile(ctx.sessions, name)
    (store or default_store()).delete(name)
    issuer_profiles.remove_profile(ctx.sessions, name)


def login(ctx: AppContext, name: str | None, password: str, *, store: TokenStore | None = None,
          transport=None) -> IssuerProfile:  # noqa: ANN001
    """Sign in with the password (never stored); the tokens go to the keyring."""
    from reviewer_app.sync.adapters import make_adapter

    profile = issuer_profiles.get_profile(ctx.sessions, name)
    if not password:
        raise UserError("Give the password to sign in with.")
    store = store or default_store()
    check = getattr(store, "backend", None)
    if check is not None:
        check()  # no secure keyring: refuse before the issuer hands out tokens
    with make_adapter(profile, store, transport=transport) as adapter:
        adapter.sign_in(password)
    return profile


def logout(ctx: AppContext, name: str | None, *, store: TokenStore | None = None,
           transport=None) -> IssuerProfile:  # noqa: ANN001
    from reviewer_app.sync.adapters import make_adapter

    profile = issuer_profiles.get_profile(ctx.sessions, name)
    with make_adapter(profile, store or default_store(), transport=transport) as adapter:
        adapter.sign_out()
    return profile


def signed_in(ctx: AppContext, name: str | None = None, *, store: TokenStore | None = None) -> bool:
    profile = issuer_profiles.get_profile(ctx.sessions, name)
    return (store or default_store()).load(profile.name) is not None


# -- Open Badges 3.0 ----------------------------------------------------------------------

def open_badge(ctx: AppContext, submission_key: str, attempt: int | None = None, *,
               salt: str | None = None, store: Any = None) -> dict[str, Any]:
    """The signed OpenBadgeCredential for an earned final decision on an attempt.

    Issued by the organisation set up with ``issuer_identity.set_identity`` and signed with
    its key from this machine's keyring: only a lead assessor's database can do it.
    """
    from reviewer_app.services import issuer_identity
    from reviewer_app.services.roles import require_lead
    from reviewer_app.sync import ob3

    require_lead(ctx, "issue Open Badges")
    identity = issuer_identity.require_identity(ctx)
    with ctx.sessions() as session:
        entry = outbox.newest_entry(session, submission_key, attempt)
        if entry is None:
            raise NotFound(f"No final decision for submission {submission_key!r}"
                           + (f" attempt {attempt}" if attempt is not None else "") + ".")
        review = session.scalars(
            select(m.Review).where(m.Review.id == entry.review_id)
            .options(selectinload(m.Review.attempt).selectinload(m.Attempt.rubric)
                     .selectinload(m.Rubric.criteria).selectinload(m.Criterion.levels))).one()
        rubric_row = review.attempt.rubric
        rubric = {"id": rubric_row.key, "version": rubric_row.version, "title": rubric_row.title,
                  "criteria": [{"id": c.key, "title": c.title, "guidance": c.guidance,
                                "required_level": c.required_level,
                                "levels": [{"value": lv.value, "label": lv.label,
                                            "descriptor": lv.descriptor} for lv in c.levels]}
                               for c in rubric_row.criteria]}
        decision = json.loads(entry.payload_json)
        uid = entry.uid
    if decision.get("decision") != "earned":
        raise UserError(f"Submission {submission_key} attempt {decision.get('attempt')} was "
                        "decided \u201cnot yet\u201d: only an earned decision becomes an Open Badge.")
    recipient = outbox.recipient_for(ctx.sessions, decision["submission_id"], decision["attempt"])
    credential = ob3.open_badge_credential(
        decision, rubric, issuer_id=identity.id, issuer_name=identity.name,
        issuer_url=identity.url, credential_id=f"urn:uuid:{uid}", recipient=recipient, salt=salt,
        evidence_url=identity.evidence_link(decision["submission_id"], decision["attempt"]))
    return issuer_identity.sign_credential(ctx, credential, store=store)


def export_open_badge(ctx: AppContext, submission_key: str, out: Path, attempt: int | None = None,
                      **kwargs: Any) -> Path:
    from reviewer_app.store.atomic_files import atomic_text_file

    credential = open_badge(ctx, submission_key, attempt, **kwargs)
    with atomic_text_file(Path(out)) as fh:
        json.dump(credential, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return Path(out)
