"""What the workspace says about saving, and the question before closing with unsaved edits.

The status bar says "All changes saved" only when the database has committed every edit;
while the storage refuses writes it says why ("Not saved: the disk is full") and that
Reviewer keeps trying. The reason is shown once in the error dialog, not once per try.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.workspace.editor import ReviewEditor


class SaveIndicator(QLabel):
    """The status bar's word on saving; its ``state`` property is the editor's state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saveLabel")
        self._box: QMessageBox | None = None

    def show_state(self, state: str, editor: ReviewEditor | None = None) -> None:
        stall = editor.writer.stall if editor is not None else None
        if editor is not None and editor.ctx.view_only is not None:
            text = "Read-only: another window or command holds this data folder"
            self.setToolTip(f"{editor.ctx.view_only} is writing to this data folder; close "
                            "it and start Reviewer again to make changes.")
        elif state == "unsaved" and stall is not None:
            text = f"\u26a0 Not saved: {stall.short} \u2014 trying again"
            self.setToolTip(stall.message)
        else:
            text = {"saving": "Saving\u2026", "saved": "\u2714 All changes saved",
                    "unsaved": "\u26a0 Not saved \u2014 trying again",
                    "failed": "\u26a0 Not saved \u2014 reloading"}[state]
            self.setToolTip("")
        self.setText(text)
        self.setProperty("state", state)

    def tell(self, parent: QWidget, fault: BaseException) -> None:
        """The reason writes wait, in the error dialog, unless one is already open."""
        if self._box is not None and self._box.isVisible():
            return
        self._box = show_error(parent, fault, "Changes not saved yet")


def confirm_close(parent: QWidget, editor: ReviewEditor, close: Callable[[], None]) -> bool:
    """True when the workspace may close now: every edit is stored (waiting a little for the
    last ones). Otherwise asks, and calls ``close`` again if the reviewer chooses to close
    without the unsaved edits."""
    if not editor.unsaved or (editor.writer.stall is None and editor.flush(5_000)
                              and not editor.unsaved):
        return True
    stall = editor.writer.stall
    reason = f" ({stall.short})" if stall is not None else ""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"Some of your changes are not saved yet{reason}. If you close the "
                      "workspace now, they are lost.", QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("unsavedDialog")
    if stall is not None:
        box.setInformativeText(stall.message)
    keep = box.addButton("Keep Open", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Close Without Saving", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(keep)

    def answered() -> None:
        if box.clickedButton() is not keep and box.clickedButton() is not None:
            editor.writer.abandon()
            editor.flush(10_000)
            close()

    box.finished.connect(lambda _: answered())
    box.open()
    return False
