"""Bring a database to the newest schema, safely.

At every start: if the database is behind, an SQLite database file is first copied
(SQLite's online backup API, so a WAL file is included) into ``backups/`` beside it,
then every pending Alembic revision runs inside one transaction: either the whole
upgrade lands or none of it does. A database written by a newer version of the app is
refused rather than touched.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from reviewer_app.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
KEEP_BACKUPS = 5
#: The revision that made reviewers' databases blind (``0008_blind_by_design``): upgrading
#: past it erases the identities from the backups made before it too.
BLIND_REVISION = "0008"


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, *, target: str = "head", sqlite_path: Path | None = None,
            backup_dir: Path | None = None, script_location: Path = MIGRATIONS_DIR) -> str | None:
    """Upgrade to ``target``; returns the path of the backup made, if one was."""
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
