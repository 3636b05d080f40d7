"""Frame steps and the pixel-matching replay ("capture"; after a paused seek, "prefetch").

What libvlc does, and what the engine does about it (libvlc 3.0.24, the demo video):

* After a paused ``set_time`` VLC ignores the first ``next_frame`` and skips a frame on the
  next, and resuming jumps about a second ahead. ``next_frame`` is exact after a pause that
  followed playback, but resuming after it jumps too. So "play" restarts the input just after
  the frame on screen unless a plain pause/resume is known to be clean (video_playback).
* The same frame decodes to the same bytes whichever way it was reached. The engine keeps the
  consecutive frames it has seen; a step outside them replays the few frames around the
  frame on screen (muted, not shown), finds that frame by its pixels and shows its neighbour,
  so steps are exact. After a paused seek, once idle, the same replay ("prefetch") fills the
  cache and checks the seek's picture is among its neighbours (VLC's paused seek very rarely
  shows one about a second off), then a hidden paused ``set_time`` ("rearm") makes the next
  seek safe.
* A step whose neighbours look alike (a still picture) counts from the key frame instead of
  matching pixels (exact_seeks).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``) and are called by the ``NextFrame``, ``Capture`` and
``Rearm`` operations.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from reviewer_app.gui.media.exact_count import frame_after
from reviewer_app.gui.media.frame_cache import Frame
from reviewer_app.gui.media.operations import Capture, NextFrame, Rearm
from reviewer_app.gui.media.tuning import (
    CAPTURE_MARGIN_FRAMES,
    CAPTURE_MAX_FRAMES,
    PREFETCH_AHEAD,
    SEEK_GIVE_UP_S,
    SETTLE_S,
    STEP_TIMEOUT_S,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

log = logging.getLogger(__name__)


class FrameSteps:
    """Steps of MediaEngine, and the replays that make them exact."""

    def _cancel_prefetch(self) -> None:
        """A prefetch (or a note frame decoded ahead) is a courtesy: a seek, step or play does
        not wait for it."""
        self._prefetch_at = None
        op = self._op
        if op is not None and op.decoding_ahead():
            self._op = None
            self._end_exact_counting()
            self._stop_decoding_ahead()
            return
        if isinstance(op, Capture) and op.is_prefetch():
            self._op = None
            self._end_exact_counting()
            self._holding = False
            if self._vlc_mode == "playing":
                self._session.stop()  # muted, hidden playback: nothing to keep
                self._vlc_mode = "stopped"
            self._can_step = self._can_resume = False
            self._seek_safe = False
            self._frames = self._frames[self._v:self._v + 1] if self._shown() else []
            self._v = self._vlc_idx = 0 if self._frames else -1
            self._apply_audio()

    def _step(self, direction: int) -> None:
        shown = self._shown()
        if shown is None:
            return
        if direction > 0:
            if shown.ms >= self._last_frame_ms():
                return
            if self._v + 1 < len(self._frames):
                self._v += 1
                self._show(self._frames[self._v], emit_shown=True)
                return
            if self._can_step and self._v == self._vlc_idx and self._vlc_mode == "paused":
                self._op = NextFrame(self._next_ms(shown.ms), time.monotonic())
                self._seek_safe = False
                self._session.player.next_frame()
                return
        else:
            if shown.ms <= 0:
                return
            if self._v > 0:
                self._v -= 1
                self._show(self._frames[self._v], emit_shown=True)
                return
        self._capture(direction)

    def _capture(self, direction: int, margin: int = CAPTURE_MARGIN_FRAMES) -> None:
        shown = self._shown()
        assert shown is not None
        start = max(0, self._next_ms(shown.ms, -margin))
        start = self._snap(start)
        self._prefetch_at = None
        self._restart(start, play=False, op_type=Capture, direction=direction,
                      reference=shown.image, reference_ms=shown.ms, base_ms=start,
                      margin=round((shown.ms - start) / self._frame_ms))

    def _finish_capture(self, op: Capture) -> None:
        self._end_exact_counting()  # (no repeats kept any more)
        frames = op.collected
        if op.direction == 0:
            self._finish_prefetch(op)
            return
        if self._timing is not None and self._looks_alike(op):
            # A still picture: the frame on screen cannot be told from its neighbours by its
            # pixels. Count to the neighbour from the key frame instead.
            timing = self._timing
            index = timing.index_at(op.reference_ms * 1000 + 500) + op.direction
            index = max(0, min(len(timing) - 1, index))
            log.info("step %+d from %d: the frames around it are alike; counting to frame %d",
                     op.direction, op.reference_ms, index)
            # (Counted, not decoded aside by quick_frames: play goes on from there at once.)
            if self._exact_start(index, purpose="show", play=False, quick=False):
                return
        if op.match is not None and op.match + op.direction >= 0:
            base = op.reference_ms - op.match * self._frame_ms
            want = op.match + op.direction
        else:
            if op.match == 0 and op.base_ms > 0 and op.retried is False:
                # libvlc started on the very frame on screen: start earlier once more.
                self._op = None
                self._capture(op.direction, CAPTURE_MARGIN_FRAMES * 3)
                self._op.retried = True
                return
            base = op.base_ms
            wanted_ms = self._next_ms(op.reference_ms, op.direction)
            want = round((wanted_ms - base) / self._frame_ms)
            if op.match is None:
                log.info("capture did not find the frame on screen; stepping by time")
                self._exact_run = False
        if not frames:
            self._op = None
            self._after_op()
            return
        want = max(0, min(want, len(frames) - 1))
        log.debug("capture for %+d from %d: %d frames, on-screen frame found at %s, %.1f ms",
                  op.direction, op.reference_ms, len(frames), op.match,
                  (time.monotonic() - op.started) * 1000)
        self._frames = [Frame(frame_after(base, i, self._frame_ms), image)
                        for i, image in enumerate(frames)]
        self._v = want
        self._vlc_idx = len(self._frames) - 1
        self._can_step = self._can_resume = True
        self._op = None
        self._apply_audio()
        self._show(self._frames[self._v], emit_shown=True)
        self._after_op()

    def _looks_alike(self, op: Capture) -> bool:
        """The capture cannot tell the frame on screen by its pixels: the same picture came
        more than once, or (stepping back) the first one was it, even from further back."""
        if op.match is None:
            return False
        if sum(1 for image in op.collected if image == op.reference) > 1:
            return True
        return op.match == 0 and op.direction < 0 and op.retried

    def _finish_prefetch(self, op: Capture) -> None:
        """After a paused seek: keep the frames around it (instant steps, a clean libvlc
        state) and check the seek's picture is among them. libvlc's paused seek very rarely
        shows a picture about a second off; then the picture at the target replaces it."""
        self._op = None
        frames = op.collected
        if not frames:
            self._after_op()
            return
        if op.match is not None and self._looks_alike(op):
            # A still picture: the frames are known by their times alone.
            base = op.base_ms
            index = max(0, min(len(frames) - 1, round((op.reference_ms - base) / self._frame_ms)))
            corrected = False
            self._exact_run = False
        elif op.match is not None:
            base, index, corrected = op.reference_ms - op.match * self._frame_ms, op.match, False
        else:
            base = op.base_ms
            index = max(0, min(len(frames) - 1, round((op.reference_ms - base) / self._frame_ms)))
            corrected = True
            self._exact_run = False
            log.warning("paused seek to %d showed a picture not near it; corrected",
                        op.reference_ms)
        self._frames = [Frame(frame_after(base, i, self._frame_ms), image)
                        for i, image in enumerate(frames)]
        self._v = index
        self._vlc_idx = len(self._frames) - 1
        self._can_step = self._can_resume = True
        self._apply_audio()
        log.debug("prefetch around %d: %d frames, %s, %.1f ms", op.reference_ms, len(frames),
                  "corrected" if corrected else f"found at {op.match}",
                  (time.monotonic() - op.started) * 1000)
        if corrected:
            self._show(self._frames[index], emit_shown=True)
        self._rearm_due = self.fast_paused_seeks  # once libvlc's pause has settled (_tick)
        self._after_op()

    def _rearm(self) -> None:
        shown = self._shown()
        if shown is None or self._session is None:
            return
        self._rearm_seen = []
        self._op = Rearm(shown.ms, time.monotonic())
        self._session.player.set_time(shown.ms)

    def _frame_rearm(self, op: Rearm, image: QImage, at: float) -> None:
        # A hidden paused set_time after a prefetch: its pictures are not shown (the first may
        # be stale); it only leaves libvlc where a paused set_time is reliable. It ends when no
        # picture came for SETTLE_S (see _watch_op).
        op.landed = True
        op.last_at = time.monotonic()
        self._rearm_seen.append(image)

    def _end_rearm(self, safe: bool) -> None:
        self._op = None
        self._seek_safe = safe
        self._vlc_idx = -1  # libvlc is on a picture of its own choosing
        self._can_step = self._can_resume = False
        self._after_op()

    def _watch_rearm(self, op: Rearm, now: float) -> None:
        if op.landed and now - op.last_at >= SETTLE_S:
            self._end_rearm(True)
        elif now - op.started > SEEK_GIVE_UP_S:
            self._end_rearm(False)  # no (quiet) picture: not known to be safe

    def _frame_next_frame(self, op: NextFrame, image: QImage, at: float) -> None:
        frame = Frame(self._next_ms(self._frames[-1].ms), image)
        self._append(frame)
        self._v = self._vlc_idx = len(self._frames) - 1
        self._can_resume = False
        self._show(self._frames[self._v], emit_shown=True)
        self._finish_op()

    def _watch_next_frame(self, op: NextFrame, now: float) -> None:
        if now - op.started > STEP_TIMEOUT_S:
            self._op = None
            self._capture(1)

    def _frame_capture(self, op: Capture, image: QImage, at: float) -> None:
        op.collected.append(image)
        if op.match is None and op.reference is not None and image == op.reference:
            op.match = len(op.collected) - 1
        count = len(op.collected)
        if op.direction == 0:  # check and prefetch around a paused seek
            enough = (op.match is not None and count >= op.match + PREFETCH_AHEAD + 1) or \
                (op.match is None and count >= op.margin + PREFETCH_AHEAD + 4)
        elif op.match is not None:
            enough = count >= op.match + 2 if op.direction > 0 else op.match >= 1
        else:
            enough = False
        if enough or count >= CAPTURE_MAX_FRAMES or (op.match == 0 and op.direction < 0):
            self._hold()
            self._finish_capture(op)
