"""A note's exact frame decoded at once by FFmpeg (PyAV), beside libvlc's count.

libvlc 3 can only count to a frame by playing from the key frame before it at 1x
(exact_seeks): on a video with key frames 2 s apart that is 0.8 s on average and up to 2 s.
FFmpeg's own decoder, driven through PyAV on a worker thread, decodes from the same key frame
as fast as the CPU allows (tens of ms), and its frame times are the container's, so the frame
is known by its time, not by a count. The pictures are converted to the size and pixel
format libvlc's pictures have (RV32 at the sink's size, FFmpeg's swscale in both: byte for
byte the same on the demo video, as the tests check), so frame steps from there match pixels
as after any count.

How the engine uses it: an exact seek to show a frame (a note, a typed time) starts this
decode first; its frame is shown at once as a still when it is done, and only then is
libvlc's input restarted at the key frame to count to the same frame behind it (restarting
takes the GUI thread and the CPU; after QUICK_WAIT_S it starts anyway). Its arrival is not
announced twice, and steps and play go on from libvlc's place as after any count. The decode
gives up (``None``) whenever it cannot vouch for the frame: PyAV missing, a size it would have
to guess, no frame at the table's time; the count alone shows it then, as before.

A part of MediaEngine (player.py): these methods share the engine's state.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QImage

from reviewer_app.gui.media.exact_count import ms_of
from reviewer_app.gui.media.frame_cache import Frame
from reviewer_app.gui.media.operations import Exact
from reviewer_app.gui.media.tuning import PREPARE_IDLE_S
from reviewer_app.gui.media.vlc_session import frame_size_for
from reviewer_app.gui.tasks import run_task

if TYPE_CHECKING:
    from reviewer_app.jobs import Job
    from reviewer_app.render.mp4_timing import VideoTiming

log = logging.getLogger(__name__)

TIME_SLACK_US = 1000  # a decoded frame's time and the table's agree to this (ms rounding)

_pool: QThreadPool | None = None
_av_lock = threading.Lock()
_av: Any = None
_av_missing = False
_kept: list[Any] = []  # [path, container]: the file the decode worker keeps open
_warmed = False  # a frame was decoded once in this process (PyAV imported, the decoder started)


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


def _open(av: Any, path: Path) -> Any:
    """The file's container, kept open between decodes (opening reads its tables, ~3 ms):
    one file at a time, used on the decode worker only."""
    if _kept and _kept[0] == path:
        return _kept[1]
    release()
    container = av.open(str(path))
    # Slices only, no frame threads: a frame threads' decoder would take skip_frame late.
    container.streams.video[0].thread_type = "SLICE"
    _kept[:] = [path, container]
    return container


def release(path: Path | None = None) -> None:
    """Close the kept file (``path``, or whichever): on the decode worker."""
    if _kept and (path is None or _kept[0] == path):
        container = _kept[1]
        _kept.clear()
        container.close()


def decode_frame(path: Path, timing: VideoTiming, key: int, index: int, size: tuple[int, int],
                 job: Job | None = None) -> Frame | None:
    """Frame ``index``, decoded from key frame ``key`` and converted to ``size`` in RV32;
    ``None`` when it cannot be vouched for (no frame at the table's time)."""
    av = load_av()
    if av is None:
        return None
    want_us = timing.frame_us[index]
    w, h = size
    try:
        container = _open(av, path)
        stream = container.streams.video[0]

        def to_us(pts: int) -> int:
            return round(float(pts * stream.time_base) * 1e6)

        if frame_size_for(stream.width, stream.height) != size:
            log.info("quick decode: %dx%d is not shown at %dx%d; left to libvlc",
                     stream.width, stream.height, w, h)
            return None
        # (seeking flushes the decoder: nothing of an earlier decode comes out after it)
        container.seek(int(timing.frame_us[key] / 1e6 / stream.time_base), stream=stream,
                       backward=True)
        codec = stream.codec_context
        # Frames no other frame refers to, shown before the one asked for, are skipped: the
        # frame itself and everything it is decoded from are decoded as always.
        codec.skip_frame = "NONREF"
        skipping = True
        for packet in container.demux(stream):
            if job is not None and job.cancelled:
                return None
            if packet.pts is None and packet.size:
                return None
            if skipping and packet.size and to_us(packet.pts) >= want_us - TIME_SLACK_US:
                codec.skip_frame = "DEFAULT"
                skipping = False
            for frame in codec.decode(packet if packet.size else None):
                if frame.pts is None:
                    return None
                t_us = to_us(frame.pts)
                if abs(t_us - want_us) <= TIME_SLACK_US:
                    pixels = frame.reformat(width=w, height=h, format="bgra").to_ndarray()
                    image = QImage(pixels.data, w, h, pixels.strides[0],
                                   QImage.Format.Format_RGB32).copy()
                    return Frame(ms_of(timing, index), image)
                if t_us > want_us and not skipping:
                    break  # past it: the frame at the table's time never came
            else:
                continue
            break
    except BaseException:
        release()  # a damaged file or a decoder error: open it afresh next time
        raise
    log.info("quick decode: no frame at %d us (frame %d); left to libvlc", want_us, index)
    return None


def warm_up(path: Path) -> None:
    """PyAV imported, ``path`` opened and its first frame decoded (the decoder started)."""
    av = load_av()
    if av is None:
        return
    try:
        container = _open(av, path)
        for frame in container.decode(container.streams.video[0]):
            frame.reformat(format="bgra").to_ndarray()
            break
    except Exception as exc:  # noqa: BLE001 - a warm-up only; the decode itself reports
        release()
        log.info("quick decode warm-up of %s: %s", path, exc)


class QuickFrames:
    """Exact frames decoded by PyAV for MediaEngine, beside libvlc's count."""

    quick_decoding = True  # off: libvlc's count alone (the benchmark compares both)

    def _quick_warm(self) -> None:
        """Once the video's first picture is shown and it has been left alone a moment
        (not while it opens: that races the window's first paint for the CPU), import PyAV
        and decode the first frame on the decode worker: the decoder's first start costs
        more than a decode."""
        self._quick_warm_due = self.quick_decoding and not _warmed

    def _maybe_quick_warm(self, now: float) -> None:
        if not self._quick_warm_due or not self._ever_shown \
                or self._op is not None or now - self._quiet_since < PREPARE_IDLE_S:
            return
        global _warmed
        self._quick_warm_due = False
        path = self._path
        if path is not None:
            _warmed = True
            run_task(lambda job: warm_up(path), pool=quick_pool())

    def _quick_start(self, op: Exact) -> bool:
        """Decode ``op``'s frame on the worker (``True``: started); shown when done."""
        session = self._session
        timing = self._timing
        if not self.quick_decoding or session is None or timing is None or _av_missing \
                or session.sink is None:
            return False
        size = session.sink.configured or session.sink.target
        if size is None:
            return False
        if self._quick_task is not None:
            self._quick_task.cancel()
        path, key, index, token = session.path, op.key, op.index, self._token
        self._quick_task = run_task(
            lambda job: decode_frame(path, timing, key, index, size, job),
            on_success=lambda frame: self._quick_done(op, frame, token),
            on_error=lambda exc: self._quick_failed(op, exc, token),
            pool=quick_pool(), owner=self)
        return True

    def _quick_release(self) -> None:
        """The video is closed: the decode worker lets go of its file too."""
        if self._quick_task is not None:
            self._quick_task.cancel()
        path = self._path
        if path is not None and _kept:
            run_task(lambda job: release(path), pool=quick_pool())

    def _quick_current(self, op: Exact, token: int) -> Exact | None:
        """The exact seek in flight for ``op``'s frame (the count may have started again from
        the key frame meanwhile), or ``None`` when another seek came."""
        current = self._op
        if token != self._token or self._session is None or not isinstance(current, Exact) \
                or current.purpose != "show" or current.index != op.index:
            return None
        return current

    def _quick_done(self, op: Exact, frame: Frame | None, token: int) -> None:
        current = self._quick_current(op, token)
        if current is None:
            return
        if frame is not None and not current.shown_early:
            # On screen as a still; libvlc's count then lands on it behind it (steps and play
            # go on from there as after any count; its arrival is not announced twice).
            log.debug("quick decode of frame %d shown in %.1f ms", current.index,
                      (time.monotonic() - current.started) * 1000)
            current.shown_early = True
            self._frames = [frame]
            self._v = 0
            self._show(frame, emit_shown=True)
        if current.vlc_deferred:
            self._exact_begin_count(current)

    def _quick_failed(self, op: Exact, exc: BaseException, token: int) -> None:
        log.warning("quick decode of frame %d failed: %s", op.index, exc)
        self._quick_done(op, None, token)


__all__ = ["QuickFrames", "decode_frame", "load_av", "quick_pool", "release", "warm_up"]
