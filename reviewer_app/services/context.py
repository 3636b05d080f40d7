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
from reviewer_app.errors import StoreError
from reviewer_app.store.db import make_engine, make_session_factory, transaction
from reviewer_app.store.evidence import EvidenceStore
from reviewer_app.store.faults import watch_folder
from reviewer_app.store.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    paths: AppPaths
    engine: Engine
    sessions: sessionmaker[Session]
    evidence: EvidenceStore
    backup_made: str | None = None
    _services: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, paths: AppPaths | None = None) -> AppContext:
        paths = paths or resolve_paths()
        try:
            paths.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {paths.data_dir}: {exc.strerror}") from None
        watch_folder(paths.data_dir)
        engine = make_engine(paths.database_url)
        try:
            backup = upgrade(engine, sqlite_path=paths.sqlite_path, backup_dir=paths.backup_dir)
        except (OperationalError, DBAPIError) as exc:
            engine.dispose()
            raise StoreError(f"Cannot open the database at {redact_url(paths.database_url)}",
                             details=str(exc.orig if hasattr(exc, "orig") else exc)) from None
        except BaseException:
            engine.dispose()
            raise
        log.info("opened %s (data in %s)", redact_url(paths.database_url), paths.data_dir)
        return cls(paths, engine, make_session_factory(engine), EvidenceStore(paths.evidence_dir),
                   backup)

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
