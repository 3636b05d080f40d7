"""Exact frames by counting, and the arithmetic of frame times: plain Python, no Qt, no libvlc.

libvlc 3 gives no timestamp for the picture it shows, and on files with B-frames its seeks
land up to a few frames before (or after) the target. Started *paused* at a key frame,
though, libvlc shows exactly that key frame; playing on at 1x from there it shows every later
frame at its presentation time. So a frame is known by counting the pictures shown since the
key frame, and each count is checked against the clock: a picture away from its slot
(skipped or late under load) makes the count doubtful, and the engine starts it again from
the key frame. The frame times and key frames come from the file's own tables
(:class:`~reviewer_app.render.mp4_timing.VideoTiming`).

:class:`ExactCount` judges each picture from two facts the engine gives it: when it was shown
and whether it is the same picture as the one before. It keeps no pictures itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from reviewer_app.render.mp4_timing import VideoTiming

EXACT_TOLERANCE = 0.4   # a picture this far (in frames) from its slot is doubted

# What a picture shown during a count is:
#   "repaint": libvlc showing the picture on screen again (or the key frame of a still
#              picture, kept in ``alike``): not counted;
#   "alike":   the frame after the key frame was the same picture (see :meth:`ExactCount.judge`);
#   "doubt":   shown away from its slot: the count cannot be trusted (``why`` says why);
#   "counted": the next frame (``count`` went up by one).
Verdict = Literal["repaint", "alike", "doubt", "counted"]


@dataclass
class Judgement:
    verdict: Verdict
    why: str = ""
    next_at: float = 0.0                                 # "alike": when the next frame showed
    between: list[float] = field(default_factory=list)   # "alike": same pictures shown since


@dataclass
class ExactCount:
    """The count of frames shown since key frame ``key``, towards frame ``index``.

    ``prepare``: decoding ahead goes one frame past ``index`` (its neighbour for a step)."""

    timing: VideoTiming
    key: int
    index: int
    prepare: bool = False
    count: int = -1           # frames seen since the key frame (-1: none yet)
    ref_at: float = 0.0       # when frame key + 1 was shown (the count's clock)
    resumed_at: float = 0.0   # when libvlc was resumed from the key frame
    last_at: float = 0.0      # when the last counted picture was shown
    alike: list[float] = field(default_factory=list)  # when the key frame showed again

    def ms_of(self, index: int) -> int:
        return ms_of(self.timing, index)

    @property
    def goal(self) -> int:
        return self.index + 1 if self.prepare else self.index

    @property
    def frame(self) -> int:
        """The index of the last frame counted."""
        return self.key + self.count

    def reached(self) -> bool:
        return self.frame >= min(self.goal, len(self.timing) - 1)

    def key_shown(self, at: float) -> None:
        """The first picture of the input started paused at the key frame: the key frame."""
        self.count = 0
        self.last_at = at

    def frame_duration(self) -> float:
        """Seconds from the frame counted last to the next one."""
        us = self.timing.frame_us
        return (us[min(self.frame + 1, len(self.timing) - 1)] - us[self.frame]) / 1e6 \
            or self.timing.frame_duration_us / 1e6

    def judge(self, same: bool, at: float) -> Judgement:
        """A picture shown at ``at`` (``same``: the same picture as the last one counted)."""
        duration = self.frame_duration()
        if self.count == 0:
            late = at - self.resumed_at > 1.5 * duration + 0.02
            if same and not late:
                self.alike.append(at)  # a repaint of the key frame, or the next frame if still
                return Judgement("repaint")
            # The same picture a frame after the resume was the next frame (a still picture)
            # when nothing else came in time, or when this picture comes a frame after it.
            # (A repaint comes ~60 ms after the last picture, not at the next frame's time.)
            alike = [t for t in self.alike if t - self.resumed_at >= 0.5 * duration]
            if alike and (same or abs(at - alike[0] - duration) <= EXACT_TOLERANCE * duration):
                return Judgement("alike", next_at=alike[0],
                                 between=[t for t in self.alike if t > alike[0]])
            if late:
                return Judgement("doubt", f"first frame {(at - self.resumed_at) * 1000:.0f} ms "
                                 "after resuming")
            self.ref_at = at
        else:
            us = self.timing.frame_us
            slot = self.ref_at + (us[self.frame + 1] - us[self.key + 1]) / 1e6
            if abs(at - slot) > EXACT_TOLERANCE * duration:
                if same:
                    return Judgement("repaint")  # a repaint between two frames
                return Judgement("doubt", f"frame {self.frame + 1} shown "
                                 f"{(at - slot) * 1000:+.0f} ms from its time")
        self.count += 1
        self.last_at = at
        return Judgement("counted")

    def count_alike(self, next_at: float) -> None:
        """The frame after the key frame was the same picture, shown at ``next_at``."""
        self.alike = []
        self.ref_at = self.last_at = next_at
        self.count = 1


def ms_of(timing: VideoTiming, index: int) -> int:
    """Frame ``index``'s start time from the file's tables, in whole ms."""
    return round(timing.frame_us[index] / 1000)


def start_ms_at_key(timing: VideoTiming, key: int) -> float:
    """Where an input starts to show key frame ``key`` first: just inside it (libvlc's start
    time is a 32-bit float of seconds)."""
    return timing.frame_us[key] / 1000 + min(10.0, timing.frame_duration_us / 4000)


# -- frame times without a table: a constant frame rate ---------------------------------------

def snap(ms: int, frame_ms: float) -> int:
    """The start time of the frame on screen at ``ms``. Frame times are whole ms, rounded
    (frame 61 at 30 fps: 2033): half a ms more keeps a frame's own time in that frame."""
    index = math.floor((ms + 0.5) / frame_ms + 1e-6)
    return round(index * frame_ms)


def next_ms(ms: int, frame_ms: float, frames: int = 1) -> int:
    """The time of the frame ``frames`` after (or before) the one at ``ms``."""
    index = round(ms / frame_ms) + frames
    return round(index * frame_ms)


def frame_after(base_ms: float, i: int, frame_ms: float) -> int:
    """The time of the ``i``-th frame after the one at ``base_ms``."""
    return round(round(base_ms / frame_ms + i) * frame_ms)


def last_frame_ms(duration_ms: int, frame_ms: float) -> int:
    """The start time of the last frame of a video ``duration_ms`` long."""
    frames = max(1, math.ceil(duration_ms / frame_ms - 1e-6))
    return round((frames - 1) * frame_ms)


__all__ = ["EXACT_TOLERANCE", "ExactCount", "Judgement", "frame_after", "last_frame_ms", "ms_of",
           "next_ms", "snap", "start_ms_at_key"]
