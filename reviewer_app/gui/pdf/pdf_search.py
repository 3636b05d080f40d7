"""Text search for the PDF pane: the find bar's behaviour, the hits and stepping
through them.

``SearchMixin`` is mixed into ``PdfPane`` and works on its fields (``_hits``,
``_hit_index``, ``find_bar``, ...). The search itself runs in a renderer process
(``render.pdf.search``); its result comes back as a callback, ignored if the document
or the search has changed since.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QRectF, Qt, QTimer

from reviewer_app.gui.pdf.render_client import PRIORITY_INFO
from reviewer_app.render import pdf as pdf_render


class SearchMixin:
    """The search half of ``PdfPane`` (see the module docstring)."""

    def search(self, text: str) -> None:
        """Find ``text`` in the whole document (case-insensitive); ``searchFinished(hits)``,
        then the first hit at or after the current page is shown."""
        text = " ".join(str(text).split())
        if text:
            self.find_bar.show()  # the hit count is seen
        if self.search_edit.text() != text:
            self.search_edit.setText(text)
        self._searched = text
        self._search_gen += 1
        self._hits, self._hit_index = [], -1
        if text and self._info is None and self._doc is not None:
            self._pending_search = text  # still opening: searched once it is open
            self.hit_label.setText("Searching…")
            return
        if not text or self._info is None:
            self.hit_label.setText("")
            self._update_overlays()
            self._update_controls()
            QTimer.singleShot(0, lambda: self.searchFinished.emit(0))
            return
        self.hit_label.setText("Searching…")
        self.client.call(pdf_render.search, self._doc.path, text, self._password,  # type: ignore[union-attr]
                         callback=functools.partial(self._on_search, self._gen, self._search_gen),
                         owner=self._owner, priority=PRIORITY_INFO)

    def next_hit(self) -> None:
        self._step_hit(1)

    def previous_hit(self) -> None:
        self._step_hit(-1)

    def hits(self) -> list[pdf_render.Hit]:
        return list(self._hits)

    def current_hit(self) -> int:
        """Index of the hit shown, -1 if none."""
        return self._hit_index

    def focus_search(self) -> None:
        """Open the find bar (Ctrl+F) and put the cursor in it."""
        self.find_bar.show()
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def close_find(self) -> None:
        """Clear the search and hide the find bar; the page takes the keys again."""
        if self.search_edit.text() or self._hits:
            self.search_edit.clear()
            self.search("")
        self.find_bar.hide()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _search_entered(self) -> None:
        text = " ".join(self.search_edit.text().split())
        if text and text == self._searched and self._hits:
            self.next_hit()
        else:
            self.search(text)

    def _on_search(self, gen: int, search_gen: int, hits: list[pdf_render.Hit] | None,
                   error: str | None) -> None:
        if gen != self._gen or search_gen != self._search_gen:
            return
        self._hits = list(hits or [])
        if error:
            self.hit_label.setText("Search failed")
            self.hit_label.setToolTip(error)
        if self._hits:
            start = next((i for i, h in enumerate(self._hits) if h.page_index >= self._page), 0)
            self._show_hit(start)
        else:
            self._hit_index = -1
            if not error:
                self.hit_label.setText("No matches")
            self._update_overlays()
        self._update_controls()
        self.searchFinished.emit(len(self._hits))

    def _step_hit(self, step: int) -> None:
        if not self._hits:
            return
        n = len(self._hits)
        if 0 <= self._hit_index < n and self._hits[self._hit_index].page_index == self._page:
            self._show_hit((self._hit_index + step) % n)
            return
        # The reader has moved on from the hit shown: go on from the page they are on.
        if step > 0:
            index = next((i for i, h in enumerate(self._hits) if h.page_index >= self._page), 0)
        else:
            index = next((i for i in range(n - 1, -1, -1) if self._hits[i].page_index <= self._page), n - 1)
        self._show_hit(index)

    def _show_hit(self, index: int) -> None:
        self._hit_index = index
        hit = self._hits[index]
        self.hit_label.setText(f"{index + 1} of {len(self._hits)}")
        rects = [QRectF(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in hit.rects]
        self._go(hit.page_index, hit_rects=rects)
        self._update_overlays()
