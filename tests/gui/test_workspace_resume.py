"""Reopening a review returns each evidence item to where the reviewer left it: the video
to its time (the very frame), the PDF to its page and zoom; so does coming back to an item
after looking at another in the same place."""

from __future__ import annotations

import pytest

from test_media_pane import BLUE, assert_colour, needs_vlc
from workspace_support import make_workspace

WAIT = 20_000


def _opened(qtbot, ws) -> None:
    viewer = ws.viewer
    qtbot.waitUntil(lambda: viewer.pdf.page_image_shown() and viewer.media.current_frame() is not None
                    and viewer.media.engine().settled(), timeout=WAIT)


@needs_vlc
def test_a_reopened_review_returns_to_the_time_page_and_zoom_left(qtbot, demo_ctx):
    first = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    _opened(qtbot, first)
    media, pdf = first.viewer.media, first.viewer.pdf
    with qtbot.waitSignal(media.frameShown, timeout=WAIT):
        media.seek(12_480, exact=True)
    pdf.set_zoom(1.5)
    pdf.go_to_page(2)
    qtbot.waitUntil(pdf.page_image_shown, timeout=WAIT)
    first.close()

    second = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    media, pdf = second.viewer.media, second.viewer.pdf
    qtbot.waitUntil(lambda: pdf.current_page() == 2 and pdf.page_image_shown(), timeout=WAIT)
    assert pdf.fit_mode() is None and pdf.zoom() == pytest.approx(1.5)
    qtbot.waitUntil(lambda: media.position() == 12_480 and media.engine().settled(), timeout=WAIT)
    assert_colour(media.current_frame(), BLUE)  # the picture of 12.48 s, not the first one

    # Another review of the same submission's items starts at the beginning.
    other = make_workspace(qtbot, demo_ctx, "DEMO-1001")
    qtbot.waitUntil(lambda: other.viewer.pdf.page_image_shown(), timeout=WAIT)
    assert other.viewer.pdf.current_page() == 0
    other.close()
    second.close()


def test_coming_back_to_a_document_returns_to_its_page(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    pdf = ws.viewer.pdf
    qtbot.waitUntil(pdf.page_image_shown, timeout=WAIT)
    pdf.go_to_page(3)
    plan = ws.viewer.document_item
    photo = next(e for e in ws.detail.evidence if e.kind.value in ("image", "text") and e.key != plan.key)
    ws.evidence.select(photo.key)
    assert ws.viewer.document_item.key == photo.key
    ws.evidence.select(plan.key)
    qtbot.waitUntil(lambda: pdf.current_page() == 3 and pdf.page_image_shown(), timeout=WAIT)
    ws.close()
