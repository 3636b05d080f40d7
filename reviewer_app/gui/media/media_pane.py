"""MediaPane: plays a video or audio evidence file (libvlc) beside the rubric.

The picture comes through libvlc's video callbacks and is painted by Qt, so the pane works the
same on X11, Wayland and offscreen. Every command is a ``QAction`` in
:attr:`MediaPane.media_actions`
(keys of :data:`DEFAULT_SHORTCUTS`), with a ``WidgetWithChildrenShortcut`` context, so the
workspace can put them in menus and they answer while the pane (or one of its children) has
the focus. Errors are shown in plain words over the picture area; the pane never raises
because VLC is missing or a file is damaged.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QFontDatabase,
    QIcon,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.media.frame_view import FrameView
from reviewer_app.gui.media.player import RATES, MediaEngine
from reviewer_app.gui.media.seek_bar import JUMP_MS, SeekBar
from reviewer_app.gui.media.timecode import TIME_HELP, format_ms, parse_time
from reviewer_app.gui.media.vlc_loader import VlcUnavailable, load_vlc

# Laptop-friendly keys (no numpad), close to the J/K/L convention of video editors.
DEFAULT_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "play_pause": ("Space", "K"),
    "back_5s": ("J",),
    "forward_5s": ("L",),
    "prev_frame": (",",),
    "next_frame": (".",),
    "slower": ("[",),
    "faster": ("]",),
    "mark_in": ("I",),
    "mark_out": ("O",),
    "clear_loop": ("Shift+O",),
    "mute": ("M",),
    "go_to_time": ("Ctrl+G",),
    "frame_numbers": (),
}

ACTION_TEXT = {
    "play_pause": "Play",
    "back_5s": "−5 s",
    "forward_5s": "+5 s",
    "prev_frame": "◀ Frame",
    "next_frame": "Frame ▶",
    "slower": "Slower",
    "faster": "Faster",
    "mark_in": "Mark in",
    "mark_out": "Mark out",
    "clear_loop": "Clear loop",
    "mute": "Mute",
    "go_to_time": "Go to time…",
    "frame_numbers": "Show Frame Numbers",
}

ACTION_HELP = {
    "back_5s": "Back 5 seconds",
    "forward_5s": "Forward 5 seconds",
    "prev_frame": "Previous frame",
    "next_frame": "Next frame",
    "slower": "Slower playback",
    "faster": "Faster playback",
    "mark_in": "Mark the start of a range to loop",
    "mark_out": "Mark the end of the range and loop it",
    "clear_loop": "Stop looping and clear the marks",
    "go_to_time": "Go to a typed time",
    "frame_numbers": "Show the frame number beside the time",
}


def rate_label(rate: float) -> str:
    return f"{rate:g}×"


class MediaPane(QWidget):
    """Plays one video or audio file: picture (or title panel), seek bar, transport, speed,
    loop range, go-to-time, volume. See the module docstring for actions and shortcuts."""

    positionChanged = Signal(int)
    durationChanged = Signal(int)
    frameShown = Signal(int)
    stateChanged = Signal(str)
    failed = Signal(str)
    loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mediaPane")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._engine = MediaEngine(self)
        self._missing = ""
        self._missing_details = ""
        self._state_icons: dict[bool, QIcon] = {}
        self._build()
        self._build_actions()
        self._connect()
        try:
            load_vlc()
        except VlcUnavailable as exc:
            self._missing, self._missing_details = exc.message, exc.details
            self.view.set_message(exc.message, exc.details)
        self._sync_enabled()

    # ----------------------------------------------------------------------------- build --
    def _build(self) -> None:
        self.view = FrameView(self)
        self.view.setFocusProxy(self)

        self.seek_bar = SeekBar(self)
        self.time_label = QLabel(self)
        self.time_label.setObjectName("timeLabel")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF(), self.font().pointSizeF()) + 1)
        self.time_label.setFont(mono)
        self.time_label.setText(f"{format_ms(0)} / {format_ms(0)}")
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.buttons: dict[str, QToolButton] = {}
        for name in ("back_5s", "prev_frame", "play_pause", "next_frame", "forward_5s",
                     "mark_in", "mark_out", "clear_loop", "mute"):
            button = QToolButton(self)
            button.setObjectName(f"{name}Button")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setAutoRaise(False)
            self.buttons[name] = button

        self.speed_combo = QComboBox(self)
        self.speed_combo.setObjectName("speedCombo")
        for rate in RATES:
            self.speed_combo.addItem(rate_label(rate), rate)
        self.speed_combo.setCurrentIndex(RATES.index(1.0))
        self.speed_combo.setToolTip("Playback speed ([ slower, ] faster)")
        self.speed_combo.setAccessibleName("Playback speed")  # (no "Speed" label: the row is short)
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.volume_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.volume_slider.setObjectName("volumeSlider")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setMinimumWidth(44)
        self.volume_slider.setMaximumWidth(100)
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.loop_label = QLabel(self)
        self.loop_label.setObjectName("loopLabel")
        self.loop_label.setMinimumWidth(10)

        self.goto_edit = QLineEdit(self)
        self.goto_edit.setObjectName("gotoEdit")
        self.goto_edit.setPlaceholderText("Go to 1:23.5")
        self.goto_edit.setToolTip(TIME_HELP)
        self.goto_edit.setClearButtonEnabled(True)
        self.goto_edit.setMinimumWidth(84)
        self.goto_edit.setMaximumWidth(120)

        # Rows narrow enough for a 480 px video: seek and time; transport, speed, volume; marks.
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(8)
        bar.addWidget(self.seek_bar, 1)
        bar.addWidget(self.time_label)

        transport = QHBoxLayout()
        transport.setContentsMargins(0, 0, 0, 0)
        transport.setSpacing(3)
        for name in ("back_5s", "prev_frame", "play_pause", "next_frame", "forward_5s"):
            transport.addWidget(self.buttons[name])
        transport.addSpacing(6)
        transport.addWidget(self.speed_combo)
        transport.addStretch(1)
        transport.addWidget(self.buttons["mute"])
        transport.addWidget(self.volume_slider)

        extras = QHBoxLayout()
        extras.setContentsMargins(0, 0, 0, 0)
        extras.setSpacing(4)
        for name in ("mark_in", "mark_out", "clear_loop"):
            extras.addWidget(self.buttons[name])
        extras.addWidget(self.loop_label, 1)
        extras.addWidget(self.goto_edit)

        self.controls = QWidget(self)
        self.controls.setObjectName("mediaControls")
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(6, 4, 6, 6)
        controls.setSpacing(4)
        controls.addLayout(bar)
        controls.addLayout(transport)
        controls.addLayout(extras)
        self.controls.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.controls)

    def _build_actions(self) -> None:
        style = self.style()
        icons = {
            "play_pause": QStyle.StandardPixmap.SP_MediaPlay,
            "back_5s": QStyle.StandardPixmap.SP_MediaSeekBackward,
            "forward_5s": QStyle.StandardPixmap.SP_MediaSeekForward,
            "prev_frame": QStyle.StandardPixmap.SP_MediaSkipBackward,
            "next_frame": QStyle.StandardPixmap.SP_MediaSkipForward,
            "mute": QStyle.StandardPixmap.SP_MediaVolume,
        }
        handlers = {
            "play_pause": self.toggle_play,
            "back_5s": lambda: self.jump(-JUMP_MS),
            "forward_5s": lambda: self.jump(JUMP_MS),
            "prev_frame": lambda: self.step_frame(-1),
            "next_frame": lambda: self.step_frame(1),
            "slower": self._engine.slower,
            "faster": self._engine.faster,
            "mark_in": self.mark_in,
            "mark_out": self.mark_out,
            "clear_loop": self.clear_loop,
            "mute": self.toggle_mute,
            "go_to_time": self.focus_go_to_time,
            "frame_numbers": lambda: self._update_time_label(self._engine.position()),
        }
        self.media_actions: dict[str, QAction] = {}
        for name, keys in DEFAULT_SHORTCUTS.items():
            action = QAction(ACTION_TEXT[name], self)
            action.setObjectName(f"media_{name}")
            if name in icons:
                action.setIcon(style.standardIcon(icons[name]))
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut = " or ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                                   for k in keys)
            action.setToolTip(ACTION_HELP.get(name, ACTION_TEXT[name]) + (f" ({shortcut})" if keys else ""))
            action.triggered.connect(handlers[name])
            self.addAction(action)
            self.media_actions[name] = action
        for name in ("mute", "frame_numbers"):
            self.media_actions[name].setCheckable(True)
        for name, button in self.buttons.items():
            button.setDefaultAction(self.media_actions[name])
        for name in ("play_pause", "mute"):
            self.buttons[name].setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for name in ("back_5s", "prev_frame", "next_frame", "forward_5s", "mark_in", "mark_out",
                     "clear_loop"):
            self.buttons[name].setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.buttons["play_pause"].setMinimumWidth(44)

    def _connect(self) -> None:
        engine = self._engine
        engine.imageChanged.connect(self.view.set_image)
        engine.frameShown.connect(self._on_frame_shown)
        engine.positionChanged.connect(self._on_position)
        engine.positionChanged.connect(self.positionChanged)
        engine.durationChanged.connect(self._on_duration)
        engine.durationChanged.connect(self.durationChanged)
        engine.stateChanged.connect(self._on_state)
        engine.stateChanged.connect(self.stateChanged)
        engine.failed.connect(self.failed)
        engine.loaded.connect(self._on_loaded)
        engine.rateChanged.connect(self._on_rate)
        engine.volumeChanged.connect(self._on_volume)
        engine.loopChanged.connect(self._on_loop)
        engine.messageChanged.connect(self.view.set_message)
        self.view.clicked.connect(self._on_view_clicked)
        self.seek_bar.sliderMoved.connect(self._engine.seek)
        # A drag seeks fast (libvlc's nearest picture); where it ends, or a click, the very frame.
        self.seek_bar.sliderReleased.connect(lambda: self._engine.seek(self.seek_bar.value(), exact=True))
        self.speed_combo.activated.connect(
            lambda index: self._engine.set_rate(self.speed_combo.itemData(index)))
        self.volume_slider.valueChanged.connect(self._engine.set_volume)
        self.goto_edit.returnPressed.connect(self._go_to_typed_time)
        self.goto_edit.textEdited.connect(lambda _text: self._mark_goto_invalid(False))
        self.goto_edit.installEventFilter(self)

    # ----------------------------------------------------------------------- public API --
    def load(self, path: Path, *, audio: bool = False, title: str = "", start_ms: int = 0) -> None:
        """Open ``path`` at ``start_ms`` (see MediaEngine.load)."""
        path = Path(path)
        self._title = title or path.stem
        self.view.set_image(QImage())
        if self._missing:
            self.view.set_message(self._missing, self._missing_details)
            self.failed.emit(self._missing)
            return
        self.view.set_audio(False)
        self._engine.load(path, audio=audio, title=self._title, start_ms=start_ms)
        self._sync_enabled()

    def play(self) -> None:
        self._engine.play()

    def pause(self) -> None:
        self._engine.pause()

    def toggle_play(self) -> None:
        self._engine.toggle_play()

    def seek(self, ms: int, *, exact: bool = False) -> None:
        """Go to ``ms``; ``exact``: to the very frame at that time (see MediaEngine.seek)."""
        self._engine.seek(ms, exact=exact)

    def prepare_frames(self, times_ms: list[int]) -> None:
        """Decode the frames at these times ahead (the notes'), so they show at once."""
        self._engine.prepare_frames(times_ms)

    def jump(self, delta_ms: int) -> None:
        self._engine.jump(delta_ms)

    def step_frame(self, direction: int) -> None:
        self._engine.step_frame(direction)

    def set_rate(self, rate: float) -> None:
        self._engine.set_rate(rate)

    def rate(self) -> float:
        return self._engine.rate()

    def set_loop(self, start_ms: int, end_ms: int) -> None:
        self._engine.set_loop(start_ms, end_ms)

    def clear_loop(self) -> None:
        self._engine.clear_loop()

    def mark_in(self) -> None:
        self._engine.mark_in()
        self._on_loop(self._engine.marked_range())

    def mark_out(self) -> None:
        self._engine.mark_out()

    def marked_range(self) -> tuple[int, int] | None:
        return self._engine.marked_range()

    def set_volume(self, volume: int) -> None:
        self._engine.set_volume(volume)

    def volume(self) -> int:
        return self._engine.volume()

    def toggle_mute(self) -> None:
        self._engine.toggle_mute()

    def is_muted(self) -> bool:
        return self._engine.is_muted()

    def position(self) -> int:
        return self._engine.position()

    def duration(self) -> int:
        return self._engine.duration()

    def current_frame(self) -> QImage | None:
        return self._engine.current_frame()

    def close_media(self) -> None:
        self._engine.close_media()
        self._sync_enabled()

    def error_text(self) -> str:
        return self._missing or self._engine.error_text()

    def state(self) -> str:
        return "error" if self._missing else self._engine.state()

    def engine(self) -> MediaEngine:
        return self._engine

    def go_to_time(self, text: str) -> bool:
        """Seek to a typed time (``83``, ``1:23``, ``1:23.5``, ``01:02:03``); False if unreadable."""
        try:
            ms = parse_time(text)
        except ValueError:
            return False
        self._engine.seek(ms, exact=True)
        return True

    def focus_go_to_time(self) -> None:
        self.goto_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.goto_edit.selectAll()

    # --------------------------------------------------------------------------- slots --
    def _go_to_typed_time(self) -> None:
        text = self.goto_edit.text()
        if not text.strip():
            return
        if self.go_to_time(text):
            self._mark_goto_invalid(False)
            self.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._mark_goto_invalid(True)
            QToolTip.showText(self.goto_edit.mapToGlobal(QPoint(0, self.goto_edit.height())),
                              TIME_HELP, self.goto_edit)

    def _mark_goto_invalid(self, invalid: bool) -> None:
        self.goto_edit.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }" if invalid else "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.goto_edit and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Escape:
            self.goto_edit.clear()
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(watched, event)

    def _on_view_clicked(self) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._engine.is_ready():
            self.toggle_play()

    def _on_frame_shown(self, ms: int) -> None:
        if self.view.isVisible():
            self.view.repaint()  # "shown" means painted, not merely scheduled
        self.frameShown.emit(ms)

    def _on_position(self, ms: int) -> None:
        if not self.seek_bar.isSliderDown():
            with QSignalBlocker(self.seek_bar):
                self.seek_bar.setValue(ms)
        self._update_time_label(ms)

    def _on_duration(self, ms: int) -> None:
        self.seek_bar.setRange(0, max(0, ms))
        self._update_time_label(self._engine.position())

    def frame_number(self, ms: int | None = None) -> int:
        """The frame shown at ``ms`` (the position by default), counted from 0."""
        at = self._engine.position() if ms is None else max(0, ms)
        return int(math.floor(at / self._engine.frame_ms() + 1e-6))

    def _update_time_label(self, position: int) -> None:
        duration = self._engine.duration()
        hours = duration >= 3_600_000
        now = format_ms(position, with_hours=hours)
        video = self._engine.is_ready() and not self._engine.is_audio()
        frame = self.frame_number(position) if video else None
        if frame is not None and self.media_actions["frame_numbers"].isChecked():
            now += f" #{frame}"
        self.time_label.setText(f"{now} / {format_ms(duration, with_hours=hours)}")
        frame_text = f", frame {frame}" if frame is not None else ""
        self.time_label.setToolTip(f"{position / 1000:.3f} s{frame_text}"
                                   " (Playback > Show Frame Numbers shows it here)")

    def _on_state(self, state: str) -> None:
        playing = state == "playing"
        action = self.media_actions["play_pause"]
        action.setText("Pause" if playing else "Play")
        action.setIcon(self._state_icon(playing))
        keys = " or ".join(DEFAULT_SHORTCUTS["play_pause"])
        action.setToolTip(f"{action.text()} ({keys})")
        self._sync_enabled()

    def _state_icon(self, playing: bool) -> QIcon:
        """The play or pause icon (made once: a state changes several times per opening)."""
        if playing not in self._state_icons:
            self._state_icons[playing] = self.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay)
        return self._state_icons[playing]

    def _on_loaded(self) -> None:
        engine = self._engine
        if engine.is_audio():
            info = engine.info()
            subtitle = "Audio recording"
            if info is not None and info.duration_ms:
                subtitle += f" · {format_ms(info.duration_ms)}"
            self.view.set_audio(True, self._title, subtitle)
        self._sync_enabled()
        self.loaded.emit()

    def _on_rate(self, rate: float) -> None:
        index = self.speed_combo.findData(rate)
        with QSignalBlocker(self.speed_combo):
            if index < 0:
                self.speed_combo.addItem(rate_label(rate), rate)
                index = self.speed_combo.count() - 1
            self.speed_combo.setCurrentIndex(index)

    def _on_volume(self, volume: int, muted: bool) -> None:
        with QSignalBlocker(self.volume_slider):
            self.volume_slider.setValue(volume)
        action = self.media_actions["mute"]
        with QSignalBlocker(action):
            action.setChecked(muted)
        action.setText("Unmute" if muted else "Mute")
        action.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaVolumeMuted if muted
            else QStyle.StandardPixmap.SP_MediaVolume))

    def _on_loop(self, loop: tuple[int, int] | None) -> None:
        self.seek_bar.set_loop(loop)
        mark_in, _mark_out = self._engine.marks()
        if loop is not None:
            self.loop_label.setText(f"Loop {format_ms(loop[0])} – {format_ms(loop[1])}")
        elif mark_in is not None:
            self.loop_label.setText(f"In at {format_ms(mark_in)}; mark out to loop")
        else:
            self.loop_label.setText("")
        self.media_actions["clear_loop"].setEnabled(loop is not None or mark_in is not None)

    def _sync_enabled(self) -> None:
        ready = self._engine.is_ready() and not self._missing
        video = ready and not self._engine.is_audio()
        for name, action in self.media_actions.items():
            if name in ("prev_frame", "next_frame"):
                action.setEnabled(video)
            elif name == "clear_loop":
                action.setEnabled(ready and self._engine.marks()[0] is not None)
            else:
                action.setEnabled(ready)
        for widget in (self.seek_bar, self.speed_combo, self.goto_edit, self.volume_slider):
            widget.setEnabled(ready)
