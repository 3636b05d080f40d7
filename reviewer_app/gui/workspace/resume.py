"""Where the reviewer left each evidence item of a review (the video's time, the PDF's page
and zoom), so reopening the review, or coming back to the item, returns there.

Kept in the window settings of the data folder (``open_settings``: an INI file beside the
database, so ``--data-dir`` moves it too), keyed by review and item: a viewing position is
the reviewer's own, not part of the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer

from reviewer_app.domain.model import EvidenceItem, EvidenceKind

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.evidence_viewer import EvidenceViewer

# How long the first picture of a reopened video stays before the very frame is counted.
SETTLE_MS = 400


@dataclass(frozen=True)
class DocumentPoint:
    page: int
    fit: str | None  # "width", "page", or None for a set zoom
    zoom: float


class ResumePoints:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    @staticmethod
    def _key(review_uid: str, item_key: str, name: str) -> str:
        safe = item_key.replace("/", "_").replace("\\", "_")
        return f"resume/{review_uid}/{safe}/{name}"

    def save_media(self, review_uid: str, item_key: str, ms: int) -> None:
        self._settings.setValue(self._key(review_uid, item_key, "ms"), max(0, int(ms)))

    def media(self, review_uid: str, item_key: str) -> int | None:
        value = self._settings.value(self._key(review_uid, item_key, "ms"))
        try:
            return max(0, int(value)) if value is not None else None
        except (TypeError, ValueError):
            return None

    def save_document(self, review_uid: str, item_key: str, point: DocumentPoint) -> None:
        self._settings.setValue(self._key(review_uid, item_key, "page"), max(0, int(point.page)))
        self._settings.setValue(self._key(review_uid, item_key, "fit"), point.fit or "")
        self._settings.setValue(self._key(review_uid, item_key, "zoom"), float(point.zoom))

    def document(self, review_uid: str, item_key: str) -> DocumentPoint | None:
        page = self._settings.value(self._key(review_uid, item_key, "page"))
        if page is None:
            return None
        try:
            fit = str(self._settings.value(self._key(review_uid, item_key, "fit"), "width")) or None
            zoom = float(self._settings.value(self._key(review_uid, item_key, "zoom"), 1.0))
            return DocumentPoint(max(0, int(page)), fit if fit in ("width", "page") else None, zoom)
        except (TypeError, ValueError):
            return None

    # -- the viewers --------------------------------------------------------------------------
    def remember(self, review_uid: str, item: EvidenceItem, viewer: EvidenceViewer) -> None:
        """Keep where ``item`` is in its viewer (before another item replaces it, on closing)."""
        if item.kind in (EvidenceKind.VIDEO, EvidenceKind.AUDIO):
            if viewer.media.engine().is_ready():
                self.save_media(review_uid, item.key, viewer.media.position())
        elif item.kind is EvidenceKind.PDF:
            pdf = viewer.pdf
            if pdf.info() is not None and pdf.current_page() >= 0:
                self.save_document(review_uid, item.key,
                                   DocumentPoint(pdf.current_page(), pdf.fit_mode(), pdf.zoom()))

    def start_of(self, review_uid: str, item: EvidenceItem) -> int:
        """Where ``item``'s video or audio opens: where it was left (the viewer starts libvlc
        there, so reopening costs no more than opening at the start)."""
        if item.kind not in (EvidenceKind.VIDEO, EvidenceKind.AUDIO):
            return 0
        return self.media(review_uid, item.key) or 0

    def return_to(self, review_uid: str, item: EvidenceItem, viewer: EvidenceViewer) -> None:
        """Take ``item``, just loaded, back to where it was left (done once it is open)."""
        if item.kind is EvidenceKind.VIDEO:
            ms = self.media(review_uid, item.key)
            if ms:  # (opened there: see start_of)
                self._make_exact(viewer, item, ms)
        elif item.kind is EvidenceKind.PDF:
            point = self.document(review_uid, item.key)
            if point is None:
                return
            if point.fit == "page":
                viewer.pdf.fit_page()
            elif point.fit is None:
                viewer.pdf.set_zoom(point.zoom)
            else:
                viewer.pdf.fit_width()
            if point.page:
                viewer.pdf.go_to_page(point.page)

    @staticmethod
    def _make_exact(viewer: EvidenceViewer, item: EvidenceItem, ms: int) -> None:
        """The video opened at ``ms`` shows libvlc's nearest picture, which on files with
        B-frames can be a few frames early. The very frame is counted from its key frame (up
        to a key-frame interval of hidden playback), so that is done once the first picture
        is up and the video has been left alone for a moment (SETTLE_MS): the reviewer sees
        the video at once and then the very frame they left, unless they have played or moved
        it meanwhile."""
        media = viewer.media

        def settle(_shown: int) -> None:
            media.frameShown.disconnect(settle)
            if viewer.media_item is not item:
                return
            landed = media.position()

            def exact() -> None:
                if viewer.media_item is item and not media.engine().is_playing() \
                        and media.position() == landed:
                    media.seek(ms, exact=True)

            QTimer.singleShot(SETTLE_MS, media, exact)

        media.frameShown.connect(settle)
