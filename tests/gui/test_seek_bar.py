"""The seek bar, clicked as a reviewer clicks it (real libvlc, the demo video): a click while
paused shows the frame at that time, not only a drag; the time reads rounded (00:12.5) and
the frame number is there on asking (Playback > Show Frame Numbers) and in the tooltip.

classroom.mp4's bottom bar says the time: red 0-5 s, green 5-10 s, blue 10-15 s, yellow 15-20 s.
"""

from __future__ import annotations

import os

os.environ["REVIEWER_APP_NO_AUDIO"] = "1"

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402

from test_media_pane import BLUE, CLASSROOM, FRAME_MS, YELLOW, assert_colour, needs_vlc  # noqa: E402

from reviewer_app.gui.media.media_pane import MediaPane  # noqa: E402


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
    point = QPoint(bar._x_for(ms), bar.height() // 2)  # noqa: SLF001
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
