"""The playback engine behind the media pane: libvlc with video callbacks, driven from Qt.

MediaEngine owns the state of the file being played (``_reset_media_state``), the commands
and signals the media pane uses, and the dispatch: the pictures libvlc shows (``_on_frame``)
and the 40 ms tick go to the operation in flight (``operations``, one class per operation)
or to the playback. Every decision is taken on the GUI thread. Its rooms, each a part of
the engine sharing that state (a mixin), with the notes on what libvlc does next to the
code that works around it:

* ``media_loading``: the file opened, parsed and closed, and failing one way;
* ``video_playback``: the input (re)started, pause and resume, the clock while playing;
* ``audio_playback``: audio files;
* ``exact_seeks``: frames counted from a key frame (notes, typed times);
* ``quick_frames``: the same frames decoded at once by PyAV beside the count;
* ``decode_ahead``: notes' frames decoded ahead while the video waits (prepare_frames);
* ``frame_steps``: frame steps and the pixel-matching replay (capture, prefetch);
* ``end_and_loop``: the end of the file, the loop and the marks;
* ``rate_and_volume``: the playback rate, the volume and the mute.

Beside them: libvlc's callbacks and objects in ``vlc_session``, the frames kept in
``frame_cache``, the waits in ``tuning``; the exact-frame count and frame arithmetic in
``exact_count`` and the playback clock in ``playback_clock`` (plain Python, tested without
libvlc).

Measured with libvlc 3.0.24 on the demo video (H.264 with B-frames, 25 fps, picture
identified by its burnt-in timestamp). While paused, libvlc repaints the same picture every
~60 ms; the display callback drops a picture identical to the previous one, so only new
pictures reach the GUI thread (``_on_frame``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from reviewer_app.gui.media.audio_playback import AudioPlayback
from reviewer_app.gui.media.decode_ahead import DecodeAhead
from reviewer_app.gui.media.end_and_loop import EndAndLoop
from reviewer_app.gui.media.exact_count import last_frame_ms, next_ms, snap
from reviewer_app.gui.media.exact_seeks import ExactSeeks
from reviewer_app.gui.media.frame_cache import Frame, PreparedFrames
from reviewer_app.gui.media.frame_steps import FrameSteps
from reviewer_app.gui.media.media_loading import MediaLoading
from reviewer_app.gui.media.operations import Exact, Op, PausedSeek, Restart
from reviewer_app.gui.media.playback_clock import PlaybackClock
from reviewer_app.gui.media.probe import ProbeResult, cannot_play_message
from reviewer_app.gui.media.quick_frames import QuickFrames
from reviewer_app.gui.media.rate_and_volume import RATES, RateAndVolume
from reviewer_app.gui.media.tuning import END_QUIET_S, PREFETCH_DELAY_S, SETTLE_S, TICK_MS
from reviewer_app.gui.media.video_playback import VideoPlayback
from reviewer_app.gui.media.vlc_session import (  # noqa: F401 - for the warm-up and tests
    Bridge,
    Session,
    _live_sessions,
    frame_size_for,
    start_timing_reader,
)
from reviewer_app.render.video_timing import VideoTiming

log = logging.getLogger(__name__)

DEFAULT_FPS = 25.0


class MediaEngine(MediaLoading, VideoPlayback, AudioPlayback, ExactSeeks, QuickFrames, DecodeAhead,
                  FrameSteps, EndAndLoop, RateAndVolume, QObject):
    """libvlc playback of one file at a time, with exact frame bookkeeping. GUI thread only."""

    positionChanged = Signal(int)
    durationChanged = Signal(int)
    frameShown = Signal(int)
    stateChanged = Signal(str)
    failed = Signal(str)
    loaded = Signal()
    imageChanged = Signal(QImage)
    rateChanged = Signal(float)
    volumeChanged = Signal(int, bool)
    loopChanged = Signal(object)
    messageChanged = Signal(str, str)  # text, details ("" clears)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = Bridge()  # parentless and Python-owned: outlives every libvlc callback
        queued = Qt.ConnectionType.QueuedConnection
        self._bridge.frame.connect(self._on_frame, queued)
        self._bridge.vlcEvent.connect(self._on_vlc_event, queued)
        self._bridge.parsed.connect(self._on_parsed, queued)
        self._bridge.timing.connect(self._on_timing, queued)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._parse_timer = QTimer(self)
        self._parse_timer.setSingleShot(True)
        self._parse_timer.timeout.connect(self._on_parse_timeout)
        self._session: Session | None = None
        self._session_box: list[Session | None] = [None]
        box = self._session_box
        # Runs while the C++ object is being destroyed: touch only the session.
        self.destroyed.connect(lambda *_: box[0].shutdown() if box[0] else None)
        self._token = 0
        # False (default): a paused seek restarts the input and pauses on its first picture
        # (~40 ms; no wrong picture in 400+ measured seeks). True: libvlc's paused set_time
        # when it is known to be reliable (~10 ms, like raw libvlc), but about 1 in 100 still
        # shows a wrong picture first, which the prefetch corrects ~0.6 s later.
        self.fast_paused_seeks = False
        self._rate = 1.0
        self._volume = 100
        self._muted = False
        self._reset_media_state()

    # ------------------------------------------------------------------------------ state --
    def _reset_media_state(self) -> None:
        self._path: Path | None = None
        self._title = ""
        self._audio = False
        self._info: ProbeResult | None = None
        self._ready = False
        self._state = "idle"
        self._error = ""
        self._details = ""
        self._message = ""
        self._message_details = ""
        self._duration = 0
        self._frame_ms = 1000.0 / DEFAULT_FPS
        self._want_play = False
        self._pending_seek: int | None = None
        self._vlc_mode = "stopped"       # what libvlc is doing: stopped / playing / paused
        self._paused_at = 0.0
        self._last_frame_at = 0.0
        self._ever_shown = False
        self._first_image: QImage | None = None  # the file's first frame (_stale_first_frame)
        self._can_step = False           # next_frame() gives the next frame
        self._can_resume = False         # set_pause(0) continues from the frame on screen
        self._frames: list[Frame] = []  # consecutive frames; _v is on screen
        self._v = -1
        self._vlc_idx = -1               # the frame libvlc itself is on
        self._op: Op | None = None
        self._holding = False            # pictures libvlc shows until its pause settles: cached
        self._shown_pending: int | None = None
        self._prefetch_at: float | None = None
        # libvlc's paused set_time shows a stale picture when pictures were queued (a pause
        # after playing): it is used only right after a paused set_time ("safe").
        self._seek_safe = False
        self._rearm_due = False
        self._rearm_seen: list[QImage] = []  # what the hidden set_time showed (stale later)
        self._end_pending = False
        self._any_frame_at = 0.0
        self._queued_seek: int | None = None
        self._queued_steps = 0
        self._ended = False
        self._loop: tuple[int, int] | None = None
        self._mark_in: int | None = None
        self._mark_out: int | None = None
        self._audio_anchor: tuple[float, int] | None = None
        self._audio_pos = 0
        self._last_emitted_pos = -1
        self._clock = PlaybackClock()     # the media clock while a video plays
        self._end_clock: int | None = None  # where the clock was when libvlc's end came
        self._timing: VideoTiming | None = None  # frame times from the file's tables
        self._timing_known = False       # the tables were read (the timing may be None)
        self._pending_exact = False
        self._queued_exact = False
        self._exact_run = False          # _frames were counted from a key frame: exact labels
        self._wanted: list[int] = []     # frame indexes to decode ahead (prepare_frames)
        self._prepared = PreparedFrames()
        self._quiet_since = 0.0          # the last seek, step or play: preparing waits
        self._wanted_ms: list[int] = []
        self._quick_task = None          # quick_frames' decode in flight (a Task)
        self._quick_warm_due = False     # quick_frames' warm-up waits for a quiet moment

    # ------------------------------------------------------------------------ public API --
    def play(self) -> None:
        self._want_play = True
        if self._session is None or self._error:
            return
        self._cancel_prefetch()
        self._quiet_since = time.monotonic()
        if self._op is not None:
            self._set_state("playing")
            if isinstance(self._op, (Restart, Exact)):
                self._op.play = True  # the rate applies when its picture is shown
            return  # otherwise _finish_op() starts playing
        if not self._ready:
            return  # _on_parsed() starts it
        self._start_playing()

    def pause(self) -> None:
        clock = self._clock_position()  # (it stops with _want_play)
        self._want_play = False
        if self._session is None or self._error:
            return
        if self._op is not None:
            if isinstance(self._op, (Restart, Exact)):
                self._op.play = False
            self._set_state("paused")
            return
        if self._vlc_mode == "playing":
            if self._audio:
                self._audio_pos = self._audio_position()
            elif clock is not None and time.monotonic() - self._last_frame_at \
                    > 1.5 * self._frame_ms / 1000 / self._rate:
                self._relabel_shown(clock)  # no new picture for a while: it is still this one
            self._pause_vlc()
            self._can_step = self._can_resume = True
        self._set_state("ended" if self._ended else "paused")
        self._emit_position(self.position())

    def toggle_play(self) -> None:
        if self._want_play:
            self.pause()
        else:
            self.play()

    def seek(self, ms: int, *, exact: bool = False) -> None:
        """Show the frame at ``ms``. ``exact``: that very frame, decoded from the key frame
        before it when it is not at hand (a note, a typed time); otherwise the nearest picture
        libvlc lands on (the seek bar, jumps), which on files with B-frames can be a few
        frames early."""
        ms = int(ms)
        self._quiet_since = time.monotonic()
        if not self._ready or (exact and not self._timing_known and not self._audio):
            self._pending_seek = ms
            self._pending_exact = exact
            self._shown_pending = None  # that picture is not what was asked for any more
            return
        target = self._clamp(ms)
        self._cancel_prefetch()
        if isinstance(self._op, Exact):
            self._abandon_exact()  # its frame is not wanted any more: never shown
        if self._op is not None:
            self._queued_seek = target
            self._queued_exact = exact
            self._queued_steps = 0
            return
        if self._audio:
            self._seek_audio(target)
            return
        if exact and self._timing is not None:
            self._seek_exact(target)
            return
        target = self._snap(target)
        shown = self._shown()
        if shown is not None and not self._want_play and self._vlc_mode == "paused":
            if shown.ms == target:
                self.frameShown.emit(target)
                return
            for i, frame in enumerate(self._frames):  # already decoded: exact and instant
                if frame.ms == target:
                    self._v = i
                    self._show(frame, emit_shown=True)
                    return
        if self.fast_paused_seeks and self._vlc_mode == "paused" and not self._want_play \
                and self._settled() and not self._ended and self._seek_safe:
            # Not forget_last(): libvlc repaints the current picture while paused, and that
            # repaint must not pass for the new one.
            log.debug("paused seek to %d", target)
            self._op = PausedSeek(target, time.monotonic())
            self._session.player.set_time(target)
            self._emit_position(target)
            return
        self._restart(target, play=self._want_play)

    def jump(self, delta_ms: int) -> None:
        self.seek(self.position() + int(delta_ms))

    def step_frame(self, direction: int) -> None:
        if not self._ready or self._audio or direction == 0:
            return
        direction = 1 if direction > 0 else -1
        self._quiet_since = time.monotonic()
        if self._want_play:
            self.pause()
        self._cancel_prefetch()
        if self._op is not None or not self._settled():
            self._queued_steps += direction
            return
        self._step(direction)

    def position(self) -> int:
        if self._queued_seek is not None:
            return self._queued_seek
        if self._op is not None and self._op.holds_position():
            return self._op.target
        if self._audio:
            return self._audio_position()
        shown = self._shown()
        clock = self._clock_position()
        if clock is None and self._end_pending:
            clock = self._end_clock  # the last pictures are still coming
        if clock is not None and (shown is None or clock > shown.ms):
            return clock
        return shown.ms if shown is not None else 0

    def duration(self) -> int:
        return self._duration

    def media_time(self) -> int | None:
        """libvlc's own media time (``get_time``: updated every 250 ms, a little behind the
        picture on screen), or ``None`` when nothing is loaded."""
        session = self._session
        if session is None or session.player is None:
            return None
        reported = session.player.get_time()
        return reported if reported is not None and reported >= 0 else None

    def frame_ms(self) -> float:
        return self._frame_ms

    def current_frame(self) -> QImage | None:
        shown = self._shown()
        return QImage(shown.image) if shown is not None else None

    def error_text(self) -> str:
        return self._error or self._message

    def state(self) -> str:
        return self._state

    def is_audio(self) -> bool:
        return self._audio

    def info(self) -> ProbeResult | None:
        return self._info

    def title(self) -> str:
        return self._title

    def is_ready(self) -> bool:
        return self._ready

    def is_playing(self) -> bool:
        return self._want_play

    def settled(self) -> bool:
        """No operation in flight and libvlc's pause (if any) has taken effect. Frames being
        decoded ahead (prepare_frames) do not count: any command cancels that."""
        op = self._op
        busy = op is not None and not op.decoding_ahead()
        return not busy and not self._holding and self._settled() \
            and not self._rearm_due and (self._prefetch_at is None or self._want_play)

    # ---------------------------------------------------------------------- mechanics --
    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    def _clamp(self, ms: int) -> int:
        if self._duration > 0:
            last = self._duration - 1 if self._audio else self._last_frame_ms()
            return max(0, min(int(ms), last))
        return max(0, int(ms))

    def _last_frame_ms(self) -> int:
        return last_frame_ms(self._duration, self._frame_ms)

    def _snap(self, ms: int) -> int:
        return snap(ms, self._frame_ms)

    def _next_ms(self, ms: int, frames: int = 1) -> int:
        return next_ms(ms, self._frame_ms, frames)

    def _shown(self) -> Frame | None:
        return self._frames[self._v] if 0 <= self._v < len(self._frames) else None

    def _settled(self) -> bool:
        if self._vlc_mode != "paused":
            return True
        return time.monotonic() - max(self._paused_at, self._last_frame_at) >= SETTLE_S

    def _show(self, frame: Frame, *, emit_shown: bool) -> None:
        self._ever_shown = True
        if self._queued_seek is not None:
            return  # a newer seek waits: this picture is not what was asked for any more
        self.imageChanged.emit(frame.image)
        if emit_shown:
            if self._ready:
                self.frameShown.emit(frame.ms)
            else:
                self._shown_pending = frame.ms  # announced once loaded() went out
        self._emit_position(frame.ms)

    def _emit_position(self, ms: int) -> None:
        if ms != self._last_emitted_pos:
            self._last_emitted_pos = ms
            self.positionChanged.emit(ms)

    # ----------------------------------------------------------------------- frames in --
    def _on_frame(self, epoch: int, image: QImage, at: float) -> None:
        session = self._session
        if session is None or epoch != session.epoch or self._error:
            return
        self._any_frame_at = time.monotonic()
        if session.first_picture_due:
            session.first_picture_due = False
            if self._stale_first_frame(session.start_ms, image):
                if session.sink is not None:
                    session.sink.forget_last()  # the same picture may be next (a still one)
                return
        op = self._op
        if op is not None:
            op.on_frame(self, image, at)
            return
        self._last_frame_at = time.monotonic()
        if self._holding:
            # What libvlc showed before its pause took effect: the next frames, kept off screen.
            self._append(Frame(self._next_ms(self._frames[-1].ms), image))
            self._vlc_idx = len(self._frames) - 1
            return
        self._frame_normal(image, at)

    # --------------------------------------------------------------------- operations --
    def _finish_op(self) -> None:
        op = self._op
        if op is not None:
            log.debug("%s to %d done in %.1f ms", op.kind, op.target,
                      (time.monotonic() - op.started) * 1000)
            if isinstance(op, PausedSeek) or (isinstance(op, Restart) and not op.play
                                               and not self._exact_run):
                self._prefetch_at = time.monotonic() + PREFETCH_DELAY_S
        self._op = None
        self._apply_audio()
        self._after_op()

    def _after_op(self) -> None:
        """Run what was asked while an operation was in flight."""
        if self._op is not None:
            return
        if self._queued_seek is not None:
            target, self._queued_seek = self._queued_seek, None
            self.seek(target, exact=self._queued_exact)
            return
        if self._want_play and self._state == "playing" and self._vlc_mode != "playing":
            self._start_playing()
            return
        if not self._want_play and self._vlc_mode == "playing" and not self._audio:
            self._pause_vlc()
            self._can_step = self._can_resume = True

    def _tick(self) -> None:
        session = self._session
        if session is None or self._error:
            return
        now = time.monotonic()
        op = self._op
        if self._holding and self._settled():
            self._holding = False
        if self._end_pending and now - max(self._any_frame_at, self._paused_at) >= END_QUIET_S:
            self._finish_end()
            op = self._op
            if self._session is None:
                return
        if op is None and self._rearm_due and self._settled() and not self._holding:
            self._rearm_due = False
            if not self._want_play and self._vlc_mode == "paused" and not self._queued_steps:
                self._rearm()
                op = self._op
        if op is None and self._prefetch_at is not None and now >= self._prefetch_at:
            if self._want_play or self._audio or self._vlc_mode != "paused" or \
                    self._shown() is None or not self._ready:
                self._prefetch_at = None
            elif self._settled() and not self._holding and not self._queued_steps:
                self._capture(0)
                op = self._op
        if op is None:
            self._maybe_prepare(now)
            self._maybe_quick_warm(now)
            op = self._op
        if op is not None:
            op.watch(self, now)
        elif self._queued_steps and self._settled():
            step = 1 if self._queued_steps > 0 else -1
            self._queued_steps -= step
            self._step(step)
        self._follow_vlc(now)
        position = self.position()
        self._emit_position(position)
        if self._audio and self._vlc_mode == "playing":
            self._check_loop_audio(position)
        elif self._clock.base is not None and self._vlc_mode == "playing":
            self._check_loop(position)  # (a still picture brings no new pictures to check)

    # -------------------------------------------------------------------- libvlc events --
    def _on_vlc_event(self, epoch: int, name: str) -> None:
        session = self._session
        if session is None or epoch != session.epoch or self._error:
            return
        if name == "MediaPlayerEncounteredError":
            kind = "audio" if self._audio else "video"
            self._fail(cannot_play_message(kind),
                       f"VLC reported an error while playing the file.\nFile: {self._path}")
        elif name == "MediaPlayerPlaying" and self._audio and self._audio_anchor is None \
                and self._vlc_mode == "playing":
            self._audio_anchor = (time.monotonic(), self._audio_pos)
        elif name == "MediaPlayerEndReached":
            self._on_end()


__all__ = ["RATES", "MediaEngine", "frame_size_for"]
