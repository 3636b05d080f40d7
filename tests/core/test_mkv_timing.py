"""Frame times read from a Matroska or WebM file's blocks: what the media pane counts frames
by in those files. Checked against ffprobe on files ffmpeg makes here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reviewer_app.render.mkv_timing import is_matroska, read_matroska_timing
from reviewer_app.render.video_timing import read_video_timing
from reviewer_app.resources_path import resource

CODECS = {
    "h264.mkv": ["-c:v", "libx264", "-profile:v", "high", "-bf", "3"],  # B-frames: reordered
    "vp9.webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"],
    "vp8-with-audio.webm": ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"],
}


@pytest.fixture(scope="module", params=list(CODECS))
def video(request, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mkv") / request.param
    audio = ["-f", "lavfi", "-i", "sine=d=4"] if "audio" in request.param else []
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=4",
                    *audio, *CODECS[request.param], "-g", "30", "-pix_fmt", "yuv420p", "-y",
                    str(out)], check=True, timeout=120)
    return out


def ffprobe_frames(path: Path) -> tuple[list[int], list[bool]]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=pts_time,key_frame", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    frames = json.loads(out)["frames"]
    return ([round(float(f["pts_time"]) * 1e6) for f in frames],
            [bool(f["key_frame"]) for f in frames])


def test_every_frame_and_key_frame_as_ffmpeg_decodes_them(video):
    timing = read_video_timing(video)  # the player's entry point picks the Matroska reader
    assert timing is not None and is_matroska(video)
    times, keys = ffprobe_frames(video)
    assert list(timing.frame_us) == times
    assert list(timing.key) == keys
    assert timing.fps == pytest.approx(30, rel=0.01)
    assert timing.reorders == video.name.startswith("h264")
    assert all(timing.closed_keys[i] for i, key in enumerate(timing.key) if key)  # closed GOPs


def test_what_it_does_not_understand_is_none(tmp_path, video):
    cut = tmp_path / "cut.webm"
    data = video.read_bytes()
    cut.write_bytes(data[:60])  # the header and no more: no video track
    assert read_matroska_timing(cut) is None
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 4)
    assert read_matroska_timing(junk) is None
    assert not is_matroska(resource("demo", "classroom.mp4"))
    assert read_matroska_timing(resource("demo", "lesson-plan.pdf")) is None


def test_times_count_from_the_files_first_timestamp(tmp_path):
    """A file whose timestamps start late (cut from a longer recording): libvlc's clock (its
    libavformat reader) starts at the first one, and so do the frame times."""
    out = tmp_path / "late.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=25:d=2",
                    *CODECS["h264.mkv"], "-pix_fmt", "yuv420p", "-output_ts_offset", "2", "-y",
                    str(out)],
                   check=True, timeout=120)
    timing = read_video_timing(out)
    times, _keys = ffprobe_frames(out)
    assert times[0] == 2_000_000
    assert timing is not None and list(timing.frame_us) == [t - 2_000_000 for t in times]
