"""Audio-only playback of the media engine: no pictures, so its position is a clock anchored
when libvlc says it plays, checked against libvlc's own time (``get_time``, updated every
250 ms), and a seek while playing is libvlc's ``set_time`` (no stale picture to fear).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``).
"""

from __future__ import annotations

import time


class AudioPlayback:
    """Playing an audio file (or a video without a picture track) in MediaEngine."""

    def _start_audio(self) -> None:
        """Resume where the pause left libvlc, or start the input at the position."""
        session = self._session
        if self._vlc_mode == "paused" and self._can_resume and not self._ended:
            session.player.set_pause(0)
            self._vlc_mode = "playing"
            self._audio_anchor = (time.monotonic(), self._audio_pos)
        else:
            start = 0 if self._ended or self._audio_pos >= self._duration - 1 \
                else self._audio_pos
            self._op = None
            self._ended = False
            session.restart(start)
            self._vlc_mode = "playing"
            self._apply_audio()
            session.player.set_rate(self._rate)
            self._audio_pos = start
            self._audio_anchor = None  # set when libvlc says it plays

    def _seek_audio(self, target: int) -> None:
        session = self._session
        self._ended = False
        if self._vlc_mode == "playing":
            session.player.set_time(target)
            self._audio_anchor = (time.monotonic(), target)
        else:
            if self._vlc_mode == "paused":
                session.stop()
                self._vlc_mode = "stopped"
            self._audio_pos = target
        self._emit_position(target)

    def _audio_position(self) -> int:
        if self._vlc_mode != "playing" or self._audio_anchor is None:
            return self._audio_pos
        wall, ms = self._audio_anchor
        estimate = ms + (time.monotonic() - wall) * 1000 * self._rate
        reported = self._session.player.get_time() if self._session else -1
        if reported is not None and reported >= 0 and abs(reported - estimate) > 700:
            self._audio_anchor = (time.monotonic(), reported)
            estimate = reported
        return int(max(0, min(estimate, self._duration or estimate)))

    def _check_loop_audio(self, position: int) -> None:
        loop = self._loop
        if loop is not None and self._want_play and position >= loop[1]:
            self._seek_audio(loop[0])
