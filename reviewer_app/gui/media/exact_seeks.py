"""Exact seeks: the media engine's frames counted from a key frame, and libvlc driven for it.

What libvlc does, and what the engine does about it (libvlc 3.0.24, the demo video):

* Exact seeks (notes, typed times; ``seek(ms, exact=True)``): started *paused* at a key frame
  (``:start-paused``), libvlc shows exactly that key frame; played on at 1x it shows every
  later frame at its time, so the frame is known by counting, each count checked against
  the clock. Key frames and frame times come from the file's tables
  (reviewer_app.render.video_timing: MP4 and MOV, and Matroska and WebM, which libvlc reads
  with libavformat; other containers seek by time alone). Frames of notes are decoded ahead
  that way while the video waits (decode_ahead), so choosing a note shows its frame at once.
* A still or black picture brings no new pictures (the display callback drops repeats; a
  ``-tune stillimage`` file changes at its key frames only): while counting, repeats are
  kept, and the count takes the same picture shown at the next frame's time for that frame
  (repaints come ~60 ms apart).
* The count itself, each frame checked against its slot, is
  reviewer_app.gui.media.exact_count (plain Python, tested without libvlc); here libvlc is
  driven for it.

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``) and are called by the ``Exact`` operation.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from reviewer_app.gui.media.exact_count import ExactCount, ms_of, start_ms_at_key
from reviewer_app.gui.media.frame_cache import Frame, frames_that_fit
from reviewer_app.gui.media.operations import Exact
from reviewer_app.gui.media.tuning import (
    END_QUIET_S,
    EXACT_ATTEMPTS,
    EXACT_DIRECT_S,
    EXACT_STALL_S,
    FIRST_FRAME_TIMEOUT_S,
    QUICK_WAIT_S,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

log = logging.getLogger(__name__)


class ExactSeeks:
    """Exact seeks of MediaEngine: count to a frame from the key frame before it."""

    def _ms_of(self, index: int) -> int:
        assert self._timing is not None
        return ms_of(self._timing, index)

    def _seek_exact(self, target: int) -> None:
        timing = self._timing
        assert timing is not None
        index = timing.index_at(target * 1000)
        ms = self._ms_of(index)
        if self._exact_run and not self._want_play and self._vlc_mode == "paused":
            for i, frame in enumerate(self._frames):  # counted already: exact and instant
                if frame.ms == ms:
                    self._v = i
                    self._show(frame, emit_shown=True)
                    return
        prepared = self._prepared.get(index)
        if prepared is not None:
            self._show_prepared(index, prepared)
            return
        if not self._exact_start(index, purpose="show", play=self._want_play):
            self._restart(self._snap(target), play=self._want_play)  # no key frame known

    def _show_prepared(self, index: int, frames: list[Frame]) -> None:
        """A frame decoded ahead: on screen at once. libvlc stays where it was; its pictures
        from there are ignored from now on (a new input epoch)."""
        session = self._session
        session.epoch += 1  # (the sink keeps the old one: what it shows now is ignored)
        ms = self._ms_of(index)
        self._frames = [Frame(f.ms, f.image) for f in frames]
        self._v = next(i for i, f in enumerate(self._frames) if f.ms == ms)
        self._vlc_idx = -1
        self._holding = False
        self._can_step = self._can_resume = False
        self._seek_safe = False
        self._ended = False
        self._exact_run = True
        self._drop_clock()
        self._show(self._frames[self._v], emit_shown=True)
        if self._want_play:
            # Play on from the next frame, counted like any exact seek (its picture shows
            # once it is reached; the note's frame stays on screen meanwhile).
            if index + 1 < len(self._timing):
                self._exact_start(index + 1, purpose="show", play=True, quick=False)
            else:
                self._want_play = False
                self._set_state("ended")

    def _exact_start(self, index: int, *, purpose: str, play: bool = False,
                     attempts: int = 0, direct: bool = False, quick: bool = True) -> bool:
        """Count to frame ``index`` from the key frame before it. ``direct``: start paused
        on that very frame instead (after the end came before the count reached it: with
        libavformat, the last frame of a VP9 WebM is never shown after a resume, but a
        paused start inside it shows it). ``quick``: a frame to show is decoded by PyAV
        meanwhile too (quick_frames), and shown if that is done first."""
        timing = self._timing
        session = self._session
        if timing is None or session is None:
            return False
        key = index if direct else timing.key_before(index)
        if key is None:
            return False
        op = Exact(self._ms_of(index), time.monotonic(), play=play, index=index, key=key,
                   purpose=purpose, attempts=attempts, direct=direct,
                   counter=ExactCount(timing, key, index, prepare=purpose == "prepare"))
        self._op = op
        self._drop_clock()
        self._holding = False
        self._seek_safe = False
        self._end_pending = False
        if purpose == "show":
            self._ended = False
            self._exact_run = False
            self._emit_position(op.target)
        log.debug("exact seek to frame %d (%s): from key frame %d, attempt %d", index, purpose,
                  key, attempts + 1)
        if purpose == "show" and quick and not direct and attempts == 0 and self._quick_start(op):
            # libvlc's count starts once the decode is done (the frame is on screen by then):
            # restarting its input takes the GUI thread and the CPU meanwhile. What libvlc
            # still shows from before is ignored (a new input epoch).
            op.vlc_deferred = True
            self._silence_vlc()
            self._apply_audio()
            return True
        self._exact_begin_count(op)
        return True

    def _exact_begin_count(self, op: Exact) -> None:
        """libvlc's input restarted paused at ``op``'s key frame, to count from there."""
        session = self._session
        op.vlc_deferred = False
        if session.sink is not None:
            session.sink.keep_repeats = True
        session.restart(start_ms_at_key(self._timing, op.key), paused=True)
        self._vlc_mode = "playing"
        self._apply_audio()
        session.player.set_rate(1.0)

    def _abandon_exact(self) -> None:
        """Drop the exact seek in flight (a newer seek came): libvlc pauses wherever it is,
        and what it still shows is ignored (a new input epoch)."""
        self._op = None
        self._end_exact_counting()
        self._silence_vlc()
        self._seek_safe = False
        self._apply_audio()

    def _silence_vlc(self) -> None:
        """libvlc pauses wherever it is, and what it still shows is ignored (a new input
        epoch); nothing can be stepped or resumed from until it shows something again."""
        session = self._session
        session.epoch += 1
        if self._vlc_mode == "playing":
            session.player.set_pause(1)
            self._vlc_mode = "paused"
            self._paused_at = time.monotonic()
        self._vlc_idx = -1
        self._can_step = self._can_resume = False

    def _stop_decoding_ahead(self) -> None:
        """A frame decoded ahead (prepare_frames) is done or given up: libvlc's muted, hidden
        input stops. The picture on screen stays; there is nothing to step or resume from."""
        self._session.stop()
        self._vlc_mode = "stopped"
        self._vlc_idx = -1
        self._can_step = self._can_resume = False
        self._seek_safe = False
        self._apply_audio()

    def _end_exact_counting(self) -> None:
        session = self._session
        if session is not None and session.sink is not None:
            session.sink.keep_repeats = False  # (its last picture stays: repaints are dropped)

    def _frame_exact(self, op: Exact, image: QImage, at: float) -> None:
        counter = op.counter
        frames = op.frames
        if counter.count < 0:  # the first picture of an input started paused at the key frame
            counter.key_shown(at)
            frames.append(Frame(self._ms_of(op.key), image))
            if op.key == op.index:
                self._exact_reached(op, at)
                return
            counter.resumed_at = time.monotonic()
            self._session.player.set_rate(1.0)
            self._session.player.set_pause(0)
            return
        judgement = counter.judge(image == frames[-1].image, at)
        if judgement.verdict == "repaint":
            return
        if judgement.verdict == "alike":
            self._exact_next_alike(op, frames[-1].image, judgement.next_at, judgement.between,
                                   image, at)
            return
        if judgement.verdict == "doubt":
            self._exact_doubt(op, judgement.why)
            return
        frames.append(Frame(self._ms_of(counter.frame), image))
        keep = 3 if op.purpose == "prepare" else frames_that_fit(image)
        if len(frames) > keep:
            del frames[:len(frames) - keep]
        if counter.reached():
            self._exact_reached(op, at)

    def _exact_next_alike(self, op: Exact, key_image: QImage, next_at: float, between: list[float],
                          image: QImage, at: float) -> None:
        """The frame after the key frame was the same picture, shown at ``next_at``: count it,
        then the same pictures shown since (``between``) and this one, each in its slot."""
        op.counter.count_alike(next_at)
        op.frames.append(Frame(self._ms_of(op.key + 1), key_image))
        if op.counter.reached():
            self._exact_reached(op, next_at)
            return
        for t in between:
            self._frame_exact(op, key_image, t)
            if self._op is not op:
                return
        self._frame_exact(op, image, at)

    def _try_direct(self, op: Exact) -> bool:
        """After libvlc's end came before the count reached the frame: start paused on the
        frame itself, once (VP9 WebM's last frame; measured to work only in files without
        reordered frames: a paused start on an H.264 B-frame shows nothing)."""
        timing = self._timing
        return (not op.direct and op.ended and op.counter.frame < op.index
                and timing is not None and not timing.reorders)

    def _exact_doubt(self, op: Exact, why: str) -> None:
        """The count cannot be trusted: start again from the key frame, a few times."""
        attempts = op.attempts + 1
        log.info("exact seek to frame %d: %s; counting again (attempt %d)", op.index, why,
                 attempts + 1)
        self._op = None
        if attempts < EXACT_ATTEMPTS:
            self._exact_start(op.index, purpose=op.purpose, play=op.play, attempts=attempts,
                              direct=self._try_direct(op))
            if self._op is not None:
                self._op.shown_early = op.shown_early
            return
        self._end_exact_counting()
        log.warning("exact seek to frame %d gave up after %d attempts", op.index, attempts)
        if op.purpose == "prepare":
            if op.index in self._wanted:
                self._wanted.remove(op.index)
            self._wanted_ms = [m for m in self._wanted_ms
                               if self._timing.index_at(self._clamp(m) * 1000) != op.index]
            self._stop_decoding_ahead()
            self._after_op()
        elif op.shown_early:  # the frame is on screen (quick_frames): libvlc just stops
            self._stop_decoding_ahead()
            self._want_play = False
            if self._state == "playing":
                self._set_state("paused")
            self._after_op()
        else:
            self._restart(self._snap(op.target), play=op.play)  # as near as libvlc lands

    def _exact_reached(self, op: Exact, at: float) -> None:
        self._end_exact_counting()
        frames = op.frames
        log.debug("exact %s of frame %d: %d frames from key frame %d in %.1f ms", op.purpose,
                  op.index, op.counter.count + 1, op.key, (time.monotonic() - op.started) * 1000)
        self._op = None
        if op.purpose == "prepare":
            lo = op.index - 1
            kept = [f for f in frames if self._timing.index_at(f.ms * 1000) >= lo]
            self._store_prepared(op.index, kept)
            self._stop_decoding_ahead()
            self._after_op()
            return
        ms = self._ms_of(op.index)
        self._frames = list(frames)
        self._v = self._vlc_idx = len(frames) - 1
        self._exact_run = True
        if op.ended:
            # The last frames, after libvlc's end: nothing to pause or resume; playing on
            # ends (_tick), play starts again from this frame.
            self._can_step = self._can_resume = False
            if op.play:
                self._end_pending = True
            elif self._state in ("loading", "ended", "playing"):
                self._set_state("paused")
        elif op.play:
            self._vlc_mode = "playing"
            self._set_anchor(at, ms)
            self._can_step = self._can_resume = False
            if self._rate != 1.0:
                self._session.player.set_rate(self._rate)
            self._set_state("playing")
        else:
            if op.counter.count > 0:
                self._hold()  # pictures libvlc still shows are kept as the next frames
                self._can_step = self._can_resume = True
            else:
                self._vlc_mode = "paused"  # it was started paused on this very frame
                self._paused_at = time.monotonic()
                self._can_step, self._can_resume = False, True
            if self._state in ("loading", "ended", "playing"):
                self._set_state("paused")
        self._apply_audio()
        if op.shown_early:  # quick_frames showed this very frame already
            self._emit_position(ms)
        else:
            self._show(self._frames[self._v], emit_shown=True)
        self._after_op()

    def _watch_exact(self, op: Exact, now: float) -> None:
        age = now - op.started
        if op.vlc_deferred:
            if age > QUICK_WAIT_S:  # the decode beside it takes too long: count meanwhile
                self._exact_begin_count(op)
            return
        if op.direct and op.counter.count < 0 and age > EXACT_DIRECT_S:
            self._exact_doubt(op, "no picture when started on the frame itself")
        elif op.counter.count < 0 and age > FIRST_FRAME_TIMEOUT_S:
            self._op = None
            self._end_exact_counting()
            log.warning("exact seek: no picture from key frame %d; landing by time", op.key)
            if op.purpose == "prepare":
                self._wanted = [i for i in self._wanted if i != op.index]
                self._wanted_ms = []
                self._session.stop()
                self._vlc_mode = "stopped"
                self._vlc_idx = -1
                self._after_op()
            else:
                self._restart(self._snap(op.target), play=op.play)
        elif op.counter.count >= 0 \
                and now - max(op.counter.last_at, op.counter.resumed_at) > EXACT_STALL_S:
            self._exact_doubt(op, "no picture came")
        elif op.ended and op.counter.count < 0 and age > END_QUIET_S:
            self._exact_doubt(op, "the end of the file came first")
