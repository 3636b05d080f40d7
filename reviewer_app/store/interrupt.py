"""Queries that stop when their job is cancelled, not only have their answer ignored.

SQLite calls a progress handler every few hundred virtual-machine steps; ours returns
true once the job is cancelled, and SQLite abandons the statement at once ("interrupted"),
freeing the worker thread and the connection for the query that replaced it. A job
cancelled before its query starts never runs it. Elsewhere (PostgreSQL) the job is
checked before and after the statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from reviewer_app.errors import Cancelled
from reviewer_app.jobs import Job

STEPS = 1000  # SQLite virtual-machine instructions between looks at the cancel flag


@contextmanager
def interruptible(session: Session, job: Job | None) -> Iterator[None]:
    """Statements run inside stop with ``Cancelled`` when ``job`` is cancelled."""
    if job is None:
        yield
        return
    job.check()
    connection = session.connection()
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if raw is not None:
        raw.set_progress_handler(lambda: 1 if job.cancelled else 0, STEPS)
    try:
        yield
    except OperationalError as exc:
        if job.cancelled and "interrupt" in str(exc.orig):
            raise Cancelled() from exc
        raise
    finally:
        if raw is not None:
            raw.set_progress_handler(None, STEPS)
    job.check()
