"""The content-addressed evidence store under the data directory.

A file's bytes live at ``evidence/sha256/ab/abcdef...``, written once, read-only after.
Imports write into a private *staging* folder first (``evidence/tmp/<id>/``), hashing and
checking while they copy; only a fully verified package is *published*: under a lock,
a journal names the blobs about to appear, they are renamed into place, and the caller
commits its database rows. If that commit fails (or the process dies), the blobs it
added and nothing references are removed, now or at the next ``recover()``.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

log = logging.getLogger(__name__)

STALE_STAGING_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StagedFile:
    sha256: str
    size: int
    path: Path


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blob_root = root / "sha256"
        self.tmp_root = root / "tmp"

    # -- reading ---------------------------------------------------------------------------
    def path_for(self, sha256: str) -> Path:
        sha256 = sha256.lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 digest: {sha256!r}")
        return self.blob_root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def blobs(self) -> Iterator[Path]:
        if self.blob_root.is_dir():
            yield from (p for p in self.blob_root.glob("??/*") if p.is_file())

    # -- writing ---------------------------------------------------------------------------
    def _ensure(self) -> None:
        self.blob_root.mkdir(parents=True, exist_ok=True)
        self.tmp_root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialises publishing (and recovery) between processes sharing this store."""
        self._ensure()
        with FileLock(str(self.root / "publish.lock")):
            yield

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A private folder for one import; removed with everything in it afterwards."""
        self._ensure()
        folder = self.tmp_root / f"staging-{uuid.uuid4().hex}"
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, staged: Iterable[StagedFile]) -> Path:
        """Move staged files into place (call under ``lock()``); returns the journal.

        The journal lists the blobs this call created. Pass it to ``finish`` once the
        database commit that references them has succeeded, or to ``rollback``.
        """
        self._ensure()
        journal = self.tmp_root / f"publish-{uuid.uuid4().hex}.journal"
        created: list[Path] = []
        todo = []
        for item in staged:
            target = self.path_for(item.sha256)
            if target.exists() or target in (t for _, t in todo):
                continue
            todo.append((item, target))
        _write_durably(journal, "".join(f"{t}\n" for _, t in todo))
        try:
            for item, target in todo:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(item.path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
                os.replace(item.path, target)
                created.append(target)
            for folder in {t.parent for _, t in todo}:
                _fsync_dir(folder)
        except BaseException:
            self._remove(created)
            journal.unlink(missing_ok=True)
            raise
        return journal

    def finish(self, journal: Path) -> None:
        journal.unlink(missing_ok=True)

    def rollback(self, journal: Path) -> None:
        paths = _journal_paths(journal)
        self._remove(paths)
        for folder in {p.parent for p in paths}:
            try:
                folder.rmdir()  # only if empty: other blobs may share the shard
            except OSError:
                pass
        journal.unlink(missing_ok=True)

    def recover(self, is_referenced: Callable[[str], bool]) -> int:
        """Undo publishes that a crash interrupted (call under ``lock()``); returns blobs removed."""
        if not self.tmp_root.is_dir():
            return 0
        removed = 0
        for journal in self.tmp_root.glob("publish-*.journal"):
            orphans = [p for p in _journal_paths(journal) if not is_referenced(p.name)]
            removed += self._remove(orphans)
            journal.unlink(missing_ok=True)
        cutoff = time.time() - STALE_STAGING_SECONDS
        for folder in self.tmp_root.glob("staging-*"):
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                pass
        if removed:
            log.warning("removed %d evidence file(s) left by an interrupted import", removed)
        return removed

    @staticmethod
    def _remove(paths: Iterable[Path]) -> int:
        count = 0
        for path in paths:
            try:
                path.unlink()
                count += 1
            except FileNotFoundError:
                pass
        return count


def _journal_paths(journal: Path) -> list[Path]:
    try:
        return [Path(line) for line in journal.read_text("utf-8").splitlines() if line]
    except FileNotFoundError:
        return []


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
