"""``EvidenceViewer``: the workspace's middle, two viewer slots side by side (video and
audio on the left; PDFs, photos and written reflections on the right) and the division of
the width between them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QWidget

from reviewer_app.domain.model import EvidenceItem, EvidenceKind
from reviewer_app.gui.workspace.layout import default_document_width, swapped_share
from reviewer_app.gui.workspace.viewers import ImageView, TextView, ViewerSlot
from reviewer_app.store.context import AppContext


class EvidenceViewer(QSplitter):
    """Two slots side by side, so a reviewer can watch the lesson while reading the plan:
    video and audio play on the left, PDFs, photos and written reflections show on the right.
    An item opens in the slot of its kind; a slot with nothing to show hides.

    ``settled`` goes out once every pane loading since the last :meth:`reset` has shown its
    first picture or page, or said it cannot (work that can wait, waits for it)."""

    settled = Signal()
    leaving = Signal(object)  # EvidenceItem: about to be replaced in its slot (where was it left?)
    opened = Signal(object)  # EvidenceItem: just loaded in its slot

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        from reviewer_app.gui.media.media_pane import MediaPane
        from reviewer_app.gui.pdf.pdf_pane import PdfPane

        self.ctx = ctx
        self.media_slot = ViewerSlot(self)
        self.media = MediaPane(self.media_slot)
        self.media_slot.add(self.media)
        self.document_slot = ViewerSlot(self)
        self.pdf = PdfPane(self.document_slot)
        self.image = ImageView(self.document_slot)
        self.text = TextView(self.document_slot)
        for pane in (self.pdf, self.image, self.text):
            self.document_slot.add(pane)
        self.addWidget(self.media_slot)
        self.addWidget(self.document_slot)
        self.setChildrenCollapsible(False)
        self.media_item: EvidenceItem | None = None
        self.document_item: EvidenceItem | None = None
        self.current: EvidenceItem | None = None  # the item chosen last (notes go by use: note_taking)
        # Where a media item opens (the window's resume points); the start if unset.
        self.start_of: Callable[[EvidenceItem], int] | None = None
        self.media_slot.hide()
        self.document_slot.hide()
        self._loading: set[str] = set()
        # The document's share of the width beside a video, once the reviewer has dragged
        # the handle between them (kept in settings, and through window resizes).
        self.document_share: float | None = None
        self.splitterMoved.connect(self._moved)
        for signal in (self.media.frameShown, self.media.failed):
            signal.connect(lambda *_: self._shown("media"))
        self.media.loaded.connect(lambda: self._shown("media") if self.media.engine().is_audio() else None)
        for signal in (self.pdf.pageRendered, self.pdf.failed, self.pdf.passwordRequested):
            signal.connect(lambda *_: self._shown("document"))

    def _shown(self, slot: str) -> None:
        if slot in self._loading:
            self._loading.discard(slot)
            if not self._loading:
                self.settled.emit()

    def loading(self) -> bool:
        return bool(self._loading)

    def _both_shown(self) -> bool:
        return self.media_slot.isVisibleTo(self) and self.document_slot.isVisibleTo(self)

    def _moved(self, _pos: int, _index: int) -> None:
        media, document = self.sizes()
        if self._both_shown() and media + document > 0:
            self.document_share = document / (media + document)

    def apply_split(self) -> None:
        """The reviewer's division of the width, when both slots show (as far as the panes'
        smallest sizes allow); by default a readable page beside the video (see layout)."""
        total = sum(self.sizes())
        if not self._both_shown() or total <= 0:
            return
        if self.document_share is not None:
            document = round(total * self.document_share)
        else:
            document = default_document_width(total)
        self.setSizes([total - document, document])

    def swap_sizes(self) -> None:
        """Video large / document large, and back (the choice is kept like a dragged one)."""
        media, document = self.sizes()
        if not self._both_shown() or media + document <= 0:
            return
        self.document_share = swapped_share(media, document)
        self.apply_split()
        media, document = self.sizes()
        self.document_share = document / (media + document)  # as far as the minimums allowed

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        self.apply_split()

    def path(self, item: EvidenceItem) -> Path:
        return self.ctx.evidence.path_for(item.sha256)

    def shortcut_groups(self) -> set[str]:
        """The shortcut groups of the viewers on show (only they answer their keys)."""
        groups = set()
        if self.media_slot.isVisible() and self.media_slot.current() is self.media:
            groups.add("Playback")
        pane = self.document_slot.current() if self.document_slot.isVisible() else None
        if pane is self.pdf:
            groups.add("Document")
        elif pane is self.image:
            groups.add("Photo")
        return groups

    def item_shown(self, key: str) -> bool:
        return any(i is not None and i.key == key for i in (self.media_item, self.document_item))

    def show_item(self, item: EvidenceItem) -> None:
        self.current = item
        if item.kind in (EvidenceKind.VIDEO, EvidenceKind.AUDIO):
            self._show_media(item)
        else:
            self._show_document(item)

    def _missing(self, slot: ViewerSlot, item: EvidenceItem) -> bool:
        if self.path(item).is_file():
            return False
        slot.show_message(f"\u201c{item.title}\u201d is missing from this computer's evidence "
                          "store; import its package again to restore it.")
        return True

    def _show_media(self, item: EvidenceItem) -> None:
        self.media_slot.show()
        self.apply_split()
        if self.media_item is not None and self.media_item.key == item.key:
            return
        if self.media_item is not None:
            self.leaving.emit(self.media_item)
        self.media_item = item
        self.media_slot.set_title(item)
        if self._missing(self.media_slot, item):
            self.media.close_media()
            return
        self.media_slot.show_pane(self.media)
        self._loading.add("media")
        start = self.start_of(item) if self.start_of is not None else 0
        self.media.load(self.path(item), audio=item.kind is EvidenceKind.AUDIO, title=item.title,
                        start_ms=start)
        self.opened.emit(item)

    def _show_document(self, item: EvidenceItem) -> None:
        self.document_slot.show()
        self.apply_split()
        if self.document_item is not None and self.document_item.key == item.key:
            return
        if self.document_item is not None:
            self.leaving.emit(self.document_item)
        self.document_item = item
        self.document_slot.set_title(item)
        if self._missing(self.document_slot, item):
            return
        pane = {EvidenceKind.PDF: self.pdf, EvidenceKind.IMAGE: self.image}.get(item.kind, self.text)
        self.document_slot.show_pane(pane)
        if pane is self.pdf:
            self._loading.add("document")
        pane.load(self.path(item), **({"title": item.title} if pane is self.pdf else {}))
        self.opened.emit(item)

    def close_all(self) -> None:
        self.media.close_media()
        self.pdf.close_document()

    def reset(self) -> None:
        """Empty, for the next submission."""
        self.close_all()
        self.media_item = self.document_item = self.current = None
        self._loading.clear()
        self.media_slot.hide()
        self.document_slot.hide()
