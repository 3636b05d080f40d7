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

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.window import WorkspaceWindow

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


class InnerLayout:
    """The workspace window's docks, viewer split and rubric mode: the defaults above, and
    the reviewer's own, kept per screen size (the window's own size is not kept here)."""

    def __init__(self, window: WorkspaceWindow, state_version: int) -> None:
        self.window, self.version = window, state_version
        self.sized = False  # the default dock sizes are set on the first show
        self.following: int | None = None  # the rubric width set by default, while it holds
        dock = window.docks["evidence"]
        dock.setFeatures(dock.features() | QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar)
        dock.dockLocationChanged.connect(self.evidence_placed)
        dock.topLevelChanged.connect(lambda _floating: self.evidence_placed(window.dockWidgetArea(dock)))

    def _key(self, name: str) -> str:
        return settings_key(self.window, name)

    def restore(self) -> None:
        w, settings = self.window, self.window.settings
        state = settings.value(self._key("state"))
        self.sized = isinstance(state, QByteArray) and w.restoreState(state, self.version)
        try:
            share = float(settings.value(self._key("documentShare"), -1))
        except (TypeError, ValueError):
            share = -1
        w.viewer.document_share = share if 0 < share < 1 else None
        compact = str(settings.value(self._key("rubricCompact"), "")).lower() == "true"
        w.compact_action.setChecked(compact)
        if w.rubric is not None:
            w.rubric.set_compact(compact)

    def save(self) -> None:
        w, settings = self.window, self.window.settings
        settings.setValue(self._key("state"), w.saveState(self.version))
        if w.viewer.document_share is not None:
            settings.setValue(self._key("documentShare"), w.viewer.document_share)
        settings.setValue(self._key("rubricCompact"), w.compact_action.isChecked())

    def panels_bound(self) -> None:
        """The submission's panels are in their docks: give them the layout's modes."""
        w = self.window
        self.evidence_placed(w.dockWidgetArea(w.docks["evidence"]))
        w.rubric.set_compact(w.compact_action.isChecked())

    def evidence_placed(self, area: Qt.DockWidgetArea) -> None:
        """A strip above or below the viewers; a list when docked at a side or floating."""
        w = self.window
        if w.evidence is not None:
            w.evidence.set_strip(not w.docks["evidence"].isFloating() and area in (
                Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea))

    def default_sizes(self) -> None:
        """The rubric column as wide as the viewers can spare; the strip as low as it goes."""
        w = self.window
        self.following = rubric_width(w.width())
        w.resizeDocks([w.docks["rubric"]], [self.following], Qt.Orientation.Horizontal)
        w.resizeDocks([w.docks["evidence"]], [w.docks["evidence"].minimumSizeHint().height()],
                      Qt.Orientation.Vertical)

    def shown(self) -> None:
        if not self.sized:
            self.sized = True
            QTimer.singleShot(0, self.default_sizes)  # once the window has its size

    def resized(self) -> None:
        """The default sizes follow the window's size (maximised just after it shows, a
        window built ahead and shown later) until the reviewer moves the rubric's edge."""
        if self.following is not None:
            if abs(self.window.docks["rubric"].width() - self.following) <= 2:
                QTimer.singleShot(0, self.default_sizes)
            else:
                self.following = None  # the reviewer's own width from now on

    def reset(self, default_state: QByteArray, version: int) -> None:
        w = self.window
        for dock in w.docks.values():
            dock.setFloating(False)
            dock.show()
        w.restoreState(default_state, version)
        w.docks["rubric"].raise_()
        for name in ("state", "documentShare", "rubricCompact"):
            w.settings.remove(self._key(name))
        w.viewer.document_share = None
        w.compact_action.setChecked(False)
        if w.rubric is not None:
            w.rubric.set_compact(False)
        self.default_sizes()
        w.viewer.apply_split()
