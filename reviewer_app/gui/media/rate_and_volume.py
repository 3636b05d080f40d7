"""The playback rate and the sound of the media engine.

A new rate applies to libvlc at once while a video plays on its own (the clock goes on at
the new rate from there); an operation in flight applies it when its picture lands (its
first picture comes at 1x: see video_playback). Sound is off while an operation replays
frames that are not shown (``Op.is_silent``).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``).
"""

from __future__ import annotations

import time

RATES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
MIN_RATE, MAX_RATE = RATES[0], RATES[-1]


class RateAndVolume:
    """The rate, the volume and the mute of MediaEngine."""

    def set_rate(self, rate: float) -> None:
        rate = min(MAX_RATE, max(MIN_RATE, float(rate)))
        if rate == self._rate:
            return
        if self._audio and self._vlc_mode == "playing":
            self._audio_anchor = (time.monotonic(), self._audio_position())
        clock = self._clock_ms()
        self._rate = rate
        session = self._session
        if session is not None and session.player is not None and self._vlc_mode == "playing" \
                and self._op is None:  # (an operation in flight applies it when it lands)
            session.player.set_rate(rate)
            if clock is not None:
                self._clock.rerate(time.monotonic(), clock)  # on at the new rate from here
            else:
                self._clock.anchor = None
        self.rateChanged.emit(rate)

    def rate(self) -> float:
        return self._rate

    def faster(self) -> None:
        self.set_rate(next((r for r in RATES if r > self._rate + 1e-9), MAX_RATE))

    def slower(self) -> None:
        self.set_rate(next((r for r in reversed(RATES) if r < self._rate - 1e-9), MIN_RATE))

    def set_volume(self, volume: int) -> None:
        self._volume = max(0, min(100, int(volume)))
        self._apply_audio()
        self.volumeChanged.emit(self._volume, self._muted)

    def volume(self) -> int:
        return self._volume

    def toggle_mute(self) -> None:
        self.set_muted(not self._muted)

    def set_muted(self, muted: bool) -> None:
        self._muted = bool(muted)
        self._apply_audio()
        self.volumeChanged.emit(self._volume, self._muted)

    def is_muted(self) -> bool:
        return self._muted

    def _apply_audio(self) -> None:
        session = self._session
        if session is None or session.player is None:
            return
        session.player.audio_set_volume(self._volume)
        op = self._op
        silent = op is not None and op.is_silent()
        session.player.audio_set_mute(self._muted or silent)
