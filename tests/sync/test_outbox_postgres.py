"""The outbox and a sync pass on a real PostgreSQL server (``.ci/run`` starts one): the
frozen-payload trigger, claiming with SKIP LOCKED, exactly once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from reviewer_app.config import resolve_paths
from reviewer_app.services.context import AppContext
from reviewer_app.sync import outbox, service
from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import FAST, add_and_login, assign_on_issuer, bulk_decisions

URL = os.environ.get("REVIEWER_APP_TEST_DATABASE_URL", "")
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not URL.startswith("postgresql"),
                                 reason="set REVIEWER_APP_TEST_DATABASE_URL to a PostgreSQL URL")]


@pytest.fixture
def pg_app(tmp_path: Path) -> Iterator[AppContext]:
    schema = f"s_{uuid.uuid4().hex[:16]}"
    admin = create_engine(URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(URL).update_query_dict({"options": f"-csearch_path={schema}"})
    ctx = AppContext.open(resolve_paths(data_dir=tmp_path / "data",
                                        database_url=url.render_as_string(hide_password=False)))
    try:
        yield ctx
    finally:
        ctx.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
    report = service.sync_now(pg_app, settings=FAST)
    assert (report.accepted, report.pending) == (120, 0)
    stored = issuer.store.decisions()
    assert len({d["idempotency_key"] for d in stored}) == len(stored) == 120
