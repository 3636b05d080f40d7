"""The playback clock, without libvlc or Qt: the position of a playing video follows the time
since a picture was shown (a still picture brings no new ones), kept in step with libvlc's
own media time, which lags the picture and is updated every 250 ms."""

from __future__ import annotations

import pytest

from reviewer_app.gui.media.playback_clock import PlaybackClock


def test_the_clock_runs_from_the_picture_at_the_playback_rate() -> None:
    clock = PlaybackClock()
    assert clock.ms(10.0, 1.0) is None and not clock.watching
    clock.set_anchor(10.0, 4_000)
    assert clock.ms(12.5, 1.0) == pytest.approx(6_500)
    assert clock.ms(12.5, 2.0) == pytest.approx(9_000)
    clock.rerate(12.5, 9_000)  # twice as fast from here
    assert clock.anchor is None
    assert clock.ms(13.5, 2.0) == pytest.approx(11_000)


def test_libvlc_within_its_usual_lag_leaves_the_clock_alone() -> None:
    clock = PlaybackClock()
    clock.set_anchor(0.0, 0)
    clock.follow(700, 1.0, 1.0)    # the first reading is only remembered
    clock.follow(800, 1.1, 1.0)    # updated: 190 ms of lag added, 110 ms from the clock
    clock.follow(1_050, 1.35, 1.0)
    assert clock.ms(2.0, 1.0) == pytest.approx(2_000)
    assert clock.anchor == (0.0, 0)


def test_libvlc_far_off_twice_in_a_row_takes_the_clock() -> None:
    clock = PlaybackClock()
    clock.set_anchor(0.0, 0)
    clock.follow(100, 0.25, 1.0)
    clock.follow(3_000, 0.5, 1.0)   # libvlc jumped: once is not enough
    assert clock.ms(0.5, 1.0) == pytest.approx(500)
    clock.follow(3_250, 0.75, 1.0)  # twice: the clock follows libvlc (plus its lag)
    assert clock.ms(0.75, 1.0) == pytest.approx(3_440)
    assert clock.anchor == (0.75, 3_440)


def test_after_a_resume_the_clock_starts_with_libvlc_when_it_held_the_picture() -> None:
    on_time = PlaybackClock()
    on_time.resumed(5.0, 2_000)
    assert on_time.watching and on_time.ms(5.5, 1.0) is None
    on_time.follow(2_100, 5.2, 1.0)
    on_time.follow(2_350, 5.45, 1.0)  # libvlc went on at once: the clock runs from the resume
    assert on_time.ms(6.0, 1.0) == pytest.approx(3_000)

    held = PlaybackClock()
    held.resumed(5.0, 2_000)
    held.follow(2_000, 5.5, 0.25)
    held.follow(2_001, 6.5, 0.25)     # at 0.25x libvlc held the first picture for a while
    assert held.ms(6.5, 0.25) == pytest.approx(2_048.5)  # libvlc plus its lag, not 2,375
