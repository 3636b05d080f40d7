"""A new database gets the head schema without Alembic (``store/schema_head.py``), and that
schema is exactly what the revisions make; a database at head opens without Alembic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory

from reviewer_app.store.db import make_engine
from reviewer_app.store.migrate import (
    alembic_config,
    create_at_head,
    current_revision,
    upgrade,
    upgrade_with_alembic,
)
from reviewer_app.store.schema_head import HEAD_REVISION

REGENERATE = "run: python -m reviewer_app.store.migrate (it rewrites store/schema_head.py)"


def _dump(db: Path) -> dict:
    """Everything a schema is: sqlite_master as stored, the pragmas a migration could set,
    and the rows of every table (alembic_version, the FTS5 index's own tables)."""
    con = sqlite3.connect(db)
    try:
        master = [(kind, name, table, _normal(sql)) for kind, name, table, sql in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")]
        pragmas = {p: con.execute(f"PRAGMA {p}").fetchall()
                   for p in ("user_version", "application_id", "auto_vacuum", "encoding")}
        tables = [name for kind, name, _, sql in master
                  if kind == "table" and not (sql or "").upper().startswith("CREATE VIRTUAL")]
        rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
        return {"master": master, "pragmas": pragmas, "rows": rows}
    finally:
        con.close()


def _normal(sql: str | None) -> str | None:
    """A CREATE TABLE with its columns and constraints in a set order: Alembic's batch mode,
    which rebuilds a table to alter it, orders the constraints differently from run to run."""
    if sql is None or not sql.startswith("CREATE TABLE") or ", \n\t" not in sql:
        return sql
    head, _, body = sql.partition(" (\n\t")
    return head + " (" + " | ".join(sorted(body.removesuffix("\n)").split(", \n\t"))) + ")"


def test_head_revision_is_alembics_head():
    assert HEAD_REVISION == ScriptDirectory.from_config(alembic_config()).get_current_head(), \
        f"a revision was added; {REGENERATE}"


def test_a_new_database_made_directly_is_identical_to_one_the_revisions_made(tmp_path: Path):
    migrated, direct = tmp_path / "migrated.sqlite3", tmp_path / "direct.sqlite3"
    engine = make_engine(f"sqlite:///{migrated}")
    upgrade_with_alembic(engine)
    engine.dispose()
    engine = make_engine(f"sqlite:///{direct}")
    assert create_at_head(engine)
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()
    want, got = _dump(migrated), _dump(direct)
    assert got["master"] == want["master"], f"schema_head.py is out of date; {REGENERATE}"
    assert got == want
    assert any(name == "submission_search" for _, name, _, _ in got["master"])  # FTS5 and triggers
    assert any(kind == "trigger" for kind, _, _, _ in got["master"])


def test_the_direct_schema_leaves_a_database_that_is_not_empty_alone(tmp_path: Path):
    db = tmp_path / "db.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE mine (x)")
    con.commit()
    con.close()
    engine = make_engine(f"sqlite:///{db}")
    assert not create_at_head(engine)
    engine.dispose()
    assert _dump(db)["master"] == [("table", "mine", "mine", "CREATE TABLE mine (x)")]


def test_a_new_database_opens_at_head_and_works(tmp_path: Path, demo_packages):
    from reviewer_app.config import resolve_paths
    from reviewer_app.services.imports import import_package
    from reviewer_app.services.submissions import QueueQuery, list_submissions
    from reviewer_app.store.context import AppContext

    with AppContext.open(resolve_paths(data_dir=tmp_path)) as ctx:
        assert current_revision(ctx.engine) == HEAD_REVISION
        import_package(ctx, demo_packages[0])
        # the search index's triggers came with the schema: the trigram search finds it
        found = list_submissions(ctx, QueueQuery(search="1001"))
    assert [r.key for r in found] == ["DEMO-1001"]


def test_an_old_database_still_runs_its_revisions(tmp_path: Path):
    db = tmp_path / "db.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade_with_alembic(engine, target="0010")
    assert current_revision(engine) == "0010"
    backup = upgrade(engine, sqlite_path=db, backup_dir=tmp_path / "backups")
    assert current_revision(engine) == HEAD_REVISION
    assert backup is not None and Path(backup).is_file()  # the revisions ran, with a backup first
    engine.dispose()
