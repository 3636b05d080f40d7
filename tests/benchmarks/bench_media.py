"""Timing of the media pane against raw python-vlc with the same video callbacks.

    python tests/benchmarks/bench_media.py [VIDEO] [--runs N]

Prints medians (and worst cases) of:

* first picture: ``MediaPane.load()`` + ``play()`` until ``frameShown``, versus raw python-vlc
  (``media_new_path``, ``video_set_callbacks``, ``video_set_format("RV32", ...)``, ``play()``)
  until the display callback runs;
* seek while paused: ``MediaPane.seek()`` (once the pane is idle) until ``frameShown``, with
  the default (the input restarts at the target) and with ``fast_paused_seeks`` (libvlc's
  paused ``set_time``), versus raw ``set_time()`` on a paused player until the display
  callback gets a picture that differs from the one before;
* seek while playing (information): the pane's seek until ``frameShown`` versus raw
  ``set_time()`` until the first picture whose bottom colour bar matches the target (the demo
  video's bar changes colour every 5 s; raw libvlc first shows stale pictures).

Both sides use one warm libvlc instance with the same arguments. Not a test: timings depend
on the machine. The default video is resources/demo/classroom.mp4.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

TARGETS = (7_000, 12_520, 2_000, 17_000, 9_960, 4_320, 14_000, 1_240, 11_120, 6_000,
           18_200, 3_000, 8_480, 15_640, 520, 13_360, 5_040, 16_480, 10_000, 2_760)
COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0))


def _pump(until, timeout: float = 5.0) -> float | None:
    """Run the Qt event loop (as the app does: blocked in exec(), not spinning) until
    ``until()`` is true; seconds waited, or None on timeout."""
    start = time.perf_counter()
    if until():
        return 0.0
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(1)
    check.timeout.connect(lambda: loop.quit() if until() or
                          time.perf_counter() - start > timeout else None)
    check.start()
    loop.exec()
    check.stop()
    return time.perf_counter() - start if until() else None


def _bar(image: QImage) -> tuple[int, int, int]:
    colour = image.pixelColor(image.width() // 2, image.height() - max(2, image.height() // 18))
    return colour.red(), colour.green(), colour.blue()


def _section_colour(ms: int) -> tuple[int, int, int]:
    return COLOURS[min(3, ms // 5000)]


def _close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 40 for x, y in zip(a, b, strict=True))


class RawPlayer:
    """python-vlc as the design notes describe it, no Qt: the reference."""

    def __init__(self, vlc, instance, width: int, height: int) -> None:
        self.vlc = vlc
        self.instance = instance
        self.width, self.height = width, height
        self.buffer = (ctypes.c_ubyte * (width * height * 4))()
        self.address = ctypes.addressof(self.buffer)
        self.view = QImage(self.buffer, width, height, width * 4, QImage.Format.Format_RGB32)
        self.frames: list[tuple[float, QImage]] = []
        self.lock_cb = vlc.CallbackDecorators.VideoLockCb(self._lock)
        self.unlock_cb = vlc.CallbackDecorators.VideoUnlockCb(lambda *_: None)
        self.display_cb = vlc.CallbackDecorators.VideoDisplayCb(self._display)
        self.player = None

    def _lock(self, _opaque, planes):
        planes[0] = self.address
        return None

    def _display(self, _opaque, _picture):
        self.frames.append((time.perf_counter(), self.view.copy()))

    def start(self, path: Path) -> float | None:
        if self.player is not None:
            self.player.stop()
            self.player.release()
        self.frames.clear()
        t0 = time.perf_counter()
        player = self.instance.media_player_new()
        player.set_media(self.instance.media_new_path(str(path)))
        player.video_set_callbacks(self.lock_cb, self.unlock_cb, self.display_cb, None)
        player.video_set_format("RV32", self.width, self.height, self.width * 4)
        player.play()
        self.player = player
        waited = _pump(lambda: bool(self.frames))
        return None if waited is None else self.frames[0][0] - t0

    def close(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.player.release()
            self.player = None


def _median(values: list[float]) -> str:
    values = [v * 1000 for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{statistics.median(values):6.1f} ms (worst {max(values):6.1f}, n={len(values)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("REVIEWER_APP_NO_AUDIO", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from reviewer_app.gui.media.media_pane import MediaPane
    from reviewer_app.gui.media.probe import probe_media
    from reviewer_app.gui.media.vlc_loader import get_instance, libvlc_version, load_vlc
    from reviewer_app.resources_path import resource

    video = args.video or resource("demo", "classroom.mp4")
    vlc, instance = load_vlc(), get_instance()
    info = probe_media(video, decode=False)
    print(f"libvlc {libvlc_version()}, {video.name}: {info.details}")
    raw = RawPlayer(vlc, instance, info.width, info.height)
    pane = MediaPane()
    pane.resize(800, 560)
    pane.show()
    shown: list[tuple[float, int]] = []
    pane.frameShown.connect(lambda ms: shown.append((time.perf_counter(), ms)))

    # -- first picture -------------------------------------------------------------------
    raw.start(video)  # warm both paths once
    raw.close()
    pane.load(video)
    pane.play()
    _pump(lambda: bool(shown))
    pane.close_media()
    pane_first, raw_first = [], []
    for _ in range(args.runs):
        shown.clear()
        t0 = time.perf_counter()
        pane.load(video)
        pane.play()
        waited = _pump(lambda: bool(shown))
        pane_first.append(None if waited is None else shown[0][0] - t0)
        pane.close_media()
        raw_first.append(raw.start(video))
        raw.close()

    # -- seeks while paused: the default (restart), libvlc's set_time (fast), raw ------------
    def paused_seeks(fast: bool) -> tuple[list, list]:
        shown.clear()
        pane.close_media()
        pane.engine().fast_paused_seeks = fast
        pane.load(video)
        _pump(lambda: bool(shown))
        raw.start(video)
        raw.player.set_pause(1)
        ours, theirs = [], []
        for target in TARGETS * 2:
            _pump(pane.engine().settled)
            shown.clear()
            t0 = time.perf_counter()
            pane.seek(target)
            waited = _pump(lambda: bool(shown))
            ours.append(None if waited is None else shown[0][0] - t0)
            _pump(lambda: False, 0.15)  # let the raw player's pause settle too
            before = raw.frames[-1][1] if raw.frames else QImage()
            count = len(raw.frames)
            t0 = time.perf_counter()
            raw.player.set_time(target)
            waited = _pump(lambda c=count, b=before: any(f != b for _, f in raw.frames[c:]), 2.0)
            theirs.append(None if waited is None else
                          next(t for t, f in raw.frames[count:] if f != before) - t0)
        return ours, theirs

    pane_fast, raw_fast = paused_seeks(True)
    pane_paused, raw_paused = paused_seeks(False)
    pane.engine().fast_paused_seeks = False

    # -- seeks while playing (correct picture) ------------------------------------------
    pane.play()
    raw.player.set_pause(0)
    pane_playing, raw_playing = [], []
    for i, target in enumerate(TARGETS[:10]):
        _pump(lambda: False, 0.3)
        shown.clear()
        t0 = time.perf_counter()
        pane.seek(target)
        waited = _pump(lambda: bool(shown))
        pane_playing.append(None if waited is None else shown[0][0] - t0)
        # raw: seek into another 5 s section and wait for its colour
        raw_target = (target + 5_000 * (1 + i % 3)) % 19_000
        want = _section_colour(raw_target)
        count = len(raw.frames)
        t0 = time.perf_counter()
        raw.player.set_time(raw_target)
        waited = _pump(lambda c=count, w=want: any(_close(_bar(f), w) for _, f in raw.frames[c:]),
                       3.0)
        raw_playing.append(None if waited is None else
                           next(t for t, f in raw.frames[count:] if _close(_bar(f), want)) - t0)
    pane.close_media()
    raw.close()

    print(f"first picture   pane {_median(pane_first)}   raw {_median(raw_first)}")
    print(f"seek, paused    pane {_median(pane_paused)}   raw {_median(raw_paused)}   (default: "
          "restart)")
    print(f"seek, paused    pane {_median(pane_fast)}   raw {_median(raw_fast)}   "
          "(fast_paused_seeks=True)")
    print(f"seek, playing   pane {_median(pane_playing)}   raw {_median(raw_playing)} "
          "(raw: until the target's colour)")
    for label, ours, theirs in (("first picture", pane_first, raw_first),
                                ("seek, paused (default)", pane_paused, raw_paused),
                                ("seek, paused (fast)", pane_fast, raw_fast)):
        a = statistics.median([v for v in ours if v is not None])
        b = statistics.median([v for v in theirs if v is not None])
        print(f"{label}: pane / raw = {a / b:.2f}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
