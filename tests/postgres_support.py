"""For storage tests that run on a real PostgreSQL server (``.ci/run`` starts one and sets
REVIEWER_APP_TEST_DATABASE_URL); the ``pg_paths`` fixture is in tests/conftest.py."""

from __future__ import annotations

import os

import pytest

PG_URL_ENV = "REVIEWER_APP_TEST_DATABASE_URL"
PG_URL = os.environ.get(PG_URL_ENV, "")
needs_postgres = [pytest.mark.postgres,
                  pytest.mark.skipif(not PG_URL.startswith("postgresql"),
                                     reason=f"set {PG_URL_ENV} to a PostgreSQL URL")]
