"""Undoable scoring actions. Each redo/undo writes through the review's ``ReviewEditor``,
so undoing is itself saved at once."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from reviewer_app.domain.model import Annotation

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.editor import ReviewEditor

_COMMENT_ID = 1000


class SetLevel(QUndoCommand):
    def __init__(self, editor: ReviewEditor, criterion: str, old: int | None, new: int | None,
                 title: str) -> None:
        label = (f"Level {new} for \u201c{title}\u201d" if new is not None
                 else f"Clear level of \u201c{title}\u201d")
        super().__init__(label)
        self.editor, self.criterion, self.old, self.new = editor, criterion, old, new

    def redo(self) -> None:
        self.editor.write_level(self.criterion, self.new)

    def undo(self) -> None:
        self.editor.write_level(self.criterion, self.old)


class SetComment(QUndoCommand):
    """Consecutive edits of one criterion's comment merge into one undo step."""

    def __init__(self, editor: ReviewEditor, criterion: str, index: int, old: str, new: str,
                 title: str) -> None:
        super().__init__(f"Comment on \u201c{title}\u201d")
        self.editor, self.criterion, self.index, self.old, self.new = editor, criterion, index, old, new

    def id(self) -> int:
        return _COMMENT_ID + self.index

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetComment) or other.criterion != self.criterion:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.editor.write_comment(self.criterion, self.new)

    def undo(self) -> None:
        self.editor.write_comment(self.criterion, self.old)


class SetFeedback(QUndoCommand):
    def __init__(self, editor: ReviewEditor, old: str, new: str) -> None:
        super().__init__("Feedback to the candidate")
        self.editor, self.old, self.new = editor, old, new

    def id(self) -> int:
        return _COMMENT_ID - 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetFeedback):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.editor.write_feedback(self.new)

    def undo(self) -> None:
        self.editor.write_feedback(self.old)


class AddNote(QUndoCommand):
    """The note's uid is chosen here, so Undo can delete it even before the write returns."""

    def __init__(self, editor: ReviewEditor, note_args: dict) -> None:
        super().__init__("Add note")
        self.editor, self.args = editor, {**note_args, "uid": str(uuid.uuid4())}
        self.note: Annotation | None = None

    def redo(self) -> None:
        if self.note is None:
            self.editor.write_new_note(self.args, self._created)
        else:
            self.editor.write_restore_note(self.note)

    def _created(self, note: Annotation) -> None:
        self.note = note

    def undo(self) -> None:
        self.editor.write_delete_note(self.args["uid"])


class DeleteNote(QUndoCommand):
    def __init__(self, editor: ReviewEditor, note: Annotation) -> None:
        super().__init__(f"Delete {note.citation}")
        self.editor, self.note = editor, note

    def redo(self) -> None:
        self.editor.write_delete_note(self.note.uid)

    def undo(self) -> None:
        self.editor.write_restore_note(self.note)


class EditNote(QUndoCommand):
    def __init__(self, editor: ReviewEditor, before: Annotation, text: str,
                 criterion: str | None) -> None:
        super().__init__(f"Edit {before.citation}")
        self.editor, self.before, self.text, self.criterion = editor, before, text, criterion

    def redo(self) -> None:
        self.editor.write_note_update(self.before.uid, self.text, self.criterion)

    def undo(self) -> None:
        self.editor.write_note_update(self.before.uid, self.before.text, self.before.criterion_key)
