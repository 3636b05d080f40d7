"""Zoom for the PDF pane: fit width, fit page, or a set zoom, and the zoom box.

Zoom 1.0 is 100 %, a page at its real size on a 96 dpi screen (``PX_PER_PT`` logical
pixels per point). ``ZoomMixin`` is mixed into ``PdfPane`` and works on its fields
(``_zoom``, ``_fit``, ``view``, ``zoom_box``, ...); the arithmetic is plain functions.
"""

from __future__ import annotations

import re

from reviewer_app.gui.pdf.page_view import MARGIN

PX_PER_PT = 96 / 72
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ZOOM_STEPS = (0.1, 0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
ZOOM_CHOICES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)


def zoom_step_in(zoom: float) -> float:
    """The next zoom step above ``zoom``."""
    return next((s for s in ZOOM_STEPS if s > zoom * 1.01), MAX_ZOOM)


def zoom_step_out(zoom: float) -> float:
    """The next zoom step below ``zoom``."""
    return next((s for s in reversed(ZOOM_STEPS) if s < zoom / 1.01), MIN_ZOOM)


def parse_zoom(text: str) -> str | float | None:
    """What a reader typed in the zoom box: "width", "page", a zoom (1.0 = 100 %), or
    None if it is none of these."""
    text = text.strip().lower()
    if text.startswith("fit w"):
        return "width"
    if text.startswith("fit p"):
        return "page"
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*%?", text)
    return float(match.group(1).replace(",", ".")) / 100 if match else None


class ZoomMixin:
    """The zoom half of ``PdfPane`` (see the module docstring)."""

    def fit_width(self) -> None:
        self._set_fit("width")

    def fit_page(self) -> None:
        self._set_fit("page")

    def zoom_in(self) -> None:
        self.set_zoom(zoom_step_in(self._zoom))

    def zoom_out(self) -> None:
        self.set_zoom(zoom_step_out(self._zoom))

    def set_zoom(self, zoom: float) -> None:
        """Zoom to ``zoom`` (1.0 = 100 %); leaves fit width / fit page."""
        self._fit = None
        self._apply_zoom(min(MAX_ZOOM, max(MIN_ZOOM, float(zoom))), delay=0)

    def zoom(self) -> float:
        return self._zoom

    def fit_mode(self) -> str | None:
        """'width', 'page', or None for a set zoom."""
        return self._fit

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
        wanted = parse_zoom(self.zoom_box.currentText())
        if wanted == "width":
            self.fit_width()
        elif wanted == "page":
            self.fit_page()
        elif wanted is not None:
            self.set_zoom(float(wanted))
        else:
            self._show_zoom()
