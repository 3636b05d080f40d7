"""The picture area: decoded frames painted by Qt, an audio title panel, and plain-words messages."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

BACKGROUND = QColor(16, 16, 18)
AUDIO_BACKGROUND = QColor(34, 40, 49)


class FrameView(QWidget):
    """Paints the last decoded frame, scaled to fit with its aspect ratio kept.

    In audio mode it paints a title panel instead. A message (an error in plain words, with
    selectable details) sits over the picture area without hiding the controls below.
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frameView")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 135)
        self._image = QImage()
        self._audio = False
        self._title = ""
        self._subtitle = ""
        self._message = QLabel(self)
        self._message.setObjectName("mediaMessage")
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setStyleSheet(
            "QLabel#mediaMessage { color: white; background: rgba(0, 0, 0, 190);"
            " border-radius: 6px; padding: 12px; }")
        self._message.hide()
        self._details = ""

    # -- content --------------------------------------------------------------------------
    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def image(self) -> QImage:
        return self._image

    def set_audio(self, audio: bool, title: str = "", subtitle: str = "") -> None:
        self._audio, self._title, self._subtitle = audio, title, subtitle
        self.update()

    def set_message(self, text: str, details: str = "") -> None:
        self._details = details
        if not text:
            self._message.hide()
            self._message.clear()
            return
        body = text if not details else f"{text}\n\n{details}"
        self._message.setText(body)
        self._message.setToolTip(details)
        self._place_message()
        self._message.show()
        self._message.raise_()

    def message(self) -> str:
        return self._message.text() if self._message.isVisible() or self._message.text() else ""

    def message_label(self) -> QLabel:
        return self._message

    # -- Qt -------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_message()

    def _place_message(self) -> None:
        margin = 16
        width = max(120, min(self.width() - 2 * margin, 560))
        self._message.setFixedWidth(width)
        self._message.adjustSize()
        height = min(self._message.sizeHint().height(), self.height() - 2 * margin)
        self._message.setGeometry((self.width() - width) // 2,
                                  max(margin, (self.height() - height) // 2), width, height)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self._message.isVisible():
            self.clicked.emit()
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._audio:
            self._paint_audio(painter)
            return
        painter.fillRect(self.rect(), BACKGROUND)
        image = self._image
        if image.isNull():
            return
        size = image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        if size != image.size():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(target), image)

    def _paint_audio(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), AUDIO_BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self.rect().adjusted(24, 24, -24, -24)
        title_font = QFont(self.font())
        title_font.setPointSizeF(max(12.0, self.font().pointSizeF() * 1.8))
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor(236, 239, 244))
        title_rect = QRect(area.left(), area.center().y() - 60, area.width(), 60)
        flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom) | int(
            Qt.TextFlag.TextWordWrap)
        painter.drawText(title_rect, flags, self._title or "Audio")
        small = QFont(self.font())
        small.setPointSizeF(max(9.0, self.font().pointSizeF() * 1.1))
        painter.setFont(small)
        painter.setPen(QColor(180, 190, 204))
        sub_rect = QRect(area.left(), area.center().y() + 8, area.width(), 40)
        painter.drawText(sub_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                         self._subtitle or "Audio recording")
