"""The workspace's inner layout, designed for laptop screens (1366x768, 1280x800) first.

By default the evidence list is a one-row strip above the viewers, the rubric (with the
notes and the written reflections in tabs behind it) is a column on the right, and the
viewers share the middle: at 1366x768 the lesson plan's page is shown at least
:data:`READABLE_PAGE_PX` wide beside a video at least :data:`VIDEO_MIN_PX` wide.

What the reviewer rearranges (docks, the split between video and document, the rubric
collapsed to the current criterion) is kept per screen size: a layout made on the laptop's
own screen is not forced onto a large monitor, and back.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

READABLE_PAGE_PX = 520  # an A4 page's body text reads (OCR measured) from about this width
VIDEO_MIN_PX = 480
# The document slot's width around a page fitted to its width: the slot's margins, the
# page view's grey margin either side, the vertical scroll bar and the frame.
DOCUMENT_CHROME_PX = 4 + 2 * 12 + 16 + 4
DOCUMENT_READABLE_PX = READABLE_PAGE_PX + DOCUMENT_CHROME_PX
MEDIA_READABLE_PX = VIDEO_MIN_PX + 4  # the slot's margins
RUBRIC_MIN_PX, RUBRIC_MAX_PX = 290, 460
LARGE_SHARE = 0.66  # "video large" / "document large": the large one's share of the width


def screen_key(widget: QWidget) -> str:
    """The size of the screen the window is on, e.g. ``1366x768`` (layouts are kept per size)."""
    screen = widget.screen()
    if screen is None:
        return "default"
    size = screen.size()
    return f"{size.width()}x{size.height()}"


def settings_key(widget: QWidget, name: str) -> str:
    return f"workspace/{screen_key(widget)}/{name}"


def rubric_width(window_width: int) -> int:
    """The rubric column's default width: what the viewers leave once the document is
    readable beside the video, within bounds that keep the rubric usable."""
    spare = window_width - DOCUMENT_READABLE_PX - MEDIA_READABLE_PX - 16  # handles, frames
    return max(RUBRIC_MIN_PX, min(RUBRIC_MAX_PX, spare))


def default_document_width(total: int) -> int:
    """The document's default share of the viewers' width ``total`` beside a video: half, or
    more when half would not make its page readable (as long as the video keeps its own)."""
    return max(total // 2, min(DOCUMENT_READABLE_PX, total - MEDIA_READABLE_PX))


def swapped_share(media: int, document: int) -> float:
    """The document's share after "swap sizes": document large when the video is the larger
    one (or they are even), video large otherwise."""
    return LARGE_SHARE if document <= media else 1 - LARGE_SHARE
