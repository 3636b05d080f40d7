"""Still and nearly still video: the clock follows the media, not the arrival of new pictures.

Classroom recordings have long stretches whose picture does not change (a slide on the
board, a black screen before the lesson, a phone laid face down while the sound goes on).
libvlc's display callback brings no new picture then (repeats are dropped, and a
``-tune stillimage`` file changes only at its key frames), so the position must come from
the media's clock. The files are made here with ffmpeg, 640x360 at 30 fps:

* ``still``: one picture, ``-tune stillimage`` (key frames 8.3 s apart), with sound;
* ``black``: black at 10 kb/s, with sound;
* ``numbered``: a still picture whose top-left corner carries the frame's own number in nine
  black/white squares (a few moving pixels), ``-tune stillimage``: the frame on screen is
  read back from its pixels;
* ``vfr``: that numbered picture, 30 fps but 10 fps from 2 s to 5 s, as phones record;
* ``short-video``: a 2 s video track in a 6 s file (the sound goes on).

The tests run with ``--aout=dummy`` (REVIEWER_APP_NO_AUDIO): libvlc's clock is then the
system clock, and it ends a file whose sound outlasts its video about a second before the
sound's end (raw libvlc does the same, measured: 4.9 s of 6). "libvlc's media time" is its
``get_time``, which is updated every 250 ms and reads 100-350 ms behind the picture on
screen at 1x (about 250 ms x rate plus that, above 1x).
"""

from __future__ import annotations

import itertools
import subprocess
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from reviewer_app.gui.media.media_pane import MediaPane
from reviewer_app.gui.media.vlc_loader import availability

FPS = 30
FRAME = 1000 / FPS

pytestmark = pytest.mark.skipif(availability() is not None,
                                reason=f"libvlc is not usable here: {availability()}")

BACKGROUND = "color=c=0x3060a0:s=640x360:r=30"
NUMBER = "[1]geq=lum='255*mod(floor(N/pow(2,floor(X*9/W))),2)':cb=128:cr=128[n]"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("still")
    out = {name: folder / f"{name}.mp4"
           for name in ("still", "black", "numbered", "vfr", "short-video")}
    silence = ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"]
    _ffmpeg("-f", "lavfi", "-i", f"{BACKGROUND}:d=10", *silence, "-t", "10", "-vf",
            "drawbox=x=100:y=100:w=200:h=100:color=yellow:t=fill,format=yuv420p",
            "-c:v", "libx264", "-tune", "stillimage", "-c:a", "aac", "-shortest",
            str(out["still"]))
    _ffmpeg("-f", "lavfi", "-i", "color=black:s=640x360:r=30", *silence, "-t", "10",
            "-c:v", "libx264", "-b:v", "10k", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(out["black"]))
    numbered = ["-f", "lavfi", "-i", f"{BACKGROUND}:d=10", "-f", "lavfi", "-i",
                "color=c=black:s=144x16:r=30:d=10"]
    _ffmpeg(*numbered, "-filter_complex", f"{NUMBER};[0][n]overlay=16:16,format=yuv420p[v]",
            "-map", "[v]", "-c:v", "libx264", "-tune", "stillimage", str(out["numbered"]))
    _ffmpeg(*numbered, "-filter_complex",
            f"{NUMBER};[0][n]overlay=16:16,"
            r"select='not(between(n\,60\,149)*mod(n\,3))',format=yuv420p[v]",
            "-map", "[v]", "-fps_mode", "vfr", "-c:v", "libx264", "-g", "60", str(out["vfr"]))
    _ffmpeg("-f", "lavfi", "-i", f"{BACKGROUND}:d=2", "-f", "lavfi", "-i",
            "sine=frequency=440:duration=6", "-c:v", "libx264", "-tune", "stillimage",
            "-pix_fmt", "yuv420p", "-c:a", "aac", str(out["short-video"]))
    return out


def frame_number(image: QImage) -> int:
    """The number in the top-left squares (16 px each, from x=16, y=16 of 640x360)."""
    scale = image.width() / 640
    number = 0
    for bit in range(9):
        x, y = int((16 + (bit + 0.5) * 16) * scale), int(24 * scale)
        if image.pixelColor(x, y).lightness() > 128:
            number |= 1 << bit
    return number


def open_pane(qtbot, path: Path) -> MediaPane:
    pane = MediaPane()
    qtbot.addWidget(pane)
    pane.resize(640, 400)
    pane.show()
    with qtbot.waitSignal(pane.loaded, timeout=15_000):
        pane.load(path)
    qtbot.waitUntil(lambda: pane.current_frame() is not None and pane.engine().settled(),
                    timeout=10_000)
    return pane


def play_for(qtbot, pane: MediaPane, seconds: float) -> tuple[int, float, list[int]]:
    """Play for ``seconds``: (position when asked to play, seconds played, libvlc's media
    time minus the position, read every 50 ms from the second half-second on)."""
    start = pane.position()
    began = time.monotonic()
    gaps: list[int] = []

    def read() -> bool:
        elapsed = time.monotonic() - began
        media = pane.engine().media_time()
        if elapsed > 0.5 and media is not None and pane.state() == "playing":
            gaps.append(pane.position() - media)
        return elapsed >= seconds

    pane.play()
    qtbot.waitUntil(read, timeout=int(seconds * 1000) + 5000)
    return start, time.monotonic() - began, gaps


@pytest.mark.parametrize("name", [*(pytest.param(n, marks=pytest.mark.slow) for n in ("still", "vfr")),
                                  "black"])
def test_the_position_follows_the_media_on_a_still_picture(qtbot, media, name):
    pane = open_pane(qtbot, media[name])
    start, played, gaps = play_for(qtbot, pane, 2.5)
    assert pane.state() == "playing"
    advance = pane.position() - start
    # In real time (libvlc's first picture and its clock's start take up to ~0.3 s).
    assert played * 1000 - 400 <= advance <= played * 1000 + 100, (advance, played)
    # Never far from libvlc's own media time, and not drifting from it.
    assert gaps and all(-150 <= gap <= 600 for gap in gaps), [g for g in gaps if not -150 <= g <= 600]
    third = len(gaps) // 3
    assert abs(sum(gaps[-third:]) / third - sum(gaps[:third]) / third) < 150, gaps
    pane.close_media()


def test_position_and_picture_agree_while_playing_and_paused(qtbot, media):
    """A few moving pixels: the number on screen is the frame the position names, while
    playing (within a frame: a picture comes once its time is reached) and once paused."""
    pane = open_pane(qtbot, media["numbered"])
    offsets: list[int] = []

    def compare(image: QImage) -> None:
        if pane.state() == "playing" and not image.isNull():
            offsets.append(frame_number(image) - round(pane.position() / FRAME))

    pane.engine().imageChanged.connect(compare)
    play_for(qtbot, pane, 2.5)
    pane.engine().imageChanged.disconnect(compare)
    assert len(offsets) > 40 and all(abs(o) <= 1 for o in offsets), offsets
    pane.pause()
    qtbot.waitUntil(pane.engine().settled, timeout=3000)
    assert frame_number(pane.current_frame()) == round(pane.position() / FRAME)
    pane.close_media()


@pytest.mark.slow  # plays and pauses for seconds
def test_pausing_a_still_picture_keeps_the_paused_time(qtbot, media):
    pane = open_pane(qtbot, media["still"])
    _, played, _ = play_for(qtbot, pane, 2.0)
    pane.pause()
    paused_at = pane.position()
    assert abs(paused_at - played * 1000) < 400, (paused_at, played)
    qtbot.waitUntil(pane.engine().settled, timeout=3000)
    assert pane.state() == "paused" and pane.position() == paused_at
    # A frame step goes on from the paused frame, not from the last new picture (0 s).
    with qtbot.waitSignal(pane.frameShown, timeout=10_000) as step:
        pane.step_frame(1)
    assert step.args[0] == round(round(paused_at / FRAME + 1) * FRAME)
    # Playing on continues from there.
    start, played, _ = play_for(qtbot, pane, 1.0)
    assert start - 50 <= pane.position() - round(played * 1000) <= start + 400
    pane.close_media()


@pytest.mark.slow  # plays the whole file
def test_a_still_file_plays_to_its_end_at_every_speed(qtbot, media):
    """1x, then 0.25x, then 4x to the end: the position follows libvlc's clock through each
    change, and the end state comes without a "stopped early" warning."""
    pane = open_pane(qtbot, media["black"])
    _, _, gaps = play_for(qtbot, pane, 1.2)
    pane.set_rate(0.25)
    slow_from = pane.position()
    began = time.monotonic()
    qtbot.wait(1500)
    slow = pane.position() - slow_from
    assert abs(slow - (time.monotonic() - began) * 250) < 200, slow
    media_time = pane.engine().media_time()
    assert -100 <= pane.position() - media_time <= 400, (pane.position(), media_time)
    pane.set_rate(4.0)
    qtbot.waitUntil(lambda: pane.state() == "ended", timeout=6000)
    assert pane.position() >= pane.duration() - 2 * FRAME
    assert pane.error_text() == ""
    assert all(-150 <= gap <= 600 for gap in gaps), gaps
    pane.close_media()


@pytest.mark.slow  # plays past the video track's end
def test_the_clock_goes_on_after_the_video_track_ends(qtbot, media):
    pane = open_pane(qtbot, media["short-video"])
    assert pane.duration() == 6000
    began = time.monotonic()
    pane.play()
    qtbot.waitUntil(lambda: pane.position() > 2500, timeout=5000)  # the video ended at 2 s
    assert time.monotonic() - began > 2.2
    last_media = []
    qtbot.waitUntil(lambda: last_media.append(pane.engine().media_time()) or
                    pane.state() == "ended", timeout=8000)
    ended_after = time.monotonic() - began
    reached = [t for t in last_media if t is not None]
    # Where libvlc ends it (with the dummy audio output, before the sound's end).
    assert pane.position() >= max(reached) and pane.position() >= 1000 * ended_after - 600
    assert pane.error_text() == ""
    pane.close_media()


@pytest.mark.slow  # plays round the loop in real time
def test_a_loop_on_a_still_picture_goes_round(qtbot, media):
    pane = open_pane(qtbot, media["still"])
    pane.set_loop(1000, 2000)
    positions: list[int] = []
    pane.positionChanged.connect(positions.append)
    pane.seek(1000)
    pane.play()
    qtbot.waitUntil(lambda: sum(b < a for a, b in itertools.pairwise(positions)) >= 2,
                    timeout=6000)
    assert max(positions) < 2000 + 200
    pane.close_media()


@pytest.mark.slow  # seeks and steps across the file
def test_exact_seeks_and_steps_on_a_nearly_still_picture(qtbot, media):
    """Read back from the pixels: times near the two key frames (0 and 8.33 s), so that the
    counting from the key frame stays short."""
    pane = open_pane(qtbot, media["numbered"])
    for ms, frame in ((400, 12), (1034, 31), (8334, 250), (8700, 261), (9990, 299),
                      (300, 9)):
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms, exact=True)
        assert frame_number(pane.current_frame()) == frame, ms
    for direction, frame in ((1, 10), (1, 11), (-1, 10), (-1, 9), (-1, 8)):
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.step_frame(direction)
        assert frame_number(pane.current_frame()) == frame
    pane.close_media()


@pytest.mark.parametrize("name", [pytest.param("still", marks=pytest.mark.slow), "black"])
def test_exact_seeks_and_steps_on_an_unchanging_picture(qtbot, media, name):
    """Every frame is the same picture: the frame is known by counting, not by its pixels
    (which cannot tell). Each lands on the frame asked for, quickly."""
    pane = open_pane(qtbot, media[name])
    for ms in (1000, 8500, 500):
        began = time.monotonic()
        with qtbot.waitSignal(pane.frameShown, timeout=10_000) as shown:
            pane.seek(ms, exact=True)
        assert shown.args[0] == round(ms * FPS // 1000 * FRAME), ms
        assert time.monotonic() - began < 3.0
    frame = 500 * FPS // 1000
    for direction in (1, 1, -1):
        frame += direction
        with qtbot.waitSignal(pane.frameShown, timeout=10_000) as shown:
            pane.step_frame(direction)
        assert shown.args[0] == round(frame * FRAME), direction
        assert pane.position() == shown.args[0]
    pane.close_media()
