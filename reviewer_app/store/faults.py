"""Naming what went wrong with the storage, in words a reviewer can act on.

SQLite reports a full disk, a read-only file, a database held by another process or a
damaged file as error codes (``sqlite3.Error.sqlite_errorname``); an ``OSError`` carries an
errno. :func:`fault_kind` sorts any exception (SQLAlchemy wraps the driver's) into one of
``full``, ``readonly``, ``busy``, ``damaged`` or ``io``; :func:`explain` turns it into a
:class:`StorageFault`: a ``UserError`` whose first line says what happened and what to do,
and a short form for a status bar. A disk error on a disk with less free space than
:data:`SAFETY_MARGIN` is called a full disk: SQLite reports a ``-shm`` or WAL file that
cannot grow as an I/O error.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from reviewer_app.errors import UserError
from reviewer_app.store.owner import read_holder

MB = 1024 * 1024
SAFETY_MARGIN = 50 * MB  # free space Reviewer wants before it counts a disk as usable

_ERRNO = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "readonly",
          errno.EACCES: "readonly", errno.EPERM: "readonly", errno.EIO: "io"}


class StorageFault(UserError):
    """The database could not be written (or read); ``kind`` says why, ``short`` in a few words."""

    def __init__(self, kind: str, message: str, short: str, details: str = "") -> None:
        super().__init__(message, details)
        self.kind, self.short = kind, short

    @property
    def retry(self) -> bool:
        """Worth trying again by itself once the cause is gone (not a damaged file)."""
        return self.kind != "damaged"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo += [getattr(cur, "orig", None), cur.__cause__, cur.__context__]
    return seen


def _sqlite_kind(name: str) -> str | None:
    if name.startswith("SQLITE_FULL"):
        return "full"
    if name.startswith("SQLITE_READONLY"):
        return "readonly"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return "damaged"
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")):
        return "io"
    return None


def raw_kind(exc: BaseException) -> str | None:
    """The kind of storage fault in ``exc`` or its causes, before looking at free space."""
    if isinstance(exc, StorageFault):
        return exc.kind
    for cause in _causes(exc):
        if isinstance(cause, StorageFault):
            return cause.kind
        if isinstance(cause, sqlite3.Error):
            kind = _sqlite_kind(getattr(cause, "sqlite_errorname", "") or "")
            if kind is None and "database or disk is full" in str(cause):
                kind = "full"
            if kind is not None:
                return kind
        if isinstance(cause, OSError) and cause.errno in _ERRNO:
            return _ERRNO[cause.errno]
    return None


_data_folder: list[Path] = []


def watch_folder(folder: Path) -> None:
    """The data folder in use (its free space is told when nothing more precise is known)."""
    _data_folder[:] = [folder]


def data_folder() -> Path | None:
    return _data_folder[0] if _data_folder else None


def free_space(folder: Path) -> int | None:
    for place in (folder, *folder.parents):
        try:
            return shutil.disk_usage(place).free
        except OSError:
            continue
    return None


def fault_kind(exc: BaseException, folder: Path | None = None) -> str | None:
    kind = raw_kind(exc)
    if kind == "io" and folder is not None:
        free = free_space(folder)
        if free is not None and free < SAFETY_MARGIN:
            kind = "full"
    return kind


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n < 1024 * MB else f"{n / (1024 * MB):.1f} GB"


def _technical(exc: BaseException) -> str:
    return "; ".join(f"{type(c).__name__}: {c}" for c in _causes(exc)[:3])


def _after(opening: bool, when: str) -> str:
    return "then try again." if opening else f"changes are saved once {when}."


def explain(exc: BaseException, folder: Path | None = None, holder: str | None = None, *,
            opening: bool = False) -> StorageFault | None:
    """A :class:`StorageFault` naming the fault in ``exc`` (None when it is none).
    ``folder`` is the data folder (its free space is told), ``holder`` who else writes;
    ``opening``: the database was being opened (no changes wait)."""
    if isinstance(exc, StorageFault):
        return exc
    kind = fault_kind(exc, folder)
    if kind is None:
        return None
    where = f" ({folder})" if folder is not None else ""
    inside = f" in {folder}" if folder is not None else ""
    details = _technical(exc)
    if kind == "full":
        free = free_space(folder) if folder is not None else None
        have = f"only {_size(free)} free" if free is not None else "no space left"
        return StorageFault(kind, (
            f"The disk holding your reviews is full: {have} on it{where}. Free at least "
            f"{_size(SAFETY_MARGIN)} (delete or move other files); {_after(opening, 'there is room')}"),
        "the disk is full", details)
    if kind == "readonly":
        return StorageFault(kind, (
            f"Reviewer cannot write to its database{inside}: the file or the disk is read-only "
            "(its permissions, or a read-only or locked drive). Make it writable; "
            f"{_after(opening, 'it is')}"), "the database is read-only", details)
    if kind == "busy":
        if holder is None and folder is not None:
            found = read_holder(folder)  # who holds the folder, unless it is this process
            holder = found.describe() if found is not None and found.pid != os.getpid() else None
        who = holder or "another Reviewer window or process"
        return StorageFault(kind, (
            f"The database is held by {who}, which kept it busy for too long. Close the other "
            f"window or wait for it to finish; {_after(opening, 'it lets go')}"),
            "the database is held by another window or process", details)
    if kind == "damaged":
        return StorageFault(kind, (
            f"The database{where} is damaged and cannot be read safely. Close Reviewer and "
            "restore the newest backup ('reviewer-app restore-backup'); the damaged file is "
            "kept beside it."), "the database is damaged", details)
    return StorageFault(kind, (
        f"The disk holding your reviews reported an error{where}. Check that the drive is "
        f"connected and healthy; {_after(opening, 'it answers again')}"),
        "the disk reported an error", details)
