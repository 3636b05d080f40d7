"""Build real submission packages for tests (a helper module, not a test module).

``make_package`` writes a valid package -- a folder or a .zip written with ``zipfile`` --
holding real minimal content of every evidence kind: an MP4 video and an MP3 (one-second
stream copies of the demo media in ``resources/demo`` cut with ffmpeg, or generated with
``ffmpeg -f lavfi`` when those are absent), a one-page PDF and a PNG written byte by byte here, and a UTF-8
text file. Hooks let a test break exactly one thing:

* ``mutate_manifest(manifest)`` / ``mutate_rubric(rubric)``: edit the JSON (in place, or
  return a replacement) after sizes and checksums were computed;
* ``manifest_bytes`` / ``rubric_bytes``: replace the serialised JSON outright;
* ``mutate_files(files)``: edit the ``{name: bytes}`` mapping that is written out
  (drop, replace or add files after the manifest was made);
* ``extra_files``: more ``{name: bytes}`` to write.

The low-level helpers below write zips nobody sane would write: symlink entries
(``external_attr`` with ``S_IFLNK``), raw non-UTF-8 names, duplicate names, lying sizes
in the central directory, overlapping entries, encrypted flags, and zip bombs streamed
so that the test itself stays fast and small.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import stat
import struct
import subprocess
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"

SUBMITTED_AT = "2026-05-01T14:30:00+02:00"

Chunks = Callable[[], Iterable[bytes]]


# -- real minimal content of each kind ---------------------------------------------------------

def minimal_pdf(text: str = "Lesson plan") -> bytes:
    """A valid one-page PDF with one line of Helvetica text, xref offsets computed."""
    content = f"BT /F1 18 Tf 36 100 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def minimal_png(width: int = 16, height: int = 16, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A valid 8-bit RGB PNG of one colour with a diagonal stripe."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes((255, 255, 255)) if x == y else bytes(rgb)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _png_chunk(b"IEND", b""))


def _ffmpeg(out: Path, *args: str) -> bytes:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args,
                    str(out)], check=True, timeout=60)
    return out.read_bytes()


def _small_copy(demo: Path, head_ok: Callable[[bytes], bool], lavfi: list[str]) -> bytes:
    """The first second of a demo file (stream copy, so still real media), else the whole
    demo file, else a second generated with ``ffmpeg -f lavfi``."""
    with tempfile.TemporaryDirectory(prefix="reviewer-test-media-") as tmp:
        out = Path(tmp) / demo.name
        if demo.is_file():
            try:
                data = _ffmpeg(out, "-i", str(demo), "-t", "1", "-map", "0", "-c", "copy",
                               *(["-movflags", "+faststart"] if demo.suffix == ".mp4" else []))
                if head_ok(data[:16]):
                    return data
            except (OSError, subprocess.SubprocessError):
                pass
            data = demo.read_bytes()
            if head_ok(data[:16]):
                return data
        data = _ffmpeg(out, "-f", "lavfi", *lavfi)
        assert head_ok(data[:16]), f"ffmpeg made an unexpected {demo.suffix} file"
        return data


@functools.lru_cache(maxsize=1)
def sample_media() -> dict[str, bytes]:
    """Real bytes of each kind, made once per test session."""
    video = _small_copy(
        DEMO / "classroom.mp4", lambda h: h[4:8] == b"ftyp",
        ["-i", "testsrc=size=160x120:rate=10:duration=1", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-movflags", "+faststart"])
    audio = _small_copy(
        DEMO / "reflection.mp3", lambda h: h.startswith(b"ID3") or h[:1] == b"\xff",
        ["-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame", "-b:a", "32k"])
    return {
        "video": video,
        "audio": audio,
        "pdf": minimal_pdf(),
        "image": minimal_png(),
        "text": "Reflection on the lesson.\nWhat went well: the pupils’ questions.\n".encode(),
    }


# -- the package model ----------------------------------------------------------------------

@dataclass
class Evidence:
    id: str
    kind: str
    path: str
    data: bytes | None = None
    chunks: Chunks | None = None  # for big content: a callable yielding the bytes in pieces
    title: str = ""
    criteria: list[str] = field(default_factory=list)

    def iter_bytes(self) -> Iterator[bytes]:
        if self.chunks is not None:
            yield from self.chunks()
        else:
            assert self.data is not None
            yield self.data

    def digest(self) -> tuple[str, int]:
        sha, size = hashlib.sha256(), 0
        for chunk in self.iter_bytes():
            sha.update(chunk)
            size += len(chunk)
        return sha.hexdigest(), size


def default_evidence(tag: str = "") -> list[Evidence]:
    """One evidence file of each kind. ``tag`` makes the text file's content unique."""
    media = sample_media()
    text = media["text"] + (f"Package {tag}.\n".encode() if tag else b"")
    return [
        Evidence("ev-video", "video", "evidence/classroom.mp4", media["video"],
                 title="Lesson video", criteria=["planning", "practice"]),
        Evidence("ev-pdf", "pdf", "evidence/lesson-plan.pdf", media["pdf"],
                 title="Lesson plan", criteria=["planning"]),
        Evidence("ev-image", "image", "evidence/student-work.png", media["image"],
                 title="Student work", criteria=["practice"]),
        Evidence("ev-audio", "audio", "evidence/reflection.mp3", media["audio"],
                 title="Spoken reflection", criteria=["reflection"]),
        Evidence("ev-text", "text", "evidence/notes.txt", text,
                 title="Written notes", criteria=["reflection"]),
    ]


def default_rubric(rubric_id: str = "rubric-feedback", version: str = "1") -> dict[str, Any]:
    def levels() -> list[dict[str, Any]]:
        return [{"value": 1, "label": "Emerging", "descriptor": "Some evidence."},
                {"value": 2, "label": "Proficient", "descriptor": "Clear evidence."},
                {"value": 3, "label": "Exemplary", "descriptor": "Strong evidence."}]
    return {
        "id": rubric_id, "version": version, "title": "Feedback for learning",
        "criteria": [
            {"id": "planning", "title": "Planning", "guidance": "Look at the plan.",
             "required_level": 2, "levels": levels()},
            {"id": "practice", "title": "Practice", "required_level": 2, "levels": levels()},
            {"id": "reflection", "title": "Reflection", "required_level": 1, "levels": levels()},
        ],
    }


def manifest_for(evidence: list[Evidence], *, submission_id: str, attempt: int,
                 rubric_path: str = "rubric.json") -> dict[str, Any]:
    entries = []
    for item in evidence:
        sha, size = item.digest()
        entry: dict[str, Any] = {"id": item.id, "kind": item.kind, "path": item.path,
                                 "sha256": sha, "size": size, "title": item.title or item.id}
        if item.criteria:
            entry["criteria"] = list(item.criteria)
        entries.append(entry)
    return {
        "format": "mcred-submission/1",
        "submission_id": submission_id,
        "attempt": attempt,
        "submitted_at": SUBMITTED_AT,
        "credential": {"id": "cred-feedback", "title": "Feedback for Learning", "version": "1"},
        "candidate": {"id": "cand-0042", "display_name": "Alex Example",
                      "recipient": {"type": "email", "identity": "alex@example.org"}},
        "rubric": rubric_path,
        "evidence": entries,
        "reflections": [{"prompt": "What would you change?", "text": "More wait time."}],
    }


@dataclass
class BuiltPackage:
    path: Path
    manifest: dict[str, Any]
    rubric: dict[str, Any]
    files: dict[str, bytes | Chunks]  # what was written: name -> bytes (or a chunk factory)
    evidence: list[Evidence]

    def data(self, name: str) -> bytes:
        value = self.files[name]
        return value if isinstance(value, bytes) else b"".join(value())

    def entry(self, evidence_id: str) -> dict[str, Any]:
        return next(e for e in self.manifest["evidence"] if e["id"] == evidence_id)


def _apply(func: Callable[[Any], Any] | None, value: Any) -> Any:
    if func is None:
        return value
    result = func(value)
    # A mutator may edit in place (returning None, or whatever dict.pop returned) or
    # return a replacement of the same type.
    return result if isinstance(result, type(value)) else value


def make_package(
    dest_dir: Path,
    *,
    name: str = "package",
    as_zip: bool = True,
    submission_id: str = "SUB-001",
    attempt: int = 1,
    evidence: list[Evidence] | None = None,
    rubric: dict[str, Any] | None = None,
    rubric_path: str = "rubric.json",
    mutate_manifest: Callable[[dict[str, Any]], Any] | None = None,
    mutate_rubric: Callable[[dict[str, Any]], Any] | None = None,
    manifest_bytes: bytes | None = None,
    rubric_bytes: bytes | None = None,
    mutate_files: Callable[[dict[str, bytes | Chunks]], Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> BuiltPackage:
    """Write a package to ``dest_dir/name.zip`` (or the folder ``dest_dir/name``)."""
    evidence = default_evidence(f"{submission_id}/{attempt}") if evidence is None else evidence
    rubric_doc = _apply(mutate_rubric, copy.deepcopy(rubric or default_rubric()))
    manifest = _apply(mutate_manifest, manifest_for(evidence, submission_id=submission_id,
                                                    attempt=attempt, rubric_path=rubric_path))
    files: dict[str, bytes | Chunks] = {
        "manifest.json": manifest_bytes if manifest_bytes is not None
        else json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"),
        rubric_path: rubric_bytes if rubric_bytes is not None
        else json.dumps(rubric_doc, indent=2, ensure_ascii=False).encode("utf-8"),
    }
    for item in evidence:
        files[item.path] = item.chunks if item.chunks is not None else item.data  # type: ignore[assignment]
    files.update(extra_files or {})
    files = _apply(mutate_files, files)
    dest_dir.mkdir(parents=True, exist_ok=True)
    if as_zip:
        path = dest_dir / f"{name}.zip"
        write_zip(path, files.items(), compression=compression)
    else:
        path = dest_dir / name
        write_folder(path, files)
    return BuiltPackage(path, manifest, rubric_doc, files, evidence)


# -- writing ----------------------------------------------------------------------------

def _chunks_of(value: bytes | Chunks) -> Iterable[bytes]:
    return (value,) if isinstance(value, (bytes, bytearray)) else value()


def write_folder(path: Path, files: dict[str, bytes | Chunks]) -> Path:
    path.mkdir(parents=True)
    for name, value in files.items():
        target = path.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for chunk in _chunks_of(value):
                out.write(chunk)
    return path


def zip_info(name: str, *, compression: int = zipfile.ZIP_DEFLATED, mode: int = 0o644,
             file_type: int = stat.S_IFREG) -> zipfile.ZipInfo:
    """A ZipInfo made on "Unix" (create_system 3) with the given type and permission bits."""
    info = zipfile.ZipInfo(name, date_time=(2026, 5, 1, 12, 0, 0))
    info.create_system = 3
    info.external_attr = (file_type | mode) << 16
    info.compress_type = compression
    return info


def symlink_info(name: str) -> zipfile.ZipInfo:
    """An entry that Info-ZIP would extract as a symbolic link (its data is the target)."""
    return zip_info(name, compression=zipfile.ZIP_STORED, mode=0o777, file_type=stat.S_IFLNK)


def write_zip(path: Path, entries: Iterable[tuple[str | zipfile.ZipInfo, bytes | Chunks]], *,
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write entries in order; names may repeat (zipfile's warning is silenced)."""
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate name", category=UserWarning)
        for name, value in entries:
            info = name if isinstance(name, zipfile.ZipInfo) else zip_info(name, compression=compression)
            with zf.open(info, "w") as out:
                for chunk in _chunks_of(value):
                    out.write(chunk)
    return path


def zeros(total: int, chunk: int = 4 * 1024 * 1024) -> Chunks:
    """A chunk factory for ``total`` zero bytes (for bombs; nothing big is held in memory)."""
    def gen() -> Iterator[bytes]:
        block = bytes(chunk)
        left = total
        while left > 0:
            yield block[:min(chunk, left)]
            left -= chunk
    return gen


# -- reading and patching the zip's own records ----------------------------------------------

_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


@dataclass
class CentralRecord:
    offset: int  # of the central directory header in the file
    name: bytes
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    external_attr: int
    header_offset: int  # of the local header


def central_directory(data: bytes) -> list[CentralRecord]:
    eocd = data.rfind(_EOCD)
    assert eocd >= 0, "no end of central directory record"
    count, _size, start = struct.unpack_from("<HII", data, eocd + 10)
    records, pos = [], start
    for _ in range(count):
        assert data[pos:pos + 4] == _CENTRAL, f"no central directory header at {pos}"
        (flags, method, crc, csize, usize, nlen, xlen, clen) = struct.unpack_from(
            "<HH4xIIIHHH", data, pos + 8)
        ext_attr, hdr_offset = struct.unpack_from("<II", data, pos + 38)
        records.append(CentralRecord(pos, data[pos + 46:pos + 46 + nlen], flags, method, crc,
                                     csize, usize, ext_attr, hdr_offset))
        pos += 46 + nlen + xlen + clen
    return records


def patch_zip(path: Path, name: str | bytes, *, file_size: int | None = None,
              compress_size: int | None = None, crc: int | None = None,
              header_offset: int | None = None, set_flags: int = 0, clear_flags: int = 0,
              local_too: bool = False) -> CentralRecord:
    """Rewrite fields of one entry's central directory record (and, if asked, its local header).

    Returns the record as it was before patching.
    """
    raw = name.encode("utf-8") if isinstance(name, str) else name
    data = bytearray(path.read_bytes())
    record = next(r for r in central_directory(bytes(data)) if r.name == raw)
    pos = record.offset
    flags = (record.flags | set_flags) & ~clear_flags
    struct.pack_into("<H", data, pos + 8, flags)
    if crc is not None:
        struct.pack_into("<I", data, pos + 16, crc)
    if compress_size is not None:
        struct.pack_into("<I", data, pos + 20, compress_size)
    if file_size is not None:
        struct.pack_into("<I", data, pos + 24, file_size)
    if header_offset is not None:
        struct.pack_into("<I", data, pos + 42, header_offset)
    if local_too:
        local = record.header_offset
        assert data[local:local + 4] == _LOCAL
        struct.pack_into("<H", data, local + 6, flags)
        if crc is not None:
            struct.pack_into("<I", data, local + 14, crc)
        if compress_size is not None:
            struct.pack_into("<I", data, local + 18, compress_size)
        if file_size is not None:
            struct.pack_into("<I", data, local + 22, file_size)
    path.write_bytes(bytes(data))
    return record


def rename_raw(path: Path, placeholder: str, raw_name: bytes, *, utf8_flag: bool = False) -> None:
    """Replace an entry's name with raw bytes (same length) in its local and central headers.

    zipfile always marks non-ASCII names as UTF-8 (flag bit 0x800); this writes names the
    way old tools did: arbitrary bytes, with the flag set or cleared as asked.
    """
    old = placeholder.encode("ascii")
    assert len(old) == len(raw_name), "the placeholder must have the raw name's length"
    data = bytearray(path.read_bytes())
    record = next(r for r in central_directory(bytes(data)) if r.name == old)
    for header, name_at, flag_at in ((record.offset, 46, 8), (record.header_offset, 30, 6)):
        assert data[header + name_at:header + name_at + len(old)] == old
        data[header + name_at:header + name_at + len(old)] = raw_name
        (flags,) = struct.unpack_from("<H", data, header + flag_at)
        flags = flags | 0x800 if utf8_flag else flags & ~0x800
        struct.pack_into("<H", data, header + flag_at, flags)
    path.write_bytes(bytes(data))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fs_name(path: Path, raw: bytes) -> bytes:
    """A file system path (as bytes) under ``path`` whose last part is the raw bytes given."""
    return os.path.join(os.fsencode(path), raw)
