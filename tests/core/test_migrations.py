"""Migrations: from an empty database, from the first revision, with a backup first,
all-or-nothing, and in agreement with the models."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from reviewer_app.config import resolve_paths
from reviewer_app.errors import StoreError
from reviewer_app.store.context import AppContext
from reviewer_app.store.db import make_engine
from reviewer_app.store.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from reviewer_app.store.models import Base
from reviewer_app.store.search_index import include_name

FIRST = "0001"


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_empty_database_is_upgraded_to_head_with_sqlite_settings(tmp_path: Path):
    with AppContext.open(resolve_paths(data_dir=tmp_path)) as ctx:
        assert current_revision(ctx.engine) == head_revision()
        with ctx.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        tables = set(inspect(ctx.engine).get_table_names())
    assert {"submission", "attempt", "evidence_item", "review", "review_score"} <= tables


def test_models_and_migrations_agree(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                  "include_name": include_name}),
                                Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_upgrade_from_the_first_revision_keeps_data(tmp_path: Path, demo_packages):
    from reviewer_app.services.imports import import_package
    from reviewer_app.services.submissions import list_submissions

    db = tmp_path / "reviewer.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, target=FIRST)
    engine.dispose()
    paths = resolve_paths(data_dir=tmp_path)
    with AppContext.open(paths) as ctx:  # from FIRST to head
        import_package(ctx, demo_packages[0])
    for rev in _revisions():  # walk every revision one by one on a copy with data in it
        copy = tmp_path / f"walk-{rev}.sqlite3"
        shutil.copy(db, copy)
        engine = make_engine(f"sqlite:///{copy}")
        upgrade(engine, target=rev)
        assert current_revision(engine) in (rev, head_revision())
        engine.dispose()
    with AppContext.open(paths) as ctx:
        assert [r.key for r in list_submissions(ctx)] == ["DEMO-1001"]


def _pending_revision(tmp_path: Path, body: str) -> Path:
    """A copy of the real migrations plus one more revision after head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = head_revision()
    (scripts / "versions" / "9999_test.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n")
    return scripts


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT key FROM submission ORDER BY key").fetchall()
    finally:
        con.close()


def test_a_pending_upgrade_backs_up_the_database_first(tmp_path: Path, demo_packages):
    from reviewer_app.services.imports import import_package

    paths = resolve_paths(data_dir=tmp_path)
    with AppContext.open(paths) as ctx:
        import_package(ctx, demo_packages[0])
    scripts = _pending_revision(tmp_path, '    op.add_column("submission", sa.Column("note", sa.Text()))')
    engine = make_engine(paths.database_url)
    backup = upgrade(engine, sqlite_path=paths.sqlite_path, backup_dir=paths.backup_dir,
                     script_location=scripts)
    assert current_revision(engine) == "9999"
    engine.dispose()
    assert backup is not None and Path(backup).parent == paths.backup_dir
    assert _rows(Path(backup)) == [("DEMO-1001",)]
    con = sqlite3.connect(backup)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
    con.close()


def test_a_failing_upgrade_changes_nothing(tmp_path: Path, demo_packages):
    from reviewer_app.services.imports import import_package

    paths = resolve_paths(data_dir=tmp_path)
    with AppContext.open(paths) as ctx:
        import_package(ctx, demo_packages[0])
    scripts = _pending_revision(
        tmp_path,
        '    op.add_column("submission", sa.Column("note", sa.Text()))\n'
        '    op.execute("DELETE FROM review_score")\n'
        '    raise RuntimeError("migration bug")')
    engine = make_engine(paths.database_url)
    with pytest.raises(RuntimeError, match="migration bug"):
        upgrade(engine, sqlite_path=paths.sqlite_path, backup_dir=paths.backup_dir,
                script_location=scripts)
    assert current_revision(engine) == head_revision()
    columns = {c["name"] for c in inspect(engine).get_columns("submission")}
    engine.dispose()
    assert "note" not in columns  # the DDL rolled back with the rest
    assert _rows(paths.sqlite_path) == [("DEMO-1001",)]


def test_a_database_from_a_newer_app_is_refused_untouched(tmp_path: Path):
    paths = resolve_paths(data_dir=tmp_path)
    AppContext.open(paths).close()
    engine = make_engine(paths.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dface'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer version"):
        AppContext.open(paths)
    con = sqlite3.connect(paths.sqlite_path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("f00dface",)]
    con.close()



def test_0005_keeps_the_notes_it_rebuilds_and_its_downgrade_drops_only_new_kinds(tmp_path: Path,
                                                                                 demo_packages):
    """0005 rebuilds the annotation table on SQLite (for its checks): the notes in it stay."""
    from alembic import command

    from reviewer_app.domain import Region
    from reviewer_app.services import annotations, reviews
    from reviewer_app.services.imports import import_package
    from reviewer_app.services.submissions import get_submission

    paths = resolve_paths(data_dir=tmp_path)
    with AppContext.open(paths) as ctx:
        import_package(ctx, demo_packages[0])
        review = reviews.start_review(ctx, get_submission(ctx, "DEMO-1001", 1).attempt_id)
        annotations.add_time_note(ctx, review.uid, "video", 1000, 2500, "A range")
        annotations.add_page_note(ctx, review.uid, "plan", 1, Region(1, 2, 3, 4), "A region")
        annotations.add_quote_note(ctx, review.uid, "written", "Today", 0, "A quote")
        before = annotations.list_notes(ctx, review.uid)
    engine = make_engine(paths.database_url)
    with engine.begin() as conn:  # back to 0004: the quote cannot be kept there
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM annotation")).scalar() == 2
        with pytest.raises(Exception, match="CHECK"):  # 0004's check refuses a photo region
            conn.execute(text("UPDATE annotation SET kind = 'region', start_ms = NULL, end_ms = NULL"))
    upgrade(engine)
    engine.dispose()
    with AppContext.open(paths) as ctx:
        assert annotations.list_notes(ctx, review.uid) == before[:2]
