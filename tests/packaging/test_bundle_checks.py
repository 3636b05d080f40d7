"""The bundle smoke test's own checks fail when they should: a black frame, a frame that is
not the demo video's, a libvlc from outside the bundle. And, without building a bundle,
the app's frozen path: inside a bundle its own libvlc wins over whatever the environment
names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_probe


def frame(body: tuple[int, int, int], bar: tuple[int, int, int]) -> QImage:
    """A 640 x 360 picture like classroom.mp4's: a body, and a 40-row bar at the bottom."""
    image = QImage(640, 360, QImage.Format.Format_RGB32)
    image.fill(QColor(*body))
    for y in range(320, 360):
        for x in range(640):
            image.setPixelColor(x, y, QColor(*bar))
    return image


def test_a_frame_of_the_demo_video_passes():
    problem, facts = bundle_probe.judge_demo_frame(frame((180, 150, 120), (250, 5, 5)))
    assert problem is None and facts["bar_name"] == "red"


def test_a_black_frame_fails():
    problem, _ = bundle_probe.judge_demo_frame(frame((0, 0, 0), (0, 0, 0)))
    assert problem is not None and "black" in problem


def test_no_frame_or_a_frame_of_something_else_fails():
    assert bundle_probe.judge_demo_frame(None)[0] == "no decoded frame reached the video pane"
    assert bundle_probe.judge_demo_frame(QImage())[0] is not None
    problem, _ = bundle_probe.judge_demo_frame(frame((180, 150, 120), (128, 128, 128)))
    assert problem is not None and "none of the demo video's colours" in problem


MAPS = """\
7f0000000000-7f0000001000 r-xp 00000000 08:01 1 /opt/app/_internal/libvlc.so.5
7f0000001000-7f0000002000 r-xp 00000000 08:01 2 /opt/app/_internal/libvlccore.so.9
7f0000002000-7f0000003000 r-xp 00000000 08:01 3 /opt/app/_internal/vlc/plugins/codec/libavcodec_plugin.so
7f0000003000-7f0000004000 r-xp 00000000 08:01 4 /usr/lib/x86_64-linux-gnu/vlc/plugins/demux/libmp4_plugin.so
7f0000004000-7f0000005000 r-xp 00000000 08:01 5 /usr/lib/x86_64-linux-gnu/libavcodec.so.59
7f0000005000-7f0000006000 rw-p 00000000 00:00 0
"""


def test_vlc_files_from_outside_the_bundle_are_named():
    files = bundle_probe.vlc_files(MAPS)
    assert files == ["/opt/app/_internal/libvlc.so.5", "/opt/app/_internal/libvlccore.so.9",
                     "/opt/app/_internal/vlc/plugins/codec/libavcodec_plugin.so",
                     "/usr/lib/x86_64-linux-gnu/vlc/plugins/demux/libmp4_plugin.so"]
    assert bundle_probe.foreign_vlc_files(files, "/opt/app/_internal") == [
        "/usr/lib/x86_64-linux-gnu/vlc/plugins/demux/libmp4_plugin.so"]
    assert bundle_probe.foreign_vlc_files(files, "/opt/app/_internal/vlc") != []


# Runs the loader as it runs inside a bundle (sys.frozen, sys._MEIPASS), with the
# environment pointing python-vlc at a library that does not exist.
FROZEN = textwrap.dedent("""
    import json, os, sys
    sys.frozen = True
    sys._MEIPASS = sys.argv[1]
    os.environ["PYTHON_VLC_LIB_PATH"] = "/nonexistent/libvlc.so.5"
    os.environ["VLC_PLUGIN_PATH"] = "/nonexistent/plugins"
    from reviewer_app.gui.media import vlc_loader
    from reviewer_app.diagnostics import libvlc_info
    info = libvlc_info()
    print(json.dumps({"problem": info.problem, "version": info.version,
                      "lib": os.environ["PYTHON_VLC_LIB_PATH"],
                      "plugins": os.environ["VLC_PLUGIN_PATH"], "loaded_plugins": info.plugins}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the layout is Linux's")
def test_inside_a_bundle_its_own_libvlc_and_plugins_win_over_the_environment(tmp_path: Path):
    from reviewer_app.diagnostics import loaded_library
    from reviewer_app.gui.media.vlc_loader import availability, load_vlc

    if availability() is not None:
        pytest.skip(f"libvlc is not usable here: {availability()}")
    system = Path(loaded_library(load_vlc().dll, "libvlc_get_version"))
    plugins = system.parent / "vlc" / "plugins"
    if not plugins.is_dir():
        pytest.skip(f"no VLC plugin folder at {plugins}")
    # A stand-in bundle: libvlc and the plugin folder where the spec puts them.
    bundle = tmp_path / "_internal"
    (bundle / "vlc").mkdir(parents=True)
    (bundle / "libvlc.so.5").symlink_to(system)
    (bundle / "vlc" / "plugins").symlink_to(plugins)
    result = subprocess.run([sys.executable, "-c", FROZEN, str(bundle)], capture_output=True,
                            text=True, timeout=60, cwd=ROOT,
                            env={**os.environ, "REVIEWER_APP_NO_AUDIO": "1"})
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["lib"] == str(bundle / "libvlc.so.5")
    assert facts["plugins"] == str(bundle / "vlc" / "plugins")
    assert facts["problem"] == "" and facts["version"].startswith("3.")
