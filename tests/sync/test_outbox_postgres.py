"""The outbox and a sync pass on a real PostgreSQL server (``.ci/run`` starts one): the
frozen-payload trigger, claiming with SKIP LOCKED, exactly once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox
from reviewer_app.sync.reference_issuer.server import IssuerServer

from postgres_support import needs_postgres
from support import FAST, add_and_login, assign_on_issuer, bulk_decisions

pytestmark = needs_postgres


@pytest.fixture
def pg_app(pg_paths) -> Iterator[AppContext]:
    with AppContext.open(pg_paths) as ctx:
        yield ctx


def test_sync_from_postgresql_delivers_each_decision_once(pg_app: AppContext, issuer: IssuerServer):
    assert pg_app.engine.dialect.name == "postgresql"
    add_and_login(pg_app, issuer)
    keys = bulk_decisions(pg_app, 120)
    assign_on_issuer(issuer, keys)
    with pytest.raises(DBAPIError, match="never change"):
        with pg_app.engine.begin() as conn:
            conn.execute(text("UPDATE sync_outbox SET payload_json = '{}'"))
    first = outbox.claim(pg_app.sessions, 50, "a")
    second = outbox.claim(pg_app.sessions, 100, "b")
    assert len(first) == 50 and len(second) == 70
    assert not {e.uid for e in first} & {e.uid for e in second}
    assert outbox.recover(pg_app.sessions) == 120
    report = sync.sync_now(pg_app, settings=FAST)
    assert (report.accepted, report.pending) == (120, 0)
    stored = issuer.store.decisions()
    assert len({d["idempotency_key"] for d in stored}) == len(stored) == 120
