"""Issuer adapters: the reference issuer API (``reference``) and Badgr v2 (``badgr``)."""

from __future__ import annotations

from reviewer_app.sync.adapters.base import IssuerAdapter, RecipientLookup
from reviewer_app.sync.issuer_profiles import IssuerProfile
from reviewer_app.sync.secrets import TokenStore


def make_adapter(profile: IssuerProfile, store: TokenStore, *,
                 recipient_lookup: RecipientLookup | None = None, transport=None) -> IssuerAdapter:  # noqa: ANN001
    if profile.kind == "badgr":
        from reviewer_app.sync.adapters.badgr import BadgrAdapter

        return BadgrAdapter(profile, store, recipient_lookup=recipient_lookup, transport=transport)
    from reviewer_app.sync.adapters.reference import ReferenceAdapter

    return ReferenceAdapter(profile, store, recipient_lookup=recipient_lookup, transport=transport)


__all__ = ["IssuerAdapter", "make_adapter"]
