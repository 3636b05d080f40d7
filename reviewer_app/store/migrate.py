"""Bring a database to the newest schema, safely.

At every start: if the database is behind, an SQLite database file is first copied
(SQLite's online backup API, so a WAL file is included) into ``backups/`` beside it,
then every pending Alembic revision runs inside one transaction: either the whole
upgrade lands or none of it does. A database written by a newer version of the app is
refused rather than touched.

Alembic (about 0.2 s to import, as much again to run the revisions) is not needed on the
common paths: a database already at ``schema_head.HEAD_REVISION`` is recognised by one
read of ``alembic_version``, and a new, empty SQLite database gets the head schema from
``schema_head.SQLITE_SCHEMA`` (what the revisions leave, ``sqlite_master`` as it is: a
test proves the two identical) in one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError

from reviewer_app.errors import StoreError
from reviewer_app.store.schema_head import HEAD_REVISION, SQLITE_SCHEMA

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
KEEP_BACKUPS = 5
#: The revision that made reviewers' databases blind (``0008_blind_by_design``): upgrading
#: past it erases the identities from the backups made before it too.
BLIND_REVISION = "0008"


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def head_revision() -> str:
    """The newest revision this app knows (a test checks it against Alembic's scripts)."""
    return HEAD_REVISION


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _stored_revision(conn)


def _stored_revision(conn: Connection) -> str | None:
    """What Alembic's ``get_current_revision`` reads, without importing Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    if len(rows) > 1:
        raise StoreError("This database records more than one schema revision: "
                         f"{', '.join(r[0] for r in rows)}")
    return rows[0][0] if rows else None


def upgrade(engine: Engine, *, target: str = "head", sqlite_path: Path | None = None,
            backup_dir: Path | None = None, script_location: Path = MIGRATIONS_DIR) -> str | None:
    """Upgrade to ``target``; returns the path of the backup made, if one was."""
    if script_location == MIGRATIONS_DIR and target in ("head", HEAD_REVISION):
        current = current_revision(engine)
        if current == HEAD_REVISION:
            return None
        if current is None and engine.dialect.name == "sqlite" and create_at_head(engine):
            return None
    return upgrade_with_alembic(engine, target=target, sqlite_path=sqlite_path,
                                backup_dir=backup_dir, script_location=script_location)


def create_at_head(engine: Engine) -> bool:
    """Give an empty SQLite database the head schema in one transaction; False (and nothing
    changed) when the database is not empty or this SQLite cannot make the schema (no FTS5:
    the revisions then make what it can)."""
    try:
        with engine.begin() as conn:  # BEGIN IMMEDIATE: no other process creates it meanwhile
            if conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar():
                return False
            for statement in SQLITE_SCHEMA:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (?)",
                                 (HEAD_REVISION,))
    except DBAPIError as exc:
        log.info("creating the schema directly failed (%s); running the migrations", exc.orig)
        return False
    log.info("created the database schema at revision %s", HEAD_REVISION)
    return True


def upgrade_with_alembic(engine: Engine, *, target: str = "head", sqlite_path: Path | None = None,
                         backup_dir: Path | None = None,
                         script_location: Path = MIGRATIONS_DIR) -> str | None:
    """Run Alembic's revisions up to ``target`` (what ``upgrade`` falls back to)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(script_location)
    script = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            "This database was written by a newer version of Reviewer "
            f"(schema {current}); update the app to open it.")
    wanted = script.get_current_head() if target == "head" else target
    if current == wanted:
        return None
    backup = None
    if current is not None and sqlite_path is not None and sqlite_path.exists():
        backup = backup_sqlite(sqlite_path, backup_dir or sqlite_path.parent / "backups", current)
    log.info("upgrading database schema from %s to %s", current or "empty", wanted)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    if backup is not None and current < BLIND_REVISION <= wanted and _reviewer_copy(engine):
        for old in sorted(backup.parent.glob(f"{sqlite_path.stem}-*{sqlite_path.suffix}")):
            erase_identities(old)
    return str(backup) if backup else None


def _reviewer_copy(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT 1 FROM app_setting WHERE key = 'reviewer_copy'").first() is not None


def erase_identities(db_path: Path) -> None:
    """Erase candidates' names and badge recipients from an SQLite file (a reviewer's backup
    from before 0008, which 0008 made blind), their old bytes zeroed (``secure_delete``,
    then ``VACUUM``). The manifests keep the pseudonym only, as in the database."""
    import json

    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA secure_delete = ON")
        with con:
            rows = con.execute("SELECT id, manifest_json FROM attempt").fetchall()
            for attempt_id, text in rows:
                try:
                    data = json.loads(text)
                    data["candidate"] = {k: v for k, v in data["candidate"].items()
                                         if k not in ("display_name", "recipient")}
                    text = json.dumps(data, ensure_ascii=False)
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass
                con.execute("UPDATE attempt SET manifest_json = ?, candidate_display_name = NULL, "
                            "recipient_type = NULL, recipient_identity = NULL WHERE id = ?",
                            (text, attempt_id))
        con.execute("VACUUM")
    except sqlite3.Error as exc:
        log.warning("could not erase the candidates' identities from %s: %s", db_path, exc)
    finally:
        con.close()
    log.info("erased the candidates' identities from the backup %s", db_path)


def backup_sqlite(db_path: Path, backup_dir: Path, revision: str) -> Path:
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{db_path.stem}-{revision}-{stamp}{db_path.suffix}"
    partial = target.with_name(target.name + ".partial")  # (a full disk leaves no half backup)
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    log.info("backed up database to %s", target)
    old = sorted(backup_dir.glob(f"{db_path.stem}-*{db_path.suffix}"),
                 key=lambda p: p.stat().st_mtime)  # (names sort by revision first)
    for stale in old[:-KEEP_BACKUPS]:
        stale.unlink(missing_ok=True)
    return target


# -- the head schema, as the revisions leave it (schema_head.py) ----------------------------

SCHEMA_HEAD_FILE = Path(__file__).with_name("schema_head.py")
_ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}


def migrated_sqlite_schema(engine: Engine) -> tuple[str, ...]:
    """The statements that rebuild ``engine``'s SQLite schema as it is: its tables (an FTS5
    table's shadow tables are its own), indexes, views and triggers, in creation order.
    (Alembic's batch mode orders a rebuilt table's constraints differently from run to run;
    the test compares them as sets.)"""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "ORDER BY rowid").all()
    virtual = [name for kind, name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    statements = [(_ORDER[kind], n, sql) for n, (kind, name, sql) in enumerate(rows)
                  if not any(name.startswith(f"{v}_") and kind == "table" for v in virtual)]
    # An FTS5 index built over its (empty) content table, as its revision leaves it.
    rebuilds = [f"INSERT INTO {v}({v}) VALUES ('rebuild')" for v in virtual]
    return tuple(sql for _, _, sql in sorted(statements)) + tuple(rebuilds)


def write_schema_head(path: Path = SCHEMA_HEAD_FILE) -> None:
    """Rewrite ``schema_head.py`` from a database the revisions made (after a new revision:
    ``python -m reviewer_app.store.migrate``)."""
    import tempfile

    from alembic.script import ScriptDirectory

    from reviewer_app.store.db import make_engine

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'head.sqlite3'}")
        try:
            upgrade_with_alembic(engine)
            schema = migrated_sqlite_schema(engine)
        finally:
            engine.dispose()
    lines = ["# ruff: noqa: E501",
             '"""The database schema at the newest revision (generated by ``python -m',
             'reviewer_app.store.migrate`` from what the revisions make; do not edit).',
             "",
             "``migrate.upgrade`` gives a new SQLite database this schema directly, without",
             "Alembic; ``tests/core/test_schema_head.py`` checks it is what the revisions make.",
             '"""', "", f"HEAD_REVISION = {head!r}", "", "SQLITE_SCHEMA = ("]
    lines += [f"    {statement!r}," for statement in schema] + [")", ""]
    path.write_text("\n".join(lines), "utf-8")


if __name__ == "__main__":
    write_schema_head()
    print(f"wrote {SCHEMA_HEAD_FILE}")
