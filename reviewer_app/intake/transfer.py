"""Copying one evidence file into staging in the kernel, checking the copy as it lands.

Where the evidence's bytes lie verbatim in the package (a folder's file, a .zip entry that
is STORED), ``copy_span`` copies them with ``os.copy_file_range`` (Linux): the kernel
moves the pages, with no pass through Python's buffers and no user-space write. A second
thread does the copying in chunks while the caller's thread reads each chunk back *from
the staged copy* and hands it to ``feed`` (size, kind and SHA-256 checks, progress). What
is checked is therefore what is stored, whatever happens to the package meanwhile.

Where the kernel cannot (no ``copy_file_range``, another file system that refuses it, a
compressed entry), ``Unsupported`` is raised before anything is written and the importer
streams the bytes itself.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

CHUNK = 16 * 1024 * 1024  # copied per call; the checks follow one chunk behind at most
READ_BACK = 4 * 1024 * 1024

# What copy_file_range says when this pair of files cannot use it (before copying anything).
_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP,
                errno.EBADF, errno.EPERM}


class Unsupported(Exception):
    """The kernel cannot copy this file; nothing was written."""


class _Copier(threading.Thread):
    def __init__(self, src: int, dst: int, offset: int, size: int, done: int) -> None:
        super().__init__(name="evidence-copy", daemon=True)
        self.src, self.dst, self.offset, self.size = src, dst, offset, size
        self.done = done  # bytes in the target so far
        self.error: BaseException | None = None
        self.stop = False
        self.cond = threading.Condition()

    def run(self) -> None:
        try:
            while self.done < self.size and not self.stop:
                n = os.copy_file_range(self.src, self.dst, min(CHUNK, self.size - self.done),
                                       self.offset + self.done, self.done)
                if n == 0:  # the source ended early: the caller sees done < size
                    break
                with self.cond:
                    self.done += n
                    self.cond.notify()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.error = exc
        finally:
            with self.cond:
                self.stop = True
                self.cond.notify()

    def wait_past(self, pos: int) -> int:
        """Bytes copied, once more than ``pos`` are or the copy has stopped."""
        with self.cond:
            while self.done <= pos and not self.stop:
                self.cond.wait()
            return self.done


def copy_span(src: int, offset: int, size: int, target: Path,
              feed: Callable[[memoryview], None], check: Callable[[], None]) -> int:
    """Copy ``size`` bytes from ``offset`` of the open file ``src`` into the new file
    ``target`` (fsynced), feeding every byte of the copy, in order, to ``feed``; ``check``
    is called between chunks and may raise to cancel. Returns the bytes copied: fewer than
    ``size`` when the source ends early. Raises ``Unsupported`` (nothing written) when the
    kernel cannot copy between these files, ``OSError`` when reading or writing fails."""
    if not hasattr(os, "copy_file_range") or size == 0:
        raise Unsupported
    dst = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:  # the first chunk here: an error now means "not between these files"
            first = os.copy_file_range(src, dst, min(READ_BACK, size), offset, 0)
        except OSError as exc:
            if exc.errno in _UNSUPPORTED:
                os.close(dst)
                dst = -1
                target.unlink(missing_ok=True)
                raise Unsupported from None
            raise
        copier = _Copier(src, dst, offset, size, first)
        if 0 < first < size:
            copier.start()
        else:
            copier.stop = True
        try:
            fed = _read_back(copier, dst, feed, check)
        finally:
            copier.stop = True
            if copier.is_alive():
                copier.join()
        if copier.error is not None:
            raise copier.error
        os.fsync(dst)
        return fed
    finally:
        if dst >= 0:
            os.close(dst)


def _read_back(copier: _Copier, dst: int, feed: Callable[[memoryview], None],
               check: Callable[[], None]) -> int:
    buf = bytearray(READ_BACK)
    view = memoryview(buf)
    pos = 0
    while True:
        check()
        limit = copier.wait_past(pos)
        if limit <= pos:  # stopped: everything copied has been fed
            return pos
        while pos < limit:
            n = os.preadv(dst, [view[:min(READ_BACK, limit - pos)]], pos)
            if n <= 0:
                raise OSError(errno.EIO, "the staged copy is shorter than what was copied")
            feed(view[:n])
            pos += n
