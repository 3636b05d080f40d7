"""Where the app keeps its data, and how the user moves it.

Order of precedence: the ``--data-dir`` option, then ``REVIEWER_APP_DATA``, then the
platform's user data directory (platformdirs). The database is SQLite in the data
directory unless a URL is given (``--database-url`` or ``REVIEWER_APP_DATABASE_URL``),
for example ``postgresql+psycopg://user@host/reviewer``. Evidence files always live in
the data directory's content-addressed store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from reviewer_app import APP_ID

DATA_ENV = "REVIEWER_APP_DATA"
DATABASE_URL_ENV = "REVIEWER_APP_DATABASE_URL"
DB_FILENAME = "reviewer.sqlite3"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    database_url: str

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "reviewer.log"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite on disk, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url != "sqlite://":
            rest = self.database_url[len(prefix):]
            return Path(rest.split("?", 1)[0]) if rest and rest != ":memory:" else None
        return None


def resolve_paths(data_dir: str | os.PathLike[str] | None = None,
                  database_url: str | None = None) -> AppPaths:
    if data_dir is None:
        data_dir = os.environ.get(DATA_ENV) or platformdirs.user_data_dir(APP_ID, appauthor=False)
    root = Path(data_dir).expanduser().resolve()
    url = database_url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{root / DB_FILENAME}"
    return AppPaths(data_dir=root, database_url=url)


def redact_url(url: str) -> str:
    """A database URL safe to print or log: the password is replaced."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as a placeholder, never raw
        return "<database url>"
