"""Notes' frames decoded ahead: while the video waits paused, the frames asked for by
``prepare_frames`` are counted from their key frames (exact_seeks, muted and not shown) and
kept (frame_cache.PreparedFrames), so choosing a note shows its frame at once.

Decoding ahead is a courtesy: it starts only once nothing else happened for PREPARE_IDLE_S,
and any seek, step or play cancels it. Only files whose frame table is known.

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from reviewer_app.gui.media.tuning import PREPARE_IDLE_S

if TYPE_CHECKING:
    from reviewer_app.gui.media.frame_cache import Frame

log = logging.getLogger(__name__)


class DecodeAhead:
    """The frames of notes decoded ahead (``prepare_frames``) for MediaEngine."""

    def prepare_frames(self, times_ms: list[int]) -> None:
        """Decode these frames ahead, while the video waits paused (a note's frame then shows
        at once when the note is chosen). Only files whose frame table is known."""
        self._wanted_ms = [int(t) for t in times_ms]
        self._update_wanted()
        if self._wanted:
            self._quiet_since = min(self._quiet_since, time.monotonic() - PREPARE_IDLE_S)

    def prepared(self) -> bool:
        """Every frame asked for by ``prepare_frames`` is decoded (or cannot be)."""
        self._update_wanted()
        return not self._wanted and not (self._op is not None and self._op.decoding_ahead())

    def _update_wanted(self) -> None:
        timing = self._timing
        wanted_ms = self._wanted_ms
        if timing is None or self._audio:
            self._wanted = []
            return
        indexes = []
        for ms in wanted_ms:
            index = timing.index_at(self._clamp(ms) * 1000)
            if index not in self._prepared and index not in indexes:
                indexes.append(index)
        self._wanted = indexes

    def _store_prepared(self, index: int, frames: list[Frame]) -> None:
        if not self._prepared.store(index, frames, self._ms_of(index)):
            log.info("no room to keep frame %d decoded ahead", index)
            self._wanted = [i for i in self._wanted if i != index]
            self._wanted_ms = [m for m in self._wanted_ms
                               if self._timing.index_at(self._clamp(m) * 1000) != index]
            return
        if index in self._wanted:
            self._wanted.remove(index)

    def _maybe_prepare(self, now: float) -> None:
        if not self._wanted or self._op is not None or self._want_play or not self._ready \
                or self._audio or self._holding or self._queued_steps or self._rearm_due \
                or self._prefetch_at is not None or self._queued_seek is not None \
                or self._vlc_mode == "playing" or not self._settled() \
                or now - self._quiet_since < PREPARE_IDLE_S:
            return
        self._update_wanted()
        if self._wanted:
            self._exact_start(self._wanted[0], purpose="prepare")
