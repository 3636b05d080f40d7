"""Opening the app's data: paths, database (migrated at start) and evidence store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reviewer_app.config import AppPaths, redact_url, resolve_paths
from reviewer_app.errors import StoreError, UserError
from reviewer_app.store import restore
from reviewer_app.store.audit import ensure_rows_baseline
from reviewer_app.store.db import make_engine, make_session_factory, transaction
from reviewer_app.store.evidence import EvidenceStore
from reviewer_app.store.faults import explain, fault_kind, watch_folder
from reviewer_app.store.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    paths: AppPaths
    engine: Engine
    sessions: sessionmaker[Session]
    evidence: EvidenceStore
    backup_made: str | None = None
    read_only: bool = False
    view_only: str | None = None  # why this window may not write (another one holds the folder)
    _services: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, paths: AppPaths | None = None, *, read_only: bool = False,
             check: bool = False, view_only: str | None = None) -> AppContext:
        """Open (and upgrade) the database. ``read_only``: for commands that only read (a
        deferred BEGIN; on a full disk, the WAL index in the process's memory). ``check``:
        run ``PRAGMA quick_check`` first (the last session ended uncleanly). ``view_only``:
        SQLite refuses every write (another process holds the folder; this says who). A damaged
        database raises ``StoreDamaged`` naming the newest backup; a full, read-only or
        failing disk is named as such."""
        paths = paths or resolve_paths()
        try:
            paths.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {paths.data_dir}: {exc.strerror}") from None
        watch_folder(paths.data_dir)
        url = paths.database_url
        read_only = read_only or view_only is not None
        engine = make_engine(url, read_only=read_only, refuse_writes=view_only is not None)
        try:
            try:
                backup = _open(engine, paths, check)
            except (OperationalError, DBAPIError) as exc:
                if not (read_only and fault_kind(exc, paths.data_dir) in ("full", "io")):
                    raise
                log.warning("reading without the shared WAL index: %s", exc)
                engine.dispose()
                engine = make_engine(url, read_only=True, exclusive=True,
                                     refuse_writes=view_only is not None)
                backup = _open(engine, paths, False)
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise _open_error(paths, exc) from None
        except BaseException:
            engine.dispose()
            raise
        log.info("opened %s (data in %s)", redact_url(paths.database_url), paths.data_dir)
        ctx = cls(paths, engine, make_session_factory(engine), EvidenceStore(paths.evidence_dir),
                  backup, read_only, view_only)
        if not read_only:
            try:
                ensure_rows_baseline(ctx)
            except Exception:
                log.exception("could not record the audit's baseline of the data")
        return ctx

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(engine: Engine, paths: AppPaths, check: bool) -> str | None:
    if check and paths.sqlite_path is not None and paths.sqlite_path.exists():
        problems = restore.check(engine)
        if problems:
            raise restore.StoreDamaged(paths.sqlite_path, _newest(paths),
                                       "a check found damage", "\n".join(problems[:20]))
    return upgrade(engine, sqlite_path=paths.sqlite_path, backup_dir=paths.backup_dir)


def _newest(paths: AppPaths) -> restore.Backup | None:
    assert paths.sqlite_path is not None
    return restore.newest_backup(paths.sqlite_path, paths.backup_dir)


def _open_error(paths: AppPaths, exc: BaseException) -> UserError:
    fault = storage_fault(paths, exc, opening=True)
    if fault is not None:
        return fault
    details = str(getattr(exc, "orig", None) or exc)
    return StoreError(f"Cannot open the database at {redact_url(paths.database_url)}", details)


def storage_fault(paths: AppPaths, exc: BaseException, *, opening: bool = False) -> UserError | None:
    """The storage fault in ``exc`` in plain words (a damaged database names its newest
    backup), or None when it is not one."""
    kind = fault_kind(exc, paths.data_dir)
    if kind == "damaged" and paths.sqlite_path is not None:
        details = str(getattr(exc, "orig", None) or exc)
        return restore.StoreDamaged(paths.sqlite_path, _newest(paths), "SQLite cannot read it",
                                    details)
    return explain(exc, paths.data_dir, opening=opening)
