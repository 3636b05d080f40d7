"""The options of ``reviewer-app issuer add`` and ``issuer set``, and the profile
settings they make (the commands themselves are in ``reviewer_app.commands.issuer``)."""

from __future__ import annotations

import argparse

from reviewer_app.errors import UserError


def add_profile_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--allow-http", action=argparse.BooleanOptionalAction, default=None,
                   help="allow plain http to this (non-local) host: tokens would travel unprotected")
    q.add_argument("--default", action="store_true", help="make it the default profile")
    q.add_argument("--badge-class", action="append", default=[], metavar="CREDENTIAL=ENTITYID",
                   help="Badgr: the badge class awarded for a credential (repeatable)")
    q.add_argument("--evidence-url", metavar="TEMPLATE",
                   help="Badgr: evidence link, with {submission_id} and {attempt}")
    q.add_argument("--hash-recipient", action=argparse.BooleanOptionalAction, default=None,
                   help="Badgr: have the recipient's email hashed (default: yes)")
    q.add_argument("--public-evidence", choices=("decision", "levels", "full"),
                   help="Badgr: what the badge's public evidence tells (default: the decision)")
    q.add_argument("--download-host", action="append", default=[], metavar="SITE",
                   help="another site package links may lead to, fetched without the sign-in "
                        "(repeatable; 'none' forgets them all)")


def profile_settings(args: argparse.Namespace, kind: str, current: dict | None = None) -> dict:
    settings = dict(current or {})
    for host in args.download_host:
        settings["download_hosts"] = [] if host.lower() == "none" else \
            [*settings.get("download_hosts", []), host]
    if kind != "badgr":
        if args.badge_class or args.evidence_url or args.hash_recipient is not None or args.public_evidence:
            raise UserError("--badge-class, --evidence-url, --hash-recipient and --public-evidence "
                            "are for Badgr profiles.")
        return settings
    classes = dict(settings.get("badge_classes", {}))
    for item in args.badge_class:
        credential, sep, entity = item.partition("=")
        if not sep or not credential.strip() or not entity.strip():
            raise UserError(f"--badge-class takes CREDENTIAL=ENTITYID (got {item!r}).")
        classes[credential.strip()] = entity.strip()
    settings["badge_classes"] = classes
    if args.evidence_url is not None:
        settings["evidence_url"] = args.evidence_url or None
    if args.hash_recipient is not None:
        settings["recipient_hashed"] = args.hash_recipient
    if args.public_evidence:
        settings["public_evidence"] = args.public_evidence
    return settings
