"""libvlc plumbing for the media engine: the video callbacks and the libvlc objects of a file.

Threads. libvlc calls Python on its own threads: the video callbacks (format/lock/unlock/
display, on the video output thread), player events, and the parser's event. None of them
calls libvlc (python-vlc is not re-entrant). The display callback copies the decoded picture
into a ``QImage`` and emits it through :class:`Bridge`, a parentless QObject the engine
connects to with *queued* connections, so every decision is taken on the GUI thread.
:class:`Session` owns the libvlc objects and the pixel buffers; ``shutdown()`` stops and
releases the player before anything is freed, and it also runs when the engine is destroyed
and at interpreter exit.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from reviewer_app.gui.media.probe import PARSE_TIMEOUT_MS
from reviewer_app.gui.media.vlc_loader import read_tracks
from reviewer_app.render.mkv_timing import is_matroska

log = logging.getLogger(__name__)

MAX_FRAME_WIDTH = 1280
MAX_FRAME_HEIGHT = 1280
TARGET_WAIT_S = 0.5          # the format callback waits this long for the parsed size

_live_sessions: weakref.WeakSet[Session] = weakref.WeakSet()


class Bridge(QObject):
    """Signals emitted on libvlc threads, delivered (queued) on the GUI thread."""

    frame = Signal(int, QImage, float)   # input epoch, picture, monotonic time of display
    vlcEvent = Signal(int, str)          # input epoch, event name
    parsed = Signal(int)                 # load token
    timing = Signal(int, object)         # load token, VideoTiming or None (read on a thread)


_FORMAT_CB = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p,
                              ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint),
                              ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint))
_CLEANUP_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_set_format_callbacks: Any = None


def _format_callbacks_setter(vlc: Any) -> Any:
    """``libvlc_video_set_format_callbacks`` with a writable chroma: python-vlc declares that
    argument ``c_char_p``, which hands the callback a copy, so "RV32" could not be written."""
    global _set_format_callbacks
    if _set_format_callbacks is None:
        _set_format_callbacks = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _FORMAT_CB, _CLEANUP_CB)(
            ("libvlc_video_set_format_callbacks", vlc.dll))
    return _set_format_callbacks


class FrameSink:
    """The pixel buffers libvlc decodes into, and the video callbacks.

    The size is decided in the format callback, on libvlc's thread, when the video output is
    created: from :attr:`target` (set by the GUI thread from the parsed video track, normally
    milliseconds before) or, if the parse is late, from the decoder's size. Size and buffer are
    chosen together there, so libvlc never writes a picture of one size into a buffer of
    another. Buffers stay alive until the session is shut down.
    """

    def __init__(self, vlc: Any, bridge: Bridge) -> None:
        self._bridge = bridge
        self.target: tuple[int, int] | None = None
        self.target_known = threading.Event()  # set when the parse ended, or when closing
        self.size_from_parse: Any = None  # () -> the parsed frame size (see Session)
        self.configured: tuple[int, int] | None = None
        self._buffers: list[Any] = []
        self._address = 0
        self._view: QImage | None = None
        self._last: QImage | None = None
        self.epoch = 0
        self.open = True
        # Exact seeks count every picture shown, repeats included (they tell a repaint from
        # an identical next frame by its time); otherwise a repeat is dropped here.
        self.keep_repeats = False
        self.setup_cb = _FORMAT_CB(self._setup)
        self.cleanup_cb = _CLEANUP_CB(self._cleanup)
        self.lock_cb = vlc.CallbackDecorators.VideoLockCb(self._lock)
        self.unlock_cb = vlc.CallbackDecorators.VideoUnlockCb(self._unlock)
        self.display_cb = vlc.CallbackDecorators.VideoDisplayCb(self._display)

    def attach(self, vlc: Any, player: Any) -> None:
        player.video_set_callbacks(self.lock_cb, self.unlock_cb, self.display_cb, None)
        _format_callbacks_setter(vlc)(player._as_parameter_, self.setup_cb, self.cleanup_cb)

    def _setup(self, _opaque: Any, chroma: int, width: Any, height: Any, pitches: Any,
               lines: Any) -> int:
        # libvlc's video output thread, creating the output. No call on the player in here.
        try:
            if self.target is None:
                # The parse is normally done by now; give it a moment rather than guess (the
                # decoder's size here is padded, e.g. 640x386 for a 640x360 video). Its size
                # is read here, not waited for from the GUI thread, which may be busy.
                self.target_known.wait(TARGET_WAIT_S)
                if self.target is None and self.open and self.size_from_parse is not None:
                    self.target = self.size_from_parse()
            if not self.open:
                return 0
            w, h = self.target or frame_size_for(width[0], height[0])
            ctypes.memmove(chroma, b"RV32", 4)
            width[0], height[0] = w, h
            pitches[0], lines[0] = w * 4, h
            buffer = (ctypes.c_ubyte * (w * 4 * h))()
            self._buffers.append(buffer)
            self._view = QImage(buffer, w, h, w * 4, QImage.Format.Format_RGB32)
            self._address = ctypes.addressof(buffer)
            self._last = None
            self.configured = (w, h)
            return 1
        except Exception:
            log.exception("video format callback failed")
            return 0

    def _cleanup(self, _opaque: Any) -> None:
        return None

    def _lock(self, _opaque: Any, planes: Any) -> None:
        planes[0] = self._address
        return None

    def _unlock(self, _opaque: Any, _picture: Any, _planes: Any) -> None:
        return None

    def _display(self, _opaque: Any, _picture: Any) -> None:
        # libvlc's video output thread. No libvlc call in here.
        view = self._view
        if not self.open or view is None:
            return
        try:
            if self._last is not None and not self.keep_repeats and view == self._last:
                return  # libvlc repainting the same picture (it does so while paused)
            image = view.copy()  # the buffer is rewritten for the next picture
            self._last = image
            self._bridge.frame.emit(self.epoch, image, time.monotonic())
        except Exception:
            log.exception("video display callback failed")

    def forget_last(self) -> None:
        self._last = None


class Session:
    """The libvlc objects of one loaded file. ``shutdown()`` is idempotent."""

    def __init__(self, vlc: Any, instance: Any, path: Path, bridge: Bridge) -> None:
        self.vlc = vlc
        self.instance = instance
        self.path = path
        self.bridge = bridge
        self.parse_media: Any = None
        self.parse_events: Any = None
        self.player: Any = None
        self.player_events: Any = None
        self.media: Any = None
        self.sink: FrameSink | None = None
        self.epoch = 0
        self.no_video = False
        # Matroska and WebM are read by libavformat: VLC's own Matroska reader, started
        # paused, shows no picture at all when its threads are short of CPU (H.264 with
        # B-frames); libavformat's starts like MP4 (the frame on screen at the start time).
        self.demux_options = [":demux=avformat"] if is_matroska(path) else []
        self.closed = False
        self.parse_done = threading.Event()  # the parse ended (any status), or closing
        self.played = False  # play() was called (until then there is nothing to stop)
        self.start_ms = 0.0  # where the current input started (0: at the start, or paused)
        self.first_picture_due = False
        self._watched: list[Any] = []
        _live_sessions.add(self)

    # -- parsing ----------------------------------------------------------------------------
    def start_parse(self, token: int) -> None:
        vlc = self.vlc
        media = self.instance.media_new_path(str(self.path))
        if media is None:
            raise OSError(f"libvlc could not open {self.path}")
        self.parse_media = media
        self.parse_events = media.event_manager()

        def parsed(_event: Any) -> None:  # libvlc's preparser thread
            self.parse_done.set()
            if not self.closed:
                self.bridge.parsed.emit(token)

        self.parse_events.event_attach(vlc.EventType.MediaParsedChanged, parsed)
        media.parse_with_options(vlc.MediaParseFlag.local, PARSE_TIMEOUT_MS)

    def parsed_frame_size(self) -> tuple[int, int] | None:
        """The frame size for the parsed video track, or ``None`` (parse not done, failed,
        or no picture). Called from the video output thread: it only reads the separate
        parse media, which lives until the player is stopped (and that thread joined)."""
        media = self.parse_media
        if media is None or self.closed or not self.parse_done.is_set():
            return None
        try:
            if media.get_parsed_status() != self.vlc.MediaParsedStatus.done:
                return None
            tracks = read_tracks(media)
        except Exception:  # noqa: BLE001 - the GUI thread's inspection reports problems
            return None
        video = next((t for t in tracks if t.kind == "video" and t.width and t.height), None)
        return frame_size_for(*video.display_size) if video is not None else None

    def end_parse(self) -> None:
        if self.parse_media is not None:
            try:
                self.parse_events.event_detach(self.vlc.EventType.MediaParsedChanged)
                self.parse_media.parse_stop()
            except Exception:
                log.debug("parse cleanup", exc_info=True)

    # -- playing ----------------------------------------------------------------------------
    def make_player(self, video: bool) -> None:
        vlc = self.vlc
        player = self.instance.media_player_new()
        if player is None:
            raise OSError("libvlc could not create a media player")
        self.player = player
        if video:
            self.sink = FrameSink(vlc, self.bridge)
            self.sink.target_known = self.parse_done
            self.sink.size_from_parse = self.parsed_frame_size
            self.sink.attach(vlc, player)
        self.player_events = player.event_manager()
        # Only the events the engine acts on. Each one calls into Python on the libvlc thread
        # that sends it, which must then wait for the interpreter: "playing" is sent by the
        # input thread before the first picture, so a video does not listen for it (only
        # sound needs it, to start its clock).
        self.watch("MediaPlayerEndReached", "MediaPlayerEncounteredError")
        if not video:
            self.watch("MediaPlayerPlaying")

    def watch(self, *names: str) -> None:
        """Forward these libvlc player events to the engine (``bridge.vlcEvent``)."""
        vlc = self.vlc
        for name in names:
            event_type = getattr(vlc.EventType, name)
            if event_type in self._watched:
                continue

            def forward(_event: Any, name: str = name) -> None:  # a libvlc thread
                if not self.closed:
                    self.bridge.vlcEvent.emit(self.epoch, name)

            self.player_events.event_attach(event_type, forward)
            self._watched.append(event_type)

    def restart(self, start_ms: float, *, paused: bool = False) -> int:
        """Stop the input and start a new one at ``start_ms``; returns the new epoch.

        ``paused``: libvlc shows its first picture and pauses on it (``:start-paused``). Only
        at a key frame: there the first picture is the key frame itself, deterministically
        (no picture skipped because the next was already due); elsewhere libvlc may pause
        before it shows anything."""
        player = self.player
        if self.played:
            player.stop()  # synchronous: nothing of the old input calls back after this
        self.epoch += 1
        self.start_ms = 0.0 if paused else start_ms
        self.first_picture_due = True
        if self.sink is not None:
            self.sink.epoch = self.epoch
            self.sink.forget_last()
        media = self.instance.media_new_path(str(self.path))
        for option in self.demux_options:
            media.add_option(option)
        if paused:
            media.add_option(":start-paused")
            start_ms = max(start_ms, 0.001)  # libvlc ignores a start time of 0
        if start_ms > 0:
            media.add_option(f":start-time={start_ms / 1000:.6f}")
        if self.no_video:
            media.add_option(":no-video")
        player.set_media(media)
        if self.media is not None:
            self.media.release()
        self.media = media
        player.play()
        self.played = True
        return self.epoch

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.epoch += 1
            if self.sink is not None:
                self.sink.epoch = self.epoch
                self.sink.forget_last()

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.sink is not None:
            self.sink.open = False
        self.parse_done.set()  # a format callback waiting for the parse returns
        try:
            self.end_parse()
            if self.player is not None:
                self.player.stop()  # joins the input; the video output stops calling us
                for event_type in self._watched:
                    self.player_events.event_detach(event_type)
                self.player.release()  # destroys the video output: no callback after this
            for media in (self.media, self.parse_media):
                if media is not None:
                    media.release()
        except Exception:
            log.exception("closing the media player failed")
        finally:
            self.player = self.media = self.parse_media = None
            self.player_events = self.parse_events = None
            self.sink = None  # the buffer can go: libvlc no longer holds its address
            self._watched.clear()


_timing_pool: ThreadPoolExecutor | None = None


def timing_reader() -> ThreadPoolExecutor:
    """The thread that reads frame tables (one, kept: starting a thread per video would cost
    the GUI thread a few milliseconds of every opening)."""
    global _timing_pool
    if _timing_pool is None:
        _timing_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="video-timing")
    return _timing_pool


def start_timing_reader() -> None:
    """Start that thread now (the warm-up does)."""
    timing_reader().submit(lambda: None)


@atexit.register
def _shutdown_all() -> None:
    for session in list(_live_sessions):
        session.shutdown()


def frame_size_for(width: int, height: int) -> tuple[int, int]:
    """The size pictures are decoded to: the displayed size, at most 1280 wide, even numbers."""
    if width <= 0 or height <= 0:
        width, height = 640, 360
    scale = min(1.0, MAX_FRAME_WIDTH / width, MAX_FRAME_HEIGHT / height)
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h


__all__ = ["Bridge", "FrameSink", "Session", "frame_size_for", "start_timing_reader",
           "timing_reader"]
