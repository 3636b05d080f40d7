"""The state of one review in the workspace, and the only way the window changes it.

Widgets call ``set_level``/``set_comment``/... which push undoable commands; commands call
the ``write_*`` methods, which update the local copy at once (the screen responds without
waiting) and queue the service call on the serial writer (the database has it a moment
later). The state is "saved" only once the database has committed every write. A write
the storage refuses (disk full, read-only, held by another process) stays on screen,
marked unsaved with the reason, and the writer tries it again until it is stored; any
other failed write is shown and the state is reloaded from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from reviewer_app.domain.model import Annotation, Decision, Review, ReviewStatus, Rubric
from reviewer_app.domain.rules import decide
from reviewer_app.gui.workspace import commands
from reviewer_app.gui.workspace.writer import SerialWriter
from reviewer_app.services import annotations as notes_svc
from reviewer_app.services import reviews as reviews_svc
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)


class ReviewEditor(QObject):
    reviewChanged = Signal(object)  # Review
    notesChanged = Signal(object)  # list[Annotation]
    saveStateChanged = Signal(str)  # "saving", "saved", "unsaved" (writes wait), "failed"
    writeFailed = Signal(object)  # the exception
    writeStalled = Signal(object)  # StorageFault: edits kept on screen, not stored yet
    submitted = Signal(object)  # Review
    submitRefused = Signal(object)  # ReviewIncomplete
    reopened = Signal(object)  # Review: a submitted review is a draft again
    reopenRefused = Signal(object)  # ReopenRefused (or another error)

    def __init__(self, ctx: AppContext, rubric: Rubric, review: Review, notes: list[Annotation],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.rubric, self.review, self.notes = ctx, rubric, review, list(notes)
        self.undo_stack = QUndoStack(self)
        self.writer = SerialWriter(self, folder=ctx.paths.data_dir)
        self.writer.pendingChanged.connect(self._pending_changed)
        self.writer.failed.connect(self._write_failed)
        self.writer.stalled.connect(self._write_stalled)
        self.writer.resumed.connect(lambda: self._pending_changed(self.writer.pending))
        self._failed = False

    # -- reading -----------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """Submitted, or shown in a read-only window (another one holds the data folder)."""
        return self.review.status is ReviewStatus.SUBMITTED or self.ctx.view_only is not None

    def levels(self) -> dict[str, int | None]:
        return self.review.levels()

    def comment(self, criterion: str) -> str:
        return next((s.comment for s in self.review.scores if s.criterion_key == criterion), "")

    def decision(self) -> Decision | None:
        return self.review.decision if self.locked else decide(self.rubric, self.levels())

    def note(self, uid: str) -> Annotation | None:
        return next((n for n in self.notes if n.uid == uid), None)

    # -- user actions (undoable) -----------------------------------------------------------
    def _title(self, criterion: str) -> str:
        found = self.rubric.criterion(criterion)
        return found.title if found else criterion

    def set_level(self, criterion: str, level: int | None) -> None:
        old = self.levels().get(criterion)
        if self.locked or old == level:
            return
        self.undo_stack.push(commands.SetLevel(self, criterion, old, level, self._title(criterion)))

    def set_comment(self, criterion: str, text: str) -> None:
        old = self.comment(criterion)
        if self.locked or old == text:
            return
        index = next(i for i, c in enumerate(self.rubric.criteria) if c.key == criterion)
        self.undo_stack.push(commands.SetComment(self, criterion, index, old, text, self._title(criterion)))

    def set_feedback(self, text: str) -> None:
        if self.locked or self.review.feedback == text:
            return
        self.undo_stack.push(commands.SetFeedback(self, self.review.feedback, text))

    def add_note(self, **note_args) -> None:  # noqa: ANN003 - the service's keyword arguments
        if not self.locked:
            self.undo_stack.push(commands.AddNote(self, note_args))

    def delete_note(self, uid: str) -> None:
        note = self.note(uid)
        if note is not None and not self.locked:
            self.undo_stack.push(commands.DeleteNote(self, note))

    def edit_note(self, uid: str, text: str, criterion: str | None) -> None:
        note = self.note(uid)
        if note is None or self.locked or (note.text, note.criterion_key) == (text, criterion):
            return
        self.undo_stack.push(commands.EditNote(self, note, text, criterion))

    def submit(self) -> None:
        """Submit once every queued edit is stored; refusals come back as ``submitRefused``."""
        if self.locked:
            return
        uid = self.review.uid

        def done(review: Review) -> None:
            self.review = review
            self.undo_stack.clear()  # a submitted review is final
            self.reviewChanged.emit(review)
            self.submitted.emit(review)

        def refused(exc: BaseException) -> None:
            if isinstance(exc, reviews_svc.ReviewIncomplete):
                self.submitRefused.emit(exc)
            else:
                self._write_failed(exc)

        self.writer.submit(lambda: reviews_svc.submit_review(self.ctx, uid), done, refused)

    def reopen(self) -> None:
        """Make the submitted review a draft again (the service refuses, saying why, once it
        has left the laptop); the answer comes as ``reopened`` or ``reopenRefused``."""
        if not self.locked:
            return
        uid = self.review.uid

        def done(review: Review) -> None:
            self.review = review
            self.reviewChanged.emit(review)
            self.reopened.emit(review)

        self.writer.submit(lambda: reviews_svc.reopen_review(self.ctx, uid), done,
                           self.reopenRefused.emit)

    # -- writes (called by the commands) ---------------------------------------------------
    def _score(self, criterion: str, **changes) -> None:  # noqa: ANN003
        scores = tuple(replace(s, **changes) if s.criterion_key == criterion else s
                       for s in self.review.scores)
        self.review = replace(self.review, scores=scores)
        self.reviewChanged.emit(self.review)

    def write_level(self, criterion: str, level: int | None) -> None:
        self._score(criterion, level=level)
        uid = self.review.uid
        self._write(lambda: reviews_svc.set_level(self.ctx, uid, criterion, level))

    def write_comment(self, criterion: str, text: str) -> None:
        self._score(criterion, comment=text)
        uid = self.review.uid
        self._write(lambda: reviews_svc.set_comment(self.ctx, uid, criterion, text))

    def write_feedback(self, text: str) -> None:
        self.review = replace(self.review, feedback=text)
        self.reviewChanged.emit(self.review)
        uid = self.review.uid
        self._write(lambda: reviews_svc.set_feedback(self.ctx, uid, text))

    def write_new_note(self, args: dict, created: Callable[[Annotation], None]) -> None:
        uid = self.review.uid
        # The anchor's arguments say which kind of note it is (see note_taking.Anchor).
        add = (notes_svc.add_time_note if "start_ms" in args else notes_svc.add_page_note if "page" in args
               else notes_svc.add_quote_note if "quote" in args else notes_svc.add_region_note)

        def store() -> Annotation:
            return add(self.ctx, uid, **args)

        def done(note: Annotation) -> None:
            created(note)
            self._replace_note(note)

        self.writer.submit(store, done)

    def write_restore_note(self, note: Annotation) -> None:
        self._replace_note(note)
        uid = self.review.uid
        self._write(lambda: notes_svc.restore_note(self.ctx, uid, note))

    def write_delete_note(self, note_uid: str) -> None:
        self.notes = [n for n in self.notes if n.uid != note_uid]
        self.notesChanged.emit(self.notes)
        self._write(lambda: notes_svc.delete_note(self.ctx, note_uid))

    def write_note_update(self, note_uid: str, text: str, criterion: str | None) -> None:
        note = self.note(note_uid)
        if note is not None:
            self._replace_note(replace(note, text=text, criterion_key=criterion))
        self.writer.submit(lambda: notes_svc.update_note(self.ctx, note_uid, text=text,
                                                         criterion_key=criterion),
                           self._replace_note)

    def _replace_note(self, note: Annotation) -> None:
        others = [n for n in self.notes if n.uid != note.uid]
        self.notes = sorted([*others, note], key=lambda n: n.number)
        self.notesChanged.emit(self.notes)

    def _write(self, fn: Callable[[], object]) -> None:
        self.writer.submit(fn)

    # -- saving state ------------------------------------------------------------------------
    @property
    def unsaved(self) -> bool:
        """Some edit on screen is not in the database yet."""
        return bool(self.writer.pending or self.writer.stall)

    def _pending_changed(self, pending: int) -> None:
        if self.writer.stall is not None:
            self.saveStateChanged.emit("unsaved")
        elif pending:
            self.saveStateChanged.emit("saving")
        elif not self._failed:
            self.saveStateChanged.emit("saved")

    def _write_stalled(self, fault: BaseException) -> None:
        log.warning("a write waits: %s (%s)", fault, getattr(fault, "details", ""))
        self.saveStateChanged.emit("unsaved")
        self.writeStalled.emit(fault)

    def _write_failed(self, exc: BaseException) -> None:
        log.warning("a write failed: %s", exc)
        self._failed = True
        self.saveStateChanged.emit("failed")
        self.writeFailed.emit(exc)
        self.reload()

    def reload(self) -> None:
        """Replace the local copy with what the database holds."""
        uid = self.review.uid

        def load() -> tuple[Review, list[Annotation]]:
            return reviews_svc.get_review(self.ctx, uid), notes_svc.list_notes(self.ctx, uid)

        def done(result: tuple[Review, list[Annotation]]) -> None:
            self.review, self.notes = result
            self._failed = False
            self.reviewChanged.emit(self.review)
            self.notesChanged.emit(self.notes)
            self.saveStateChanged.emit("saved" if not self.writer.pending else "saving")

        self.writer.submit(load, done)

    def flush(self, msecs: int = 30_000) -> bool:
        return self.writer.wait(msecs)
