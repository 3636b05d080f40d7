"""Tokens never reach the database, the logs or an export: every token the keyring ever held
in a busy session (sign-in, refreshes, faults, pull, exports) is searched for in every file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import reviewer_app.logs as app_logs
from reviewer_app.logs import setup_logging
from reviewer_app.services import issuer_identity, reviews, sync
from reviewer_app.services.review_exports import export_reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext
from reviewer_app.sync.reference_issuer.faults import FaultConfig
from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import FAST, ORG, USER, assign_on_issuer, bulk_decisions, sync_until_done


@pytest.fixture
def app_log(app: AppContext):
    """The app's own log file in its data folder, at DEBUG, as the CLI and window set it up."""
    root = logging.getLogger()
    level = root.level
    setup_logging(app.paths.log_file, level=logging.DEBUG)
    yield app.paths.log_file
    for handler in list(root.handlers):
        if getattr(handler, "_reviewer", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    app_logs._configured = None


def test_no_token_in_the_database_logs_or_exports(signed_in: AppContext, issuer: IssuerServer,
                                                  app_log: Path, memory_keyring, demo_packages,
                                                  tmp_path: Path):
    for package in demo_packages[:2]:
        issuer.store.add_package(package.read_bytes(), USER)
    keys = bulk_decisions(signed_in, 60)
    assign_on_issuer(issuer, keys[:55])
    issuer.faults.set(FaultConfig(error=0.1, drop=0.1, lose=0.1, expire=0.15, seed=7))
    sync_until_done(signed_in, settings=FAST)
    issuer.store.expire_access_tokens()
    issuer.faults.set(FaultConfig())
    review = reviews.start_review(signed_in, get_submission(signed_in, "DEMO-1002", 1).attempt_id)
    for crit, level in [("learning-goals", 3), ("checks-for-understanding", 3), ("feedback", 3),
                        ("adjusting-instruction", 3)]:
        reviews.set_level(signed_in, review.uid, crit, level)
    reviews.set_feedback(signed_in, review.uid, "Well done.")
    reviews.submit_review(signed_in, review.uid)
    report = sync.sync_now(signed_in, settings=FAST)
    assert report.refreshed >= 1
    exports = signed_in.paths.data_dir / "exports"
    export_reviews(signed_in, "csv", exports / "reviews.csv")
    export_reviews(signed_in, "json", exports / "reviews.json")
    issuer_identity.set_identity(signed_in, *ORG, "did:key")
    sync.export_open_badge(signed_in, keys[0], exports / "badge.json", 1)
    sync.logout(signed_in, "ref")

    tokens = set()
    for item in memory_keyring.history:
        import json

        data = json.loads(item)
        if "private" in data:  # the issuing organisation's signing key: no file holds it either
            tokens.add(data["private"])
            continue
        if "private_key" in data:  # the lead's own signing key (a lead's database): nor that
            tokens.add(data["private_key"])
            continue
        tokens |= {data["access_token"], data["refresh_token"]}
    assert len(tokens) >= 3  # the sign-in's pair and at least one refreshed access token
    assert app_log.stat().st_size > 0 and "access token refreshed" in app_log.read_text()
    searched = [p for p in signed_in.paths.data_dir.rglob("*") if p.is_file()]
    searched += [p for p in (tmp_path / "issuer").rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in searched) and any(p.name == "reviewer.log" for p in searched)
    assert {p.name for p in exports.iterdir()} == {"reviews.csv", "reviews.json", "badge.json"}
    for path in searched:
        content = path.read_bytes()
        for token in tokens:
            assert token.encode() not in content, f"a token is in {path}"
