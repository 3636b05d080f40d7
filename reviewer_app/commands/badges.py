"""``reviewer-app issuer identity``, ``issuer ob3`` and ``issuer badge``: signed Open Badges
3.0 credentials, made here or issued by the issuer.

Added to the ``issuer`` command's actions by ``reviewer_app.commands.issuer`` (``add_issuer_actions``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.config import AppPaths

if TYPE_CHECKING:
    from reviewer_app.services.issuer_identity import IssuerIdentity

EXIT_OK = 0


def add_issuer_actions(isub: argparse._SubParsersAction) -> None:
    q = isub.add_parser("identity", help="the organisation that signs Open Badges (lead assessors, "
                                         "on the machine that issues): show, set")
    iact = q.add_subparsers(dest="identity_command", metavar="ACTION", required=True)
    r = iact.add_parser("show", help="show the issuing organisation and its public key")
    r.add_argument("--did-document", type=Path, metavar="FILE",
                   help="write the DID document to publish (did.json) to FILE")
    r.set_defaults(func=cmd_identity_show)
    r = iact.add_parser("set", help="set the issuing organisation; makes its signing key in this "
                                    "machine's keyring the first time")
    r.add_argument("--name", required=True, help="the organisation's name, as badges show it")
    r.add_argument("--url", required=True, help="its web site (https://...)")
    r.add_argument("--id", required=True, dest="issuer_id", metavar="ID",
                   help="did:web:DOMAIN (publish the DID document there), an https:// profile "
                        "URL, or did:key (tests and trials)")
    r.add_argument("--new-key", action="store_true",
                   help="make a new signing key (publish the new DID document afterwards)")
    r.add_argument("--evidence-url", metavar="TEMPLATE",
                   help="public link to a submission's evidence, with {submission_id} and "
                        "{attempt} (empty: none)")
    r.add_argument("--did-document", type=Path, metavar="FILE",
                   help="also write the DID document to publish (did.json) to FILE")
    r.set_defaults(func=cmd_identity_set)

    q = isub.add_parser("ob3", help="issue an earned final decision as a signed Open Badges 3.0 "
                                    "credential (JSON)")
    q.add_argument("id", metavar="ID", help="a submission id")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest decided)")
    q.add_argument("--out", type=Path, required=True, metavar="FILE")
    q.set_defaults(func=cmd_issuer_ob3)

    q = isub.add_parser("badge", help="the Open Badge the issuer issued for a delivered decision "
                                      "(fetched from the issuer once and checked)")
    q.add_argument("id", metavar="ID", help="a submission id")
    q.add_argument("--attempt", type=int, help="which attempt (default: the latest delivered)")
    q.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE (default: print it)")
    q.set_defaults(func=cmd_issuer_badge)


def _write_json(path: Path, value: dict) -> None:
    from reviewer_app.store.atomic_files import atomic_text_file

    with atomic_text_file(path) as fh:
        json.dump(value, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def _print_identity(identity: IssuerIdentity, did_document: Path | None) -> None:
    from reviewer_app.services.issuer_identity import did_document as document
    from reviewer_app.services.issuer_identity import did_web_address

    print(f"Issuer:  {identity.name} <{identity.url}>")
    print(f"Id:      {identity.id}")
    print(f"Key:     {identity.verification_method}")
    if identity.evidence_url:
        print(f"Evidence: {identity.evidence_url}")
    where = did_web_address(identity.id) or (identity.id if identity.id.startswith("https://") else None)
    if where:
        print(f"Publish the DID document at {where}"
              + ("" if did_document else " (--did-document FILE writes it)"))
    if did_document:
        _write_json(did_document, document(identity))
        print(f"Wrote the DID document to {did_document}")


def cmd_identity_show(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.issuer_identity import require_identity

    with open_context(paths) as ctx:
        identity = require_identity(ctx)
    _print_identity(identity, args.did_document)
    return EXIT_OK


def cmd_identity_set(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.issuer_identity import set_identity

    with open_context(paths) as ctx:
        identity = set_identity(ctx, args.name, args.url, args.issuer_id, new_key=args.new_key,
                                evidence_url=args.evidence_url)
    _print_identity(identity, args.did_document)
    return EXIT_OK


def cmd_issuer_ob3(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.services.sync import export_open_badge

    with open_context(paths) as ctx:
        out = export_open_badge(ctx, args.id, args.out, args.attempt)
    print(f"Wrote a signed Open Badges 3.0 credential to {out}", file=sys.stdout)
    return EXIT_OK


def cmd_issuer_badge(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.commands.storage import open_context
    from reviewer_app.sync.issued_badges import issued_badge

    with open_context(paths) as ctx:
        badge = issued_badge(ctx, args.id, args.attempt)
    if args.out:
        _write_json(args.out, badge)
        print(f"Wrote the Open Badge {badge.get('id')} issued by {badge['issuer'].get('name')} "
              f"({badge['issuer'].get('id')}) to {args.out}")
    else:
        print(json.dumps(badge, ensure_ascii=False, indent=2))
    return EXIT_OK
