"""Paging for the PDF pane: which page is shown, at what size, and its image.

One page at a time: the current page is asked of the renderers at the current zoom and
shown from the cache, or a stand-in (a cached image at another zoom, or the thumbnail)
until it comes; the pages either side are drawn ahead once it is on screen. ``PagingMixin``
is mixed into ``PdfPane`` and works on its fields (``_page``, ``_want``, ``_shown``, ...).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QImage

from reviewer_app.gui.pdf.pdf_zoom import PX_PER_PT
from reviewer_app.gui.pdf.render_client import PRIORITY_PREFETCH, PRIORITY_VIEW, PageKey

PREFETCH_MAX_PIXELS = 8_000_000  # neighbours are drawn ahead only below this size


class PagingMixin:
    """The paging half of ``PdfPane`` (see the module docstring)."""

    def go_to_page(self, index: int, highlight: QRectF | None = None) -> None:
        """Show page ``index`` (0-based); with ``highlight`` (points, displayed
        orientation) draw that rectangle and scroll it into view. Called while the
        document is still opening, it is done as soon as the document is open."""
        focus = QRectF(highlight) if highlight is not None else None
        if self._info is None and self._doc is not None:
            self._pending_go = (int(index), focus)
            return
        self._go(index, focus=focus)

    def next_page(self) -> None:
        self._go(self._page + 1)

    def previous_page(self) -> None:
        self._go(self._page - 1)

    def first_page(self) -> None:
        self._go(0)

    def last_page(self) -> None:
        self._go(self.page_count() - 1)

    def _go(self, index: int, *, focus: QRectF | None = None, force: bool = False,
            hit_rects: list[QRectF] | None = None, to_bottom: bool = False) -> None:
        if self._info is None or self._info.page_count == 0:
            return
        index = max(0, min(int(index), self._info.page_count - 1))
        changed = index != self._page
        if focus is not None:
            self._focus = (index, focus)
        elif changed:
            self._focus = None  # a picked note's highlight stays until the page is left
        if not changed and not force:
            self._update_overlays()
            if focus is not None:
                self.view.ensure_rect_visible(focus)
            elif hit_rects:
                self.view.ensure_rect_visible(_union(hit_rects))
            return
        self._page = index
        self._show_page()
        if focus is not None:
            self.view.ensure_rect_visible(focus)
        elif hit_rects:
            self.view.ensure_rect_visible(_union(hit_rects))
        elif to_bottom:
            self.view.scroll_to_bottom()
        else:
            self.view.scroll_to_top()
        self.toolbar.show_page(index)
        self._select_thumb(index)
        self._update_controls()
        self.pageChanged.emit(index)

    def _flip(self, step: int) -> None:
        target = self._page + step
        if self._info is not None and 0 <= target < self._info.page_count:
            self._go(target, to_bottom=step < 0)

    def _select_thumb(self, index: int) -> None:
        model_index = self.thumb_model.index(index)
        selection = self.thumbs.selectionModel()
        if selection is not None:
            selection.blockSignals(True)
            self.thumbs.setCurrentIndex(model_index)
            selection.blockSignals(False)
            self.thumbs.viewport().update()
        self.thumbs.scrollTo(model_index)

    def _page_size(self, index: int) -> tuple[float, float]:
        assert self._info is not None
        return self._info.page_sizes[index]

    def _layout_page(self) -> None:
        """Size the canvas for the current page and zoom (the image is scaled meanwhile)."""
        w, h = self._page_size(self._page)
        scale = self._fit_scale(w, h)
        if self._fit is not None:
            self._zoom = scale / PX_PER_PT
        self.canvas.set_page(self._page, QSizeF(w, h), scale)
        self._show_zoom()

    def _show_page(self) -> None:
        self._layout_page()
        self._update_overlays()
        self._request_current()

    def _request_current(self) -> None:
        """Ask for the current page at the current zoom; show it from the cache, or a
        stand-in until it comes. Queued renders of other pages are dropped."""
        if self._info is None or self._doc is None or self._page < 0:
            return
        page = self._page
        self._layout_page()
        if page in self._info.unreadable_pages:
            self._want = None
            self.canvas.set_placeholder(f"Page {page + 1} could not be read.")
            self._fill_thumbnails()
            self.client.discard_pages(self._owner, self._doc)
            return
        zoom_px = self.canvas.scale() * self.devicePixelRatioF()
        key, image = self.client.render(self._doc, page, zoom_px, self._password, owner=self._owner,
                                        priority=PRIORITY_VIEW)
        self._want = key
        # Queued renders of other pages are dropped; the pages either side are drawn ahead
        # once this one is on screen (asked for now, they would slow it down).
        self.client.discard_pages(self._owner, self._doc, keep={key})
        if self._shown == key and self.canvas.page() == page and self.canvas.has_final_image():
            self._prefetch_neighbours()
            return  # already on screen
        if image is not None:
            self._show_image(image)
        else:
            stand_in = self.client.best_cached(self._doc, page, "page", near=key.zoom)
            if stand_in is None:
                stand_in = self.client.best_cached(self._doc, page, "thumb", near=key.zoom)
            self.canvas.set_image(stand_in, exact=False)
            self._shown = None

    def _show_image(self, image: QImage) -> None:
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self._shown = self._want
        self.canvas.set_image(image, exact=True)
        self._prefetch_neighbours()

    def _prefetch_neighbours(self) -> None:
        """Draw the pages either side of the one shown, at its zoom, so flipping is instant."""
        key = self._want
        if key is None or self._info is None or self._doc is None or key.doc != self._doc:
            return
        page, zoom_px = key.page, key.zoom
        w, h = self._page_size(page)
        if w * h * zoom_px * zoom_px > PREFETCH_MAX_PIXELS:
            return
        for other in (page + 1, page - 1):
            if 0 <= other < self._info.page_count and other not in self._info.unreadable_pages \
                    and other not in self._page_failures:
                self.client.render(self._doc, other, zoom_px, self._password, owner=self._owner,
                                   priority=PRIORITY_PREFETCH)

    def _on_page_ready(self, key: PageKey, image: object) -> None:
        if key == self._want:
            self._show_image(image)  # type: ignore[arg-type]
        elif (key.kind == "thumb" and key.doc == self._doc and key.page == self._page
              and self._want is not None and self.canvas.page() == key.page and self.canvas.image() is None
              and not self.canvas.placeholder()):
            self.canvas.set_image(image, exact=False)  # a blurred preview until the page comes

    def _on_page_failed(self, key: PageKey, message: str) -> None:
        if key != self._want:
            return
        self._want = None
        self._page_failures[key.page] = message
        self._fill_thumbnails()
        self.canvas.set_placeholder(f"Page {key.page + 1} could not be shown. {message}")
        self._set_message(f"Page {key.page + 1} could not be shown. {message}")
        self.failed.emit(message)

    def _on_painted(self, page: int) -> None:
        if page == self._page and self.canvas.has_final_image():
            self._fill_thumbnails()
            self.pageRendered.emit(page)

    def _fill_thumbnails(self) -> None:
        """Give the thumbnail strip its pages (once the document's first page is shown, or
        cannot be)."""
        if not self._thumbs_due or self._info is None:
            return
        self._thumbs_due = False
        info = self._info
        self.thumb_model.dpr = self.devicePixelRatioF()
        self.thumb_model.set_document(self._doc, info.page_sizes, self._password, info.unreadable_pages)
        if self._page >= 0:
            self._select_thumb(self._page)

    def _on_view_resized(self) -> None:
        if self._info is not None and self._page >= 0 and self._fit is not None:
            before = self.canvas.scale()
            self._layout_page()
            if abs(self.canvas.scale() - before) > 1e-6:
                self._refit.start()  # the right image once the resizing stops


def _union(rects: list[QRectF]) -> QRectF:
    out = QRectF(rects[0])
    for r in rects[1:]:
        out = out.united(r)
    return out
