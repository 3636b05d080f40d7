"""The queue's search: an index for existing databases (migration 0011), kept in step by
every insert, update and delete, answering exactly what a substring search would, and a
query that stops when its job is cancelled rather than running on."""

from __future__ import annotations

import time

import pytest
from alembic import command
from sqlalchemy import event, text

from reviewer_app.config import resolve_paths
from reviewer_app.errors import Cancelled
from reviewer_app.jobs import Job
from reviewer_app.services import submissions as svc
from reviewer_app.store import search_index
from reviewer_app.store.context import AppContext
from reviewer_app.store.migrate import alembic_config

from postgres_support import PG_URL, PG_URL_ENV
from queue_support import add_bulk_attempts


def _keys(ctx: AppContext, search: str) -> set[str]:
    return {r.key for r in svc.list_submissions(ctx, svc.QueueQuery(search=search))}


def _expected(ctx: AppContext, search: str) -> set[str]:
    """What a plain substring search over every row finds (the oracle)."""
    needle = search.replace("\x00", "").strip().lower()
    return {r.key for r in svc.list_submissions(ctx)
            if needle in r.key.lower() or needle in r.credential_title.lower()}


SEARCHES = ["1002", "demo-1", "EMO", "emo-100", "0", "10", "Discussion", "zzz", '"', '"1002"',
            "*", "10*", "%", "_", "\\", "'", "NEAR(DEMO 1002)", "1002 OR 2001", "DEMO-1002 ",
            "-", "D\u00e9mo", "\u0000"]


def test_an_existing_database_gets_the_index_and_search_finds_what_a_scan_would(demo_data_dir):
    paths = resolve_paths(data_dir=demo_data_dir)
    with AppContext.open(paths) as ctx:  # as a database before 0011: no index
        cfg = alembic_config()
        with ctx.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with ctx.sessions() as session:
            assert not search_index.present(session)
        before = {s: _expected(ctx, s) for s in SEARCHES}
    with AppContext.open(paths) as ctx:  # opening upgrades: the index is built from the rows
        with ctx.sessions() as session:
            assert search_index.present(session)
            indexed = session.execute(text(
                f"SELECT count(*) FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH '\"DEMO\"'"
            )).scalar()
            assert indexed == session.execute(text("SELECT count(*) FROM submission")).scalar() > 0
        for search in SEARCHES:
            assert _keys(ctx, search) == before[search] == _expected(ctx, search), search
        assert _keys(ctx, "1002") == {"DEMO-1002"}


def test_the_index_follows_inserts_renames_and_deletes(demo_ctx):
    add_bulk_attempts(demo_ctx, 50)
    assert _keys(demo_ctx, "BULK-00004") == {f"BULK-0000{i}" for i in range(40, 50)}
    with demo_ctx.transaction() as s:
        s.execute(text("UPDATE submission SET key = 'RENAMED-77' WHERE key = 'BULK-000042'"))
        s.execute(text("DELETE FROM attempt WHERE submission_id = "
                       "(SELECT id FROM submission WHERE key = 'BULK-000043')"))
        s.execute(text("DELETE FROM submission WHERE key = 'BULK-000043'"))
    assert _keys(demo_ctx, "BULK-00004") == {f"BULK-0000{i}" for i in range(40, 50)} - {
        "BULK-000042", "BULK-000043"}
    assert _keys(demo_ctx, "named-7") == {"RENAMED-77"}
    with demo_ctx.sessions() as session:
        integrity = session.execute(text(
            f"INSERT INTO {search_index.TABLE}({search_index.TABLE}, rank) VALUES ('integrity-check', 1)"))
        assert integrity is not None  # raises when the index and the table disagree


def test_many_matches_are_paged_in_order_and_counted(demo_ctx):
    add_bulk_attempts(demo_ctx, 6000)  # more than the ids looked up one by one
    query = svc.QueueQuery(search="BULK-00", sort="key")
    page = svc.list_submissions(demo_ctx, query, offset=100, limit=50)
    assert [r.key for r in page] == [f"BULK-{i:06d}" for i in range(100, 150)]
    assert svc.count_submissions(demo_ctx, query) == 6000
    assert svc.count_submissions(demo_ctx, svc.QueueQuery(search="ULK-0059")) == 100


@pytest.fixture(scope="module")
def big_ctx(tmp_path_factory):
    from reviewer_app.services.demo import load_demo

    with AppContext.open(resolve_paths(data_dir=tmp_path_factory.mktemp("big") / "data")) as ctx:
        load_demo(ctx)
        add_bulk_attempts(ctx, 100_000)
        yield ctx


def test_a_cancelled_count_is_interrupted_not_left_to_finish(big_ctx):
    query = svc.QueueQuery(search="7")  # one character: every id is read
    t = time.perf_counter()
    total = svc.count_submissions(big_ctx, query, job=Job())
    whole = time.perf_counter() - t
    assert total > 10_000
    job = Job()
    started: list[float] = []

    def cancel_as_it_starts(conn, cursor, statement, *args) -> None:
        # The count's statement is handed to SQLite with its job already cancelled: only
        # SQLite itself, looking at the job as it runs, can stop it now.
        if statement.lstrip().upper().startswith("SELECT COUNT"):
            started.append(time.perf_counter())
            job.cancel()

    event.listen(big_ctx.engine, "before_cursor_execute", cancel_as_it_starts)
    try:
        with pytest.raises(Cancelled) as raised:
            svc.count_submissions(big_ctx, query, job=job)
        stopped = time.perf_counter() - started[0]
    finally:
        event.remove(big_ctx.engine, "before_cursor_execute", cancel_as_it_starts)
    # SQLite itself stopped mid-statement...
    assert "interrupted" in str(raised.value.__cause__)
    assert stopped < whole / 5, (stopped, whole)
    # ...and the pooled connection is fine for the next query, with nothing left behind.
    assert svc.count_submissions(big_ctx, query) == total
    with pytest.raises(Cancelled):  # a job cancelled before its query never runs it
        svc.list_submissions(big_ctx, query, job=job)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason=f"set {PG_URL_ENV} to a PostgreSQL URL")
def test_search_and_filters_on_postgresql_find_what_a_scan_would(pg_paths, demo_packages):
    from reviewer_app.domain.model import SubmissionStatus
    from reviewer_app.services.imports import import_package

    with AppContext.open(pg_paths) as ctx:
        for package in demo_packages:
            import_package(ctx, package)
        with ctx.sessions() as session:
            assert not search_index.present(session)  # ILIKE there, behind the same function
        for search in SEARCHES:
            assert _keys(ctx, search) == _expected(ctx, search), search
        query = svc.QueueQuery(search="100", status=SubmissionStatus.NEW)
        assert svc.count_submissions(ctx, query, job=Job()) == len(svc.list_submissions(ctx, query)) > 0
        job = Job()
        job.cancel()
        with pytest.raises(Cancelled):
            svc.count_submissions(ctx, query, job=job)
