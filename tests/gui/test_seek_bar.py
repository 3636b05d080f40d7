"""The seek bar, clicked as a reviewer clicks it (real libvlc, the demo video): a click while
paused shows the frame at that time, not only a drag; the time reads rounded (00:12.5) and
the frame number is there on asking (Playback > Show Frame Numbers) and in the tooltip.

classroom.mp4's bottom bar says the time: red 0-5 s, green 5-10 s, blue 10-15 s, yellow 15-20 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

os.environ["REVIEWER_APP_NO_AUDIO"] = "1"

import pytest
from PySide6.QtCore import QPoint, Qt

from reviewer_app.gui.media.media_pane import MediaPane

from test_media_pane import BLUE, CLASSROOM, FRAME_MS, YELLOW, assert_colour, needs_vlc


@pytest.fixture
def video(qtbot):
    pane = MediaPane()
    qtbot.addWidget(pane)
    pane.resize(640, 480)
    pane.show()
    with qtbot.waitSignal(pane.frameShown, timeout=15000):
        pane.load(CLASSROOM, title="Classroom")
    qtbot.waitUntil(pane.engine().settled, timeout=5000)
    yield pane
    pane.close_media()


def click_at(qtbot, pane: MediaPane, ms: int) -> int:
    bar = pane.seek_bar
    point = QPoint(bar._x_for(ms), bar.height() // 2)
    with qtbot.waitSignal(pane.frameShown, timeout=6000) as shown:
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=point)
    return shown.args[0]


@needs_vlc
def test_a_click_on_the_seek_bar_while_paused_shows_that_frame(qtbot, video):
    assert video.state() == "paused"
    step = video.duration() / max(1, video.seek_bar.width())  # one pixel of the bar
    for target, colour in ((12_500, BLUE), (17_500, YELLOW)):
        shown = click_at(qtbot, video, target)
        assert abs(shown - target) <= step + 3 * FRAME_MS, (shown, target)
        qtbot.waitUntil(lambda: video.engine().settled(), timeout=5000)
        assert_colour(video.current_frame(), colour)
        assert video.state() == "paused"
        assert video.time_label.text().startswith(f"00:{shown // 1000:02d}.")


@needs_vlc
def test_times_are_rounded_and_frame_numbers_are_at_hand(qtbot, video):
    shown = click_at(qtbot, video, 12_500)
    qtbot.waitUntil(lambda: video.engine().settled(), timeout=5000)
    label = video.time_label
    tenths = f"00:{shown // 1000:02d}.{shown % 1000 // 100}"
    assert label.text() == f"{tenths} / 00:20.0"  # tenths, no milliseconds
    frame = shown // FRAME_MS
    assert video.frame_number() == frame and f"frame {frame}" in label.toolTip()
    video.media_actions["frame_numbers"].trigger()
    assert label.text() == f"{tenths} #{frame} / 00:20.0"
    video.step_frame(1)
    qtbot.waitUntil(lambda: video.frame_number() == frame + 1, timeout=5000)
    assert f"#{frame + 1} /" in label.text()
    video.media_actions["frame_numbers"].trigger()
    assert "#" not in label.text()


@needs_vlc
def test_a_click_on_the_seek_bar_in_the_workspace_shows_that_frame(qtbot, demo_ctx):
    from workspace_support import make_workspace

    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    media = ws.viewer.media
    qtbot.waitUntil(lambda: media.current_frame() is not None and media.engine().settled(), timeout=15000)
    shown = click_at(qtbot, media, 12_500)
    assert 10_000 <= shown < 15_000
    qtbot.waitUntil(lambda: media.engine().settled(), timeout=5000)
    assert_colour(media.current_frame(), BLUE)
    ws.close()


@pytest.fixture(scope="module")
def numbered_high(tmp_path_factory) -> Path:
    """H.264 high profile (B-frames, as most cameras write) whose frames carry their number."""
    from test_exact_frame import BITS, FPS, SECONDS

    out = tmp_path_factory.mktemp("seekbar") / "numbered-high.mp4"
    lum = f"255*mod(floor(N/pow(2,floor(X*{BITS}/W))),2)"
    subprocess.run(["ffmpeg", "-v", "error",
                    "-f", "lavfi", "-i", f"color=c=black:s=288x64:r={FPS}:d={SECONDS}",
                    "-vf", f"geq=lum='{lum}':cb=128:cr=128", "-c:v", "libx264", "-profile:v", "high",
                    "-g", str(FPS), "-pix_fmt", "yuv420p", "-y", str(out)], check=True, timeout=120)
    return out


@needs_vlc
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to make the numbered video")
def test_the_frame_a_click_shows_is_the_one_the_time_names(qtbot, numbered_high):
    """On a B-frame file libvlc's own seek lands a few frames off; a click lands exactly, so
    the picture and the frame number beside the time agree."""
    from test_exact_frame import frame_number, open_pane

    pane = open_pane(qtbot, numbered_high)
    for ms in (1_480, 3_960, 6_520, 2_040):
        click_at(qtbot, pane, ms)
        assert frame_number(pane.current_frame()) == pane.frame_number(), ms
        assert abs(pane.position() - ms) <= pane.duration() / pane.seek_bar.width() + FRAME_MS
    pane.close_media()
