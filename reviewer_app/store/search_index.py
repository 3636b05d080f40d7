"""The queue's search index: SQLite FTS5 with the trigram tokenizer over submission ids.

A trigram index finds a piece of text anywhere in an id (``0421`` in ``BULK-004213``),
case-insensitively, without reading every row: what ``LIKE '%text%'`` does by scanning.
It is an external-content table over ``submission`` (the ids are stored once), kept in
step by the triggers below, so every writer (imports, restores, tests inserting rows in
bulk) keeps it right without knowing it exists. Migration 0011 creates and fills it.

Texts shorter than three characters have no trigram; the service then falls back to
``LIKE``. PostgreSQL has no such table: the service uses ``ILIKE`` there.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

TABLE = "submission_search"
MIN_LENGTH = 3  # characters of a trigram

CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(key, content='submission', content_rowid='id', "
    "tokenize='trigram')",
    f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON submission BEGIN "
    f"INSERT INTO {TABLE}(rowid, key) VALUES (new.id, new.key); END",
    f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON submission BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, key) VALUES ('delete', old.id, old.key); END",
    f"CREATE TRIGGER {TABLE}_au AFTER UPDATE OF key ON submission BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, key) VALUES ('delete', old.id, old.key); "
    f"INSERT INTO {TABLE}(rowid, key) VALUES (new.id, new.key); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",  # existing rows
]
DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_{t}" for t in ("ai", "ad", "au")] + [
    f"DROP TABLE IF EXISTS {TABLE}"]


def supported(conn: Connection) -> bool:
    """SQLite built with FTS5 and its trigram tokenizer (3.34 and later)."""
    if conn.dialect.name != "sqlite":
        return False
    options = {r[0] for r in conn.exec_driver_sql("PRAGMA compile_options")}
    version = tuple(int(p) for p in conn.exec_driver_sql("SELECT sqlite_version()").scalar().split("."))
    return "ENABLE_FTS5" in options and version >= (3, 34)


def create(conn: Connection) -> None:
    if supported(conn):
        for statement in CREATE:
            conn.exec_driver_sql(statement)


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for statement in DROP:
            conn.exec_driver_sql(statement)


def present(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    return session.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
                           {"n": TABLE}).first() is not None


def is_index_table(name: str | None) -> bool:
    """The index and the shadow tables FTS5 keeps beside it (no models: Alembic skips them)."""
    return bool(name) and (name == TABLE or name.startswith(TABLE + "_"))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: models do not describe the index, so comparisons leave it out."""
    return not (type_ == "table" and is_index_table(name))


def phrase(text_: str) -> str:
    """``text_`` as one FTS5 phrase: quotes doubled, so operators and ``*`` are plain text."""
    return '"' + text_.replace('"', '""') + '"'
