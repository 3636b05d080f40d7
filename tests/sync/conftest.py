"""Fixtures for the sync tests: a test keyring, the reference issuer on loopback, an app
signed in to it, and decisions made in bulk. Everything goes over real HTTP on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext
from reviewer_app.sync.reference_issuer.server import IssuerConfig, IssuerServer

from support import FAST, PASSWORD, USER, add_and_login, make_lead, score_earned
from sync_test_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every sync test gets an empty in-memory keyring (the real one is never touched)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[IssuerServer]:
    """The reference issuer on 127.0.0.1 (a free port), in a background thread."""
    server = IssuerServer(IssuerConfig(tmp_path / "issuer", users=[(USER, PASSWORD)])).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppContext]:
    """A lead assessor's app: only a lead's final decisions are queued for the issuer."""
    ctx = AppContext.open(resolve_paths(data_dir=tmp_path / "data"))
    try:
        yield make_lead(ctx)
    finally:
        ctx.close()


@pytest.fixture
def demo_ctx(demo_data_dir: Path) -> Iterator[AppContext]:
    """The demo data in a lead assessor's app: the demo's submitted review is a final
    decision, queued (a reviewer's submit queues nothing; see test_outbox)."""
    ctx = AppContext.open(resolve_paths(data_dir=demo_data_dir))
    try:
        yield make_lead(ctx)
    finally:
        ctx.close()


@pytest.fixture
def scored(demo_ctx: AppContext) -> AppContext:
    """The demo in a lead's database, with attempt 2 of DEMO-1002 decided "earned" (the
    candidate's feedback says "zebra", which no public credential may carry)."""
    score_earned(demo_ctx, "Private to Sam: keep the zebra exit tickets.")
    return demo_ctx


@pytest.fixture
def signed_in(app: AppContext, issuer: IssuerServer) -> AppContext:
    """The app with a default profile "ref" for the issuer, signed in."""
    add_and_login(app, issuer)
    return app


__all__ = ["FAST"]
