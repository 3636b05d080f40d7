"""Engines and sessions.

SQLite gets WAL, ``synchronous=FULL`` (a committed score survives a power cut),
foreign keys and a busy timeout on every connection, and real transactions: the
driver's implicit transaction handling is switched off and ``BEGIN`` is emitted by
SQLAlchemy, so DDL (migrations) and SAVEPOINTs are transactional too (the recipe in
SQLAlchemy's SQLite dialect documentation).

A transaction on a writing engine starts with ``BEGIN IMMEDIATE``: it takes the write lock
up front, so a second process waits its turn (the busy timeout applies) instead of failing
with "database is locked" when a deferred transaction that has read tries to write. An
engine opened ``read_only`` starts deferred transactions, and with ``exclusive`` keeps the
WAL index in its own memory (``locking_mode=EXCLUSIVE``): that is how a read-only command
still reads the database on a full disk, where the shared ``-shm`` file cannot grow.

A storage fault (read-only file, disk error) invalidates the pooled connections, so the
next attempt opens the file afresh: SQLite opens a file it cannot write read-only, and
would stay so after the reviewer fixed the permissions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from reviewer_app.store.faults import fault_kind

BUSY_TIMEOUT_S = 30


def make_engine(url: str, *, echo: bool = False, read_only: bool = False,
                exclusive: bool = False, refuse_writes: bool = False) -> Engine:
    """``refuse_writes``: SQLite opens the file read-only (``mode=ro``), so every write fails."""
    if url.startswith("sqlite"):
        options: dict = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
        path = make_url(url).database
        if refuse_writes and path and path != ":memory:":
            uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
            options["creator"] = lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S,
                                                         check_same_thread=False)
            read_only = True
        engine = create_engine(url, echo=echo, **options)
        _configure_sqlite(engine, read_only=read_only, exclusive=exclusive)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine, *, read_only: bool, exclusive: bool) -> None:
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API object
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            if exclusive:  # before the first access: the WAL index then lives in memory
                cursor.execute("PRAGMA locking_mode=EXCLUSIVE")
            if not read_only:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # noqa: ANN001
        connection.exec_driver_sql(begin)

    @event.listens_for(engine, "handle_error")
    def _on_error(context) -> None:  # noqa: ANN001 - ExceptionContext
        if fault_kind(context.original_exception) in REOPEN_ON:
            context.is_disconnect = True  # the pool drops its connections: next time, afresh


REOPEN_ON = {"readonly", "io", "full", "damaged"}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services hand detached, fully loaded values to the CLI and GUI.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One short-lived session and transaction: committed on success, rolled back otherwise."""
    with factory() as session, session.begin():
        yield session
