"""The workspace on the screens reviewers have, in a real window: Xvfb with a window
manager (openbox), the window maximised as on a laptop (also a 1920x1080 screen at 150 %).
Every primary control lies inside the window, shown and not cut off; from 1366x768 up the
lesson plan's page is at least 520 px wide beside a video of at least 480 px
(tests/gui/layout_probe.py measures, one subprocess per screen size)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("layout_probe.py")
PRIMARY = {"play", "seek", "prev_frame", "next_frame", "speed", "time", "prev_page", "next_page",
           "page", "zoom_in", "zoom_out", "zoom", "find", "level1", "level2", "level3", "level4",
           "comment", "decision", "submit"}

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("openbox")),
                                reason="needs Xvfb and openbox (Debian: xvfb openbox)")


def _on_screen(size: str, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``command`` on a fresh Xvfb screen of ``size`` with openbox managing windows."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    env = {**env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    wm = subprocess.Popen(["openbox", "--sm-disable"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=90)
    finally:
        for process in (wm, xvfb):
            process.terminate()
            process.wait(10)


@pytest.mark.parametrize("size", ["1366x768", *(pytest.param(size, marks=pytest.mark.slow)  # make check: one
                                                 for size in ("1280x800", "1920x1080", "1920x1080@1.5"))])
def test_every_primary_control_is_in_sight_and_the_page_is_readable(size, demo_data_dir, tmp_path):
    """(1920x1080@1.5: a 1920x1080 screen at 150 % scaling, 1280x720 logical pixels.)"""
    size, _, scale = size.partition("@")
    env = {**os.environ, "REVIEWER_APP_NO_AUDIO": "1", "QT_SCALE_FACTOR": scale or "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")])}
    env.pop("QT_QPA_PLATFORM", None)
    done = _on_screen(size, [sys.executable, str(PROBE), str(demo_data_dir), "DEMO-1001"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ready"], found  # the first frame and page were on screen
    width, height = (round(int(n) / float(scale or 1)) for n in size.split("x"))
    assert found["screen"] == [width, height]
    x, y, w, h = found["frame"]
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, found["frame"]
    controls = found["controls"]
    assert PRIMARY <= set(controls)
    unseen = {name: c for name, c in controls.items()
              if not (c["visible"] and c["inside"] and not c["clipped"])}
    assert not unseen, unseen
    if width >= 1366:
        assert found["page_px"] >= 520, found
        assert found["video_px"] >= 480, found
