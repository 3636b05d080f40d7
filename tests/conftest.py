"""Fixtures shared by every test folder. Widgets run offscreen; nothing is mocked."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Offscreen widgets get a desktop-sized screen, 1920x1200 (Qt's offscreen default is 800x800,
# where windows are fitted and maximised as on a small laptop), or the size in
# $REVIEWER_TEST_SCREEN. Laptop screens are tested in real windows under Xvfb too
# (test_screen_fit.py, test_workspace_layout.py).
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    import json
    import tempfile

    _w, _h = map(int, os.environ.setdefault("REVIEWER_TEST_SCREEN", "1920x1200").split("x"))
    _screen = Path(tempfile.gettempdir()) / f"reviewer-test-screen-{_w}x{_h}.json"
    # Written whole, then renamed: pytest-xdist's workers start at once and read it at once.
    _partial = _screen.with_suffix(f".{os.getpid()}.tmp")
    _partial.write_text(json.dumps({"screens": [{
        "name": "test", "x": 0, "y": 0, "width": _w, "height": _h,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    os.replace(_partial, _screen)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"

from reviewer_app.config import resolve_paths
from reviewer_app.services.demo import build_demo_packages
from reviewer_app.store.context import AppContext

from postgres_support import PG_URL

sys.path.insert(0, str(Path(__file__).resolve().parent / "sync"))  # the tests' keyrings
from sync_test_keyring import MemoryKeyring


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist's workers (make test), the long tests start first, so no worker is
    left with a minute-long soak when the other has finished. (Every worker sorts its own
    collection the same way, as xdist requires.)"""
    if config.getoption("numprocesses", None):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keyring (signing keys, issuer tokens); the real
    one is never touched. Subprocesses share one through ``keyring_env``."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def keyring_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a ``python -m reviewer_app`` subprocess whose keyring is a test
    file shared by every subprocess of the test (``sync_test_keyring.FileTestKeyring``)."""
    here = Path(__file__).resolve().parent
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(here / "sync"), str(here.parent)]),
            "PYTHON_KEYRING_BACKEND": "sync_test_keyring.FileTestKeyring",
            "REVIEWER_TEST_KEYRING_FILE": str(tmp_path / "test-keyring.json")}


@pytest.fixture(scope="session")
def demo_packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The demo submission packages (real zips with real media), built once per run."""
    return build_demo_packages(tmp_path_factory.mktemp("demo-packages"))


@pytest.fixture
def app_ctx(tmp_path: Path) -> Iterator[AppContext]:
    """An empty app on a private data folder (SQLite)."""
    ctx = AppContext.open(resolve_paths(data_dir=tmp_path / "data"))
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def _demo_data_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reviewer_app.services.demo import load_demo

    folder = tmp_path_factory.mktemp("demo-template") / "data"
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        load_demo(ctx)
    return folder


@pytest.fixture
def demo_data_dir(tmp_path: Path, _demo_data_template: Path) -> Path:
    """A private copy of a data folder holding the demo submissions and reviews."""
    target = tmp_path / "data"
    shutil.copytree(_demo_data_template, target)
    return target


@pytest.fixture
def demo_ctx(demo_data_dir: Path) -> Iterator[AppContext]:
    ctx = AppContext.open(resolve_paths(data_dir=demo_data_dir))
    yield ctx
    ctx.close()


@pytest.fixture
def pg_paths(tmp_path: Path):
    """App paths on the PostgreSQL server, in a schema of the test's own (dropped after)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield resolve_paths(data_dir=tmp_path / "data",
                            database_url=url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
