"""Reading a submission package (a .zip or a folder) without trusting it.

Everything structural is checked when the package is opened, before a byte of evidence
is copied: names (UTF-8, no traversal, no absolute paths or drive letters, no
duplicates, not even by case), entry types (no symlinks, devices or encrypted entries),
and for zips the zip-bomb signs (declared sizes against limits, compression ratio,
entries whose data overlap). While evidence streams, the zip layer checks each entry's
CRC and caps it at its declared size, and the importer counts the actual bytes.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from reviewer_app.intake.refusals import (
    DAMAGED,
    ENCRYPTED,
    MALFORMED,
    MISSING,
    NOT_A_PACKAGE,
    UNREADABLE,
    UNSAFE,
)

MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 64 * 1024**3  # one evidence file: 64 GiB
MAX_TOTAL_BYTES = 256 * 1024**3
MAX_RATIO = 100  # uncompressed : compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_DRIVE = re.compile(r"^[A-Za-z]:")
# A zip entry's local file header (APPNOTE 4.3.7): its name and extra field lengths last.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


class PackageFault(Exception):
    """A structural problem; the message names the file and says what is wrong (the
    technical details of a refusal); ``kind`` is one of ``refusals``' kinds, which says
    what the reviewer is told, with ``values`` for its blanks."""

    def __init__(self, message: str, kind: str = MALFORMED, **values: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.values = values


@dataclass(frozen=True)
class Entry:
    name: str  # normalised relative POSIX path
    size: int
    compressed_size: int | None = None


def safe_relpath(name: str, what: str = "path") -> str:
    """Normalise a path inside a package, refusing anything that could leave it."""
    if "\x00" in name:
        raise PackageFault(f"{what} {name!r} contains a NUL character", UNSAFE)
    if name.startswith(("/", "\\")):
        raise PackageFault(f"{what} {name!r} is absolute; package paths must be relative", UNSAFE)
    if _DRIVE.match(name):
        raise PackageFault(f"{what} {name!r} names a drive; package paths must be relative", UNSAFE)
    parts = [p for p in re.split(r"[\\/]", name) if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise PackageFault(f"{what} {name!r} climbs out of the package with '..'", UNSAFE)
    if not parts:
        raise PackageFault(f"{what} {name!r} is empty")
    return "/".join(parts)


class Package(ABC):
    """A package opened for reading; use as a context manager."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.entries: dict[str, Entry] = {}

    @property
    def label(self) -> str:
        return self.source.name

    def _add(self, name: str, size: int, compressed: int | None = None) -> None:
        if name in self.entries:
            raise PackageFault(f"{name!r} appears twice in the package")
        folded = name.casefold()
        for other in self.entries:
            if other.casefold() == folded:
                raise PackageFault(f"{name!r} and {other!r} differ only by case; names must be unique")
        if len(self.entries) >= MAX_ENTRIES:
            raise PackageFault(f"the package holds more than {MAX_ENTRIES:,} files", UNSAFE)
        self.entries[name] = Entry(name, size, compressed)

    def read_limited(self, name: str, limit: int) -> bytes:
        entry = self.entries[name]
        if entry.size > limit:
            raise PackageFault(f"{name} is {entry.size:,} bytes; the limit is {limit:,} (1 MiB)")
        try:
            with self.open(name) as fh:
                data = fh.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise PackageFault(f"{name}: the zip entry is damaged ({exc})", DAMAGED) from None
        except OSError as exc:
            raise PackageFault(f"{name}: cannot be read ({exc.strerror or exc})", UNREADABLE) from None
        if len(data) > limit:
            raise PackageFault(f"{name} is larger than the limit of {limit:,} bytes (1 MiB)")
        return data

    @abstractmethod
    def open(self, name: str) -> BinaryIO: ...

    def open_span(self, name: str) -> tuple[io.FileIO, int, bool] | None:
        """Where the entry's bytes lie verbatim, for a copy in the kernel: the open file,
        the offset of the first byte, and whether the entry ends where the file does (so
        more bytes there than declared mean the file grew). None when they do not lie
        verbatim (a compressed entry): read them through ``open``."""
        return None

    def close(self) -> None:  # noqa: B027 - folders hold nothing open
        pass

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipPackage(Package):
    def __init__(self, source: Path) -> None:
        super().__init__(source)
        try:
            self._zip = zipfile.ZipFile(source)
        except zipfile.BadZipFile as exc:
            raise PackageFault(f"not a valid zip file ({exc})", NOT_A_PACKAGE) from None
        except UnicodeDecodeError as exc:
            raw = exc.object if isinstance(exc.object, bytes | bytearray) else b""
            raise PackageFault(f"file name {bytes(raw)!r} is marked UTF-8 but is not UTF-8") from None
        except (OSError, EOFError) as exc:
            raise PackageFault(f"cannot read the zip file ({exc})", UNREADABLE) from None
        try:
            self._scan()
        except BaseException:
            self._zip.close()
            raise

    def _scan(self) -> None:
        infos = self._zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackageFault(f"the zip holds {len(infos):,} entries; the limit is {MAX_ENTRIES:,}", UNSAFE)
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            raw_name = info.orig_filename
            if not info.flag_bits & 0x800:
                try:
                    raw_name = raw_name.encode("cp437").decode("utf-8")
                except UnicodeDecodeError:
                    shown = raw_name.encode("cp437")
                    raise PackageFault(f"file name {shown!r} is not UTF-8") from None
                except UnicodeEncodeError:
                    pass
            mode = info.external_attr >> 16 if info.create_system == 3 else 0
            if stat.S_ISLNK(mode):
                raise PackageFault(f"{raw_name!r} is a symbolic link; packages may not hold links", UNSAFE)
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise PackageFault(f"{raw_name!r} is not a regular file (a device, pipe or socket)", UNSAFE)
            name = safe_relpath(raw_name, "file name")
            if raw_name.endswith(("/", "\\")) or info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise PackageFault(f"{name} is encrypted; packages may not be password-protected", ENCRYPTED)
            if info.compress_type not in _ZIP_METHODS:
                raise PackageFault(f"{name} uses an unsupported compression method "
                                   f"({info.compress_type}); use deflate or store")
            if info.file_size > MAX_ENTRY_BYTES:
                raise PackageFault(f"{name} declares {info.file_size:,} bytes, over the limit of "
                                   f"{MAX_ENTRY_BYTES:,}", UNSAFE)
            if info.file_size > RATIO_FLOOR and (
                    info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO):
                ratio = info.file_size / max(info.compress_size, 1)
                raise PackageFault(f"{name} expands {ratio:,.0f}:1 (limit {MAX_RATIO}:1): "
                                   "refused as a possible zip bomb", UNSAFE)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise PackageFault(f"the zip declares more than {MAX_TOTAL_BYTES:,} bytes in all: "
                                   "refused as a possible zip bomb", UNSAFE)
            self._add(name, info.file_size, info.compress_size)
            self._infos[name] = info
        self._check_overlap(infos)

    def _check_overlap(self, infos: list[zipfile.ZipInfo]) -> None:
        """Entries whose data overlap (the 'non-recursive zip bomb') are refused."""
        ordered = sorted(infos, key=lambda i: i.header_offset)
        end_of_data = self._zip.start_dir
        for here, after in zip(ordered, [*ordered[1:], None]):
            limit = after.header_offset if after is not None else end_of_data
            if here.header_offset + 30 + here.compress_size > limit:
                raise PackageFault(f"{here.filename!r} overlaps another entry's data: "
                                   "refused as a possible zip bomb", UNSAFE)

    def open(self, name: str) -> BinaryIO:
        return self._zip.open(self._infos[name])  # type: ignore[return-value]

    def open_span(self, name: str) -> tuple[io.FileIO, int, bool] | None:
        info = self._infos[name]
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            return None
        fh = io.FileIO(self.source, "rb")
        try:
            fh.seek(info.header_offset)
            local = fh.read(_LOCAL_HEADER.size)
            if len(local) < _LOCAL_HEADER.size or local[:4] != b"PK\x03\x04":
                fh.close()  # (zipfile's own reading names the damage)
                return None
            name_len, extra_len = _LOCAL_HEADER.unpack(local)[-2:]
        except BaseException:
            fh.close()
            raise
        return fh, info.header_offset + _LOCAL_HEADER.size + name_len + extra_len, False

    def close(self) -> None:
        self._zip.close()


class FolderPackage(Package):
    def __init__(self, source: Path) -> None:
        super().__init__(source)
        self._scan(source, "")

    def _scan(self, folder: Path, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise PackageFault(f"cannot read folder {prefix or '.'} ({exc.strerror})", UNREADABLE) from None
        for item in items:
            try:
                name = os.fsencode(item.name).decode("utf-8")
            except UnicodeDecodeError:
                raise PackageFault(f"file name {os.fsencode(item.name)!r} in "
                                   f"{prefix or 'the package'} is not UTF-8") from None
            rel = f"{prefix}{name}"
            if "\\" in name:
                raise PackageFault(f"file name {rel!r} contains a backslash; use '/' between folders "
                                   "and no backslash in names")
            if item.is_symlink():
                raise PackageFault(f"{rel!r} is a symbolic link; packages may not hold links", UNSAFE)
            if item.is_dir(follow_symlinks=False):
                self._scan(Path(item.path), rel + "/")
            elif item.is_file(follow_symlinks=False):
                self._add(safe_relpath(rel, "file name"), item.stat(follow_symlinks=False).st_size)
            else:
                raise PackageFault(f"{rel!r} is not a regular file", UNSAFE)

    def open(self, name: str) -> BinaryIO:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.source.joinpath(*PurePosixPath(name).parts), flags)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise PackageFault(f"{name!r} is not a regular file", UNSAFE)
        return io.FileIO(fd, "rb")  # type: ignore[return-value]

    def open_span(self, name: str) -> tuple[io.FileIO, int, bool] | None:
        return self.open(name), 0, True  # type: ignore[return-value]


def open_package(path: Path) -> Package:
    if path.is_dir():
        return FolderPackage(path)
    if path.is_file():
        return ZipPackage(path)
    if not path.exists():
        raise PackageFault("no such file or folder", MISSING)
    raise PackageFault("not a zip file or a folder", NOT_A_PACKAGE)
