"""The PDF pane's zoom box and password tries, as plain functions (no document needed)."""

from __future__ import annotations

import pytest

from reviewer_app.gui.pdf.pdf_password import MAX_PASSWORD_TRIES, wrong_password_prompt
from reviewer_app.gui.pdf.pdf_zoom import MAX_ZOOM, MIN_ZOOM, parse_zoom, zoom_step_in, zoom_step_out


@pytest.mark.parametrize(("typed", "wanted"), [
    ("150%", 1.5), (" 80 % ", 0.8), ("80,5", 0.805), ("12.5%", 0.125),
    ("Fit width", "width"), ("fit W", "width"), ("FIT PAGE", "page"),
    ("", None), ("big", None), ("-50%", None), ("1e3", None), ("50%%", None),
])
def test_what_a_reader_types_in_the_zoom_box(typed: str, wanted: object):
    assert parse_zoom(typed) == wanted


def test_zoom_steps_go_to_the_next_step_and_stop_at_the_ends():
    assert zoom_step_in(1.0) == 1.1 and zoom_step_out(1.0) == 0.9
    assert zoom_step_in(1.05) == 1.1 and zoom_step_out(1.05) == 1.0  # off-step zooms snap
    assert zoom_step_in(MAX_ZOOM) == MAX_ZOOM and zoom_step_out(MIN_ZOOM) == MIN_ZOOM


def test_wrong_passwords_count_down_then_give_up():
    prompts = [wrong_password_prompt(t) for t in range(1, MAX_PASSWORD_TRIES + 1)]
    assert prompts[:-1] == ["That password is not correct. Try again (2 tries left).",
                            "That password is not correct. Try again (1 try left)."]
    assert prompts[-1] is None
