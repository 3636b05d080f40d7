"""The operations of the media engine: what libvlc was asked for, while its pictures come.

One operation is in flight at a time (``MediaEngine._op``); the pictures libvlc shows meanwhile
go to it (:meth:`Op.on_frame`), and the engine's 40 ms tick lets it give up or ask again
(:meth:`Op.watch`). Each class holds its own fields and says which of the engine's handlers
decides for it; the decisions stay in the engine, which owns the frames and libvlc (its rooms:
video_playback for Restart and PausedSeek, frame_steps for NextFrame, Capture and Rearm,
exact_seeks for Exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from reviewer_app.gui.media.exact_count import ExactCount

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from reviewer_app.gui.media.frame_cache import Frame
    from reviewer_app.gui.media.player import MediaEngine


@dataclass
class Op:
    target: int               # the media time asked for
    started: float            # monotonic time it was asked
    play: bool = False        # keep playing after the picture asked for
    landed: bool = False      # the first picture (the one asked for) has arrived

    kind: ClassVar[str] = ""
    muted: ClassVar[bool] = True    # sound off while it is in flight

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        raise NotImplementedError

    def watch(self, engine: MediaEngine, now: float) -> None:
        """The engine's tick while it is in flight."""

    def holds_position(self) -> bool:
        """The position is the target until the picture lands."""
        return False

    def decoding_ahead(self) -> bool:
        """Frames decoded ahead, not shown (any command cancels it)."""
        return False

    def is_silent(self) -> bool:
        return self.muted


@dataclass
class Restart(Op):
    """The input restarted at the target: its first picture is shown (and playing goes on)."""

    kind: ClassVar[str] = "restart"

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_restart(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        engine._watch_first_picture(self, now)

    def holds_position(self) -> bool:
        return not self.landed

    def is_silent(self) -> bool:
        return not self.play


@dataclass
class PausedSeek(Op):
    """libvlc's paused ``set_time``: asked again once, then the input restarts instead."""

    retried: bool = False
    kind: ClassVar[str] = "paused_seek"
    muted: ClassVar[bool] = False

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_paused_seek(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        engine._watch_paused_seek(self, now)

    def holds_position(self) -> bool:
        return not self.landed


@dataclass
class Rearm(Op):
    """A hidden paused ``set_time`` that leaves libvlc where the next one is reliable."""

    last_at: float = 0.0
    kind: ClassVar[str] = "rearm"
    muted: ClassVar[bool] = False

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_rearm(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        engine._watch_rearm(self, now)


@dataclass
class NextFrame(Op):
    """libvlc's ``next_frame``: a capture instead if it shows nothing."""

    kind: ClassVar[str] = "next_frame"
    muted: ClassVar[bool] = False

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_next_frame(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        engine._watch_next_frame(self, now)


@dataclass
class Capture(Op):
    """The frames around the one on screen replayed (muted, not shown) and matched by their
    pixels: for a step (``direction`` +1 or -1) or, with 0, a prefetch after a paused seek."""

    direction: int = 0
    reference: QImage | None = None
    reference_ms: int = 0
    base_ms: int = 0
    margin: int = 0
    retried: bool = False
    collected: list[QImage] = field(default_factory=list)
    match: int | None = None
    kind: ClassVar[str] = "capture"

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_capture(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        if not self.collected:
            engine._watch_first_picture(self, now)

    def is_prefetch(self) -> bool:
        return self.direction == 0


@dataclass
class Exact(Op):
    """Frames counted from a key frame up to frame ``index`` (exact_count)."""

    index: int = 0            # the frame wanted (index in the video's timing)
    key: int = 0              # the key frame decoding starts from
    purpose: str = "show"     # "show" (a seek) or "prepare" (decoded ahead, not shown)
    counter: ExactCount = field(default=None)  # type: ignore[assignment]
    ended: bool = False       # libvlc's end came while counting (its last pictures follow)
    direct: bool = False      # started paused on the frame itself (see _exact_start)
    attempts: int = 0
    frames: list[Frame] = field(default_factory=list)
    shown_early: bool = False  # its frame is on screen already (quick_frames), as a still
    vlc_deferred: bool = False  # libvlc's count waits for quick_frames' decode
    kind: ClassVar[str] = "exact"

    def on_frame(self, engine: MediaEngine, image: QImage, at: float) -> None:
        engine._frame_exact(self, image, at)

    def watch(self, engine: MediaEngine, now: float) -> None:
        engine._watch_exact(self, now)

    def holds_position(self) -> bool:
        return self.purpose == "show" and not self.landed

    def decoding_ahead(self) -> bool:
        return self.purpose == "prepare"


__all__ = ["Capture", "Exact", "NextFrame", "Op", "PausedSeek", "Rearm", "Restart"]
