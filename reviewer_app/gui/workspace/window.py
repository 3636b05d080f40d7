"""The workspace for one submission attempt: evidence viewers in the middle, the rubric,
the evidence list, the notes and the written reflections in docks the reviewer can
rearrange (the layout is remembered; View > Reset Layout brings the default back).

The window itself (viewers, docks, menus, keys) is built once; :meth:`WorkspaceWindow.bind`
puts a submission in it. The opener keeps one built ahead, hidden, so opening a submission
only binds it and shows it (see reviewer_app.gui.workspace.opener).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QUndoGroup
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QMainWindow,
    QTextBrowser,
    QWidget,
)

from reviewer_app import APP_NAME
from reviewer_app.domain.model import (
    Annotation,
    AnnotationKind,
    EvidenceItem,
    EvidenceKind,
    Review,
)
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.shortcuts import ShortcutRegistry, ShortcutsDialog
from reviewer_app.gui.tasks import run_task
from reviewer_app.gui.workspace.access import name_controls
from reviewer_app.gui.workspace.editor import ReviewEditor
from reviewer_app.gui.workspace.evidence_panel import EvidencePanel
from reviewer_app.gui.workspace.evidence_viewer import EvidenceViewer
from reviewer_app.gui.workspace.layout import InnerLayout
from reviewer_app.gui.workspace.note_marks import go_to_place, show_note_marks
from reviewer_app.gui.workspace.note_taking import DOCUMENT, MEDIA, NoteTaker
from reviewer_app.gui.workspace.notes_panel import NotesPanel
from reviewer_app.gui.workspace.precheck import precheck_item
from reviewer_app.gui.workspace.resume import ResumePoints
from reviewer_app.gui.workspace.rubric_panel import RubricPanel
from reviewer_app.gui.workspace.saving import SaveIndicator, confirm_close
from reviewer_app.gui.workspace.viewers import IMAGE_SHORTCUTS
from reviewer_app.services.submissions import SubmissionDetail
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

STATE_VERSION = 2  # 2: the evidence strip above the viewers, notes and reflections behind the rubric
# The pre-check (every item probed off the GUI thread) waits until the first video frame
# and PDF page are on screen, so it does not slow them down; at most this long.
PRECHECK_WAIT_MS = 1500


class WorkspaceWindow(QMainWindow):
    closed = Signal()
    queue_refresh = None  # the queue's refresh, called as a review is submitted or reopened

    def __init__(self, ctx: AppContext, settings: QSettings, detail: SubmissionDetail | None = None,
                 review: Review | None = None, notes: list[Annotation] | None = None,
                 parent: QWidget | None = None, *, viewer: EvidenceViewer | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspaceWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # (a reusable one: see opener)
        self.ctx, self.settings = ctx, settings
        self.detail: SubmissionDetail | None = None
        self.editor: ReviewEditor | None = None
        self.titles: dict[str, str] = {}
        self.setWindowTitle(APP_NAME)
        fit_window(self, "workspace", QSize(1400, 860), maximize_small=True, settings=settings)
        self.registry = ShortcutRegistry(settings)
        self.undo_group = QUndoGroup(self)

        # (The viewers are the heavy part: the opener builds them in an event-loop turn of
        # their own, so building a window ahead never stalls the queue.)
        self.viewer = viewer if viewer is not None else EvidenceViewer(ctx)
        self.setCentralWidget(self.viewer)

        # The submission's panels replace these placeholders in bind().
        self.rubric = self.evidence = self.notes = None
        self.reflections = QTextBrowser(self)
        self.reflections.setObjectName("reflections")
        # Laid out for a laptop screen (see layout): the evidence as a strip above the
        # viewers, the rubric in a full-height column with the notes and the reflections
        # in tabs behind it, so the viewers get the width.
        for corner in (Qt.Corner.TopRightCorner, Qt.Corner.BottomRightCorner):
            self.setCorner(corner, Qt.DockWidgetArea.RightDockWidgetArea)
        for corner in (Qt.Corner.TopLeftCorner, Qt.Corner.BottomLeftCorner):
            self.setCorner(corner, Qt.DockWidgetArea.LeftDockWidgetArea)
        top, right = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.docks = {
            "evidence": self._dock("Evidence", "evidenceDock", QWidget(self), top),
            "rubric": self._dock("Rubric", "rubricDock", QWidget(self), right),
            "notes": self._dock("Notes", "notesDock", QWidget(self), right),
            "reflections": self._dock("Reflections", "reflectionsDock", self.reflections, right),
        }
        self.inner = InnerLayout(self, STATE_VERSION)
        self.tabifyDockWidget(self.docks["rubric"], self.docks["notes"])
        self.tabifyDockWidget(self.docks["notes"], self.docks["reflections"])
        self._reflections_due = ""  # filled in when their tab is shown
        self._reflections_shown = False
        self.docks["reflections"].visibilityChanged.connect(self._reflections_visibility)
        self.docks["rubric"].raise_()

        self.save_label = SaveIndicator(self)
        self._discarding = False
        self.statusBar().addPermanentWidget(self.save_label)
        self._build_actions()
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()
        self.note_taker = NoteTaker(self)
        self.viewer.pdf.regionSelected.connect(self._region_selected)
        self.resume = ResumePoints(settings)
        self.viewer.leaving.connect(self._remember)
        self.viewer.opened.connect(self._return_to)
        self.viewer.start_of = self._start_of
        self._precheck_timer = QTimer(self)
        self._precheck_timer.setSingleShot(True)
        self._precheck_timer.timeout.connect(self._precheck)
        self.viewer.settled.connect(
            lambda: self._precheck_timer.start(0) if self._precheck_timer.isActive() else None)
        if detail is not None:
            assert review is not None
            self.bind(detail, review, notes or [])

    def bind(self, detail: SubmissionDetail, review: Review, notes: list[Annotation]) -> None:
        """Show this submission attempt (the window must be empty: new, or closed)."""
        self.detail = detail
        self.setWindowTitle(f"{detail.key} (attempt {detail.attempt}) \u2014 "
                            f"{detail.credential.title} \u2014 {APP_NAME}")
        self.titles = {e.key: e.title for e in detail.evidence}
        self.viewer.reset()
        self.note_taker.reset()
        editor = ReviewEditor(self.ctx, detail.rubric, review, notes, self)
        self.editor = editor
        self.undo_group.addStack(editor.undo_stack)
        self.undo_group.setActiveStack(editor.undo_stack)
        # Open on the first video (or audio) beside the first document, when there are both:
        # started first, so libvlc and the PDF renderer work while the panels are built.
        firsts = [next((e for e in detail.evidence if e.kind in kinds), None) for kinds in (
            (EvidenceKind.PDF, EvidenceKind.IMAGE, EvidenceKind.TEXT),
            (EvidenceKind.VIDEO, EvidenceKind.AUDIO))]
        for item in firsts:
            if item is not None:
                self.viewer.show_item(item)

        panels = {}
        if self.rubric is not None and self.rubric.can_take(editor):
            self.rubric.rebind(editor)  # the same rubric (a credential's next submission)
        else:
            self.rubric = panels["rubric"] = RubricPanel(editor, self)
        if self.evidence is not None:
            self.evidence.set_evidence(detail.rubric, detail.evidence)
        else:
            self.evidence = panels["evidence"] = EvidencePanel(detail.rubric, detail.evidence, self)
            self.evidence.chosen.connect(self._show_evidence)
        if self.notes is not None:
            self.notes.rebind(editor, self.titles)
        else:
            self.notes = panels["notes"] = NotesPanel(editor, self.titles, self)
            self.notes.noteChosen.connect(self.go_to_note)
            self.notes.addRequested.connect(self.add_note)
            self.notes.writing.connect(self.note_taker.writing)
        for name, panel in panels.items():
            old = self.docks[name].widget()
            self.docks[name].setWidget(panel)
            if old is not None:
                old.deleteLater()
        self.inner.panels_bound()
        self._reflections_due = _reflections_html(detail)
        if self._reflections_shown:
            self._fill_reflections()

        editor.saveStateChanged.connect(lambda state: self.save_label.show_state(state, editor))
        editor.writeFailed.connect(lambda exc: show_error(self, exc, "Not saved"))
        editor.writeStalled.connect(lambda fault: self.save_label.tell(self, fault))
        editor.submitRefused.connect(lambda exc: show_error(self, exc, "Review not submitted"))
        editor.submitted.connect(self._submitted)
        editor.reopened.connect(self._reopened)
        editor.notesChanged.connect(self._notes_changed)
        self.save_label.show_state("saved", editor)
        self._discarding = False
        for item in firsts:
            if item is not None:
                self.evidence.select(item.key)
        self._notes_changed(editor.notes)
        self._precheck_timer.start(PRECHECK_WAIT_MS if self.viewer.loading() else 0)
        if panels:  # new panels: their controls get accessible names (a few ms: after showing)
            QTimer.singleShot(0, self, lambda: name_controls(self))

    def _reflections_visibility(self, visible: bool) -> None:
        """(Sent on showing and hiding the window too, and when the tab is chosen.)"""
        self._reflections_shown = visible
        if visible:
            self._fill_reflections()

    def _fill_reflections(self) -> None:
        if self._reflections_due:
            self.reflections.setHtml(self._reflections_due)
            self._reflections_due = ""

    def unbind(self) -> None:
        """Empty the window (after closing it), so it can take another submission."""
        self._precheck_timer.stop()
        self.viewer.reset()
        if self.editor is not None:
            self.undo_group.removeStack(self.editor.undo_stack)
            self.editor.deleteLater()
            self.editor = None
        self.detail = None
        self.setWindowTitle(APP_NAME)

    # -- building ----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, action_id: str, text: str, group: str, key: str, slot, menu=None,  # noqa: ANN001
                context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QAction:
        action = QAction(text, self)
        action.setObjectName(action_id)
        action.setShortcutContext(context)
        action.triggered.connect(slot)
        self.addAction(action)
        self.registry.register(action_id, action, group, key)
        if menu is not None:
            menu.addAction(action)
        return action

    def _adopt(self, prefix: str, actions: dict[str, QAction], defaults: dict, group: str, menu) -> None:  # noqa: ANN001
        """Put a viewer's actions in a menu and under the registry (window-wide keys, active
        only while that viewer shows: see ``EvidenceViewer.show_item``)."""
        for name, action in actions.items():
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.registry.register(f"{prefix}.{name}", action, group, defaults.get(name, ""))
            menu.addAction(action)

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        edit_menu = bar.addMenu("&Edit")
        review_menu = bar.addMenu("&Review")
        play_menu = bar.addMenu("&Playback")
        doc_menu = bar.addMenu("&Document")
        view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")

        self._action("window.close", "&Close Workspace", "Window", "Ctrl+W", self.close, file_menu)

        undo = self.undo_group.createUndoAction(self, "&Undo")
        redo = self.undo_group.createRedoAction(self, "&Redo")
        for action_id, action, key in (("edit.undo", undo, "Ctrl+Z"), ("edit.redo", redo, "Ctrl+Shift+Z")):
            action.setObjectName(action_id)
            self.addAction(action)
            self.registry.register(action_id, action, "Edit", key, action_id.split(".")[1].capitalize())
            edit_menu.addAction(action)

        group = "Review"
        self._action("review.submit", "&Submit Review", group, "Ctrl+Return", lambda: self.rubric.submit(),
                     review_menu)
        self._action("review.reopen", "Re&open Review", group, "", lambda: self.rubric.reopen(), review_menu)
        review_menu.addSeparator()
        self._action("rubric.next", "Next Criterion", group, "Alt+Down",
                     lambda: self.rubric.move_current(1), review_menu)
        self._action("rubric.previous", "Previous Criterion", group, "Alt+Up",
                     lambda: self.rubric.move_current(-1), review_menu)
        levels = review_menu.addMenu("Choose &Level")
        for n in range(1, 10):
            self._action(f"rubric.level{n}", f"Level {n} (of the current criterion)", group, str(n),
                         lambda _=False, n=n: self.rubric.choose_level(n), levels)
        self._action("rubric.clear", "Clear Level", group, "0", lambda: self.rubric.clear_level(), levels)
        self._action("rubric.comment", "Comment on Current Criterion", group, "Ctrl+E",
                     lambda: self.rubric.focus_comment(), review_menu)
        self._action("rubric.feedback", "Feedback to the Candidate", group, "Ctrl+Shift+E",
                     lambda: self.rubric.feedback.setFocus(), review_menu)
        review_menu.addSeparator()
        group = "Notes"
        self._action("notes.add", "&Add Note Here", group, "A", self.add_note, review_menu)
        self._action("notes.next", "Next Note", group, "Ctrl+.", lambda: self.notes.step(1), review_menu)
        self._action("notes.previous", "Previous Note", group, "Ctrl+,", lambda: self.notes.step(-1),
                     review_menu)

        from reviewer_app.gui.media import media_pane
        from reviewer_app.gui.pdf import pdf_pane

        self._adopt("media", self.viewer.media.media_actions, media_pane.DEFAULT_SHORTCUTS, "Playback",
                    play_menu)
        # Video and PDF show side by side, so their keys must differ: Ctrl+G is the video's.
        pdf_keys = {**pdf_pane.DEFAULT_SHORTCUTS, "next_hit": ("F3",), "prev_hit": ("Shift+F3",)}
        self._adopt("pdf", self.viewer.pdf.pdf_actions, pdf_keys, "Document", doc_menu)
        doc_menu.addSeparator()
        self._adopt("image", self.viewer.image.image_actions, IMAGE_SHORTCUTS, "Photo", doc_menu)
        for slot in (self.viewer.media_slot, self.viewer.document_slot):
            slot.changed.connect(self._activate_keys)
        self._activate_keys()

        group = "View"
        self._action("evidence.next", "Next Evidence Item", group, "Ctrl+Tab",
                     lambda: self.evidence.step(1), view_menu)
        self._action("evidence.previous", "Previous Evidence Item", group, "Ctrl+Shift+Tab",
                     lambda: self.evidence.step(-1), view_menu)
        view_menu.addSeparator()
        self._action("view.swap_sizes", "&Swap Video and Document Sizes", group, "Ctrl+Shift+D",
                     self.viewer.swap_sizes, view_menu)
        self.compact_action = self._action(
            "view.rubric_compact", "Rubric: &Current Criterion Only", group, "Ctrl+Shift+K",
            lambda on: self.rubric.set_compact(on) if self.rubric is not None else None, view_menu)
        self.compact_action.setCheckable(True)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self._action("view.reset_layout", "&Reset Layout", group, "", self.reset_layout, view_menu)
        self._action("help.shortcuts", "&Keyboard Shortcuts\u2026", "Help", "F1",
                     self.show_shortcuts, help_menu)

    def _activate_keys(self) -> None:
        self.registry.activate(self.viewer.shortcut_groups())

    # -- layout --------------------------------------------------------------------------------
    # (The window's own size and place: gui.geometry; what is inside it is kept per screen
    # size, by layout.InnerLayout.)
    def _restore_layout(self) -> None:
        self.inner.restore()

    def save_layout(self) -> None:
        self.inner.save()
        self.settings.sync()

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self.inner.shown()

    def resizeEvent(self, event) -> None:  # noqa: ANN001
        super().resizeEvent(event)
        self.inner.resized()

    def reset_layout(self) -> None:
        self.inner.reset(self._default_state, STATE_VERSION)

    def show_shortcuts(self) -> QDialog:
        dialog = ShortcutsDialog(self.registry, self)
        dialog.open()
        return dialog

    # -- evidence and notes ----------------------------------------------------------------
    def _show_evidence(self, item: EvidenceItem) -> None:
        self.viewer.show_item(item)
        self._notes_changed(self.editor.notes)

    def _notes_changed(self, notes: list[Annotation]) -> None:
        show_note_marks(self.viewer, notes)

    def go_to_note(self, note: Annotation) -> None:
        """Open the note's evidence at its moment or place."""
        self.evidence.select(note.evidence_key)
        item = next((e for e in self.detail.evidence if e.key == note.evidence_key), None)
        if item is not None and not self.viewer.item_shown(item.key):
            self._show_evidence(item)
        self.notes.select(note.uid)
        go_to_place(self.viewer, note)
        self.note_taker.use.used(MEDIA if note.kind is AnnotationKind.TIME else DOCUMENT)  # looked at
        self.statusBar().showMessage(f"{note.citation} {note.where()}", 4000)

    def _region_selected(self, page: int, rect: QRectF) -> None:
        self.viewer.pdf.set_region_mode(False)
        self.note_taker.add(DOCUMENT, region=(page, rect))  # this note's region, and no other's

    def add_note(self) -> None:
        """A note where the reviewer is looking (see note_taking)."""
        self.note_taker.add()

    # -- pre-check -----------------------------------------------------------------------------
    def _precheck(self) -> None:
        if self.detail is None:
            return
        # (Work that can wait for the first frame and page: a resubmission's last attempt too.)
        self.rubric.show_earlier(self.ctx, self.detail.attempt_id, self.settings)
        for item in self.detail.evidence:
            path = self.viewer.path(item)
            run_task(lambda job, item=item, path=path: precheck_item(item, path),
                     on_success=lambda message, key=item.key, panel=self.evidence:
                         panel.set_problem(key, message),
                     on_error=lambda exc, key=item.key, panel=self.evidence: panel.set_problem(key, str(exc)),
                     owner=self.evidence)

    # -- saving ------------------------------------------------------------------------------
    def _close_discarding(self) -> None:
        self._discarding = True
        self.close()

    def _submitted(self, review: Review) -> None:
        decision = review.decision.label if review.decision else ""
        self.statusBar().showMessage(f"Review submitted: {decision}. It is now locked.", 10_000)
        from reviewer_app.gui.lead.calibration_result import show_calibration_result

        show_calibration_result(self, self.ctx, review.uid)  # a calibration submission: where you matched
        if self.queue_refresh is not None:
            self.queue_refresh()

    def _reopened(self, _review: Review) -> None:
        self.statusBar().showMessage("Review reopened: it is a draft again; submit it when ready.", 10_000)
        if self.queue_refresh is not None:
            self.queue_refresh()

    # -- where each item was left (see resume) ------------------------------------------------
    def _remember(self, item: EvidenceItem) -> None:
        if self.editor is not None:
            self.resume.remember(self.editor.review.uid, item, self.viewer)

    def _start_of(self, item: EvidenceItem) -> int:
        return self.resume.start_of(self.editor.review.uid, item) if self.editor is not None else 0

    def _return_to(self, item: EvidenceItem) -> None:
        if self.editor is not None:
            self.resume.return_to(self.editor.review.uid, item, self.viewer)

    def closeEvent(self, event: QCloseEvent) -> None:
        for item in (self.viewer.media_item, self.viewer.document_item):
            if item is not None:
                self._remember(item)
        if self.rubric is not None:
            self.rubric.commit_pending_text()
        if (self.editor is not None and not self._discarding
                and not confirm_close(self, self.editor, self._close_discarding)):
            event.ignore()  # the reviewer is asked first
            return
        self.save_layout()
        self.viewer.close_all()
        self.closed.emit()
        super().closeEvent(event)


def _reflections_html(detail: SubmissionDetail) -> str:
    if not detail.reflections:
        return "<p><i>No written reflections in this submission.</i></p>"
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    return "".join(f"<p><b>{esc(r.prompt)}</b></p><p>{esc(r.text)}</p>" for r in detail.reflections)
