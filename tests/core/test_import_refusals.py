"""Every bad package is refused with one clear line, and nothing already stored changes.

Each test starts from a data folder where a valid package was really imported (a copy of
the session's ``seed_template``, see conftest), so there is data to protect; it records
a snapshot of the database and the evidence store, tries one bad package, checks that a
``PackageError``'s first line names the package and says in a reviewer's words what is
wrong and what to do (never a library's phrase), that its details name the offending
file or field and what is wrong technically, and then that the snapshot is unchanged:
no row, no blob, no staging folder, no journal.
Bad packages use a submission id of their own, so a missing check would show up as a
new row rather than be masked by the "already imported" rule.
"""

from __future__ import annotations

import copy
import json
import os
import random
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.errors import Cancelled, PackageError
from reviewer_app.jobs import Job
from reviewer_app.services.imports import import_package
from reviewer_app.services.submissions import get_submission, list_submissions
from reviewer_app.store import audit

from packages import (
    Evidence,
    central_directory,
    default_evidence,
    fs_name,
    make_package,
    minimal_pdf,
    minimal_png,
    patch_zip,
    rename_raw,
    sample_media,
    symlink_info,
    write_folder,
    write_zip,
    zeros,
    zip_info,
)
from refusal_support import (  # noqa: F401 - ctx, seeded and refused are fixtures
    AUDIO,
    BAD,
    IMAGE,
    INDEX,
    MALFORMED,
    NEW_COPY,
    PDF,
    SEED,
    TEXT,
    UNSAFE,
    VIDEO,
    Words,
    bad,
    ctx,
    refused,
    seeded,
)


def at(doc: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    """(parent, key) of the value at ``path`` inside a JSON document."""
    for part in path[:-1]:
        doc = doc[part]
    return doc, path[-1]


def setting(path: tuple[Any, ...], value: Any) -> Callable[[Any], None]:
    def mutate(doc: Any) -> None:
        parent, key = at(doc, path)
        parent[key] = value
    return mutate


def deleting(path: tuple[Any, ...]) -> Callable[[Any], None]:
    def mutate(doc: Any) -> None:
        parent, key = at(doc, path)
        del parent[key]
    return mutate


def shown(name: str) -> tuple[str, str]:
    """A name as written, or as ``repr`` shows it (backslashes doubled)."""
    return name, name.replace("\\", "\\\\")


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x20]) + data[offset + 1:]


# -- JSON that cannot be read ------------------------------------------------------------

INVALID_JSON = {
    "truncated": b'{"format": "mcred-submission/1", "submission_id": ',
    "trailing-comma": b'{"format": "mcred-submission/1",}',
    "nan": b'{"format": "mcred-submission/1", "attempt": NaN}',
    "not-utf8": b'{"format": "mcred-submission/1", "submission_id": "caf\xe9"}',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "empty": b"",
}


@pytest.mark.parametrize("content", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_manifest_invalid_json(refused, tmp_path, content):
    pkg = bad(tmp_path, manifest_bytes=content)
    refused(pkg.path, "manifest.json", ("not valid JSON", "not UTF-8"), says=MALFORMED)


@pytest.mark.parametrize("content", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_rubric_invalid_json(refused, tmp_path, content):
    pkg = bad(tmp_path, rubric_bytes=content)
    refused(pkg.path, "rubric.json", ("not valid JSON", "not UTF-8"))


@pytest.mark.parametrize("content", [b"[]", b'"mcred-submission/1"', b"null", b"42"],
                         ids=["list", "string", "null", "number"])
def test_manifest_not_an_object(refused, tmp_path, content):
    refused(bad(tmp_path, manifest_bytes=content).path, "manifest.json", "object")


def test_rubric_not_an_object(refused, tmp_path):
    refused(bad(tmp_path, rubric_bytes=b"[]").path, "rubric.json", "object")


# -- manifest fields --------------------------------------------------------------------

@pytest.mark.parametrize("path, shown", [
    (("submission_id",), "submission_id"),
    (("attempt",), "attempt"),
    (("submitted_at",), "submitted_at"),
    (("credential",), "credential"),
    (("candidate", "id"), "candidate.id"),
    (("rubric",), "rubric"),
    (("evidence",), "evidence"),
    (("evidence", 1, "sha256"), "evidence[1].sha256"),
    (("evidence", 2, "size"), "evidence[2].size"),
], ids=["submission_id", "attempt", "submitted_at", "credential", "candidate.id", "rubric",
        "evidence", "evidence[1].sha256", "evidence[2].size"])
def test_manifest_missing_field(refused, tmp_path, path, shown):
    pkg = bad(tmp_path, mutate_manifest=deleting(path))
    refused(pkg.path, "manifest.json", f"'{shown}'", "missing", says=MALFORMED)


@pytest.mark.parametrize("path, value, words", [
    (("attempt",), "1", ("'attempt'", "integer")),
    (("attempt",), 1.0, ("'attempt'", "integer")),
    (("attempt",), True, ("'attempt'", "integer")),
    (("evidence", 0, "size"), "32628", ("'evidence[0].size'", "integer")),
    (("evidence", 0, "sha256"), "z" * 64, ("'evidence[0].sha256'", "hexadecimal")),
    (("evidence", 0, "sha256"), "abc123", ("'evidence[0].sha256'", "hexadecimal")),
    (("evidence", 0, "size"), -1, ("'evidence[0].size'", "at least 0")),
    (("submission_id",), 17, ("'submission_id'", "string")),
    (("evidence",), {"id": "x"}, ("'evidence'", "list")),
    (("candidate",), "cand-0042", ("'candidate'", "object")),
    (("candidate", "recipient", "type"), "fax", ("'candidate.recipient.type'", "fax")),
], ids=["attempt-string", "attempt-float", "attempt-bool", "size-string", "sha256-not-hex",
        "sha256-short", "size-negative", "submission_id-number", "evidence-object",
        "candidate-string", "recipient-type"])
def test_manifest_mistyped_field(refused, tmp_path, path, value, words):
    pkg = bad(tmp_path, mutate_manifest=setting(path, value))
    refused(pkg.path, "manifest.json", *words, says=MALFORMED)


def test_manifest_unknown_format_version(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=setting(("format",), "mcred-submission/2"))
    refused(pkg.path, "manifest.json", "format", "mcred-submission/2",
            says=("newer version", "Update Reviewer"))


def test_manifest_missing_format(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=deleting(("format",)))
    refused(pkg.path, "manifest.json", "'format'", "missing")


@pytest.mark.parametrize("attempt", [0, -1])
def test_manifest_attempt_below_one(refused, tmp_path, attempt):
    pkg = bad(tmp_path, mutate_manifest=setting(("attempt",), attempt))
    refused(pkg.path, "manifest.json", "'attempt'", "at least 1")


@pytest.mark.parametrize("value, words", [
    ("2026-05-01T14:30:00", ("offset",)),
    ("2026-05-01 14:30", ("offset",)),
    ("yesterday afternoon", ("ISO 8601",)),
    ("2026-13-01T14:30:00+02:00", ("ISO 8601",)),
], ids=["no-offset", "no-offset-short", "not-a-date", "month-13"])
def test_manifest_submitted_at_without_offset_or_invalid(refused, tmp_path, value, words):
    pkg = bad(tmp_path, mutate_manifest=setting(("submitted_at",), value))
    refused(pkg.path, "manifest.json", "'submitted_at'", *words)


def test_manifest_unknown_evidence_kind(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=setting(("evidence", 0, "kind"), "spreadsheet"))
    refused(pkg.path, "manifest.json", "'evidence[0].kind'", "spreadsheet")


def test_evidence_names_a_criterion_the_rubric_lacks(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=setting(("evidence", 1, "criteria"),
                                                ["planning", "no-such-criterion"]))
    refused(pkg.path, "manifest.json", "ev-pdf", "no-such-criterion", "rubric")


def test_rubric_required_level_not_among_levels(refused, tmp_path):
    pkg = bad(tmp_path, mutate_rubric=setting(("criteria", 1, "required_level"), 9))
    refused(pkg.path, "rubric.json", "required_level", "9", "practice")


@pytest.mark.parametrize("mutate, words", [
    (deleting(("criteria", 0, "levels")), ("'criteria[0].levels'", "missing")),
    (setting(("criteria", 0, "levels", 1, "value"), "2"), ("'criteria[0].levels[1].value'", "integer")),
    (setting(("criteria", 2, "id"), "planning"), ("duplicate", "planning")),
    (setting(("criteria",), []), ("'criteria'",)),
], ids=["levels-missing", "level-value-string", "duplicate-criterion", "no-criteria"])
def test_rubric_invalid_fields(refused, tmp_path, mutate, words):
    refused(bad(tmp_path, mutate_rubric=mutate).path, "rubric.json", *words, says=MALFORMED)


def test_duplicate_evidence_ids(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=setting(("evidence", 3, "id"), "ev-video"))
    refused(pkg.path, "manifest.json", "duplicate", "evidence id", "ev-video")


def test_duplicate_evidence_paths(refused, tmp_path):
    def same_path(m: dict[str, Any]) -> None:
        m["evidence"][3] = {**m["evidence"][4], "id": "ev-again"}
    refused(bad(tmp_path, mutate_manifest=same_path).path, "manifest.json", "duplicate",
            "evidence path", TEXT)


# -- evidence content against the manifest ---------------------------------------------------

@pytest.mark.parametrize("name", [TEXT, VIDEO], ids=["text", "video"])
@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_wrong_checksum(refused, tmp_path, name, as_zip):
    """Same size, one byte different: only the SHA-256 can tell."""
    def tamper(files: dict[str, bytes]) -> None:
        files[name] = flip_byte(files[name], len(files[name]) // 2)
    pkg = bad(tmp_path, as_zip=as_zip, mutate_files=tamper)
    title = {TEXT: "the written piece \u201cWritten notes\u201d",
             VIDEO: "the video \u201cLesson video\u201d"}[name]
    refused(pkg.path, name, ("SHA-256", "sha256", "checksum"), says=(f"{title} in it is damaged", NEW_COPY))


@pytest.mark.parametrize("delta", [+1, -1, +10**6], ids=["one-more", "one-less", "a-megabyte-more"])
def test_manifest_declares_a_different_size(refused, tmp_path, delta):
    def wrong_size(m: dict[str, Any]) -> None:
        m["evidence"][INDEX["text"]]["size"] += delta
    pkg = bad(tmp_path, mutate_manifest=wrong_size)
    refused(pkg.path, TEXT, "size", "declares")


@pytest.mark.parametrize("change", ["shorter", "longer"])
@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_file_shorter_or_longer_than_declared(refused, tmp_path, change, as_zip):
    """The manifest describes the original file; the package holds a cut or padded copy."""
    def alter(files: dict[str, bytes]) -> None:
        files[VIDEO] = files[VIDEO][:-1000] if change == "shorter" else files[VIDEO] + bytes(1000)
    pkg = bad(tmp_path, as_zip=as_zip, mutate_files=alter)
    refused(pkg.path, VIDEO, "bytes", "declares")


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_missing_evidence_file(refused, tmp_path, as_zip):
    pkg = bad(tmp_path, as_zip=as_zip, mutate_files=lambda f: f.pop(PDF))
    refused(pkg.path, PDF, "ev-pdf", "missing",
            says=("the document \u201cLesson plan\u201d is missing from it", NEW_COPY))


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_missing_rubric_file(refused, tmp_path, as_zip):
    pkg = bad(tmp_path, as_zip=as_zip, mutate_files=lambda f: f.pop("rubric.json"))
    refused(pkg.path, "rubric.json", "missing")


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_missing_manifest(refused, tmp_path, as_zip):
    pkg = bad(tmp_path, as_zip=as_zip, mutate_files=lambda f: f.pop("manifest.json"))
    refused(pkg.path, "manifest.json", "missing", says="this is not a submission package")


def test_manifest_not_at_the_root(refused, tmp_path):
    """A zip of the package's folder (everything under 'package/') is a common mistake."""
    def nest(files: dict[str, bytes]) -> dict[str, bytes]:
        return {f"package/{name}": data for name, data in files.items()}
    refused(bad(tmp_path, mutate_files=nest).path, "manifest.json", "missing", "root")


# -- paths that leave the package ----------------------------------------------------------

PATH_ATTACKS = {
    "dotdot": ("../outside.txt", "'..'"),
    "dotdot-inside": ("evidence/../../outside.txt", "'..'"),
    "dotdot-backslash": ("..\\outside.txt", "'..'"),
    "absolute": ("/etc/passwd", "absolute"),
    "absolute-backslash": ("\\etc\\passwd", "absolute"),
    "unc": ("\\\\server\\share\\notes.txt", "absolute"),
    "drive-slash": ("C:/x", "drive"),
    "drive-backslash": ("C:\\x", "drive"),
    "drive-relative": ("c:notes.txt", "drive"),
}


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("evil, word", PATH_ATTACKS.values(), ids=PATH_ATTACKS.keys())
def test_evidence_path_leaves_the_package(refused, tmp_path, evil, word, as_zip):
    """The target exists just outside the package with the declared bytes, so following the
    path would 'verify'."""
    pkg = bad(tmp_path, as_zip=as_zip,
              mutate_manifest=setting(("evidence", INDEX["text"], "path"), evil))
    (pkg.path.parent / "outside.txt").write_bytes(pkg.data(TEXT))
    refused(pkg.path, "manifest.json", "'evidence[4].path'", shown(evil), word, says=UNSAFE)


def test_evidence_path_absolute_to_a_real_file(refused, tmp_path):
    outside = tmp_path / "outside.txt"
    pkg = bad(tmp_path, as_zip=False,
              mutate_manifest=setting(("evidence", INDEX["text"], "path"), str(outside)))
    outside.write_bytes(pkg.data(TEXT))
    refused(pkg.path, "'evidence[4].path'", "absolute")


def test_rubric_path_leaves_the_package(refused, tmp_path):
    pkg = bad(tmp_path, as_zip=False, rubric_path="rubric.json",
              mutate_manifest=setting(("rubric",), "../rubric.json"))
    (pkg.path.parent / "rubric.json").write_bytes(pkg.data("rubric.json"))
    refused(pkg.path, "manifest.json", "'rubric'", "'..'")


ENTRY_ATTACKS = {
    "dotdot": ("../evil.txt", "'..'"),
    "dotdot-inside": ("evidence/../../evil.txt", "'..'"),
    "dotdot-backslash": ("..\\evil.txt", "'..'"),
    "absolute": ("/tmp/evil.txt", "absolute"),
    "drive": ("C:/evil.txt", "drive"),
    "drive-backslash": ("C:\\evil.txt", "drive"),
}


@pytest.mark.parametrize("entry, word", ENTRY_ATTACKS.values(), ids=ENTRY_ATTACKS.keys())
def test_zip_entry_name_leaves_the_package(refused, tmp_path, entry, word):
    """An extra entry no manifest field mentions is still refused (a later extractor might)."""
    pkg = bad(tmp_path, extra_files={entry: b"overwrite me\n"})
    refused(pkg.path, shown(entry), word, says=UNSAFE)


# -- links -------------------------------------------------------------------------------

@pytest.mark.parametrize("replace_evidence", [True, False], ids=["as-evidence", "extra-entry"])
def test_zip_symlink_entry(refused, tmp_path, replace_evidence):
    def link(files: dict[Any, bytes]) -> None:
        if replace_evidence:
            files.pop(TEXT)
            files[symlink_info(TEXT)] = b"../../../../etc/passwd"
        else:
            files[symlink_info("evidence/etc")] = b"/etc"
    pkg = bad(tmp_path, mutate_files=link)
    refused(pkg.path, TEXT if replace_evidence else "evidence/etc", "symbolic link", says=UNSAFE)


def test_folder_symlink_to_a_file(refused, tmp_path):
    """A link to a file outside with exactly the declared bytes: following it would verify."""
    pkg = bad(tmp_path, as_zip=False)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(pkg.data(TEXT))
    (pkg.path / TEXT).unlink()
    os.symlink(outside, pkg.path / TEXT)
    refused(pkg.path, TEXT, "symbolic link")


def test_folder_symlink_to_a_folder(refused, tmp_path):
    pkg = bad(tmp_path, as_zip=False)
    outside = tmp_path / "outside-evidence"
    (pkg.path / "evidence").rename(outside)
    os.symlink(outside, pkg.path / "evidence", target_is_directory=True)
    refused(pkg.path, "'evidence'", "symbolic link")


def test_folder_package_reached_through_a_symlink_imports(ctx, tmp_path, seeded):
    """The package path the user chose may be a link; links *inside* it are what is refused."""
    pkg = bad(tmp_path, as_zip=False)
    link = tmp_path / "link-to-package"
    os.symlink(pkg.path, link, target_is_directory=True)
    assert import_package(ctx, link).status == "imported"


def test_folder_special_file(refused, tmp_path):
    pkg = bad(tmp_path, as_zip=False)
    os.mkfifo(pkg.path / "evidence" / "pipe")
    refused(pkg.path, "evidence/pipe", "not a regular file")


def test_zip_device_entry(refused, tmp_path):
    def device(files: dict[Any, bytes]) -> None:
        files[zip_info("evidence/tty", file_type=stat.S_IFCHR)] = b""
    refused(bad(tmp_path, mutate_files=device).path, "evidence/tty", ("device", "regular file"))


@pytest.mark.parametrize("which", [
    "evidence",
    "rubric",
])
def test_folder_backslash_in_a_file_name(refused, tmp_path, which):
    """On POSIX a backslash is an ordinary character in a name; on Windows it is a separator."""
    if which == "evidence":
        pkg = bad(tmp_path, as_zip=False)
        (pkg.path / TEXT).rename(pkg.path / "evidence\\notes.txt")
        refused(pkg.path, shown("evidence\\notes.txt") + (TEXT,))
    else:
        pkg = bad(tmp_path, as_zip=False, rubric_path="conf/rubric.json")
        (pkg.path / "conf" / "rubric.json").rename(pkg.path / "conf\\rubric.json")
        (pkg.path / "conf").rmdir()
        refused(pkg.path, ("rubric.json",))


# -- zip bombs and lying zip records ---------------------------------------------------------

BOMB_BYTES = 200 * 1024 * 1024


def test_zip_bomb_ratio(refused, tmp_path):
    """A 'video' that is a real MP4 followed by 200 MB of zeros: deflated, it expands ~900:1.

    Written streaming (4 MiB of zeros at a time), so the zip on disk is well under 1 MB."""
    head = sample_media()["video"][:65536]

    def chunks():
        yield head
        yield from zeros(BOMB_BYTES)()

    evidence = default_evidence(BAD)
    evidence[INDEX["video"]] = Evidence("ev-video", "video", VIDEO, chunks=chunks, title="Bomb")
    pkg = bad(tmp_path, evidence=evidence)
    assert pkg.path.stat().st_size < 1024 * 1024
    refused(pkg.path, VIDEO, ("zip bomb", "expands"), says=(UNSAFE, "Do not unpack it yourself"))


@pytest.mark.parametrize("lie, manifest_agrees", [
    ("smaller", False), ("smaller", True), ("bigger", False), ("bigger", True)],
    ids=["smaller", "smaller-manifest-agrees", "bigger", "bigger-manifest-agrees"])
def test_zip_declared_size_lies(refused, tmp_path, lie, manifest_agrees):
    """The central directory's uncompressed size for the video is edited.

    When the manifest declares the real size the declared sizes disagree at once; when it
    declares the lie too, only reading the entry can tell (CRC, or too few bytes).
    """
    real = len(sample_media()["video"])
    lied = real // 2 if lie == "smaller" else real + 4096

    def declare(m: dict[str, Any]) -> None:
        if manifest_agrees:
            m["evidence"][INDEX["video"]]["size"] = lied
    pkg = bad(tmp_path, mutate_manifest=declare)
    patch_zip(pkg.path, VIDEO, file_size=lied)
    if not manifest_agrees:
        words: tuple[Words, ...] = ("size", "declares")
    elif lie == "smaller":
        words = (("damaged", "CRC", "checksum", "SHA-256"),)
    else:
        words = ("bytes", "declares")
    refused(pkg.path, VIDEO, *words)


@pytest.mark.parametrize("name", ["manifest.json", "rubric.json"])
def test_zip_declared_size_of_json_lies(refused, tmp_path, name):
    """manifest.json's (or the rubric's) central size is smaller than its data: CRC error."""
    pkg = bad(tmp_path)
    patch_zip(pkg.path, name, file_size=40)
    refused(pkg.path, name, ("damaged", "CRC"))


def _corrupt_entry_data(path: Path, name: str) -> None:
    data = bytearray(path.read_bytes())
    record = next(r for r in central_directory(bytes(data)) if r.name == name.encode())
    start = record.header_offset + 30 + len(record.name)
    for offset in range(start + 8, start + min(record.compress_size, 64)):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))


def test_zip_damaged_evidence_data(refused, tmp_path):
    pkg = bad(tmp_path)
    _corrupt_entry_data(pkg.path, VIDEO)
    refused(pkg.path, VIDEO, ("damaged", "CRC", "SHA-256"),
            says=("the video \u201cLesson video\u201d in it is damaged", NEW_COPY))


@pytest.mark.parametrize("name", ["manifest.json", "rubric.json"])
def test_zip_damaged_json_data(refused, tmp_path, name):
    pkg = bad(tmp_path)
    _corrupt_entry_data(pkg.path, name)
    refused(pkg.path, name, ("damaged", "CRC"))


@pytest.mark.parametrize("how", ["same-offset", "runs-into-next"])
def test_zip_overlapping_entries(refused, tmp_path, how):
    pkg = bad(tmp_path)
    records = {r.name.decode(): r for r in central_directory(pkg.path.read_bytes())}
    if how == "same-offset":  # two names, one local header: the classic overlap bomb kernel
        patch_zip(pkg.path, PDF, header_offset=records[IMAGE].header_offset)
    else:  # an entry's compressed data reaches into the next entry's local header
        following = min((r for r in records.values()
                         if r.header_offset > records[PDF].header_offset),
                        key=lambda r: r.header_offset)
        patch_zip(pkg.path, PDF, compress_size=following.header_offset - records[PDF].header_offset)
    refused(pkg.path, (PDF, IMAGE), "overlaps", "zip bomb", says=UNSAFE)


@pytest.mark.parametrize("name", ["manifest.json", TEXT])
def test_zip_duplicate_names(refused, tmp_path, name):
    """A second entry of the same name (different bytes): tools disagree on which one counts."""
    pkg = bad(tmp_path)
    entries = [(n, pkg.data(n)) for n in pkg.files]
    second = (json.dumps({**pkg.manifest, "submission_id": "SUB-OTHER"}).encode()
              if name == "manifest.json" else b"something else entirely\n")
    write_zip(pkg.path, [*entries, (name, second)])
    refused(pkg.path, name, "twice")


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("other", ["evidence/NOTES.txt", "Evidence/notes.txt", "MANIFEST.JSON"])
def test_names_differing_only_by_case(refused, tmp_path, as_zip, other):
    pkg = bad(tmp_path, as_zip=as_zip, extra_files={other: b"another file\n"})
    refused(pkg.path, ("differ only by case", "case"),
            other.rsplit("/", 1)[-1], ("notes.txt", "manifest.json"))


@pytest.mark.parametrize("utf8_flag", [False, True], ids=["flag-unset", "flag-set"])
def test_zip_non_utf8_name(refused, tmp_path, utf8_flag):
    """b"caf\\xe9" is Latin-1 'café', not UTF-8: with the UTF-8 flag unset (read as CP437 by
    zipfile) or set (zipfile itself cannot decode it)."""
    pkg = bad(tmp_path, extra_files={"evidence/cafX.txt": b"caf\xc3\xa9\n"})
    rename_raw(pkg.path, "evidence/cafX.txt", b"evidence/caf\xe9.txt", utf8_flag=utf8_flag)
    refused(pkg.path, "UTF-8", *([] if utf8_flag else ["evidence/caf\\xe9.txt"]))


def test_zip_non_utf8_flagged_name_message_names_the_file(refused, tmp_path):
    pkg = bad(tmp_path, extra_files={"evidence/cafX.txt": b"caf\xc3\xa9\n"})
    rename_raw(pkg.path, "evidence/cafX.txt", b"evidence/caf\xe9.txt", utf8_flag=True)
    refused(pkg.path, "UTF-8", "caf")


def test_folder_non_utf8_name(refused, tmp_path):
    pkg = bad(tmp_path, as_zip=False)
    with open(fs_name(pkg.path / "evidence", b"\xff-notes.txt"), "wb") as out:
        out.write(b"stray\n")
    refused(pkg.path, "UTF-8", "\\xff-notes.txt")


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("what", ["manifest.json", "rubric.json"])
def test_json_over_one_mebibyte(refused, tmp_path, what, as_zip):
    pad = random.Random(5).randbytes(600 * 1024).hex()  # over 1 MiB; deflates only ~2:1
    if what == "manifest.json":
        pkg = bad(tmp_path, as_zip=as_zip,
                  mutate_manifest=setting(("reflections",), [{"prompt": "p", "text": pad}]))
    else:
        pkg = bad(tmp_path, as_zip=as_zip, mutate_rubric=setting(("criteria", 0, "guidance"), pad))
    refused(pkg.path, what, "1 MiB")


KIND_MISMATCHES = {
    # id: (kind of the evidence slot, content, words)
    "pdf-is-png": ("pdf", minimal_png(), "not a PDF"),
    "pdf-is-elf": ("pdf", b"\x7fELF\x02\x01\x01" + bytes(2000), "not a PDF"),
    "pdf-is-empty": ("pdf", b"", "empty"),
    "video-is-text": ("video", b"Not a video at all, just words.\n" * 300, "not a video"),
    "image-is-pdf": ("image", minimal_pdf(), "not an image"),
    "audio-is-pdf": ("audio", minimal_pdf(), "not audio"),
    "text-invalid-utf8": ("text", b"caf\xe9 au lait\n", "UTF-8"),
    "text-nul": ("text", b"hello\x00world\n", "NUL"),
    "text-ends-mid-character": ("text", "naïve café".encode()[:-1], "UTF-8"),
    "text-is-png": ("text", minimal_png(), ("UTF-8", "NUL")),
}


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("kind, content, words", KIND_MISMATCHES.values(), ids=KIND_MISMATCHES.keys())
def test_content_does_not_match_kind(refused, tmp_path, kind, content, words, as_zip):
    """Size and SHA-256 describe the content exactly; only its kind is wrong."""
    evidence = default_evidence(BAD)
    evidence[INDEX[kind]].data = content
    pkg = bad(tmp_path, as_zip=as_zip, evidence=evidence)
    refused(pkg.path, evidence[INDEX[kind]].path, f"declared as {kind}", words,
            says=("in it is not the kind of file the package says it is", NEW_COPY))


@pytest.mark.parametrize("name", [TEXT, "manifest.json"])
def test_zip_encrypted_entry(refused, tmp_path, name):
    pkg = bad(tmp_path)
    patch_zip(pkg.path, name, set_flags=0x1, local_too=True)
    refused(pkg.path, name, "encrypted", says="password-protected")


def test_zip_unsupported_compression_method(refused, tmp_path):
    pkg = bad(tmp_path, compression=zipfile.ZIP_STORED)
    data = bytearray(pkg.path.read_bytes())
    record = next(r for r in central_directory(bytes(data)) if r.name == TEXT.encode())
    data[record.offset + 10:record.offset + 12] = (99).to_bytes(2, "little")  # AES (WinZip)
    data[record.header_offset + 8:record.header_offset + 10] = (99).to_bytes(2, "little")
    pkg.path.write_bytes(bytes(data))
    refused(pkg.path, TEXT, "compression")


NOT_ZIPS = {
    "random-bytes": random.Random(7).randbytes(64 * 1024),
    "empty": b"",
    "a-pdf": minimal_pdf(),
    "text": b"manifest.json\n",
}


@pytest.mark.parametrize("content", NOT_ZIPS.values(), ids=NOT_ZIPS.keys())
def test_not_a_zip(refused, tmp_path, content):
    path = tmp_path / "bad.zip"
    path.write_bytes(content)
    refused(path, "zip", says="this is not a submission package")


@pytest.mark.parametrize("keep", [0.5, 0.99, -10, -22], ids=["half", "most", "minus-10", "minus-22"])
def test_truncated_zip(refused, tmp_path, keep):
    pkg = bad(tmp_path)
    data = pkg.path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else len(data) + keep
    pkg.path.write_bytes(data[:cut])
    refused(pkg.path, "zip", says=("or it is damaged", "ask the sender for a new copy"))


def test_no_such_path(refused, tmp_path):
    refused(tmp_path / "nowhere.zip", ("no such", "not found"), says="there is no such file or folder")


# -- the same submission again ---------------------------------------------------------------

def test_same_package_twice_is_already_imported(ctx, snapshot, seeded, tmp_path):
    before = snapshot()
    outcome = import_package(ctx, seeded.path)
    assert outcome.status == "already imported"
    assert (outcome.submission_key, outcome.attempt) == (SEED, 1)
    assert "already imported" in outcome.describe()
    snapshot.assert_unchanged(before)

    # The same content as a folder (and the manifest re-serialised) is the same package.
    again = make_package(tmp_path / "again", as_zip=False, submission_id=SEED,
                         manifest_bytes=json.dumps(seeded.manifest, sort_keys=True).encode())
    assert import_package(ctx, again.path).status == "already imported"
    snapshot.assert_unchanged(before)


@pytest.mark.parametrize("change", ["evidence-content", "title", "reflection"])
def test_same_attempt_with_different_content(refused, tmp_path, change):
    if change == "evidence-content":
        evidence = default_evidence("different text")
        pkg = make_package(tmp_path / "bad", name="bad", submission_id=SEED, evidence=evidence)
    else:
        path = ("evidence", 0, "title") if change == "title" else ("reflections", 0, "text")
        pkg = make_package(tmp_path / "bad", name="bad", submission_id=SEED,
                           mutate_manifest=setting(path, "Changed"))
    refused(pkg.path, SEED, "attempt 1", "already imported", says="contradicts a submission")


def test_rubric_same_version_different_content(refused, ctx, tmp_path):
    """Refused after the new blobs were published: they must be rolled back."""
    evidence = default_evidence(BAD)
    evidence[INDEX["image"]].data = minimal_png(rgb=(10, 200, 10))  # a blob the store lacks
    pkg = bad(tmp_path, evidence=evidence,
              mutate_rubric=setting(("criteria", 0, "title"), "Planning, reworded"))
    refused(pkg.path, "rubric-feedback", "different content")
    assert not ctx.evidence.has(pkg.entry("ev-image")["sha256"])


def test_submission_known_for_another_candidate(refused, tmp_path):
    pkg = make_package(tmp_path / "bad", name="bad", submission_id=SEED, attempt=2,
                       mutate_manifest=setting(("candidate", "id"), "cand-9999"))
    refused(pkg.path, SEED, "another candidate")


def test_attempt_too_large_for_the_database(refused, tmp_path):
    pkg = bad(tmp_path, mutate_manifest=setting(("attempt",), 2**63))
    refused(pkg.path, "manifest.json", "'attempt'")


def test_rubric_level_too_large_for_the_database(refused, tmp_path):
    def huge(r: dict[str, Any]) -> None:
        r["id"] = "rubric-huge"
        r["criteria"][0]["levels"][2]["value"] = 2**63
    refused(bad(tmp_path, mutate_rubric=huge).path, "rubric.json", "value")


def test_unexpected_failure_at_commit_leaves_nothing_behind(ctx, snapshot, seeded, tmp_path):
    """Whatever the database refuses at commit (here a trigger that aborts the insert), the
    blobs published for the import are removed again and no row remains."""
    from sqlalchemy import text

    evidence = default_evidence(BAD)
    evidence[INDEX["image"]].data = minimal_png(rgb=(1, 2, 3))  # a blob the store lacks
    pkg = bad(tmp_path, evidence=evidence)
    with ctx.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse_attempts BEFORE INSERT ON attempt "
                          "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    before = snapshot()
    with pytest.raises(PackageError, match="database refused") as info:
        import_package(ctx, pkg.path)
    assert "refused by the test" in info.value.details
    snapshot.assert_unchanged(before, ignore=("audit_log", "audit_head"))
    assert audit.recent(ctx, limit=1)[0].action == audit.PACKAGE_REFUSED  # the refusal, audited


# -- cancellation, deduplication, verification of known blobs -----------------------------------

def test_cancel_mid_copy(ctx, snapshot, seeded, tmp_path):
    words = random.Random(3).choices(["lesson", "pupil", "question", "wait", "time", "group",
                                      "answer", "think", "pair", "share", "why", "because"],
                                     k=600_000)
    big = " ".join(words).encode()  # real text that deflates about 3:1, not like a bomb
    assert len(big) > 3 * 1024 * 1024
    evidence = default_evidence(BAD)
    evidence.insert(0, Evidence("ev-transcript", "text", "evidence/transcript.txt", big,
                                title="Transcript"))
    pkg = bad(tmp_path, evidence=evidence)
    seen: list[int] = []
    job = Job()

    def progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        if done > 0:
            job.cancel()
    job.progress = progress

    before = snapshot()
    with pytest.raises(Cancelled):
        import_package(ctx, pkg.path, job)
    snapshot.assert_unchanged(before)
    assert 0 < max(seen) < len(big), f"not cancelled in the middle of the big file: {seen}"

    # Nothing half-done blocks the same package afterwards.
    assert import_package(ctx, pkg.path).status == "imported"
    assert ctx.evidence.path_for(pkg.entry("ev-transcript")["sha256"]).read_bytes() == big


def test_identical_content_is_stored_once(ctx, seeded, tmp_path):
    same = b"The same words, handed in twice.\n" * 100
    evidence = default_evidence(BAD)
    evidence.append(Evidence("ev-copy-1", "text", "evidence/copy-1.txt", same, title="Copy 1"))
    evidence.append(Evidence("ev-copy-2", "text", "other/copy-2.txt", same, title="Copy 2"))
    blobs_before = {p.name for p in ctx.evidence.blobs()}
    pkg = bad(tmp_path, evidence=evidence)

    assert import_package(ctx, pkg.path).status == "imported"

    detail = get_submission(ctx, BAD)
    copies = [e for e in detail.evidence if e.key.startswith("ev-copy")]
    assert len(copies) == 2 and copies[0].sha256 == copies[1].sha256
    assert [e.path for e in copies] == ["evidence/copy-1.txt", "other/copy-2.txt"]
    new_blobs = {p.name for p in ctx.evidence.blobs()} - blobs_before
    # The package's own notes.txt and the one shared copy: nothing else, nothing twice.
    assert new_blobs == {pkg.entry("ev-text")["sha256"], copies[0].sha256}
    assert ctx.evidence.path_for(copies[0].sha256).read_bytes() == same
    assert list(ctx.evidence.tmp_root.iterdir()) == []


def test_known_blob_is_still_verified(refused, ctx, seeded, tmp_path):
    """A package claiming the SHA-256 and size of a blob the store holds, with other bytes."""
    claimed = seeded.entry("ev-video")
    forged = flip_byte(seeded.data(VIDEO), 1000)

    def claim(files: dict[str, bytes]) -> None:
        files[VIDEO] = forged
    pkg = bad(tmp_path, mutate_files=claim)  # the manifest still has the real video's digest
    assert pkg.entry("ev-video")["sha256"] == claimed["sha256"]
    assert ctx.evidence.has(claimed["sha256"])
    refused(pkg.path, VIDEO, ("SHA-256", "checksum"))
    assert ctx.evidence.path_for(claimed["sha256"]).read_bytes() == seeded.data(VIDEO)


def test_refusal_leaves_the_queue_as_it_was(refused, ctx, tmp_path):
    before = [(r.key, r.attempt) for r in list_submissions(ctx)]
    refused(bad(tmp_path, mutate_files=lambda f: f.pop(PDF)).path, PDF, "missing")
    assert [(r.key, r.attempt) for r in list_submissions(ctx)] == before == [(SEED, 1)]


# -- self-checks of the helpers, so a refusal above is never the helper's fault -------------------

@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_bad_baseline_imports(ctx, seeded, tmp_path, as_zip):
    """The package every refusal test starts from imports when nothing is broken."""
    pkg = bad(tmp_path, as_zip=as_zip, extra_files={"evidence/extra.txt": b"not in manifest\n"})
    assert import_package(ctx, pkg.path).status == "imported"
    assert sorted((r.key, r.attempt) for r in list_submissions(ctx)) == [(BAD, 1), (SEED, 1)]


def test_helpers_write_what_they_claim(tmp_path):
    pkg = bad(tmp_path, extra_files={"evidence/cafX.txt": b"x"})
    rename_raw(pkg.path, "evidence/cafX.txt", b"evidence/caf\xe9.txt")
    names = [r.name for r in central_directory(pkg.path.read_bytes())]
    assert b"evidence/caf\xe9.txt" in names and b"manifest.json" in names
    with zipfile.ZipFile(pkg.path) as zf:
        assert zf.testzip() is None
    folder = write_folder(tmp_path / "f", {"a/b.txt": b"1"})
    assert (folder / "a" / "b.txt").read_bytes() == b"1"
    assert copy.deepcopy(pkg.manifest) == json.loads(pkg.data("manifest.json"))
