"""The decoded frames the media engine keeps: pictures with their media times.

The engine keeps the consecutive frames it has seen (steps among them are instant and exact)
and, for notes, frames decoded ahead while the video waits (choosing a note then shows its
frame at once). Both are bounded by the memory their pictures take.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QImage

CACHE_BYTES = 96 * 1024 * 1024     # consecutive frames kept
PREPARED_BYTES = 96 * 1024 * 1024  # note frames decoded ahead (prepare_frames)


@dataclass
class Frame:
    ms: int
    image: QImage


def frames_that_fit(image: QImage) -> int:
    """How many consecutive frames of this picture's size are kept (at least 8)."""
    return max(8, CACHE_BYTES // max(1, image.sizeInBytes()))


class PreparedFrames:
    """Frames decoded ahead, by the index of the frame asked for (with its neighbours)."""

    def __init__(self, budget: int = PREPARED_BYTES) -> None:
        self._frames: dict[int, list[Frame]] = {}
        self._bytes = 0
        self._budget = budget

    def __contains__(self, index: int) -> bool:
        return index in self._frames

    def get(self, index: int) -> list[Frame] | None:
        return self._frames.get(index)

    def store(self, index: int, frames: list[Frame], ms: int) -> bool:
        """Keep ``frames`` for frame ``index`` (at ``ms``); when they do not fit, the frame
        alone. ``False``: not even that fits."""
        size = sum(f.image.sizeInBytes() for f in frames)
        if self._bytes + size > self._budget:
            frames = [f for f in frames if f.ms == ms]  # just the frame
            size = sum(f.image.sizeInBytes() for f in frames)
            if self._bytes + size > self._budget:
                return False
        self._frames[index] = frames
        self._bytes += size
        return True


__all__ = ["CACHE_BYTES", "PREPARED_BYTES", "Frame", "PreparedFrames", "frames_that_fit"]
