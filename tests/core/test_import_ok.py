"""A valid package, as a zip or a folder, imports completely: rows, blobs, nothing left over."""

from __future__ import annotations

import stat
from datetime import datetime

import pytest

from reviewer_app.domain.model import EvidenceKind, Role, SubmissionStatus
from reviewer_app.services.imports import import_package
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission, list_submissions

from packages import SUBMITTED_AT, make_package, sample_media


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_valid_package_imports_rows_and_blobs(ctx, tmp_path, as_zip):
    built = make_package(tmp_path / "in", as_zip=as_zip, submission_id="SUB-OK", attempt=2)
    # A lead's database (made one while new) keeps who the candidate is; a reviewer's never
    # does (tests/core/test_blind_by_design.py).
    update_self(ctx, role=Role.LEAD_ASSESSOR)

    outcome = import_package(ctx, built.path)

    assert outcome.status == "imported"
    assert (outcome.submission_key, outcome.attempt, outcome.evidence_count) == ("SUB-OK", 2, 5)
    assert built.path.name in outcome.describe()

    rows = list_submissions(ctx)
    assert [(r.key, r.attempt, r.credential_key, r.evidence_count, r.status) for r in rows] == [
        ("SUB-OK", 2, "cred-feedback", 5, SubmissionStatus.NEW)]
    assert rows[0].submitted_at == datetime.fromisoformat(SUBMITTED_AT)

    detail = get_submission(ctx, "SUB-OK", reveal_candidate=True)
    assert detail.attempt == 2 and detail.attempts == (2,)
    assert detail.credential.key == "cred-feedback" and detail.credential.title == "Feedback for Learning"
    assert detail.candidate.key == "cand-0042"
    assert detail.candidate.display_name == "Alex Example"
    assert detail.rubric.key == "rubric-feedback"
    assert [c.key for c in detail.rubric.criteria] == ["planning", "practice", "reflection"]
    assert [lv.value for lv in detail.rubric.criteria[0].levels] == [1, 2, 3]
    assert [(r.prompt, r.text) for r in detail.reflections] == [("What would you change?",
                                                                  "More wait time.")]
    blind = get_submission(ctx, "SUB-OK")
    assert blind.candidate.display_name is None and blind.candidate.recipient is None

    declared = {e["id"]: e for e in built.manifest["evidence"]}
    assert [e.key for e in detail.evidence] == list(declared)
    for item in detail.evidence:
        entry = declared[item.key]
        assert item.kind == EvidenceKind(entry["kind"])
        assert (item.path, item.sha256, item.size) == (entry["path"], entry["sha256"], entry["size"])
        assert item.criteria == tuple(entry["criteria"])
        blob = ctx.evidence.path_for(item.sha256)
        assert blob.is_file(), f"no blob for {item.key}"
        assert blob.read_bytes() == built.data(entry["path"]), f"blob of {item.key} differs"
        assert stat.S_IMODE(blob.stat().st_mode) & 0o222 == 0, f"blob of {item.key} is writable"

    # Nothing else in the store: five blobs, no staging folder, no journal.
    blobs = sorted(p.name for p in ctx.evidence.blobs())
    assert blobs == sorted(e["sha256"] for e in declared.values())
    leftovers = sorted(p.relative_to(ctx.evidence.root).as_posix()
                       for p in ctx.evidence.root.rglob("*")
                       if p.is_file() and p.name != "publish.lock"
                       and ctx.evidence.blob_root not in p.parents)
    assert leftovers == []
    assert not ctx.evidence.tmp_root.exists() or list(ctx.evidence.tmp_root.iterdir()) == []


def test_imported_media_are_the_real_files(ctx, tmp_path):
    """The stored PDF and PNG open in a real viewer library; the video and audio are the demo's."""
    pymupdf = pytest.importorskip("pymupdf")
    built = make_package(tmp_path / "in", submission_id="SUB-MEDIA")
    import_package(ctx, built.path)
    detail = get_submission(ctx, "SUB-MEDIA")
    by_kind = {item.kind: ctx.evidence.path_for(item.sha256) for item in detail.evidence}

    with pymupdf.open(by_kind[EvidenceKind.PDF]) as doc:
        assert doc.page_count == 1 and "Lesson plan" in doc[0].get_text()
    pixmap = pymupdf.Pixmap(str(by_kind[EvidenceKind.IMAGE]))
    assert (pixmap.width, pixmap.height) == (16, 16)
    assert by_kind[EvidenceKind.VIDEO].read_bytes() == sample_media()["video"]
    assert by_kind[EvidenceKind.AUDIO].read_bytes() == sample_media()["audio"]
    assert by_kind[EvidenceKind.TEXT].read_bytes().decode("utf-8").startswith("Reflection")


def test_second_attempt_and_second_submission_share_blobs(ctx, tmp_path):
    """A resubmission (attempt 2) and another submission reuse identical blobs."""
    first = make_package(tmp_path / "a", name="a", submission_id="SUB-A", attempt=1)
    second = make_package(tmp_path / "b", name="b", submission_id="SUB-A", attempt=2)
    other = make_package(tmp_path / "c", name="c", as_zip=False, submission_id="SUB-B")
    for built in (first, second, other):
        assert import_package(ctx, built.path).status == "imported"

    assert sorted((r.key, r.attempt) for r in list_submissions(ctx)) == [
        ("SUB-A", 1), ("SUB-A", 2), ("SUB-B", 1)]
    assert get_submission(ctx, "SUB-A").attempts == (1, 2)
    # Four shared media files, plus one distinct text file per package.
    assert len(list(ctx.evidence.blobs())) == 4 + 3


WAVE_VARIANTS = {
    # id: (ffmpeg output options, file suffix, the first four bytes)
    "riff": ([], "wav", b"RIFF"),
    "rf64": (["-rf64", "always"], "wav", b"RF64"),  # what field recorders write past 4 GB
    "bw64": (["-rf64", "always"], "wav", b"BW64"),  # ITU-R BS.2088: RF64's layout, its own label
    "wave64": ([], "w64", b"riff"),  # Sony Wave64: GUID chunk ids
}


@pytest.mark.parametrize("options, suffix, magic", WAVE_VARIANTS.values(), ids=WAVE_VARIANTS.keys())
def test_wav_variants_that_libvlc_plays_are_accepted_as_audio(ctx, tmp_path, options, suffix, magic):
    """Real files made by ffmpeg; libvlc opens each as one second of audio, so the import
    must take it as audio too (RF64 was refused as "not audio")."""
    import subprocess

    from packages import Evidence, default_evidence

    out = tmp_path / f"reflection.{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=1", "-ac", "1", "-ar", "8000", *options, str(out)],
                   check=True, timeout=60)
    data = out.read_bytes()
    if magic == b"BW64":  # ffmpeg writes no BW64; the layout is RF64's
        data = b"BW64" + data[4:]
        out.write_bytes(data)
    assert data[:4] == magic
    assert _libvlc_audio_ms(out) == pytest.approx(1000, abs=100)

    evidence = default_evidence("wav")
    evidence[3] = Evidence("ev-audio", "audio", f"evidence/reflection.{suffix}", data,
                           title="Spoken reflection", criteria=["reflection"])
    built = make_package(tmp_path / "in", submission_id=f"SUB-{suffix.upper()}", evidence=evidence)
    assert import_package(ctx, built.path).status == "imported"
    stored = {e.kind: e for e in get_submission(ctx, f"SUB-{suffix.upper()}").evidence}
    assert ctx.evidence.path_for(stored[EvidenceKind.AUDIO].sha256).read_bytes() == data


def _libvlc_audio_ms(path) -> int:
    """The length of the audio libvlc finds in a file (0 when it finds none)."""
    vlc = pytest.importorskip("vlc")
    instance = vlc.Instance("--quiet", "--no-video", "--aout=dummy")
    try:
        import threading

        media = instance.media_new_path(str(path))
        parsed = threading.Event()
        media.event_manager().event_attach(vlc.EventType.MediaParsedChanged, lambda event: parsed.set())
        media.parse_with_options(vlc.MediaParseFlag.local, 10_000)
        assert parsed.wait(15), "libvlc did not finish parsing"
        audio = [t for t in media.tracks_get() or () if t.type == vlc.TrackType.audio]
        return media.get_duration() if audio else 0
    finally:
        instance.release()
