"""Where top-level windows and dialogs open, and how large: inside the screen, always.

``fit_window`` is called once in a window's constructor. When the window is first shown it
opens where the person left it on a screen of this size (the saved geometry is keyed by
the screen's available size, and one that no longer fits, a laptop unplugged from its
monitor, is ignored), otherwise at its preferred size, centred on its parent, shrunk to
the available screen area with the window frame counted in; main windows open maximised
on small screens (laptops). Once the window manager has framed the window, the frame is
checked again and the window moved or shrunk to lie inside the screen.

``FitScrollArea`` holds a dialog's long content so that the dialog can be shorter than its
content while its buttons (Save, OK, Record) stay in view.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QMargins,
    QObject,
    QPoint,
    QRect,
    QSettings,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QApplication, QFrame, QLayout, QScrollArea, QWidget

log = logging.getLogger(__name__)

#: Below this available size a main window opens maximised (1366x768, 1280x800, and
#: 1920x1080 at 150% are all "small").
SMALL_SCREEN = QSize(1440, 900)
#: Until the window manager has said how large its frame is: a title bar and thin borders.
FALLBACK_MARGINS = QMargins(4, 30, 4, 4)
#: How long after showing a window its frame is checked as the window manager frames it.
SETTLE_MS = 2500
#: How long a window must be still before its frame is checked.
CHECK_DELAY_MS = 200
#: Frame borders thicker than this are a frame still being placed, not a frame.
MAX_MARGIN = 80
KEY = "windowGeometry"
#: No lower bound on a window's size (read only, never changed).
NO_MINIMUM = QSize(0, 0)


def screen_for(window: QWidget) -> QScreen:
    """The screen the window opens on: its parent's, else the active window's (a workspace
    opens where the queue is), else its own."""
    parent = window.parentWidget()
    if parent is None:
        active = QApplication.activeWindow()
        parent = active if active is not None and active is not window else None
    screen = parent.window().screen() if parent is not None else window.screen()
    return screen or QGuiApplication.primaryScreen()


def known_margins(window: QWidget) -> QMargins | None:
    """The frame the window manager has put around ``window``, once it is known (None before,
    and while a window is being mapped and its frame is not yet where the window is)."""
    frame, inner = window.frameGeometry(), window.geometry()
    if not window.isVisible() or frame == inner or not frame.contains(inner):
        return None
    margins = QMargins(inner.left() - frame.left(), inner.top() - frame.top(),
                       frame.right() - inner.right(), frame.bottom() - inner.bottom())
    if max(margins.left(), margins.top(), margins.right(), margins.bottom()) > MAX_MARGIN:
        return None
    return margins


def frame_margins(window: QWidget) -> QMargins:
    """The window manager's frame around ``window``: its own once framed, else that of
    another framed window of the app (its parent first), else a typical title bar."""
    candidates = [window]
    if window.parentWidget() is not None:
        candidates.append(window.parentWidget().window())
    candidates += [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for w in candidates:
        margins = known_margins(w) if not w.isMaximized() else None
        if margins is not None:
            return margins
    return QMargins(FALLBACK_MARGINS)


def is_small(available: QRect) -> bool:
    return available.width() < SMALL_SCREEN.width() or available.height() < SMALL_SCREEN.height()


def screen_key(available: QRect) -> str:
    return f"{available.width()}x{available.height()}"


def fit_into(rect: QRect, margins: QMargins, available: QRect, minimum: QSize = NO_MINIMUM) -> QRect:
    """``rect`` (a window's inside) shrunk and moved so that, framed by ``margins``, it lies
    inside ``available``; never smaller than ``minimum`` (what the window cannot go below)."""
    room = available.marginsRemoved(margins)
    width = max(min(rect.width(), room.width()), minimum.width())
    height = max(min(rect.height(), room.height()), minimum.height())
    x = max(room.left(), min(rect.x(), room.right() - width + 1))
    y = max(room.top(), min(rect.y(), room.bottom() - height + 1))
    return QRect(x, y, width, height)


def _settings_of(window: QWidget) -> QSettings | None:
    w: QWidget | None = window
    while w is not None:
        settings = getattr(w, "settings", None)
        if isinstance(settings, QSettings):
            return settings
        w = w.parentWidget()
    return None


class WindowFitter(QObject):
    """Places one window (see the module's docstring); ``fit_window`` makes it."""

    def __init__(self, window: QWidget, name: str, preferred: QSize | None, maximize_small: bool,
                 settings: QSettings | None, remember: bool) -> None:
        super().__init__(window)
        self.window, self.name, self.preferred = window, name, preferred
        self.maximize_small, self.remember = maximize_small, remember
        self._settings = settings
        self.placed = False
        self.restored = False  # the last placement came from the saved geometry
        self._since_show = QElapsedTimer()
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        # Checked once the window has been still for a moment: while the window manager maps
        # and frames it, Qt can report it at 0,0 for an instant.
        self._check.setInterval(CHECK_DELAY_MS)
        self._check.timeout.connect(self.keep_inside)
        window.installEventFilter(self)

    @property
    def settings(self) -> QSettings | None:
        return self._settings if self._settings is not None else _settings_of(self.window)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # (getattr: Qt can still call in while the Python side is being torn down)
        if obj is getattr(self, "window", None) and getattr(self, "_check", None) is not None:
            kind = event.type()
            if kind == QEvent.Type.Show:
                if not self.placed:
                    self.place()
                self._since_show.start()
                self._check.start()
            elif kind in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.WindowStateChange):
                if self._since_show.isValid() and self._since_show.elapsed() < SETTLE_MS:
                    self._check.start()
            elif kind == QEvent.Type.Hide and self.placed:
                self.save()
        return False

    # -- placing -------------------------------------------------------------------------------
    def place(self) -> None:
        window = self.window
        self.placed = True
        screen = screen_for(window)
        if window.parentWidget() is None and window.screen() is not screen:
            window.setScreen(screen)
        available = screen.availableGeometry()
        margins = frame_margins(window)
        minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
        saved = self._saved(available)
        if saved is not None:
            rect, maximized = saved
            if available.contains(rect.marginsAdded(margins)):
                self.restored = True
                window.setGeometry(rect)
                if maximized:
                    window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
                return
            log.info("saved geometry of %s no longer fits %s: not used", self.name, screen_key(available))
        self.restored = False
        size = self.preferred if self.preferred is not None else window.size()
        size = size.expandedTo(window.sizeHint())  # all of a scroll area's content, if it fits
        rect = QRect(QPoint(0, 0), size)
        parent = window.parentWidget()
        centre = parent.window().frameGeometry().center() if parent is not None and parent.isVisible() \
            else available.center()
        rect.moveCenter(centre)
        window.setGeometry(fit_into(rect, margins, available, minimum))
        if self.maximize_small and is_small(available):
            window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)

    def keep_inside(self) -> None:
        """Once framed: move (and if need be shrink) the window so its frame is on the screen."""
        window = self.window
        if not window.isVisible() or window.windowState() & (Qt.WindowState.WindowMaximized
                                                               | Qt.WindowState.WindowFullScreen):
            return
        margins = known_margins(window)
        if margins is None:
            return  # not framed yet: checked again when it moves
        available = window.screen().availableGeometry()
        inner = window.geometry()
        if available.contains(inner.marginsAdded(margins)):
            return
        minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
        fitted = fit_into(inner, margins, available, minimum)
        if fitted.size() != inner.size():
            window.resize(fitted.size())
        window.move(fitted.topLeft() - QPoint(margins.left(), margins.top()))

    def grow_to_content(self) -> None:
        """After content arrived (rows loaded once shown): as large as the content asks, up to
        the available screen, unless the person's own size was restored."""
        window = self.window
        if self.restored or not window.isVisible() or window.isMaximized():
            return
        wanted = window.sizeHint().expandedTo(window.size())
        if wanted == window.size():
            return
        available = window.screen().availableGeometry()
        margins = known_margins(window) or frame_margins(window)
        fitted = fit_into(QRect(window.geometry().topLeft(), wanted), margins, available)
        window.resize(fitted.size())
        self._since_show.start()  # the frame is checked again as it settles
        self._check.start()

    # -- remembering ---------------------------------------------------------------------------
    def _key(self, available: QRect) -> str:
        return f"{KEY}/{self.name}/{screen_key(available)}"

    def _saved(self, available: QRect) -> tuple[QRect, bool] | None:
        settings = self.settings
        if not self.remember or settings is None:
            return None
        value = settings.value(self._key(available))
        try:
            x, y, w, h, maximized = (int(v) for v in str(value).split())
        except (TypeError, ValueError):
            return None
        return (QRect(x, y, w, h), bool(maximized)) if w > 0 and h > 0 else None

    def save(self) -> None:
        settings, window = self.settings, self.window
        if not self.remember or settings is None:
            return
        maximized = bool(window.windowState() & Qt.WindowState.WindowMaximized)
        rect = window.normalGeometry() if maximized else window.geometry()
        if not rect.isValid():
            return
        available = (window.screen() or screen_for(window)).availableGeometry()
        settings.setValue(self._key(available),
                          f"{rect.x()} {rect.y()} {rect.width()} {rect.height()} {int(maximized)}")
        settings.sync()


def fit_window(window: QWidget, name: str, preferred: QSize | tuple[int, int] | None = None, *,
               maximize_small: bool = False, settings: QSettings | None = None,
               remember: bool = True) -> WindowFitter:
    """Make ``window`` open inside its screen (see the module's docstring).

    ``name`` keys the remembered geometry; ``preferred`` is the size on a large screen (by
    default the window's own size when shown), grown to what its content asks for;
    ``maximize_small`` opens it maximised on a laptop screen; ``settings`` default to the
    first ``settings`` of the window or a parent.
    """
    if isinstance(preferred, tuple):
        preferred = QSize(*preferred)
    return WindowFitter(window, name, preferred, maximize_small, settings, remember)


def grow_to_content(window: QWidget) -> None:
    """``WindowFitter.grow_to_content`` for a window made with ``fit_window``."""
    fitter = window.findChild(WindowFitter, options=Qt.FindChildOption.FindDirectChildrenOnly)
    if fitter is not None:
        fitter.grow_to_content()


class FitScrollArea(QScrollArea):
    """A frameless scroll area that asks for the whole of its content's size, so a dialog
    opens at its natural size where the screen allows and scrolls the rest where not."""

    def __init__(self, content: QWidget | QLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if isinstance(content, QLayout):
            holder = QWidget(self)
            holder.setLayout(content)
            content = holder
        self.setObjectName("fitScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content grew or shrank: so does what this asks for
        return super().eventFilter(obj, event)

    def sizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().sizeHint()
        hint = content.sizeHint().expandedTo(content.minimumSizeHint())
        bar = self.verticalScrollBar().sizeHint().width()
        # (one pixel more: at a fractional scale (150%) the viewport's height is rounded and
        # can come out a pixel short of the content's, which then scrolls by that pixel)
        return QSize(hint.width() + bar + 2 * self.frameWidth(), hint.height() + 2 * self.frameWidth() + 1)
