"""Issuer profiles: which issuer to sync with, and how. Stored in the app's database.

A profile has a name, a kind (``reference``: the issuer API in ``openapi.yaml``; or
``badgr``: a Badgr v2 server, also behind Canvas Credentials), the issuer's base URL, the
user name, and the kind's options. Its tokens are NOT here: they are in the keyring
(``secrets.py``), under the profile's name. The first profile becomes the default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from reviewer_app.errors import NotFound, UserError
from reviewer_app.store import models as m
from reviewer_app.store.types import utcnow
from reviewer_app.sync.client import check_origin, check_url

KINDS = ("reference", "badgr")

#: Options each kind understands, with their defaults.
BADGR_DEFAULTS: dict[str, Any] = {
    "client_id": "public",
    "scope": "rw:issuer",
    # credential id (from the package) -> Badgr badge class entityId
    "badge_classes": {},
    # evidence link, with {submission_id} and {attempt}: e.g. https://lms.example/s/{submission_id}
    "evidence_url": None,
    # recipient identity hashed by the Badgr server (email and telephone), as its default
    "recipient_hashed": True,
    # what of the decision the assertion's public evidence tells: decision | levels | full
    # (full: the feedback written for the candidate too)
    "public_evidence": "decision",
    # sites (origins) package links may lead to, fetched without the sign-in
    "download_hosts": [],
}
REFERENCE_DEFAULTS: dict[str, Any] = {"pull": True, "download_hosts": []}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class IssuerProfile:
    name: str
    kind: str
    base_url: str
    username: str
    allow_http: bool = False
    is_default: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    pull_cursor: str | None = None
    last_sync_at: datetime | None = None

    def option(self, key: str) -> Any:
        defaults = BADGR_DEFAULTS if self.kind == "badgr" else REFERENCE_DEFAULTS
        return self.settings.get(key, defaults.get(key))


def _view(row: m.IssuerProfile) -> IssuerProfile:
    try:
        settings = json.loads(row.settings_json or "{}")
    except ValueError:
        settings = {}
    return IssuerProfile(row.name, row.kind, row.base_url, row.username, row.allow_http,
                         row.is_default, settings, row.pull_cursor, row.last_sync_at)


def _validate(name: str, kind: str, base_url: str, username: str, allow_http: bool) -> str:
    if not _NAME.match(name or ""):
        raise UserError(f"An issuer profile name is letters, digits, '.', '_' or '-' "
                        f"(got {name!r}).")
    if kind not in KINDS:
        raise UserError(f"Unknown issuer kind {kind!r}: use {' or '.join(KINDS)}.")
    if not username.strip():
        raise UserError("Give the user name you sign in to the issuer with.")
    return str(check_url(base_url, allow_http=allow_http)).rstrip("/")


def _settings_for(kind: str, settings: dict[str, Any] | None, allow_http: bool = False) -> dict[str, Any]:
    known = BADGR_DEFAULTS if kind == "badgr" else REFERENCE_DEFAULTS
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise UserError(f"Issuer kind {kind!r} has no option {unknown[0]!r}.")
    hosts = settings.get("download_hosts") or []
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise UserError("Download hosts are a list of sites, as https://downloads.example.org.")
    if hosts:
        settings["download_hosts"] = sorted({check_origin(h, allow_http=allow_http) for h in hosts})
    if kind == "badgr":
        classes = settings.get("badge_classes", {})
        if not isinstance(classes, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in classes.items()):
            raise UserError("Badge classes map a credential id to a Badgr badge class entityId.")
        if settings.get("public_evidence", "decision") not in ("decision", "levels", "full"):
            raise UserError("Public evidence is one of: decision, levels, full.")
        template = settings.get("evidence_url")
        if template:
            check_url(template.replace("{submission_id}", "x").replace("{attempt}", "1"))
    return settings


def list_profiles(sessions) -> list[IssuerProfile]:  # noqa: ANN001
    with sessions() as session:
        return [_view(r) for r in session.scalars(select(m.IssuerProfile).order_by(m.IssuerProfile.name))]


def get_profile(sessions, name: str | None = None) -> IssuerProfile:  # noqa: ANN001
    """The named profile, or the default one; a ``UserError`` says how to make one."""
    with sessions() as session:
        stmt = select(m.IssuerProfile)
        stmt = stmt.where(m.IssuerProfile.name == name) if name else \
            stmt.order_by(m.IssuerProfile.is_default.desc(), m.IssuerProfile.id)
        row = session.scalars(stmt).first()
        if row is None:
            if name:
                raise NotFound(f"No issuer profile {name!r} (reviewer-app issuer list shows them).")
            raise UserError("No issuer is set up yet: reviewer-app issuer add NAME --url URL "
                            "--username USER, then reviewer-app issuer login NAME.")
        return _view(row)


def find_default(sessions) -> IssuerProfile | None:  # noqa: ANN001
    try:
        return get_profile(sessions)
    except UserError:
        return None


def add_profile(sessions, name: str, kind: str, base_url: str, username: str, *,  # noqa: ANN001
                allow_http: bool = False, settings: dict[str, Any] | None = None,
                make_default: bool = False) -> IssuerProfile:
    url = _validate(name, kind, base_url, username, allow_http)
    settings = _settings_for(kind, settings, allow_http)
    with sessions() as session, session.begin():
        if session.scalars(select(m.IssuerProfile).where(m.IssuerProfile.name == name)).first():
            raise UserError(f"There is already an issuer profile {name!r}.")
        first = session.scalars(select(m.IssuerProfile.id)).first() is None
        if make_default:
            session.execute(update(m.IssuerProfile).values(is_default=False))
        row = m.IssuerProfile(name=name, kind=kind, base_url=url, username=username.strip(),
                              allow_http=allow_http, is_default=make_default or first,
                              settings_json=json.dumps(settings, sort_keys=True), created_at=utcnow())
        session.add(row)
        session.flush()
        return _view(row)


def update_profile(sessions, name: str, *, base_url: str | None = None,  # noqa: ANN001
                   username: str | None = None, allow_http: bool | None = None,
                   settings: dict[str, Any] | None = None, make_default: bool = False) -> IssuerProfile:
    with sessions() as session, session.begin():
        row = session.scalars(select(m.IssuerProfile).where(m.IssuerProfile.name == name)).first()
        if row is None:
            raise NotFound(f"No issuer profile {name!r}.")
        new_allow = row.allow_http if allow_http is None else allow_http
        new_url = _validate(name, row.kind, base_url or row.base_url, username or row.username,
                            new_allow)
        if settings is None and new_allow != row.allow_http:
            settings = _view(row).settings  # checked again: http hosts need allow_http
        if new_url != row.base_url:
            row.pull_cursor = None  # another server: start its list from the beginning
        row.base_url, row.allow_http = new_url, new_allow
        if username:
            row.username = username.strip()
        if settings is not None:
            row.settings_json = json.dumps(_settings_for(row.kind, settings, new_allow), sort_keys=True)
        if make_default:
            session.execute(update(m.IssuerProfile).values(is_default=False))
            row.is_default = True
        session.flush()
        return _view(row)


def remove_profile(sessions, name: str) -> None:  # noqa: ANN001
    with sessions() as session, session.begin():
        row = session.scalars(select(m.IssuerProfile).where(m.IssuerProfile.name == name)).first()
        if row is None:
            raise NotFound(f"No issuer profile {name!r}.")
        was_default = row.is_default
        session.delete(row)
        session.flush()
        if was_default:
            other = session.scalars(select(m.IssuerProfile).order_by(m.IssuerProfile.id)).first()
            if other is not None:
                other.is_default = True


def set_pull_cursor(sessions, name: str, cursor: str | None) -> None:  # noqa: ANN001
    with sessions() as session, session.begin():
        session.execute(update(m.IssuerProfile).where(m.IssuerProfile.name == name)
                        .values(pull_cursor=cursor))


def mark_synced(sessions, name: str, when: datetime | None = None) -> None:  # noqa: ANN001
    with sessions() as session, session.begin():
        session.execute(update(m.IssuerProfile).where(m.IssuerProfile.name == name)
                        .values(last_sync_at=when or utcnow()))
