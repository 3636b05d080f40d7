"""The quick decode of a note's frame (PyAV, gui/media/quick_frames.py) on the files a
reviewer may be sent: it gives the very frame or nothing, never a wrong picture, whatever
the file holds (a video cut short, or with its middle overwritten)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from reviewer_app.gui.media.quick_frames import decode_frame, release
from reviewer_app.gui.media.vlc_session import frame_size_for
from reviewer_app.render.video_timing import read_video_timing

FPS, BITS, SECONDS = 25, 9, 6


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """H.264 high (B-frames) in MP4, each frame's number drawn in nine bands."""
    out = tmp_path_factory.mktemp("quick") / "numbered.mp4"
    lum = "255*mod(floor(N/pow(2,floor(X*9/W))),2)"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c=black:s=288x64:r={FPS}:d={SECONDS}", "-vf",
                    f"geq=lum='{lum}':cb=128:cr=128", "-c:v", "libx264", "-profile:v", "high",
                    "-g", str(FPS), "-pix_fmt", "yuv420p", "-y", str(out)], check=True, timeout=120)
    return out


def frame_number(image: QImage) -> int:
    y, number = image.height() // 2, 0
    for bit in range(BITS):
        if image.pixelColor(int((bit + 0.5) * image.width() / BITS), y).lightness() > 128:
            number |= 1 << bit
    return number


def key_before(timing, index: int) -> int:
    return max(i for i in range(index + 1) if timing.key[i])


def decode(path: Path, timing, index: int):
    try:
        return decode_frame(path, timing, key_before(timing, index), index, frame_size_for(288, 64))
    finally:
        release()


def test_the_frame_decoded_is_the_frame_asked_for(numbered: Path):
    timing = read_video_timing(numbered)
    for index in (0, 1, 24, 25, 26, 49, 77, len(timing) - 1):
        frame = decode(numbered, timing, index)
        assert frame is not None and frame_number(frame.image) == index, index


def test_a_video_cut_short_gives_nothing_past_the_cut_and_never_a_wrong_frame(numbered: Path,
                                                                              tmp_path: Path):
    """The file's tables (read before the cut) still list every frame; the frames whose
    data is gone are not decoded, and none comes back as another frame."""
    whole = tmp_path / "faststart.mp4"  # the tables first, as a file made for the web has them
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(numbered), "-c", "copy", "-movflags",
                    "+faststart", "-y", str(whole)], check=True, timeout=60)
    timing = read_video_timing(whole)
    data = whole.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    answers = {}
    for index in range(0, len(timing), 7):
        try:
            frame = decode(cut, timing, index)
        except Exception:  # noqa: BLE001 - FFmpeg's own error on damaged data is an answer too
            frame = None
        answers[index] = None if frame is None else frame_number(frame.image)
    assert all(n is None or n == i for i, n in answers.items()), answers
    assert answers[0] == 0  # the start, before the cut, is still there
    assert answers[max(answers)] is None  # the end is gone: nothing is made up for it


def test_a_video_with_its_middle_overwritten_never_gives_a_wrong_frame(numbered: Path,
                                                                       tmp_path: Path):
    timing = read_video_timing(numbered)
    data = bytearray(numbered.read_bytes())
    start = data.find(b"mdat") + 8
    middle = start + (len(data) - start) // 2
    data[middle: middle + 4096] = bytes(range(256)) * 16
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    wrong = {}
    for index in range(0, len(timing), 5):
        try:
            frame = decode(damaged, timing, index)
        except Exception:  # noqa: BLE001 - refused by FFmpeg: the count shows it instead
            continue
        if frame is not None and frame_number(frame.image) != index:
            wrong[index] = frame_number(frame.image)
    assert wrong == {}
