"""Alembic environment: always run through ``reviewer_app.store.migrate`` (one connection,
one transaction), or by developers with ``alembic -x url=sqlite:///path upgrade head``."""

from alembic import context
from sqlalchemy import create_engine

from reviewer_app.store.models import Base
from reviewer_app.store.search_index import include_name

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
        include_name=include_name,
        transaction_per_migration=False,
        # The caller's connection is inside one real transaction (SQLite included: see
        # store/db.py), so the whole upgrade commits or rolls back as one.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give a database: alembic -x url=sqlite:///path/to/reviewer.sqlite3 ...")
    from reviewer_app.store.db import make_engine

    engine = make_engine(url) if url.startswith("sqlite") else create_engine(url)
    with engine.begin() as conn:
        _run(conn)
