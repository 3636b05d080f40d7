"""The frames decoded ahead for notes stay within their memory budget: neighbours while there
is room, then the note's frame alone, then nothing (and the engine says so)."""

from __future__ import annotations

from PySide6.QtGui import QImage

from reviewer_app.gui.media.frame_cache import (
    CACHE_BYTES,
    Frame,
    PreparedFrames,
    frames_that_fit,
)


def run(first_ms: int, count: int = 3) -> list[Frame]:
    return [Frame(first_ms + 40 * i, QImage(320, 180, QImage.Format.Format_RGB32))
            for i in range(count)]


def test_frames_decoded_ahead_are_kept_within_the_budget() -> None:
    picture = 320 * 180 * 4
    prepared = PreparedFrames(budget=7 * picture)
    assert prepared.store(10, run(360), ms=400)           # 3 pictures
    assert prepared.store(50, run(1960), ms=2000)         # 6
    assert [f.ms for f in prepared.get(50)] == [1960, 2000, 2040]
    assert prepared.store(90, run(3560), ms=3600)         # no room for 3: the frame alone, 7
    assert [f.ms for f in prepared.get(90)] == [3600]
    assert not prepared.store(130, run(5160), ms=5200)    # not even one
    assert 130 not in prepared and prepared.get(130) is None
    assert 10 in prepared and 90 in prepared


def test_a_bigger_picture_keeps_fewer_consecutive_frames_but_never_under_eight() -> None:
    small = frames_that_fit(QImage(640, 360, QImage.Format.Format_RGB32))
    large = frames_that_fit(QImage(1280, 720, QImage.Format.Format_RGB32))
    assert small == CACHE_BYTES // (640 * 360 * 4) and large == CACHE_BYTES // (1280 * 720 * 4)
    assert 8 < large < small
    assert frames_that_fit(QImage(8000, 8000, QImage.Format.Format_RGB32)) == 8
