"""The end of the file, the loop and the in and out marks of the media engine.

What libvlc does: "end reached" comes when its demuxer is done; the pictures still queued
are shown after it (with libavformat, the last few frames). So a video ends once they
stopped coming for END_QUIET_S (the engine's tick); audio ends at once. An exact count in
flight goes on after the end (exact_seeks).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``).
"""

from __future__ import annotations

import logging

from reviewer_app.gui.media.operations import Capture, Exact
from reviewer_app.gui.media.probe import cannot_play_message
from reviewer_app.gui.media.timecode import format_ms

log = logging.getLogger(__name__)


class EndAndLoop:
    """The end of the file, the loop and the marks of MediaEngine."""

    def set_loop(self, start_ms: int, end_ms: int) -> None:
        start, end = sorted((int(start_ms), int(end_ms)))
        start = self._clamp(start)
        end = min(end, self._duration) if self._duration else end
        if end - start < max(1, round(self._frame_ms)):
            raise ValueError("A loop needs its end after its start.")
        self._loop = (start, end)
        self._mark_in, self._mark_out = start, end
        self.loopChanged.emit(self._loop)

    def clear_loop(self) -> None:
        self._loop = None
        self._mark_in = self._mark_out = None
        self.loopChanged.emit(None)

    def mark_in(self) -> None:
        self._mark_in = self.position()
        if self._mark_out is not None and self._mark_out > self._mark_in:
            try:
                self.set_loop(self._mark_in, self._mark_out)
                return
            except ValueError:  # under a frame before the out point: a new in point only
                pass
        self._mark_out = None
        self._loop = None
        self.loopChanged.emit(None)

    def mark_out(self) -> None:
        out = self.position()
        start = self._mark_in if self._mark_in is not None and self._mark_in < out else 0
        try:
            self.set_loop(start, out)
        except ValueError:
            self._mark_out = None

    def marked_range(self) -> tuple[int, int] | None:
        return self._loop

    def marks(self) -> tuple[int | None, int | None]:
        return self._mark_in, self._mark_out

    def _check_loop(self, ms: int) -> None:
        loop = self._loop
        if loop is None or not self._want_play or self._op is not None:
            return
        if ms + self._frame_ms / 2 >= loop[1]:
            self.seek(loop[0])

    def _on_end(self) -> None:
        """libvlc says the end is reached: its demuxer is done, but the pictures still queued
        are shown after this. Video ends once they stopped coming (_tick); audio at once."""
        op = self._op
        if isinstance(op, Exact):
            # The pictures still queued come after this (with libavformat, the last few
            # frames): the count goes on; the watchdog doubts it if none come.
            op.ended = True
            self._vlc_mode = "stopped"
            return
        end = self._audio_position() if self._audio else self.position()  # while "playing"
        self._end_clock = None if self._audio else end
        self._vlc_mode = "stopped"
        self._seek_safe = False
        if self._audio:
            self._finish_end(end)
        else:
            self._end_pending = True

    def _finish_end(self, end: int | None = None) -> None:
        self._end_pending = False
        op = self._op
        if not self._audio and not self._ever_shown:
            self._fail(cannot_play_message("video"),
                       "VLC reached the end of the file without decoding a picture.\n"
                       f"File: {self._path}")
            return
        if op is not None:
            self._op = None
            if isinstance(op, Capture):
                self._finish_capture(op)
                self._vlc_mode = "stopped"
                return
        if end is None:
            end = max(self.position(), self._end_clock or 0)
            # The picture on screen is the last one (a still end, or a video track shorter
            # than its sound): it stays there till the clock's end.
            self._relabel_shown(min(self._snap(end), self._last_frame_ms()))
        if self._duration and end < self._duration - max(2000, self._duration // 20) \
                and not (self._loop and self._want_play) and (op is None or op.landed):
            self._warn(f"Playback stopped early, at {format_ms(end)} of "
                       f"{format_ms(self._duration)}: the file is probably incomplete.",
                       f"File: {self._path}")
        if self._loop is not None and self._want_play:
            self._ended = True
            self.seek(self._loop[0])
            return
        self._ended = True
        self._want_play = False
        if self._audio:
            self._audio_pos = self._duration
            self._emit_position(self._duration)
        self._set_state("ended")
        self._queued_seek, queued = None, self._queued_seek
        if queued is not None:
            self.seek(queued)
