"""Choosing a note shows the very frame at its time, at any playback speed, and never a wrong
picture on the way: reviewers land on the moment their note points to (a complaint about
other tools).

The test videos carry each frame's own number in nine black/white bands, so the frame on
screen is read back from its pixels: H.264 baseline (no B-frames) and high profile
(B-frames and an edit list, as most encoders write them) in MP4, high profile in Matroska
and VP9 in WebM, made here with ffmpeg. The demo video is checked against ffmpeg's own
decoding of the same frames (libvlc's pictures are byte-for-byte the same).

An exact seek (``seek(ms, exact=True)``: notes and typed times) is held to 0 frames off. A
plain seek (the seek bar, J/L) lands where libvlc's seek lands: on files without B-frames
the frame at the time or (libvlc short of CPU) the next, up to a few frames off with
B-frames (libvlc 3 gives no picture timestamps).
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from reviewer_app.gui.media.media_pane import MediaPane
from reviewer_app.render.video_timing import read_video_timing
from reviewer_app.resources_path import resource

FPS, BITS, SECONDS = 25, 9, 8
# The soak's note times and waits between seeks are pseudo-random: the same every run (7),
# or another sequence with REVIEWER_TEST_SEED=N; the seed is printed, and named on a failure.
SEED = int(os.environ.get("REVIEWER_TEST_SEED", "7"))
# Seeks per codec in the soak: 100 (400 in all), or REVIEWER_TEST_SOAK_SEEKS=N for a longer one.
SOAK_SEEKS = int(os.environ.get("REVIEWER_TEST_SOAK_SEEKS", "100"))


CODECS = {  # name: (file suffix, ffmpeg's codec options)
    "baseline": (".mp4", ["-c:v", "libx264", "-profile:v", "baseline"]),
    "high": (".mp4", ["-c:v", "libx264", "-profile:v", "high"]),
    "high-matroska": (".mkv", ["-c:v", "libx264", "-profile:v", "high"]),
    "vp9-webm": (".webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                           "-b:v", "1M"]),
}


# The quick loop (make check) checks H.264 high in MP4, the usual file; the other codecs and
# containers run in the full suite (make test, CI).
QUICK_CODEC = "high"


@pytest.fixture(scope="module", params=[
    name if name == QUICK_CODEC else pytest.param(name, marks=pytest.mark.slow) for name in CODECS])
def numbered_video(request, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """H.264 baseline (no B-frames) and high (B-frames, as most cameras' files) in MP4, high
    in Matroska, and VP9 in WebM (as browsers record)."""
    suffix, codec = CODECS[request.param]
    out = tmp_path_factory.mktemp("frames") / f"numbered-{request.param}{suffix}"
    band = "floor(X*9/W)"
    lum = f"255*mod(floor(N/pow(2,{band})),2)"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c=black:s=288x64:r={FPS}:d={SECONDS}", "-vf",
                    f"geq=lum='{lum}':cb=128:cr=128", *codec, "-g", str(FPS),
                    "-pix_fmt", "yuv420p", "-y", str(out)], check=True, timeout=120)
    return out


def frame_number(image: QImage) -> int:
    y = image.height() // 2
    number = 0
    for bit in range(BITS):
        x = int((bit + 0.5) * image.width() / BITS)
        if image.pixelColor(x, y).lightness() > 128:
            number |= 1 << bit
    return number


def open_pane(qtbot, path: Path) -> MediaPane:
    pane = MediaPane()
    qtbot.addWidget(pane)
    pane.resize(640, 300)
    pane.show()
    with qtbot.waitSignal(pane.loaded, timeout=15_000):
        pane.load(path)
    qtbot.waitUntil(lambda: pane.current_frame() is not None, timeout=10_000)
    return pane


def targets(path: Path) -> list[int]:
    """Times that catch the ways a seek goes wrong: frame starts and middles, key frames and
    the frames just before them (libvlc lands late there), the first and the last frame."""
    timing = read_video_timing(path)
    assert timing is not None
    keys = [i for i, k in enumerate(timing.key) if k]
    frames = [0, keys[1], keys[1] - 1, keys[2] - 2, keys[-1] + 1, len(timing) - 1, 25, 51, 99, 163]
    times = [timing.frame_us[i] // 1000 for i in frames]
    return times + [1_020, 3_961, 6_539, 2_000]


@pytest.mark.parametrize("rate,playing", [  # half and double speed: in the full run
    (1.0, False), (1.0, True), pytest.param(0.5, True, marks=pytest.mark.slow),
    pytest.param(2.0, True, marks=pytest.mark.slow)])
def test_a_note_shows_the_frame_at_its_time(qtbot, numbered_video, rate, playing):
    pane = open_pane(qtbot, numbered_video)
    shown: list[int] = []
    pane.engine().imageChanged.connect(
        lambda image: shown.append(-1 if image.isNull() else frame_number(image)))
    pane.set_rate(rate)
    if playing:
        pane.play()
    for ms in targets(numbered_video):
        wanted = ms * FPS // 1000
        shown.clear()
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms, exact=True)
        assert frame_number(pane.current_frame()) == wanted, (ms, rate, playing)
        assert shown and shown[0] == wanted, ("a wrong picture came first", ms, shown)
    pane.close_media()


def test_a_plain_seek_lands_near_the_time(qtbot, numbered_video):
    """The seek bar's fast seeks: within a few frames on B-frame files, within one without
    (H.264 baseline, VP9).

    Without B-frames libvlc shows the frame at the time, or the one after it when its
    threads are short of CPU (measured: pinned to one core beside a busy loop, 6 runs in 8
    were one frame late, on key frames too). Notes and typed times seek exactly instead."""
    pane = open_pane(qtbot, numbered_video)
    timing = read_video_timing(numbered_video)
    slack = 4 if timing is not None and timing.reorders else 1
    for ms in (1_000, 2_040, 3_960, 5_000, 6_520, 1_480):
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms)
        wanted, shown = ms * FPS // 1000, frame_number(pane.current_frame())
        assert abs(shown - wanted) <= slack, (ms, shown)
    pane.close_media()


def test_a_video_opened_at_a_time_shows_that_time_first(qtbot, numbered_video):
    """Reopening a video where the reviewer left it: libvlc starts there, so the first picture
    is at that time (within the plain seek's slack), never the file's start first; an exact
    seek then shows the very frame (the workspace makes it once the video is left alone)."""
    timing = read_video_timing(numbered_video)
    slack = 4 if timing is not None and timing.reorders else 1
    for ms in (4_520, 1_480):
        pane = MediaPane()
        qtbot.addWidget(pane)
        pane.resize(640, 300)
        pane.show()
        shown: list[int] = []
        pane.engine().imageChanged.connect(
            lambda image, s=shown: s.append(-1 if image.isNull() else frame_number(image)))
        pane.load(numbered_video, start_ms=ms)
        qtbot.waitUntil(lambda p=pane: p.current_frame() is not None and p.engine().settled(),
                        timeout=15_000)
        wanted = ms * FPS // 1000
        pictures = [n for n in shown if n >= 0]
        assert pictures and abs(pictures[0] - wanted) <= slack, ("the start came first", ms, shown)
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms, exact=True)
        assert frame_number(pane.current_frame()) == wanted, ms
        pane.close_media()


@pytest.mark.slow  # a soak: 100 seeks a codec; test_a_note_shows_the_frame_at_its_time checks quickly
def test_many_note_seeks_never_show_a_wrong_picture(qtbot, numbered_video):
    """SOAK_SEEKS note seeks, paused and playing, to notes decoded ahead and other times: every
    picture displayed after choosing a note is its frame, then (playing) the frames after it."""
    pane = open_pane(qtbot, numbered_video)
    print(f"REVIEWER_TEST_SEED={SEED}")
    rng = random.Random(SEED)
    notes = sorted(rng.randrange(0, SECONDS * 1000 - 100) for _ in range(10))
    pane.prepare_frames(notes)
    qtbot.waitUntil(pane.engine().prepared, timeout=60_000)
    shown: list[int] = []
    pane.engine().imageChanged.connect(
        lambda image: shown.append(-1 if image.isNull() else frame_number(image)))
    print(f"REVIEWER_TEST_SOAK_SEEKS={SOAK_SEEKS}")
    for i in range(SOAK_SEEKS):
        playing = i % 5 == 4
        ms = rng.choice(notes) if i % 3 else rng.randrange(0, SECONDS * 1000 - 100)
        wanted = ms * FPS // 1000
        if playing:
            pane.play()
        qtbot.wait(rng.choice((0, 20, 60)))
        shown.clear()
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms, exact=True)
        if playing:  # the note's frame, then the video played on from it for a few frames
            qtbot.waitUntil(lambda ms=ms: pane.position() >= ms + 4 * 1000 // FPS
                            or pane.state() == "ended", timeout=10_000)
            pane.pause()
            assert shown[0] == wanted, (SEED, i, ms, shown)
            assert all(b >= a for a, b in itertools.pairwise(shown)), ("went back", SEED, i, ms, shown)
        else:  # once the engine is done (libvlc's count behind the still included): one picture
            qtbot.waitUntil(pane.engine().settled, timeout=10_000)
            assert shown == [wanted], (SEED, i, ms, shown)
    pane.close_media()


@pytest.mark.slow  # every note time of the demo video against ffmpeg: the quick check is above
def test_notes_in_the_demo_video_show_their_frames(qtbot, tmp_path):
    """The demo video (H.264 high, B-frames, key frames 2 s apart, an audio track), checked
    against ffmpeg decoding the same frames."""
    video = resource("demo", "classroom.mp4")
    frames = [0, 49, 50, 99, 137, 251, 398, 499]
    select = "+".join(f"eq(n\\,{n})" for n in frames)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-vf", f"select='{select}'",
                          "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "bgra", "-"],
                         check=True, timeout=120, capture_output=True).stdout
    reference = np.frombuffer(raw, np.uint8).reshape(len(frames), 360, 640, 4)[..., :3]

    def pixels(image: QImage) -> np.ndarray:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :640, :3]

    pane = open_pane(qtbot, video)
    pane.prepare_frames([frames[3] * 40, frames[5] * 40])  # two decoded ahead, the rest not
    order = [3, 6, 1, 5, 2, 7, 4, 0, 3, 5]
    for step, k in enumerate(order):
        if step == 6:
            pane.play()
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(frames[k] * 40 + 15, exact=True)
        got = pixels(pane.current_frame())
        assert got.shape == reference[k].shape
        differing = np.count_nonzero(got != reference[k])
        assert differing == 0, (frames[k], differing)
    pane.close_media()
