"""Every window and dialog fits a laptop screen (issue 19): on a real X server (Xvfb) with a
window manager (openbox), at 1366x768, 1280x800 and 1920x1080 at 150% scaling, each window
opens with its frame inside the available screen and its primary controls (Record, Save,
OK...) wholly visible: inside the window, not clipped by a scroll area.

One subprocess per screen opens the windows one after another (``screen_fit_probe.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from screen_fit_probe import build_data

PROBE = Path(__file__).with_name("screen_fit_probe.py")
SCREENS = {
    "1366x768": ("1366x768", {}),
    "1280x800": ("1280x800", {}),
    "1920x1080 at 150%": ("1920x1080", {"QT_SCALE_FACTOR": "1.5"}),
}
WINDOWS = ["queue", "workspace", "shortcuts help", "submit summary", "moderation", "statistics", "audit log",
           "calibration", "mark calibration", "calibration result", "credential policies",
           "score batch import", "score batch export", "final-decision export", "feedback letters",
           "issuer settings", "outbox", "profile", "about", "error dialog"]


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (bash packaging/bootstrap.sh test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # never a silent skip in CI
        pytest.skip(message)
    return path


@pytest.fixture
def x_screen(request, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A display of the given size with openbox managing it: (DISPLAY, extra environment)."""
    size, extra = SCREENS[request.param]
    xvfb, openbox = _need("Xvfb"), _need("openbox")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", f"{size}x24",
                               "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    display = f":{number}"
    ready = tmp_path / "openbox-ready"
    manager = subprocess.Popen([openbox, "--sm-disable", "--startup", f"touch {ready}"],
                               env={**os.environ, "DISPLAY": display},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not ready.exists() and time.monotonic() < deadline and manager.poll() is None:
        time.sleep(0.05)  # waiting for another process: there is no signal to wait on
    assert ready.exists(), "openbox did not start"
    try:
        yield display, extra
    finally:
        for process in (manager, server):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def lead_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lead's data folder; beside it (``keyring.json``) the test keyring holding the lead's
    key, which every lead action checks (blind by design)."""
    from lead_support import file_keyring

    folder = tmp_path_factory.mktemp("screen-fit") / "data"
    with file_keyring(folder.parent / "keyring.json"):
        build_data(folder)
    return folder


def _problems(result: dict) -> list[str]:
    name = result["name"]
    if "error" in result:
        return [f"{name}: {result['error']}"]
    fx, fy, fw, fh = result["frame"]
    ax, ay, aw, ah = result["available"]
    where = f"{name} ({fw}x{fh} at {fx},{fy} on a {aw}x{ah} screen)"
    problems = []
    if not (fx >= ax and fy >= ay and fx + fw <= ax + aw and fy + fh <= ay + ah):
        problems.append(f"{where}: its frame is not inside the available screen")
    if result["scrolled_px"] and fh < ah - 60 and not result["maximized"]:
        problems.append(f"{where}: {result['scrolled_px']} px of its content scroll although the screen "
                        "has room for them")
    for label, c in result["controls"].items():
        if not c["found"]:
            problems.append(f"{where}: no {label} control found")
        elif not c["visible"]:
            problems.append(f"{where}: {label} is not wholly visible (shown={c['shown']}, on the screen="
                            f"{c['on_screen']}, rect {c['rect']}, visible part {c['seen']})")
    return problems


@pytest.mark.slow  # every window on three real screens
@pytest.mark.parametrize("x_screen", list(SCREENS), indirect=True)
def test_every_window_and_dialog_fits_the_screen(x_screen, lead_data: Path, tmp_path: Path,
                                                 keyring_env: dict[str, str]) -> None:
    display, extra = x_screen
    data = tmp_path / "data"
    shutil.copytree(lead_data, data)
    shutil.copy(lead_data.parent / "keyring.json", keyring_env["REVIEWER_TEST_KEYRING_FILE"])
    # (a test keyring: exporting a score batch signs it with the profile's key)
    env = {**keyring_env, **extra, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "REVIEWER_APP_NO_AUDIO": "1"}
    run = subprocess.run([sys.executable, str(PROBE), str(data)], env=env, capture_output=True, text=True,
                         timeout=240)
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0, f"the probe failed:\n{run.stderr[-3000:]}"
    assert [r["name"] for r in results] == WINDOWS, run.stderr[-3000:]
    problems = [p for r in results for p in _problems(r)]
    assert not problems, "\n".join(problems)
