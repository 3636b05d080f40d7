"""Jumping to a time shows the frame at that time, or very near it: reviewers land on the
moment their note points to (a complaint about other tools). The test video carries each
frame's own number in nine black/white bands, so the frame on screen can be read back.

Known gap (issue 3, left open): with libvlc 3 the frame shown is not always THE frame at
the time. Measured here: always 1 frame early on H.264 baseline and 2 early on high
profile (B-frames), whatever the speed; libvlc 3 reports no timestamp for the picture it
shows, so the pane cannot correct it yet. What this test holds the pane to today: never
late, never more than 4 frames early (raw libvlc seeks can land a second or more away).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from reviewer_app.gui.media.media_pane import MediaPane

FPS, BITS = 25, 9


@pytest.fixture(scope="module", params=["baseline", "high"])
def numbered_video(request, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """H.264 baseline (no B-frames) and high (B-frames, as most cameras' files)."""
    out = tmp_path_factory.mktemp("frames") / f"numbered-{request.param}.mp4"
    band = "floor(X*9/W)"
    lum = f"255*mod(floor(N/pow(2,{band})),2)"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c=black:s=288x64:r={FPS}:d=8", "-vf",
                    f"geq=lum='{lum}':cb=128:cr=128", "-c:v", "libx264", "-profile:v", request.param,
                    "-g", str(FPS),
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


@pytest.mark.parametrize("rate,playing", [(1.0, False), (1.0, True), (0.5, True), (2.0, True)])
def test_a_seek_shows_the_frame_at_that_time(qtbot, numbered_video, rate, playing):
    pane = MediaPane()
    qtbot.addWidget(pane)
    pane.resize(640, 300)
    pane.show()
    with qtbot.waitSignal(pane.loaded, timeout=15_000):
        pane.load(numbered_video)
    pane.set_rate(rate)
    if playing:
        pane.play()
    for ms in (1_000, 2_040, 3_960, 5_000, 6_520, 1_480):
        with qtbot.waitSignal(pane.frameShown, timeout=10_000):
            pane.seek(ms)
        wanted, shown = ms * FPS // 1000, frame_number(pane.current_frame())
        assert wanted - 4 <= shown <= wanted, (ms, rate, playing, shown)
    pane.close_media()
