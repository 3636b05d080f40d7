"""Frame times of a video file, read from its container's own tables (no Qt, no libvlc):
MP4, MOV and M4V by :mod:`~reviewer_app.render.mp4_timing`, Matroska and WebM by
:mod:`~reviewer_app.render.mkv_timing`. ``None`` for other containers and for anything
those readers do not understand: the player then seeks by time alone."""

from __future__ import annotations

from pathlib import Path

from reviewer_app.render.mkv_timing import is_matroska, read_matroska_timing
from reviewer_app.render.mp4_timing import VideoTiming, read_mp4_timing


def read_video_timing(path: Path | str) -> VideoTiming | None:
    """The timing of the first video track of ``path``, or ``None``."""
    if is_matroska(path):
        return read_matroska_timing(path)
    return read_mp4_timing(path)


__all__ = ["VideoTiming", "read_video_timing"]
