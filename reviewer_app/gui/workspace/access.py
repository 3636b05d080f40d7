"""Accessible names for the workspace's controls that show no text of their own.

A screen reader names a button by its text and a field by its label; the controls here
without either (lists, the page and frame views, sliders and boxes whose only words are a
tooltip or a placeholder) get a name from one place: by object name or class below, else
their tooltip's first line, else their placeholder. Called when the window is built and
each time a submission is bound (its panels are new then). tests/gui/test_rubric_access.py
walks every focusable control and checks the name a screen reader gets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

BY_OBJECT_NAME = {
    "reflections": "Written reflections",
    "notesTable": "Notes",
    "evidenceList": "Evidence items",
    "mediaPane": "Video and audio player",
    "textView": "Written reflection",
    "imageView": "Photo",
    "volumeSlider": "Volume",
    "speedCombo": "Playback speed",
    "gotoEdit": "Go to a time",
}
BY_CLASS = {
    "PageView": "PDF page",
    "QGraphicsView": "Photo",
}


def _own_words(widget: QWidget) -> str:
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "").strip()
    return ""


def name_controls(root: QWidget) -> int:
    """Give every focusable control under ``root`` without a name one; returns how many."""
    named = 0
    for widget in root.findChildren(QWidget):
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget.accessibleName():
            continue
        if _own_words(widget):
            continue
        name = BY_OBJECT_NAME.get(widget.objectName()) or BY_CLASS.get(type(widget).__name__)
        if not name:
            name = widget.toolTip().split("\n")[0].split(":")[0].strip()
        if not name and isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit):
            name = widget.placeholderText().rstrip("\u2026.")
        parent = widget.parentWidget()
        if not name and (isinstance(parent, QComboBox | QAbstractSpinBox)
                         or (parent is not None and widget.objectName().startswith("qt_"))):
            # the text field inside an editable box or a spin box: the box's name
            name = parent.accessibleName() or parent.toolTip().split("\n")[0].split(":")[0].strip()
        if name:
            widget.setAccessibleName(name)
            named += 1
    return named
