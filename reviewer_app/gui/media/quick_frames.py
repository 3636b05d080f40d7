"""A note's exact frame decoded at once by FFmpeg (PyAV), beside libvlc's count.

libvlc 3 can only count to a frame by playing from the key frame before it at 1x
(exact_seeks): on a video with key frames 2 s apart that is 0.8 s on average and up to 2 s.
FFmpeg's own decoder, driven through PyAV on a worker thread, decodes from the same key frame
as fast as the CPU allows (tens of ms), and its frame times are the container's, so the frame
is known by its time, not by a count. The pictures are converted to the size and pixel
format libvlc's pictures have (RV32 at the sink's size, FFmpeg's swscale in both: byte for
byte the same on the demo video, as the tests check), so frame steps from there match pixels
as after any count.

How the engine uses it: an exact seek starts libvlc's count as before *and* this decode.
When the decode is done first, its frame is shown at once as a still, and libvlc's count goes
on to land on the same frame (its arrival is not announced again): steps and play then go on
from libvlc's place as after any count. The decode gives up (``None``) whenever it cannot vouch
for the frame: PyAV missing, a size it would have to guess, no frame at the table's time;
the count alone shows it then, as before.

A part of MediaEngine (player.py): these methods share the engine's state.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QImage

from reviewer_app.gui.media.exact_count import ms_of
from reviewer_app.gui.media.frame_cache import Frame
from reviewer_app.gui.media.operations import Exact
from reviewer_app.gui.media.vlc_session import frame_size_for
from reviewer_app.gui.tasks import run_task

if TYPE_CHECKING:
    from reviewer_app.jobs import Job
    from reviewer_app.render.mp4_timing import VideoTiming

log = logging.getLogger(__name__)

QUICK_BEFORE = 3   # frames kept before the one asked for (steps back from it are instant)
QUICK_AFTER = 3    # ... and after it
TIME_SLACK_US = 1000  # a decoded frame's time and the table's agree to this (ms rounding)

_pool: QThreadPool | None = None
_av_lock = threading.Lock()
_av: Any = None
_av_missing = False


def quick_pool() -> QThreadPool:
    """One worker for these decodes: a newer one waits for the older (cancelled) one, and the
    shared pool's work (PDF pages, data) never holds a note up."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
        _pool.setExpiryTimeout(-1)
    return _pool


def load_av() -> Any:
    """PyAV, imported once (~60 ms; off the GUI thread), or ``None`` when not installed."""
    global _av, _av_missing
    with _av_lock:
        if _av is None and not _av_missing:
            try:
                import av
            except ImportError:
                _av_missing = True
                log.info("PyAV is not installed: exact frames are counted by libvlc alone")
            else:
                _av = av
        return _av


def decode_frames(path: Path, timing: VideoTiming, key: int, index: int, size: tuple[int, int],
                  job: Job | None = None) -> list[Frame] | None:
    """Frames ``index - QUICK_BEFORE`` to ``index + QUICK_AFTER`` (those from ``key`` on),
    decoded from key frame ``key`` and converted to ``size`` in RV32; ``None`` when the frame
    at ``index`` cannot be vouched for."""
    av = load_av()
    if av is None:
        return None
    first = max(key, index - QUICK_BEFORE)
    last = min(len(timing) - 1, index + QUICK_AFTER)
    wanted = {timing.frame_us[i]: i for i in range(first, last + 1)}
    w, h = size
    frames: list[Frame] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if frame_size_for(stream.width, stream.height) != size:
            log.info("quick decode: %dx%d is not shown at %dx%d; left to libvlc",
                     stream.width, stream.height, w, h)
            return None
        stream.thread_type = "AUTO"
        key_us = timing.frame_us[key]
        container.seek(int(key_us / 1e6 / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if job is not None and job.cancelled:
                return None
            if frame.pts is None:
                return None
            t_us = round(float(frame.pts * stream.time_base) * 1e6)
            i = next((wanted[u] for u in wanted if abs(u - t_us) <= TIME_SLACK_US), None)
            if i is None:
                if t_us > timing.frame_us[last] + TIME_SLACK_US:
                    break
                continue
            rgb = frame.reformat(width=w, height=h, format="bgra")
            pixels = rgb.to_ndarray()
            image = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB32).copy()
            frames.append(Frame(ms_of(timing, i), image))
            if i >= last:
                break
    index_ms = ms_of(timing, index)
    frames.sort(key=lambda f: f.ms)
    ms_list = [f.ms for f in frames]
    expected = [ms_of(timing, i) for i in range(first, last + 1)]
    if index_ms not in ms_list or ms_list != expected[:len(ms_list)] or ms_list[0] != expected[0]:
        log.info("quick decode of frame %d: frames %s, not %s; left to libvlc", index,
                 ms_list, expected)
        return None
    return frames


def warm_up(path: Path) -> None:
    av = load_av()
    if av is None:
        return
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frame.reformat(format="bgra").to_ndarray()
                break
    except Exception as exc:  # noqa: BLE001 - a warm-up only; the decode itself reports
        log.info("quick decode warm-up of %s: %s", path, exc)


class QuickFrames:
    """Exact frames decoded by PyAV for MediaEngine, beside libvlc's count."""

    quick_decoding = True  # off: libvlc's count alone (the benchmark compares both)

    def _quick_warm(self) -> None:
        """Import PyAV and decode the first frame on the decode worker once a video's frame
        table is known (the decoder's first start costs more than a decode)."""
        if self.quick_decoding and self._path is not None:
            path = self._path
            run_task(lambda job: warm_up(path), pool=quick_pool())

    def _quick_start(self, op: Exact) -> None:
        """Decode ``op``'s frame on the worker; shown if the count has not shown it first."""
        session = self._session
        timing = self._timing
        if not self.quick_decoding or session is None or timing is None or _av_missing \
                or session.sink is None:
            return
        size = session.sink.configured or session.sink.target
        if size is None:
            return
        previous = getattr(self, "_quick_task", None)
        if previous is not None:
            previous.cancel()
        path, key, index, token = session.path, op.key, op.index, self._token
        self._quick_task = run_task(
            lambda job: decode_frames(path, timing, key, index, size, job),
            on_success=lambda frames: self._quick_done(op, frames, token),
            on_error=lambda exc: log.warning("quick decode of frame %d failed: %s", index, exc),
            pool=quick_pool(), owner=self)

    def _quick_done(self, op: Exact, frames: list[Frame] | None, token: int) -> None:
        current = self._op
        if not frames or token != self._token or self._session is None \
                or not isinstance(current, Exact) \
                or current.purpose != "show" or current.index != op.index:
            return  # the count showed it first, or another seek came
        op = current  # (the count may have started again from the key frame meanwhile)
        ms = self._ms_of(op.index)
        log.debug("quick decode of frame %d shown before libvlc's count (%d frames counted)",
                  op.index, op.counter.count + 1)
        # On screen as a still; libvlc's count goes on to land on it (then steps and play go
        # on from there as after any count; its arrival is not announced twice).
        op.shown_early = True
        self._frames = list(frames)
        self._v = next(i for i, f in enumerate(frames) if f.ms == ms)
        self._show(frames[self._v], emit_shown=True)


__all__ = ["QUICK_AFTER", "QUICK_BEFORE", "QuickFrames", "decode_frames", "load_av", "quick_pool"]
