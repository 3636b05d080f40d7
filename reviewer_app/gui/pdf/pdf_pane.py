"""``PdfPane``: the PDF evidence viewer reviewers read lesson plans in.

One page at a time (fast flipping; the wheel turns the page past its end), fit width, fit
page and zoom, a strip of thumbnails, page navigation, text search with the hits
highlighted, reviewers' notes drawn on their pages, and a "select region" mode that
anchors a note to a rectangle on a page.

The GUI thread never runs PyMuPDF: opening, drawing and searching are jobs for the
renderer processes (``render_client``), whose results come back as signals. A problem
is never a dialog and never an exception: the pane shows it in plain words in a banner
(``message()``) and emits ``failed(message)``.

Sizes: zoom 1.0 is 100 %, a page at its real size on a 96 dpi screen
(``PX_PER_PT`` logical pixels per point); rectangles in the API are in PDF points in the
page's displayed (rotated) orientation, origin top left.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRectF, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QImage,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.pdf.page_view import MARGIN, PageView
from reviewer_app.gui.pdf.render_client import (
    PRIORITY_INFO,
    PRIORITY_PREFETCH,
    PRIORITY_VIEW,
    DocRef,
    PageKey,
    RenderClient,
    shared_client,
)
from reviewer_app.gui.pdf.thumbnails import ThumbnailModel, ThumbnailStrip
from reviewer_app.render import pdf as R

PX_PER_PT = 96 / 72
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ZOOM_STEPS = (0.1, 0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
ZOOM_CHOICES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
PREFETCH_MAX_PIXELS = 8_000_000  # neighbours are drawn ahead only below this size
THUMBS_MIN_PANE_WIDTH = 700  # narrower, the thumbnail strip hides: the page needs the room
MAX_PASSWORD_TRIES = 3

PASSWORD_GIVEN_UP = "This PDF is password-protected and cannot be opened without its password."

# Laptop-friendly (no numpad), and clear of the video pane's keys (Space J K L I O M [ ] , .)
# and of the rubric's digits 1-9. The first of each list is the one shown in tooltips.
DEFAULT_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "next_page": ("PgDown", "N"),
    "prev_page": ("PgUp", "P"),
    "first_page": ("Home",),
    "last_page": ("End",),
    "zoom_in": ("Ctrl+=", "Ctrl++"),
    "zoom_out": ("Ctrl+-",),
    "fit_width": ("W",),
    "fit_page": ("F",),
    "find": ("Ctrl+F",),
    "next_hit": ("F3", "Ctrl+G"),
    "prev_hit": ("Shift+F3", "Ctrl+Shift+G"),
    "select_region": ("R",),
}


class _SearchKeys(QObject):
    """Shift+Enter in the search box goes to the previous hit, Escape closes the find bar."""

    def __init__(self, pane: PdfPane) -> None:
        super().__init__(pane)
        self.pane = pane

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.pane.previous_hit()
                else:
                    self.pane._search_entered()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.pane.close_find()
                return True
        return False


class PdfPane(QWidget):
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
        self._info: R.DocInfo | None = None
        self._gen = 0  # bumps on every load/close: stale callbacks are ignored
        self._search_gen = 0
        self._tries = 0
        self._page = -1
        self._zoom = 1.0
        self._fit: str | None = "width"
        self._want: PageKey | None = None  # the render the canvas waits for
        self._shown: PageKey | None = None  # the render the canvas shows
        self._message = ""
        self._hits: list[R.Hit] = []
        self._hit_index = -1
        self._searched = ""
        self._notes: list[tuple[int, QRectF, str]] = []
        self._pending_go: tuple[int, QRectF | None] | None = None  # asked for while opening
        self._pending_search = ""
        self._focus: tuple[int, QRectF] | None = None
        self._page_failures: dict[int, str] = {}
        self._thumbs_due = False  # the strip gets its pages once the first page is shown
        self._thumbs_wanted = False  # a document is open (the strip shows if there is room)

        self._build_ui()
        self.pdf_actions: dict[str, QAction] = {}
        self._build_actions(shortcuts or DEFAULT_SHORTCUTS)
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
        # A row of buttons, not a QToolBar: a toolbar hides what does not fit behind an
        # overflow chevron, and page navigation and zoom must stay in sight on a laptop.
        self.toolbar = QWidget(self)
        self.toolbar.setObjectName("pdfToolbar")
        # Find opens a bar of its own under it (Ctrl+F), with the number of hits.
        self.find_bar = QWidget(self)
        self.find_bar.setObjectName("pdfFindBar")
        self.find_bar.hide()

        self.page_box = QSpinBox(self)
        self.page_box.setKeyboardTracking(False)
        self.page_box.setRange(0, 0)
        self.page_box.setSuffix(" / 0")
        self.page_box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.page_box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.page_box.setToolTip("Page number: type one and press Enter")
        self.page_box.setMinimumWidth(self.page_box.fontMetrics().horizontalAdvance("888 / 888") + 16)
        self.page_box.valueChanged.connect(lambda v: self.go_to_page(v - 1) if v else None)

        self.zoom_box = QComboBox(self)
        self.zoom_box.setEditable(True)
        self.zoom_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zoom_box.addItem("Fit width", "width")
        self.zoom_box.addItem("Fit page", "page")
        for z in ZOOM_CHOICES:
            self.zoom_box.addItem(f"{round(z * 100)}%", z)
        self.zoom_box.setToolTip("Zoom: pick one, or type a percentage and press Enter")
        self.zoom_box.setMinimumContentsLength(7)
        self.zoom_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.zoom_box.activated.connect(self._zoom_chosen)
        self.zoom_box.lineEdit().returnPressed.connect(self._zoom_typed)

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Find in PDF")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setObjectName("pdfSearch")
        self.search_edit.setMinimumWidth(100)
        self.search_edit.installEventFilter(_SearchKeys(self))
        self.hit_label = QLabel(self)
        self.hit_label.setMinimumWidth(self.hit_label.fontMetrics().horizontalAdvance("888 of 888") + 8)

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel { background: #fff4ce; color: #3b2f00; border: 1px solid #e3c766;"
                                  " border-radius: 3px; padding: 6px 8px; }")
        self.banner.hide()

        self.password_row = QWidget(self)
        row = QHBoxLayout(self.password_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.password_label = QLabel("Password:", self.password_row)
        self.password_edit = QLineEdit(self.password_row)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        self.password_edit.setMaximumWidth(260)
        self.password_edit.returnPressed.connect(lambda: self.submit_password(self.password_edit.text()))
        self.password_ok = QPushButton("Open", self.password_row)
        self.password_ok.clicked.connect(lambda: self.submit_password(self.password_edit.text()))
        self.password_cancel = QPushButton("Cancel", self.password_row)
        self.password_cancel.clicked.connect(self.cancel_password)
        row.addWidget(self.password_label)
        row.addWidget(self.password_edit)
        row.addWidget(self.password_ok)
        row.addWidget(self.password_cancel)
        row.addStretch(1)
        self.password_row.hide()

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

    def _build_actions(self, shortcuts: dict[str, tuple[str, ...]]) -> None:
        style = self.style()
        icon = style.standardIcon
        specs = [
            ("first_page", "First page", icon(QStyle.StandardPixmap.SP_MediaSkipBackward), self.first_page),
            ("prev_page", "Previous page", icon(QStyle.StandardPixmap.SP_ArrowUp), self.previous_page),
            ("next_page", "Next page", icon(QStyle.StandardPixmap.SP_ArrowDown), self.next_page),
            ("last_page", "Last page", icon(QStyle.StandardPixmap.SP_MediaSkipForward), self.last_page),
            ("zoom_out", "Zoom out", None, self.zoom_out),
            ("zoom_in", "Zoom in", None, self.zoom_in),
            ("fit_width", "Fit width", None, self.fit_width),
            ("fit_page", "Fit page", None, self.fit_page),
            ("select_region", "Select region", None, None),
            ("find", "Find", None, self.focus_search),
            ("prev_hit", "Previous match", None, self.previous_hit),
            ("next_hit", "Next match", None, self.next_hit),
        ]
        texts = {"zoom_out": "−", "zoom_in": "+", "prev_hit": "▲", "next_hit": "▼",
                 "select_region": "Region", "find": "Find"}
        for name, label, ic, slot in specs:
            action = QAction(label, self)
            if ic is not None:
                action.setIcon(ic)
            action.setIconText(texts.get(name, label))
            keys = [QKeySequence(k) for k in shortcuts.get(name, [])]
            action.setShortcuts(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            tip = label + (f" ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})" if keys else "")
            action.setToolTip(tip)
            if slot is not None:
                action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.addAction(action)
            self.pdf_actions[name] = action
        region = self.pdf_actions["select_region"]
        region.setCheckable(True)
        region.toggled.connect(self._region_toggled)
        region.setToolTip(region.toolTip() + ": drag a rectangle on the page to anchor a note")

        a = self.pdf_actions
        self.tool_buttons: dict[str, QToolButton] = {}

        def button(name: str) -> QToolButton:
            b = QToolButton(self)
            b.setObjectName(f"pdf_{name}Button")
            b.setDefaultAction(a[name])
            b.setAutoRaise(True)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.setAccessibleName(a[name].text())
            self.tool_buttons[name] = b
            return b

        row = QHBoxLayout(self.toolbar)
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(1)
        for item in ("first_page", "prev_page", self.page_box, "next_page", "last_page", 6,
                     "zoom_out", self.zoom_box, "zoom_in", 6, "select_region", "find"):
            if isinstance(item, int):
                row.addSpacing(item)
            elif isinstance(item, str):
                row.addWidget(button(item))
            else:
                row.addWidget(item)
        row.addStretch(1)

        find = QHBoxLayout(self.find_bar)
        find.setContentsMargins(4, 0, 2, 0)
        find.setSpacing(2)
        find.addWidget(self.search_edit, 1)
        find.addWidget(button("prev_hit"))
        find.addWidget(button("next_hit"))
        find.addWidget(self.hit_label)
        close = QToolButton(self.find_bar)
        close.setObjectName("pdfFindClose")
        close.setText("\u2715")
        close.setAutoRaise(True)
        close.setToolTip("Close the find bar (Esc)")
        close.setAccessibleName("Close find")
        close.clicked.connect(self.close_find)
        find.addWidget(close)

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

    def set_highlights(self, highlights: list[tuple[int, QRectF, str]]) -> None:
        """Reviewers' notes drawn on their pages: (page, rectangle in points, label). They
        belong to the document: ``load()`` and ``close_document()`` clear them."""
        self._notes = [(int(p), QRectF(r), str(label)) for p, r, label in highlights]
        self.thumb_model.set_notes(self._notes)
        self._update_overlays()

    def fit_width(self) -> None:
        self._set_fit("width")

    def fit_page(self) -> None:
        self._set_fit("page")

    def zoom_in(self) -> None:
        z = self._zoom
        self.set_zoom(next((s for s in ZOOM_STEPS if s > z * 1.01), MAX_ZOOM))

    def zoom_out(self) -> None:
        z = self._zoom
        self.set_zoom(next((s for s in reversed(ZOOM_STEPS) if s < z / 1.01), MIN_ZOOM))

    def set_zoom(self, zoom: float) -> None:
        """Zoom to ``zoom`` (1.0 = 100 %); leaves fit width / fit page."""
        self._fit = None
        self._apply_zoom(min(MAX_ZOOM, max(MIN_ZOOM, float(zoom))), delay=0)

    def zoom(self) -> float:
        return self._zoom

    def fit_mode(self) -> str | None:
        """'width', 'page', or None for a set zoom."""
        return self._fit

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
        self.client.call(R.search, self._doc.path, text, self._password,  # type: ignore[union-attr]
                         callback=functools.partial(self._on_search, self._gen, self._search_gen),
                         owner=self._owner, priority=PRIORITY_INFO)

    def next_hit(self) -> None:
        self._step_hit(1)

    def previous_hit(self) -> None:
        self._step_hit(-1)

    def hits(self) -> list[R.Hit]:
        return list(self._hits)

    def current_hit(self) -> int:
        """Index of the hit shown, -1 if none."""
        return self._hit_index

    def set_region_mode(self, on: bool) -> None:
        """While on, dragging on the page selects a rectangle: ``regionSelected(page, rect)``."""
        self.pdf_actions["select_region"].setChecked(bool(on))

    def region_mode(self) -> bool:
        return self.pdf_actions["select_region"].isChecked()

    def message(self) -> str:
        """The plain-words message the pane shows, "" if none."""
        return self._message

    def needs_password(self) -> bool:
        return not self.password_row.isHidden()

    def submit_password(self, password: str) -> None:
        """Try ``password`` on the encrypted document being opened."""
        if self._doc is None or self._info is not None:
            return
        self.password_edit.clear()
        self._set_busy_password(True)
        self._open(password)

    def cancel_password(self) -> None:
        if self._doc is None or self._info is not None:
            return
        self._give_up_password()

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
        self.page_box.blockSignals(True)
        self.page_box.setRange(0, 0)
        self.page_box.setSuffix(" / 0")
        self.page_box.blockSignals(False)
        self._update_controls()

    def document_path(self) -> str | None:
        return self._doc.path if self._doc else None

    def info(self) -> R.DocInfo | None:
        return self._info

    def page_image_shown(self) -> bool:
        """Whether the current page's final image is on the canvas."""
        return self.canvas.has_final_image()

    # ------------------------------------------------------------------ opening

    def _open(self, password: str | None) -> None:
        assert self._doc is not None
        self.client.call(R.open_info, self._doc.path, password,
                         callback=functools.partial(self._on_info, self._gen, password),
                         owner=self._owner, priority=PRIORITY_INFO)

    def _on_info(self, gen: int, password: str | None, info: R.DocInfo | None, error: str | None) -> None:
        if gen != self._gen or self._doc is None:
            return
        self._set_busy_password(False)
        if info is None:
            self._fail(error or "This PDF could not be opened.")
            return
        if info.needs_password:
            if password is None:
                self._ask_password(R.NEEDS_PASSWORD)
            else:
                self._tries += 1
                left = MAX_PASSWORD_TRIES - self._tries
                if left <= 0:
                    self._give_up_password()
                else:
                    tries = "1 try" if left == 1 else f"{left} tries"
                    self._ask_password(f"That password is not correct. Try again ({tries} left).")
            return
        if info.error:
            self._fail(info.error)
            return
        self.password_row.hide()
        self._password = password
        self._info = info
        n = info.page_count
        self.page_box.blockSignals(True)
        self.page_box.setRange(1, n)
        self.page_box.setSuffix(f" / {n}")
        self.page_box.blockSignals(False)
        # The strip takes its place now (the page is fitted beside it) but fills in once the
        # page is on screen: its thumbnails would only delay the page.
        self._thumbs_due = True
        self._thumbs_wanted = True
        self._place_thumbs()
        self.splitter.refresh()  # lay out now: the first page is sized for the view it gets
        bad = info.unreadable_pages
        self._set_message(R.unreadable_message(info))
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

    def _ask_password(self, prompt: str) -> None:
        self.canvas.set_placeholder("")
        self._set_message(prompt)
        self.password_row.show()
        self.password_edit.setFocus()
        self.passwordRequested.emit(prompt)

    def _give_up_password(self) -> None:
        self.password_row.hide()
        self._fail(PASSWORD_GIVEN_UP)

    def _set_busy_password(self, busy: bool) -> None:
        for w in (self.password_edit, self.password_ok):
            w.setEnabled(not busy)

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

    # ------------------------------------------------------------------ pages

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
        self.page_box.blockSignals(True)
        self.page_box.setValue(index + 1)
        self.page_box.blockSignals(False)
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

    def _fit_scale(self, w: float, h: float) -> float:
        """Logical pixels per point for the current fit mode (or zoom)."""
        if self._fit is None:
            return self._zoom * PX_PER_PT
        avail = self.view.maximumViewportSize()
        aw, ah = avail.width() - 2 * MARGIN, avail.height() - 2 * MARGIN
        if aw <= 10 or ah <= 10:
            return self._zoom * PX_PER_PT
        if self._fit == "page":
            scale = min(aw / w, ah / h)
        else:
            scale = aw / w
            if h * scale > ah:  # a vertical scroll bar will take some of the width
                scale = (aw - self.view.verticalScrollBar().sizeHint().width()) / w
        return max(MIN_ZOOM * PX_PER_PT, min(MAX_ZOOM * PX_PER_PT, scale))

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

    def _place_thumbs(self) -> None:
        """The thumbnail strip shows while a document is open, if the pane is wide enough
        to keep a readable page beside it."""
        self.thumbs.setVisible(self._thumbs_wanted and self.width() >= THUMBS_MIN_PANE_WIDTH)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._thumbs_wanted:
            self._place_thumbs()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._info is not None and self._page >= 0:
            self._refit.start()

    # ------------------------------------------------------------------ zoom

    def _set_fit(self, mode: str) -> None:
        self._fit = mode
        if self._info is not None and self._page >= 0:
            self._apply_zoom(None, delay=0)
        else:
            self._show_zoom()

    def _apply_zoom(self, zoom: float | None, delay: int) -> None:
        if zoom is not None:
            self._zoom = zoom
        if self._info is None or self._page < 0:
            self._show_zoom()
            return
        h_bar, v_bar = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        fx = (h_bar.value() + h_bar.pageStep() / 2) / max(1, h_bar.maximum() + h_bar.pageStep())
        fy = (v_bar.value() + v_bar.pageStep() / 2) / max(1, v_bar.maximum() + v_bar.pageStep())
        self._layout_page()
        h_bar.setValue(round(fx * (h_bar.maximum() + h_bar.pageStep()) - h_bar.pageStep() / 2))
        v_bar.setValue(round(fy * (v_bar.maximum() + v_bar.pageStep()) - v_bar.pageStep() / 2))
        if delay:
            self._refit.start(delay)
        else:
            self._request_current()

    def _show_zoom(self) -> None:
        if self._fit == "width":
            text = "Fit width"
        elif self._fit == "page":
            text = "Fit page"
        else:
            text = f"{round(self._zoom * 100)}%"
        self.zoom_box.setEditText(text)
        self.zoom_box.setToolTip(f"Zoom: {round(self._zoom * 100)}%")

    def _zoom_chosen(self, index: int) -> None:
        data = self.zoom_box.itemData(index)
        if data == "width":
            self.fit_width()
        elif data == "page":
            self.fit_page()
        elif data is not None:
            self.set_zoom(float(data))

    def _zoom_typed(self) -> None:
        text = self.zoom_box.currentText().strip().lower()
        if text.startswith("fit w"):
            self.fit_width()
            return
        if text.startswith("fit p"):
            self.fit_page()
            return
        match = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*%?", text)
        if match:
            self.set_zoom(float(match.group(1).replace(",", ".")) / 100)
        else:
            self._show_zoom()

    # ------------------------------------------------------------------ search

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

    def _on_search(self, gen: int, search_gen: int, hits: list[R.Hit] | None, error: str | None) -> None:
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


def _union(rects: list[QRectF]) -> QRectF:
    out = QRectF(rects[0])
    for r in rects[1:]:
        out = out.united(r)
    return out
