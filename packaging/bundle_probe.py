"""A self-check the built app runs on itself, for the smoke test and the start-time figures.

``packaging/reviewer_app_main.py`` installs it when ``REVIEWER_APP_PROBE`` is set, before the
ordinary command line runs; it watches the real window from inside the process and writes
a JSON report to ``$REVIEWER_APP_PROBE_REPORT``:

* ``startup``: the wall-clock time the main window first painted, then the app quits.
* ``workspace`` (with ``reviewer-app open DEMO-1001``): waits for the workspace, checks
  that the video pane shows a real decoded frame of resources/demo/classroom.mp4 (not
  black: its bottom bar is red, green, blue or yellow), plays it for two seconds, waits for
  the lesson plan's page (rendered by PyMuPDF in a separate process), and lists the libvlc
  files and VLC plugins this process loaded (from /proc/self/maps) with any that do not
  live inside the bundle. The app exits with status 3 when a check fails.

The checks are plain functions (``judge_demo_frame``, ``foreign_vlc_files``) so that
tests/packaging can show they fail on a black frame or a system libvlc.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

# classroom.mp4's bottom bar (40 of 360 rows) tells the time: red, green, blue, yellow.
DEMO_BAR_COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
                    "yellow": (255, 255, 0)}
PLAY_SECONDS = 2.0
FAILED_EXIT = 3


# ------------------------------------------------------------------------- the checks --
def bar_colour(image: Any) -> tuple[int, int, int]:
    """Mean colour of the demo video's bottom bar, sampled across it (a QImage)."""
    height, width = image.height(), image.width()
    bar = max(2, round(40 * height / 360))
    samples = [image.pixelColor(int(width * fx), height - bar + int(bar * fy))
               for fy in (0.3, 0.5, 0.7) for fx in (0.05, 0.25, 0.5, 0.75, 0.95)]
    n = len(samples)
    return (sum(c.red() for c in samples) // n, sum(c.green() for c in samples) // n,
            sum(c.blue() for c in samples) // n)


def mean_brightness(image: Any) -> float:
    """Mean of R, G and B over a 16 x 9 grid of the picture (0 black, 255 white)."""
    width, height = image.width(), image.height()
    total = 0
    for j in range(9):
        for i in range(16):
            c = image.pixelColor(int(width * (i + 0.5) / 16), int(height * (j + 0.5) / 9))
            total += c.red() + c.green() + c.blue()
    return total / (16 * 9 * 3)


def judge_demo_frame(image: Any, tolerance: int = 60) -> tuple[str | None, dict[str, Any]]:
    """(what is wrong, or None; what was measured) for a frame of classroom.mp4."""
    if image is None or image.isNull():
        return "no decoded frame reached the video pane", {}
    facts: dict[str, Any] = {"size": [image.width(), image.height()],
                             "brightness": round(mean_brightness(image), 1),
                             "bar": list(bar_colour(image))}
    if facts["brightness"] < 8:
        return f"the frame is black (mean brightness {facts['brightness']})", facts
    bar = facts["bar"]
    for name, colour in DEMO_BAR_COLOURS.items():
        if all(abs(b - c) <= tolerance for b, c in zip(bar, colour)):
            facts["bar_name"] = name
            return None, facts
    return f"the frame's bottom bar is {tuple(bar)}, none of the demo video's colours", facts


def vlc_files(maps_text: str) -> list[str]:
    """libvlc, libvlccore, its helpers and the VLC plugins named in a /proc/PID/maps text."""
    found: list[str] = []
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6:
            continue
        path = parts[5].strip()
        name = os.path.basename(path)
        is_vlc = (name.startswith(("libvlc.", "libvlccore.", "libvlc_"))
                  or (name.endswith(("_plugin.so", "_plugin.dll", "_plugin.dylib")) and "/vlc/" in path))
        if is_vlc and path not in found:
            found.append(path)
    return found


def foreign_vlc_files(files: list[str], bundle_root: str) -> list[str]:
    """The files that do not live inside the bundle."""
    root = os.path.realpath(bundle_root).rstrip("/") + "/"
    return [f for f in files if not os.path.realpath(f).startswith(root)]


# -------------------------------------------------------------------------- the probe --
def bundle_root() -> str:
    return str(getattr(sys, "_MEIPASS", "") or Path(sys.executable).parent)


class _Probe:
    def __init__(self, mode: str, app: Any, report: Path, timeout: float, entered: float) -> None:
        from PySide6.QtCore import QObject, QTimer

        self.mode, self.app, self.report = mode, app, report
        # python_ready_at: the entry script runs (the interpreter, and a bundle's bootloader,
        # are done); app_created_at: the app's modules are imported and its QApplication made.
        self.facts: dict[str, Any] = {"mode": mode, "python_ready_at": entered,
                                      "app_created_at": time.time(),
                                      "frozen": bool(getattr(sys, "frozen", False)),
                                      "bundle_root": bundle_root() if getattr(sys, "frozen", False) else ""}
        self.problems: list[str] = []
        self.done = False
        self.step = "waiting for the workspace"
        self.stamp = 0.0
        self.window: Any = None
        if mode == "startup":
            from PySide6.QtCore import QEvent
            from PySide6.QtWidgets import QMainWindow

            probe = self

            class FirstPaint(QObject):
                def eventFilter(self, obj, event):
                    if (event.type() == QEvent.Type.Paint and hasattr(obj, "window")
                            and isinstance(obj.window(), QMainWindow) and not probe.done):
                        probe.facts["shown_at"] = time.time()
                        probe.facts["window"] = type(obj.window()).__name__
                        app.removeEventFilter(self)
                        QTimer.singleShot(0, probe.finish)
                    return False

            self._filter = FirstPaint()
            app.installEventFilter(self._filter)
        elif mode == "workspace":
            self.timer = QTimer(interval=100)
            self.timer.timeout.connect(self.poll)
            self.timer.start()
        else:
            raise SystemExit(f"REVIEWER_APP_PROBE: unknown mode {mode!r}")
        QTimer.singleShot(int(timeout * 1000), self.time_out)

    # -- workspace ---------------------------------------------------------------------
    def poll(self) -> None:
        try:
            self._poll()
        except Exception as exc:  # noqa: BLE001 - a probe reports, it does not crash
            import traceback

            self.problems.append(f"probe error while {self.step}: {exc!r}")
            self.facts["traceback"] = traceback.format_exc()
            self.finish()

    def _poll(self) -> None:
        if self.done:
            return
        from reviewer_app.gui.workspace import opener

        now = time.time()
        if self.window is None:
            windows = opener.open_windows()
            if not windows:
                return
            self.window = windows[0]
            self.facts["workspace_at"] = now
            self.facts["workspace_title"] = self.window.windowTitle()
            self.step = "waiting for the first video frame"
        media = self.window.viewer.media
        if self.step == "waiting for the first video frame":
            frame = media.current_frame()
            if frame is None or frame.isNull():
                if media.error_text():
                    self.problems.append(f"the video pane says: {media.error_text()}")
                    self.finish()
                return
            self.facts["first_frame_at"] = now
            problem, self.facts["first_frame"] = judge_demo_frame(frame)
            if problem:
                self.problems.append(f"first frame: {problem}")
            self._save(frame, "first-frame.png")
            media.play()
            self.stamp, self.step = now, "playing"
        elif self.step == "playing":
            if now - self.stamp < PLAY_SECONDS:
                return
            frame = media.current_frame()
            self.facts["played_to_ms"] = media.position()
            media.pause()
            problem, self.facts["played_frame"] = judge_demo_frame(frame)
            if problem:
                self.problems.append(f"after playing: {problem}")
            if self.facts["played_to_ms"] < 500:
                self.problems.append(f"playback did not advance (at {self.facts['played_to_ms']} ms "
                                     f"after {PLAY_SECONDS} s)")
            if frame is not None:
                self._save(frame, "played-frame.png")
            self.step = "waiting for the lesson plan page"
        elif self.step == "waiting for the lesson plan page" and self.window.viewer.pdf.page_image_shown():
            self.facts["pdf_page_at"] = now
            self.finish()

    def time_out(self) -> None:
        if not self.done:
            step = self.step if self.mode == "workspace" else "waiting for the main window"
            self.problems.append(f"timed out {step}")
            self.finish()

    def _save(self, image: Any, name: str) -> None:
        path = self.report.with_name(name)
        if image.save(str(path)):
            self.facts.setdefault("pictures", []).append(str(path))

    # -- the end -----------------------------------------------------------------------
    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        if hasattr(self, "timer"):
            self.timer.stop()
        if self.mode == "workspace":
            self._check_libraries()
            if self.window is not None:
                self._save(self.window.grab().toImage(), "workspace.png")
        self.facts["problems"] = self.problems
        self.facts["ok"] = not self.problems
        self.report.write_text(json.dumps(self.facts, indent=2), encoding="utf-8")
        print(("PROBE OK" if not self.problems else "PROBE FAILED: " + "; ".join(self.problems)),
              flush=True)
        from PySide6.QtWidgets import QApplication

        for top in QApplication.topLevelWidgets():
            top.close()
        self.app.exit(FAILED_EXIT if self.problems else 0)

    def _check_libraries(self) -> None:
        try:
            maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            self.facts["vlc_files"] = "unknown: no /proc/self/maps"
            return
        files = vlc_files(maps)
        self.facts["vlc_files"] = files
        if not any(os.path.basename(f).startswith("libvlc.") for f in files):
            self.problems.append("libvlc is not loaded")
        if not any(os.path.basename(f).endswith("_plugin.so") for f in files):
            self.problems.append("no VLC plugin is loaded")
        if getattr(sys, "frozen", False):
            # For the record: what the system still provides (glibc, the graphics stack...).
            root = os.path.realpath(bundle_root()).rstrip("/") + "/"
            self.facts["system_libraries"] = sorted({
                path for line in maps.splitlines() if len(parts := line.split(None, 5)) == 6
                and ".so" in (path := parts[5].strip()) and not os.path.realpath(path).startswith(root)})
            foreign = foreign_vlc_files(files, bundle_root())
            self.facts["foreign_vlc_files"] = foreign
            if foreign:
                self.problems.append("libvlc files from outside the bundle were loaded: "
                                     + ", ".join(foreign[:5]))


_probe: _Probe | None = None


def install(mode: str) -> None:
    """Create the application (the app's own ``make_application``, which ``run`` reuses)
    and start watching it."""
    global _probe
    entered = time.time()
    report = Path(os.environ.get("REVIEWER_APP_PROBE_REPORT", "reviewer-probe.json")).resolve()
    report.parent.mkdir(parents=True, exist_ok=True)
    timeout = float(os.environ.get("REVIEWER_APP_PROBE_TIMEOUT", "90"))
    from reviewer_app.gui.app import make_application

    _probe = _Probe(mode, make_application(), report, timeout, entered)
