"""Evidence copied in the kernel (a folder's file, a STORED .zip entry): stored byte for byte,
checked as stored, and a package that changes while it is copied is refused, not half-trusted."""

from __future__ import annotations

import hashlib
import os
import random
import zipfile
from pathlib import Path

import pytest

from reviewer_app.errors import PackageError
from reviewer_app.intake.transfer import CHUNK
from reviewer_app.jobs import Job
from reviewer_app.services.imports import import_package

from packages import Evidence, default_evidence, make_package, sample_media

SIZE = CHUNK * 2 + 12345  # several chunks, and a partial last one


def _video(size: int = SIZE) -> bytes:
    head = sample_media()["video"][:4096]  # a real MP4 start, so the sniffer says "video"
    return head + random.Random(7).randbytes(size - len(head))


def _package(tmp_path: Path, data: bytes, *, as_zip: bool):
    evidence = [Evidence("ev-big", "video", "evidence/big.mp4", data, title="Whole lesson",
                         criteria=["practice"]), *default_evidence("copy")[1:]]
    return make_package(tmp_path / "in", as_zip=as_zip, evidence=evidence,
                        compression=zipfile.ZIP_STORED)


def _blob(ctx, data: bytes) -> Path:
    return ctx.evidence.path_for(hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip-stored", "folder"])
def test_a_big_file_is_stored_byte_for_byte_with_progress_to_the_end(ctx, tmp_path, as_zip):
    data = _video()
    built = _package(tmp_path, data, as_zip=as_zip)
    seen: list[tuple[int, int]] = []
    job = Job()
    job.progress = lambda done, total, message: seen.append((done, total))

    assert import_package(ctx, built.path, job).status == "imported"

    assert _blob(ctx, data).read_bytes() == data
    assert seen[-1][0] == seen[-1][1] >= SIZE and len(seen) > 4  # advanced chunk by chunk
    assert not list((ctx.paths.evidence_dir / "tmp").glob("staging-*"))


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip-stored", "folder"])
def test_bytes_that_do_not_match_the_manifest_are_refused_and_not_stored(ctx, snapshot, tmp_path,
                                                                          as_zip):
    data = _video()
    built = _package(tmp_path, data, as_zip=as_zip)
    # The same size, one byte changed in the middle of the second chunk.
    changed = bytearray(data)
    changed[CHUNK + 1000] ^= 0xFF
    if as_zip:
        with zipfile.ZipFile(built.path) as zf:
            info = zf.getinfo("evidence/big.mp4")
        raw = bytearray(built.path.read_bytes())
        at = raw.index(data[:64], info.header_offset)  # the entry's data, stored verbatim
        raw[at + CHUNK + 1000] ^= 0xFF
        built.path.write_bytes(bytes(raw))
    else:
        (built.path / "evidence" / "big.mp4").write_bytes(bytes(changed))
    before = snapshot()

    with pytest.raises(PackageError) as caught:
        import_package(ctx, built.path)

    assert "SHA-256" in caught.value.details
    snapshot.assert_unchanged(before, ignore=("audit_log", "audit_head"))  # (the refusal)
    assert not _blob(ctx, data).exists() and not _blob(ctx, bytes(changed)).exists()


def _growing(tmp_path: Path, change) -> tuple[Path, Job]:
    """A folder package whose big file ``change(path)`` alters once the import has checked
    the package and started copying."""
    built = _package(tmp_path, _video(), as_zip=False)
    target = built.path / "evidence" / "big.mp4"
    job = Job()
    changed = []

    def progress(done: int, total: int, message: str) -> None:
        if not changed:
            changed.append(True)
            change(target)
    job.progress = progress
    return built.path, job


def test_a_file_that_grows_during_the_copy_is_refused(ctx, snapshot, tmp_path):
    def grow(path: Path) -> None:
        with open(path, "ab") as fh:
            fh.write(b"appended while importing")
    path, job = _growing(tmp_path, grow)
    before = snapshot()

    with pytest.raises(PackageError) as caught:
        import_package(ctx, path, job)

    assert "holds more than" in caught.value.details
    snapshot.assert_unchanged(before, ignore=("audit_log", "audit_head"))  # (the refusal)


def test_a_file_that_shrinks_during_the_copy_is_refused(ctx, snapshot, tmp_path):
    path, job = _growing(tmp_path, lambda p: os.truncate(p, CHUNK + 5))
    before = snapshot()

    with pytest.raises(PackageError) as caught:
        import_package(ctx, path, job)

    assert f"holds {CHUNK + 5:,} bytes" in caught.value.details
    snapshot.assert_unchanged(before, ignore=("audit_log", "audit_head"))  # (the refusal)


def test_a_package_on_another_file_system_is_copied_too(ctx, tmp_path):
    """/dev/shm is tmpfs: the kernel may refuse to copy across (EXDEV); the import then
    streams the bytes itself."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    data = _video(CHUNK + 999)
    import tempfile
    with tempfile.TemporaryDirectory(dir=shm) as there:
        built = _package(Path(there), data, as_zip=False)
        assert import_package(ctx, built.path).status == "imported"
    assert _blob(ctx, data).read_bytes() == data
