"""Fixtures for the core tests: an app context on a temporary data folder, and snapshots.

``snapshot()`` records everything an import could change: every row of every table
(and the row counts) and every file under the evidence store (path, size, SHA-256,
permission bits) apart from the store's ``publish.lock``, plus every folder under the
store's ``tmp`` area (staging folders) -- so ``assert_unchanged(before, snapshot())``
catches a stray row, blob, staging folder or journal.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from reviewer_app.config import resolve_paths
from reviewer_app.services.imports import import_package
from reviewer_app.store.context import AppContext

from packages import BuiltPackage, make_package

SEED_SUBMISSION = "SUB-SEED"

IGNORED_STORE_FILES = {"publish.lock"}


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    rows: dict[str, list[tuple[Any, ...]]]
    files: dict[str, tuple[int, str, int]]  # relative path -> (size, sha256, mode bits)
    folders: frozenset[str]  # folders under the store's tmp area (staging leftovers)

    def differences(self, other: Snapshot, ignore: tuple[str, ...] = ()) -> list[str]:
        out = []
        for table in sorted((set(self.counts) | set(other.counts)) - set(ignore)):
            a, b = self.counts.get(table), other.counts.get(table)
            if a != b:
                out.append(f"table {table}: {a} rows before, {b} after")
            elif self.rows.get(table) != other.rows.get(table):
                out.append(f"table {table}: rows changed")
        for name in sorted(set(self.files) | set(other.files)):
            a, b = self.files.get(name), other.files.get(name)
            if a != b:
                out.append(f"evidence store file {name}: {a} before, {b} after")
        for name in sorted(self.folders ^ other.folders):
            out.append(f"evidence store folder {name}: "
                       f"{'gone' if name in self.folders else 'appeared'}")
        return out


def _db_state(ctx: AppContext) -> tuple[dict[str, int], dict[str, list[tuple[Any, ...]]]]:
    counts: dict[str, int] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in sorted(inspect(conn).get_table_names()):
            counts[name] = conn.execute(text(f"SELECT COUNT(*) FROM {quote(name)}")).scalar_one()
            rows[name] = sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {quote(name)}"))),
                                key=repr)
    return counts, rows


def _store_state(root: Path) -> tuple[dict[str, tuple[int, str, int]], frozenset[str]]:
    files: dict[str, tuple[int, str, int]] = {}
    folders: set[str] = set()
    if not root.exists():
        return files, frozenset()
    for folder, dirnames, filenames in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        if rel_folder.parts[:1] == ("tmp",):
            folders.update((rel_folder / d).as_posix() for d in dirnames)
        for filename in filenames:
            rel = (rel_folder / filename).as_posix()
            if rel in IGNORED_STORE_FILES:
                continue
            path = Path(folder, filename)
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
            files[rel] = (st.st_size, digest, stat.S_IMODE(st.st_mode))
    return files, frozenset(folders)


def take_snapshot(ctx: AppContext) -> Snapshot:
    counts, rows = _db_state(ctx)
    files, folders = _store_state(ctx.evidence.root)
    return Snapshot(counts, rows, files, folders)


def assert_unchanged(before: Snapshot, after: Snapshot, ignore: tuple[str, ...] = ()) -> None:
    differences = before.differences(after, ignore)
    assert not differences, "the refused import changed stored data:\n  " + "\n  ".join(differences)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    """An app context on a fresh data folder (migrated, empty)."""
    context = AppContext.open(resolve_paths(data_dir=tmp_path / "data"))
    try:
        yield context
    finally:
        context.close()


@dataclass(frozen=True)
class SeedTemplate:
    data_dir: Path  # a closed data folder holding one imported package
    package: BuiltPackage  # that package (still on disk)


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory) -> SeedTemplate:
    """A data folder with one valid package imported, made once per session.

    ``seeded_ctx`` copies it, so each test starts from a real imported state without
    paying for migrations and an import (fsyncs and all) every time.
    """
    root = tmp_path_factory.mktemp("seed-template")
    package = make_package(root / "packages", name="seed", submission_id=SEED_SUBMISSION)
    data_dir = root / "data"
    with AppContext.open(resolve_paths(data_dir=data_dir)) as context:
        assert import_package(context, package.path).status == "imported"
    return SeedTemplate(data_dir, package)


@pytest.fixture
def seeded_ctx(tmp_path: Path, seed_template: SeedTemplate) -> Iterator[AppContext]:
    """An app context on a copy of ``seed_template``'s data folder."""
    data_dir = tmp_path / "data"
    shutil.copytree(seed_template.data_dir, data_dir)
    context = AppContext.open(resolve_paths(data_dir=data_dir))
    try:
        yield context
    finally:
        context.close()


class Snapshotter:
    """``snapshot()`` records the state now; ``snapshot.assert_unchanged(before)`` compares."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def __call__(self) -> Snapshot:
        return take_snapshot(self._ctx)

    def assert_unchanged(self, before: Snapshot, ignore: tuple[str, ...] = ()) -> None:
        assert_unchanged(before, take_snapshot(self._ctx), ignore)


@pytest.fixture
def snapshot(ctx: AppContext) -> Snapshotter:
    """Call it to record the database and the evidence store as they are now."""
    return Snapshotter(ctx)
