"""Exact frames by counting, without libvlc or Qt: the count the engine keeps while libvlc
plays on from a key frame, fed with the times pictures were shown (as the display callback
stamps them) and whether each was the same picture as the one before."""

from __future__ import annotations

import pytest

from reviewer_app.gui.media.exact_count import (
    ExactCount,
    last_frame_ms,
    ms_of,
    next_ms,
    snap,
    start_ms_at_key,
)
from reviewer_app.render.mp4_timing import VideoTiming

FRAME_S = 0.04  # 25 fps


def timing(frames: int = 50, key_every: int = 25, frame_us: int = 40_000) -> VideoTiming:
    keys = tuple(i % key_every == 0 for i in range(frames))
    return VideoTiming(tuple(i * frame_us for i in range(frames)), keys, keys, False,
                       float(frame_us))


def started(count: ExactCount, t0: float = 100.0) -> float:
    """The key frame shown at ``t0``, libvlc resumed at once; returns when frame key + 1 is
    due."""
    count.key_shown(t0)
    count.resumed_at = t0
    return t0 + FRAME_S


def test_new_pictures_in_their_slots_count_up_to_the_frame() -> None:
    count = ExactCount(timing(), key=25, index=31)
    due = started(count)
    verdicts = []
    for n in range(6):
        verdicts.append(count.judge(False, due + n * FRAME_S + 0.003).verdict)
        if count.reached():
            break
    assert verdicts == ["counted"] * 6
    assert count.frame == 31 and count.reached()
    assert count.ms_of(count.frame) == 1240


def test_a_skipped_picture_makes_the_count_doubtful() -> None:
    count = ExactCount(timing(), key=0, index=10)
    due = started(count)
    assert count.judge(False, due).verdict == "counted"
    assert count.judge(False, due + FRAME_S).verdict == "counted"
    # The next picture comes two frames later: libvlc dropped one under load.
    judgement = count.judge(False, due + 3 * FRAME_S)
    assert judgement.verdict == "doubt"
    assert "frame 3 shown +40 ms from its time" in judgement.why
    assert count.frame == 2  # not counted


def test_a_repaint_between_two_frames_is_not_counted() -> None:
    count = ExactCount(timing(), key=0, index=10)
    due = started(count)
    assert count.judge(False, due).verdict == "counted"
    assert count.judge(True, due + 0.02).verdict == "repaint"   # half-way: a repaint
    assert count.judge(False, due + FRAME_S).verdict == "counted"
    assert count.frame == 2


def test_a_first_frame_long_after_resuming_is_doubted() -> None:
    count = ExactCount(timing(), key=0, index=10)
    started(count)
    judgement = count.judge(False, 100.0 + 0.2)
    assert judgement.verdict == "doubt" and "200 ms after resuming" in judgement.why
    assert count.count == 0


def test_on_a_still_picture_the_same_picture_a_frame_later_is_the_next_frame() -> None:
    count = ExactCount(timing(), key=0, index=10)
    started(count)
    # libvlc repaints the key frame soon after resuming (not counted), then shows the same
    # picture at the next frame's time (kept), then a new picture a frame after that.
    assert count.judge(True, 100.005).verdict == "repaint"
    assert count.judge(True, 100.040).verdict == "repaint"
    judgement = count.judge(False, 100.078)
    assert judgement.verdict == "alike"
    assert judgement.next_at == pytest.approx(100.040)
    count.count_alike(judgement.next_at)
    assert count.frame == 1 and count.ref_at == pytest.approx(100.040)
    # ... and the new picture is then the frame after, in its slot.
    assert count.judge(False, 100.078).verdict == "counted"
    assert count.frame == 2


def test_decoding_ahead_goes_one_frame_past_and_stops_at_the_last_frame() -> None:
    t = timing(frames=30)
    ahead = ExactCount(t, key=25, index=27, prepare=True)
    due = started(ahead)
    for n in range(2):
        ahead.judge(False, due + n * FRAME_S)
    assert ahead.frame == 27 and not ahead.reached()  # its neighbour is wanted too
    ahead.judge(False, due + 2 * FRAME_S)
    assert ahead.reached()
    last = ExactCount(t, key=25, index=29, prepare=True)
    due = started(last)
    for n in range(4):
        last.judge(False, due + n * FRAME_S)
    assert last.frame == 29 and last.reached()  # no frame after the last one


def test_frame_times_from_the_table_and_the_start_inside_a_key_frame() -> None:
    t = timing(frames=90, frame_us=33_367)  # 29.97 fps
    assert ms_of(t, 61) == 2035
    start = start_ms_at_key(t, 25)
    assert ms_of(t, 25) < start < ms_of(t, 26)


def test_frame_times_at_a_constant_rate_are_whole_ms_and_stay_in_their_frame() -> None:
    frame_ms = 1000 / 30
    assert snap(2033, frame_ms) == 2033      # frame 61's own (rounded) time is frame 61
    assert snap(2032, frame_ms) == 2000
    assert snap(2066, frame_ms) == 2033
    assert next_ms(2033, frame_ms) == 2067
    assert next_ms(2033, frame_ms, -2) == 1967
    assert last_frame_ms(10_000, 40.0) == 9960
    assert last_frame_ms(10_001, 40.0) == 10_000
    assert last_frame_ms(0, 40.0) == 0
