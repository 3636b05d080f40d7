"""The playback clock of a video: plain Python, no Qt, no libvlc.

While a video plays, its position is the media time, not the time of the last new picture:
a still slide, a black screen or a tripod shot on a quiet room brings no new pictures for
seconds (the display callback drops repeats; ``-tune stillimage`` files change only at key
frames). The clock runs on the monotonic clock from the first picture shown (libvlc 3's
clock follows the system clock for a local file; its audio output is resampled to keep up)
and is checked against libvlc's media time (``get_time``: updated every 250 ms; measured
100-350 ms behind the picture on screen at 1x in a file without sound, 0-30 ms with sound,
and more at higher rates).

The engine decides when the clock applies (a video playing on its own, no operation in
flight) and reads libvlc's time; this class keeps the arithmetic.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class PlaybackClock:
    """Where the media is, from when a picture was shown and the playback rate."""

    def __init__(self) -> None:
        # The picture the frames of playback are counted from: (monotonic time, media ms).
        self.anchor: tuple[float, int] | None = None
        # The media clock: (monotonic time, media ms) it runs from.
        self.base: tuple[float, float] | None = None
        # Resumed at (monotonic time, ms): the clock starts from there, or with libvlc's if
        # that held the picture (follow).
        self.pending: tuple[float, int] | None = None
        self._vlc_seen: int | None = None  # libvlc's media time when last read
        self._off = 0                      # consecutive readings of libvlc far from the clock

    def set_anchor(self, at: float, ms: int) -> None:
        """The picture ``ms`` was shown at ``at``: later pictures and the clock count from it."""
        self.anchor = (at, ms)
        self.base = (at, float(ms))
        self.pending = None
        self._vlc_seen = None
        self._off = 0

    def drop(self) -> None:
        self.anchor = None
        self.base = None
        self.pending = None
        self._vlc_seen = None
        self._off = 0

    def resumed(self, at: float, ms: int) -> None:
        """Resumed at ``at`` on the picture of ``ms``: the next picture anchors the clock; on a
        still picture none may come for long, and the clock then starts with libvlc's."""
        self.drop()
        self.pending = (at, ms)

    def rerate(self, at: float, ms: float) -> None:
        """The rate changes at ``at``, with the media at ``ms``: on at the new rate from here."""
        self.anchor = None
        self.base = (at, ms)

    @property
    def watching(self) -> bool:
        """Running, or waiting to start with libvlc's time."""
        return self.base is not None or self.pending is not None

    def ms(self, now: float, rate: float) -> float | None:
        """The media time at ``now`` (``None`` before the clock starts)."""
        if self.base is None:
            return None
        wall, ms = self.base
        return ms + (now - wall) * 1000 * rate

    def follow(self, reported: int | None, now: float, rate: float) -> None:
        """libvlc says its media time is ``reported`` at ``now``. Start the clock with libvlc's
        after a resume, and set it to libvlc's media time when the two part by more than
        libvlc's own lag explains (libvlc's clock jumps after some resumes at high rates, and
        it holds the first picture after a start at low rates)."""
        if reported is None or reported < 0 or reported == self._vlc_seen:
            return
        fresh = self._vlc_seen is not None  # changed since it was first read: just updated
        self._vlc_seen = reported
        if not fresh:
            return
        media = reported + 90 * rate + 100 * min(1.0, rate)  # libvlc's lag, measured
        band = 125 * rate + 250
        if self.base is None:
            if self.pending is None:
                return
            resumed_at, ms = self.pending
            since_resume = ms + (now - resumed_at) * 1000 * rate
            if abs(since_resume - media) <= band:
                self.base = (resumed_at, float(ms))  # libvlc went on at once
            else:
                log.debug("resumed at %d ms, libvlc at %d ms: following libvlc", ms, reported)
                self.base = (now, max(media, ms))
            self.pending = None
            return
        clock = self.ms(now, rate)
        assert clock is not None
        if abs(clock - media) <= band:
            self._off = 0
            return
        self._off += 1
        if self._off >= 2:
            log.info("clock at %.0f ms, libvlc at %d ms: following libvlc", clock, reported)
            self.base = (now, media)
            self.anchor = (now, round(media))
            self._off = 0


__all__ = ["PlaybackClock"]
