"""``PdfPane``: the PDF evidence viewer reviewers read lesson plans in.

One page at a time (fast flipping; the wheel turns the page past its end), fit width, fit
page and zoom, a strip of thumbnails, page navigation, text search with the hits
highlighted, reviewers' notes drawn on their pages, and a "select region" mode that
anchors a note to a rectangle on a page.

The GUI thread never runs PyMuPDF: opening, drawing and searching are jobs for the
renderer processes (``render_client``), whose results come back as signals. A problem
is never a dialog and never an exception: the pane shows it in plain words in a banner
(``message()``) and emits ``failed(message)``.

The pane is built of pieces: the toolbar and find bar (``pdf_toolbar``), paging
(``pdf_paging``), zoom (``pdf_zoom``), search (``pdf_search``) and the password row
(``pdf_password``); this module opens and closes documents and ties them together.

Sizes: zoom 1.0 is 100 %, a page at its real size on a 96 dpi screen
(``PX_PER_PT`` logical pixels per point); rectangles in the API are in PDF points in the
page's displayed (rotated) orientation, origin top left.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QRectF, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QToolButton, QVBoxLayout, QWidget

from reviewer_app.gui.pdf.page_view import PageView
from reviewer_app.gui.pdf.pdf_paging import PagingMixin
from reviewer_app.gui.pdf.pdf_password import (
    MAX_PASSWORD_TRIES,
    PASSWORD_GIVEN_UP,
    PasswordMixin,
    PasswordRow,
)
from reviewer_app.gui.pdf.pdf_search import SearchMixin
from reviewer_app.gui.pdf.pdf_toolbar import DEFAULT_SHORTCUTS, FindBar, PdfToolbar, build_actions
from reviewer_app.gui.pdf.pdf_zoom import PX_PER_PT, ZoomMixin
from reviewer_app.gui.pdf.render_client import (
    PRIORITY_INFO,
    DocRef,
    PageKey,
    RenderClient,
    shared_client,
)
from reviewer_app.gui.pdf.thumbnails import ThumbnailModel, ThumbnailStrip
from reviewer_app.render import pdf as pdf_render

__all__ = ["DEFAULT_SHORTCUTS", "MAX_PASSWORD_TRIES", "PASSWORD_GIVEN_UP", "PX_PER_PT", "PdfPane"]

THUMBS_MIN_PANE_WIDTH = 700  # narrower, the thumbnail strip hides: the page needs the room


class PdfPane(PagingMixin, ZoomMixin, SearchMixin, PasswordMixin, QWidget):
    """A PDF viewer for evidence; see the module docstring."""

    pageChanged = Signal(int)
    pageRendered = Signal(int)  # the page's image is on screen (painted; or ready, when hidden)
    searchFinished = Signal(int)  # number of hits
    failed = Signal(str)
    loaded = Signal(int)  # page count
    regionSelected = Signal(int, QRectF)  # page, rectangle in points
    passwordRequested = Signal(str)  # the prompt shown (no password yet, or a wrong one)

    def __init__(self, parent: QWidget | None = None, *, client: RenderClient | None = None,
                 shortcuts: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(parent)
        self.client = client or shared_client()
        self._owner = self.client.new_owner()
        self._doc: DocRef | None = None
        self._title = ""
        self._password: str | None = None
        self._info: pdf_render.DocInfo | None = None
        self._gen = 0  # bumps on every load/close: stale callbacks are ignored
        self._search_gen = 0
        self._tries = 0
        self._page = -1
        self._zoom = 1.0
        self._fit: str | None = "width"
        self._want: PageKey | None = None  # the render the canvas waits for
        self._shown: PageKey | None = None  # the render the canvas shows
        self._message = ""
        self._hits: list[pdf_render.Hit] = []
        self._hit_index = -1
        self._searched = ""
        self._notes: list[tuple[int, QRectF, str]] = []
        self._pending_go: tuple[int, QRectF | None] | None = None  # asked for while opening
        self._pending_search = ""
        self._focus: tuple[int, QRectF] | None = None
        self._page_failures: dict[int, str] = {}
        self._thumbs_due = False  # the strip gets its pages once the first page is shown
        self._thumbs_wanted = False  # a document is open (the strip shows if there is room)

        self.pdf_actions: dict[str, QAction] = build_actions(self, shortcuts or DEFAULT_SHORTCUTS, {
            "first_page": self.first_page, "prev_page": self.previous_page,
            "next_page": self.next_page, "last_page": self.last_page,
            "zoom_out": self.zoom_out, "zoom_in": self.zoom_in,
            "fit_width": self.fit_width, "fit_page": self.fit_page,
            "find": self.focus_search, "prev_hit": self.previous_hit, "next_hit": self.next_hit,
        })
        self.pdf_actions["select_region"].toggled.connect(self._region_toggled)
        self._build_ui()
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(100)
        self._refit.timeout.connect(self._request_current)
        self.client.pageReady.connect(self._on_page_ready)
        self.client.pageFailed.connect(self._on_page_failed)
        client_ref, owner = self.client, self._owner
        self.destroyed.connect(lambda *_: client_ref.release(owner))
        self._update_controls()

    # ------------------------------------------------------------------ building

    def _build_ui(self) -> None:
        self.toolbar = PdfToolbar(self.pdf_actions, self)
        self.page_box = self.toolbar.page_box
        self.page_box.valueChanged.connect(lambda v: self.go_to_page(v - 1) if v else None)
        self.zoom_box = self.toolbar.zoom_box
        self.zoom_box.activated.connect(self._zoom_chosen)
        self.zoom_box.lineEdit().returnPressed.connect(self._zoom_typed)

        # Find opens a bar of its own under it (Ctrl+F), with the number of hits.
        self.find_bar = FindBar(self.pdf_actions, self)
        self.search_edit = self.find_bar.search_edit
        self.hit_label = self.find_bar.hit_label
        self.find_bar.entered.connect(self._search_entered)
        self.find_bar.previousRequested.connect(self.previous_hit)
        self.find_bar.closeRequested.connect(self.close_find)
        self.tool_buttons: dict[str, QToolButton] = {**self.toolbar.buttons, **self.find_bar.buttons}

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel { background: #fff4ce; color: #3b2f00; border: 1px solid #e3c766;"
                                  " border-radius: 3px; padding: 6px 8px; }")
        self.banner.hide()

        self.password_row = PasswordRow(self)
        self.password_row.submitted.connect(self.submit_password)
        self.password_row.cancelled.connect(self.cancel_password)
        self.password_edit = self.password_row.edit
        self.password_ok = self.password_row.ok
        self.password_cancel = self.password_row.cancel

        self.view = PageView(self)
        self.canvas = self.view.canvas
        self.canvas.painted.connect(self._on_painted)
        self.canvas.regionSelected.connect(self._on_region)
        self.view.flipRequested.connect(self._flip)
        self.view.zoomRequested.connect(lambda d: self.zoom_in() if d > 0 else self.zoom_out())
        self.view.resized.connect(self._on_view_resized)

        self.thumb_model = ThumbnailModel(self.client, self._owner, self)
        self.thumbs = ThumbnailStrip(self.thumb_model, self)
        self.thumbs.clicked.connect(lambda index: self.go_to_page(index.row()))
        self.thumbs.activated.connect(lambda index: self.go_to_page(index.row()))

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.thumbs)
        self.splitter.addWidget(self.view)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([self.thumbs.minimumWidth(), 800])
        self.thumbs.hide()  # shown while a document is open

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.find_bar)
        inner = QVBoxLayout()
        inner.setContentsMargins(4, 0, 4, 0)
        inner.setSpacing(4)
        inner.addWidget(self.banner)
        inner.addWidget(self.password_row)
        layout.addLayout(inner)
        layout.addWidget(self.splitter, 1)
        self.setFocusProxy(self.view)

    # ------------------------------------------------------------------ public API

    def load(self, path: Path | str, title: str = "") -> None:
        """Open a PDF (asynchronously): ``loaded(page_count)`` when its first page is
        laid out, or a message and ``failed(message)``."""
        self.close_document()
        self._doc = DocRef.of(path)
        self._title = title or Path(path).name
        self.setWindowTitle(self._title)
        self.canvas.set_page(-1, QSizeF(595, 842), self._fit_scale(595, 842))
        self.canvas.set_placeholder(f"Opening {Path(path).name}…")
        self._open(None)

    def title(self) -> str:
        return self._title

    def page_count(self) -> int:
        return self._info.page_count if self._info else 0

    def current_page(self) -> int:
        return self._page

    def set_highlights(self, highlights: list[tuple[int, QRectF, str]]) -> None:
        """Reviewers' notes drawn on their pages: (page, rectangle in points, label). They
        belong to the document: ``load()`` and ``close_document()`` clear them."""
        self._notes = [(int(p), QRectF(r), str(label)) for p, r, label in highlights]
        self.thumb_model.set_notes(self._notes)
        self._update_overlays()

    def set_region_mode(self, on: bool) -> None:
        """While on, dragging on the page selects a rectangle: ``regionSelected(page, rect)``."""
        self.pdf_actions["select_region"].setChecked(bool(on))

    def region_mode(self) -> bool:
        return self.pdf_actions["select_region"].isChecked()

    def message(self) -> str:
        """The plain-words message the pane shows, "" if none."""
        return self._message

    def close_document(self) -> None:
        """Forget the document: nothing shown, pending work dropped."""
        self._gen += 1
        self._search_gen += 1
        self.client.release(self._owner)
        self._doc, self._info, self._password, self._tries = None, None, None, 0
        self._page, self._want, self._shown = -1, None, None
        self._hits, self._hit_index, self._searched = [], -1, ""
        self._focus = None
        self._notes = []
        self._pending_go, self._pending_search = None, ""
        self._page_failures = {}
        self.hit_label.setText("")
        self.password_row.hide()
        self._set_message("")
        self.thumb_model.set_document(None)
        self._thumbs_due = False
        self._thumbs_wanted = False
        self.thumbs.hide()
        self.canvas.clear()
        self.toolbar.show_page_count(0)
        self._update_controls()

    def document_path(self) -> str | None:
        return self._doc.path if self._doc else None

    def info(self) -> pdf_render.DocInfo | None:
        return self._info

    def page_image_shown(self) -> bool:
        """Whether the current page's final image is on the canvas."""
        return self.canvas.has_final_image()

    # ------------------------------------------------------------------ opening

    def _open(self, password: str | None) -> None:
        assert self._doc is not None
        self.client.call(pdf_render.open_info, self._doc.path, password,
                         callback=functools.partial(self._on_info, self._gen, password),
                         owner=self._owner, priority=PRIORITY_INFO)

    def _on_info(self, gen: int, password: str | None, info: pdf_render.DocInfo | None,
                 error: str | None) -> None:
        if gen != self._gen or self._doc is None:
            return
        self.password_row.set_busy(False)
        if info is None:
            self._fail(error or "This PDF could not be opened.")
            return
        if info.needs_password:
            if password is None:
                self._ask_password(pdf_render.NEEDS_PASSWORD)
            else:
                self._wrong_password()
            return
        if info.error:
            self._fail(info.error)
            return
        self.password_row.hide()
        self._password = password
        self._info = info
        n = info.page_count
        self.toolbar.show_page_count(n)
        # The strip takes its place now (the page is fitted beside it) but fills in once the
        # page is on screen: its thumbnails would only delay the page.
        self._thumbs_due = True
        self._thumbs_wanted = True
        self._place_thumbs()
        self.splitter.refresh()  # lay out now: the first page is sized for the view it gets
        bad = info.unreadable_pages
        self._set_message(pdf_render.unreadable_message(info))
        pending, self._pending_go = self._pending_go, None
        if pending is not None:
            self._go(pending[0], focus=pending[1], force=True)
        else:
            self._go(next((i for i in range(n) if i not in bad), 0), force=True)
        self._update_controls()
        self.loaded.emit(n)
        search, self._pending_search = self._pending_search, ""
        if search:
            self.search(search)

    def _fail(self, message: str) -> None:
        self.canvas.set_page(-1, QSizeF(595, 842), self.canvas.scale())
        self.canvas.set_placeholder("")
        self._thumbs_wanted = False
        self.thumbs.hide()
        self._set_message(message)
        self._update_controls()
        self.failed.emit(message)

    def _set_message(self, text: str) -> None:
        self._message = text
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _place_thumbs(self) -> None:
        """The thumbnail strip shows while a document is open, if the pane is wide enough
        to keep a readable page beside it."""
        self.thumbs.setVisible(self._thumbs_wanted and self.width() >= THUMBS_MIN_PANE_WIDTH)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._thumbs_wanted:
            self._place_thumbs()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._info is not None and self._page >= 0:
            self._refit.start()

    # ------------------------------------------------------------------ overlays

    def _update_overlays(self) -> None:
        page = self._page
        c = self.canvas
        c.hits, c.current_hit = [], []
        for i, hit in enumerate(self._hits):
            if hit.page_index != page:
                continue
            rects = [QRectF(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in hit.rects]
            (c.current_hit if i == self._hit_index else c.hits).extend(rects)
        c.notes = [(r, label) for p, r, label in self._notes if p == page]
        c.focus_rect = self._focus[1] if self._focus and self._focus[0] == page else None
        c.update()

    def _region_toggled(self, on: bool) -> None:
        self.canvas.set_region_mode(on)

    def _on_region(self, rect: QRectF) -> None:
        if self._page >= 0:
            self.regionSelected.emit(self._page, rect)

    # ------------------------------------------------------------------ controls

    def _update_controls(self) -> None:
        has_doc = self._info is not None and self._info.page_count > 0
        n, p = self.page_count(), self._page
        a = self.pdf_actions
        a["first_page"].setEnabled(has_doc and p > 0)
        a["prev_page"].setEnabled(has_doc and p > 0)
        a["next_page"].setEnabled(has_doc and p < n - 1)
        a["last_page"].setEnabled(has_doc and p < n - 1)
        for name in ("zoom_in", "zoom_out", "fit_width", "fit_page", "find", "select_region"):
            a[name].setEnabled(has_doc)
        a["next_hit"].setEnabled(bool(self._hits))
        a["prev_hit"].setEnabled(bool(self._hits))
        self.page_box.setEnabled(has_doc)
        self.zoom_box.setEnabled(has_doc)
        self.search_edit.setEnabled(has_doc)
