"""Playing a video: the input (re)started at a time, the pictures of playback labelled by the
clock, pause and resume, and libvlc's paused ``set_time``.

What libvlc 3.0.24 does (measured on the demo video: H.264 with B-frames, 25 fps, picture
identified by its burnt-in timestamp), and what the engine does about it:

* ``set_time`` while *playing* keeps showing up to a few pictures decoded before the seek,
  and at 2x/4x the first new picture is often 0.5-1.5 s past the target. A seek while playing
  restarts the input at the target instead (``stop`` is synchronous, then ``:start-time``, at
  1x until the first picture is shown): no stale picture can follow, ~40 ms at 1x.
* ``set_time`` while *paused* shows one new picture in ~10 ms, but only when nothing was
  queued: after a pause that followed playback it may show a stale picture first. The engine
  uses it only right after another paused ``set_time`` ("safe"); otherwise it restarts the
  input and pauses on its first picture (~40 ms). Either way VLC's precise seek lands on the
  target or up to ~4 frames before (and, just before a key frame, up to 2 after) it on
  B-frame streams (its preroll ends on a decode timestamp); libvlc 3 gives no picture
  timestamps. A seek at the very start of a frame shows the frame before (rounding), so
  seeks aim half a frame in. When libvlc's threads are short of CPU, a restart shows the
  frame after the target (it was due by the time it was decoded), even without B-frames,
  and now and then it first shows the first frame of the file (decoded before the start
  time took effect): the first picture of an input started playing past the first frame
  is dropped when it equals the file's first frame.
* At rates below 1, libvlc 3 holds the first picture after a (re)start for about
  (1/rate - 1) s before playing on; that is VLC's clock, not the engine.
* A still or black picture brings no new pictures (repeats are dropped; a ``-tune
  stillimage`` file changes at its key frames only), so while playing the position is a
  clock, not the last new picture (reviewer_app.gui.media.playback_clock, plain Python).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``) and are called by the ``Restart`` and ``PausedSeek``
operations.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from reviewer_app.gui.media.frame_cache import Frame, frames_that_fit
from reviewer_app.gui.media.operations import Capture, PausedSeek, Restart
from reviewer_app.gui.media.probe import cannot_play_message
from reviewer_app.gui.media.tuning import FIRST_FRAME_TIMEOUT_S, SEEK_GIVE_UP_S, SEEK_RETRY_S

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

log = logging.getLogger(__name__)


class VideoPlayback:
    """Starting, pausing and following the playback of a video in MediaEngine."""

    def _start_playing(self) -> None:
        self._set_state("playing")
        session = self._session
        if self._audio:
            self._start_audio()
            return
        shown = self._shown()
        timing = self._timing
        if self._exact_run and timing is not None and timing.reorders and shown is not None \
                and not self._ended and self._vlc_mode in ("stopped", "paused") \
                and not (self._can_resume and self._v == self._vlc_idx) and self._loop is None:
            # libvlc is not on the frame on screen, and a direct restart could land a few
            # frames before it: count to the next frame (the frame on screen stays meanwhile).
            index = timing.index_at(shown.ms * 1000) + 1
            if index < len(timing) and self._exact_start(index, purpose="show", play=True,
                                                         quick=False):
                return
        if self._ended or shown is None or self._vlc_mode == "stopped":
            start = 0
            if shown is not None and not self._ended:
                start = shown.ms
            if self._loop is not None and not self._loop[0] <= start < self._loop[1]:
                start = self._loop[0]
            self._restart(self._snap(start), play=True)
            return
        if self._vlc_mode == "paused" and self._can_resume and self._v == self._vlc_idx:
            session.player.set_rate(self._rate)
            session.player.set_pause(0)
            self._vlc_mode = "playing"
            self._seek_safe = False
            # The next picture anchors the clock; on a still picture none may come for long,
            # and the clock then starts with libvlc's (it may hold the first picture a while).
            self._clock.resumed(time.monotonic(), shown.ms)
            return
        # libvlc would jump ahead (or is not on the frame on screen): continue just after it.
        start = self._next_ms(shown.ms)
        if start > self._last_frame_ms():
            start = 0
        self._restart(start, play=True)

    def _restart(self, target: int, *, play: bool, op_type: type[Restart | Capture] = Restart,
                 **extra: Any) -> None:
        kind = op_type.kind
        log.debug("%s at %d (%s)", kind, target, "playing" if play else "held")
        session = self._session
        self._op = op_type(target, time.monotonic(), play=play, **extra)
        self._drop_clock()
        self._ended = False
        self._holding = False
        self._seek_safe = False
        self._end_pending = False
        self._exact_run = False
        if session.sink is not None:
            # A capture finds frames by their pixels; the same picture twice must show.
            session.sink.keep_repeats = kind == "capture"
        if kind == "restart" and target == 0:
            # The first frame is a key frame: started paused there, libvlc shows exactly it
            # (started playing, it may skip it when the next picture is already due).
            session.restart(0, paused=True)
            self._exact_run = True
        else:
            # Half a frame in: the frame whose display interval holds the target (at its very
            # start, libvlc's rounding shows the frame before).
            start = target + self._frame_ms / 2 if kind == "restart" else target
            session.restart(start)
        self._vlc_mode = "playing"
        self._apply_audio()
        # The first picture comes at 1x: above that libvlc drops the pictures it decodes late
        # and shows one up to 1.5 s past the target. The chosen rate applies once it is shown.
        session.player.set_rate(1.0)
        if kind == "restart":
            self._emit_position(target)

    def _pause_vlc(self) -> None:
        self._seek_safe = False
        self._session.player.set_pause(1)
        self._vlc_mode = "paused"
        self._paused_at = time.monotonic()

    def _hold(self) -> None:
        """Pause libvlc on the frame on screen; what it still shows is cached, not shown."""
        self._pause_vlc()
        self._holding = True

    def _relabel_shown(self, ms: int) -> None:
        """The picture on screen is the frame at ``ms``: the clock went on while the picture
        did not change (the frames between were the same picture, or none came)."""
        shown = self._shown()
        if shown is None or ms - shown.ms < 2 * self._frame_ms:
            return
        log.debug("picture of %d ms still on screen at %d ms", shown.ms, ms)
        self._frames = [Frame(ms, shown.image)]
        self._v = self._vlc_idx = 0
        self._exact_run = False

    def _set_anchor(self, at: float, ms: int) -> None:
        """The picture ``ms`` was shown at ``at``: later pictures and the clock count from it."""
        self._clock.set_anchor(at, ms)

    def _drop_clock(self) -> None:
        self._clock.drop()

    def _clock_runs(self) -> bool:
        """A video plays on its own (no operation in flight): the clock is its position."""
        return not self._audio and self._op is None and self._vlc_mode == "playing" \
            and self._want_play

    def _clock_ms(self, now: float | None = None) -> float | None:
        """The media time now, while a video plays on its own (no operation in flight)."""
        if not self._clock_runs():
            return None
        return self._clock.ms(time.monotonic() if now is None else now, self._rate)

    def _clock_position(self) -> int | None:
        clock = self._clock_ms()
        if clock is None:
            return None
        ms = self._snap(round(clock))
        return min(ms, self._last_frame_ms()) if self._duration else ms

    def _follow_vlc(self, now: float) -> None:
        """Check the clock against libvlc's media time (PlaybackClock.follow)."""
        if self._clock_runs() and self._clock.watching:
            self._clock.follow(self._session.player.get_time(), now, self._rate)

    def _stale_first_frame(self, start_ms: float, image: QImage) -> bool:
        """The first picture of an input started past the first frame is that first frame:
        libvlc decoded it before its start time took effect (seen with its threads short of
        CPU). Dropped; the picture at the start time follows."""
        first = self._first_image
        if start_ms < self._frame_ms or first is None or image != first:
            return False
        log.info("input started at %.0f ms showed the first frame first: dropped", start_ms)
        return True

    def _frame_restart(self, op: Restart, image: QImage, at: float) -> None:
        op.landed = True
        if op.target == 0:
            self._first_image = image
        frame = Frame(self._snap(op.target), image)
        self._frames, self._v, self._vlc_idx = [frame], 0, 0
        if op.play:
            self._set_anchor(at, frame.ms)
            self._can_step = self._can_resume = False
            if self._rate != 1.0:
                self._session.player.set_rate(self._rate)
            if op.target == 0:
                self._session.player.set_pause(0)  # it was started paused (see _restart)
                self._set_anchor(time.monotonic(), frame.ms)
            if self._state != "playing":
                self._set_state("playing")
        else:
            self._hold()
            self._can_step, self._can_resume = False, True
            if self._state in ("loading", "ended"):
                self._set_state("paused")
        self._show(frame, emit_shown=True)
        self._finish_op()

    def _frame_normal(self, image: QImage, at: float) -> None:
        self._exact_run = False  # frames of playback are known by the clock only
        last = self._frames[-1] if self._frames else None
        if self._vlc_mode == "playing":
            if self._clock.anchor is None:
                ms = self._next_ms(last.ms) if last else 0
                clock = self._clock_ms(at)
                if clock is not None and clock - ms > 1.5 * self._frame_ms:
                    ms = self._snap(round(clock))  # the picture had not changed till now
                if self._clock.pending is not None:
                    # Just resumed: this may be the first picture that differs, frames after
                    # the one resumed on (black video); the clock starts from the resume.
                    self._clock.anchor = (at, ms)
                else:
                    self._set_anchor(at, ms)
            else:
                wall, base = self._clock.anchor
                elapsed = (at - wall) * 1000 * self._rate
                count = round(elapsed / self._frame_ms)
                ms = round(round(base / self._frame_ms + count) * self._frame_ms)
                if last is not None and ms <= last.ms and base + elapsed > last.ms \
                        + self._frame_ms / 4:
                    # (two pictures a frame apart; not when frames come faster than the
                    # file's average rate, as in a variable-rate phone recording)
                    ms = self._next_ms(last.ms)
        else:
            ms = self._next_ms(last.ms) if last else 0  # the last pictures before a pause
        ms = min(ms, self._last_frame_ms()) if self._duration else ms
        consecutive = last is not None and ms == self._next_ms(last.ms) and \
            self._v == len(self._frames) - 1 and self._rate <= 1.0
        frame = Frame(ms, image)
        if consecutive:
            self._append(frame)
        else:
            self._frames = [frame]
        self._v = self._vlc_idx = len(self._frames) - 1
        self._show(frame, emit_shown=False)
        self._check_loop(ms)

    def _frame_paused_seek(self, op: PausedSeek, image: QImage, at: float) -> None:
        if any(frame.image == image for frame in self._frames) or \
                any(seen == image for seen in self._rearm_seen):
            # A picture from where we were (libvlc had it queued): not the seek's. Wait for
            # the next one; the watchdog asks again, then restarts, if none comes.
            log.info("paused seek to %d: ignored a stale picture", op.target)
            return
        op.landed = True
        frame = Frame(op.target, image)
        self._frames, self._v, self._vlc_idx = [frame], 0, 0
        self._exact_run = False
        self._can_step = self._can_resume = False
        self._seek_safe = True
        self._show(frame, emit_shown=True)
        self._finish_op()

    def _watch_paused_seek(self, op: PausedSeek, now: float) -> None:
        age = now - op.started
        if op.landed:
            return
        if age > SEEK_GIVE_UP_S:
            self._op = None
            self._restart(op.target, play=False)
        elif age > SEEK_RETRY_S and not op.retried:
            op.retried = True
            self._session.player.set_time(op.target)

    def _watch_first_picture(self, op: Restart | Capture, now: float) -> None:
        """A restart or capture that brings no picture at all: the video cannot be played
        (or, once it showed pictures, libvlc stops)."""
        if op.landed or now - op.started <= FIRST_FRAME_TIMEOUT_S:
            return
        self._op = None
        self._end_exact_counting()
        if not self._ever_shown:
            self._fail(cannot_play_message("video"),
                       f"VLC decoded no picture within {FIRST_FRAME_TIMEOUT_S:g} s.\n"
                       f"File: {self._path}")
        else:
            self._session.stop()
            self._vlc_mode = "stopped"
            self._after_op()

    def _append(self, frame: Frame) -> None:
        self._frames.append(frame)
        limit = frames_that_fit(frame.image)
        extra = len(self._frames) - limit
        if extra > 0 and self._v >= extra and self._vlc_idx >= extra:
            del self._frames[:extra]
            self._v -= extra
            self._vlc_idx -= extra
