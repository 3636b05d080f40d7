"""The reviewer's notes on this submission: a list to choose from (which takes the viewer
there), add, edit and delete."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.model import Annotation, Rubric
from reviewer_app.gui.workspace.editor import ReviewEditor
from reviewer_app.gui.workspace.notes_cells import HTML_ROLE, HtmlCellDelegate, note_html

Index = QModelIndex | QPersistentModelIndex
SIZED_ROWS = 200  # the columns are fitted to this many notes' texts
CELL_PADDING = 14  # a cell's margins and the header's sort-indicator room
MAX_COLUMN_WIDTH = 130  # a long evidence title is elided (its tooltip has it whole)
NOTE_COLUMN = 4  # the one column on show: it draws the others' values too (notes_cells)


class NotesModel(QAbstractTableModel):
    HEADERS = ["#", "Evidence", "Where", "Criterion", "Note"]

    def __init__(self, editor: ReviewEditor, titles: dict[str, str], parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.editor, self.titles = editor, titles
        self._notes: list[Annotation] = list(editor.notes)
        editor.notesChanged.connect(self._reset)

    def rebind(self, editor: ReviewEditor, titles: dict[str, str]) -> None:
        self.editor, self.titles = editor, titles
        editor.notesChanged.connect(self._reset)
        self._reset(editor.notes)

    def _reset(self, notes: list[Annotation]) -> None:
        self.beginResetModel()
        self._notes = list(notes)
        self.endResetModel()

    def note(self, row: int) -> Annotation:
        return self._notes[row]

    def row_of(self, uid: str) -> int:
        return next((i for i, n in enumerate(self._notes) if n.uid == uid), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._notes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: ANN001, ANN201
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def values(self, row: int) -> list[str]:
        """The cells of a row: number, evidence, where, criterion, text."""
        n = self._notes[row]
        criterion = self.editor.rubric.criterion(n.criterion_key) if n.criterion_key else None
        return [str(n.number), self.titles.get(n.evidence_key, n.evidence_key), n.where(),
                criterion.title if criterion else "", n.text]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.values(index.row())[index.column()]
        if role == HTML_ROLE and index.column() == NOTE_COLUMN:
            number, evidence, where, criterion, text = self.values(index.row())
            return note_html(number, where, evidence, criterion, text)
        return None


class NoteDialog(QDialog):
    """Text and criterion of a note."""

    def __init__(self, rubric: Rubric, where: str, text: str = "", criterion: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteDialog")
        self.setWindowTitle("Note")
        form = QFormLayout(self)
        self.where = QLabel(where, self)
        form.addRow("Where:", self.where)
        self.text = QPlainTextEdit(text, self)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumSize(360, 100)
        form.addRow("Note:", self.text)
        self.criterion = QComboBox(self)
        self.criterion.addItem("(no criterion)", None)
        for c in rubric.criteria:
            self.criterion.addItem(c.title, c.key)
        self.criterion.setCurrentIndex(max(0, self.criterion.findData(criterion)))
        form.addRow("Criterion:", self.criterion)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.text.setFocus()

    def values(self) -> tuple[str, str | None]:
        return self.text.toPlainText().strip(), self.criterion.currentData()


class NotesPanel(QWidget):
    noteChosen = Signal(object)  # Annotation: take the viewer there
    addRequested = Signal()
    writing = Signal(bool)  # a note's dialog opened (True) or closed (False)

    def __init__(self, editor: ReviewEditor, titles: dict[str, str], parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("notesPanel")
        self.editor = editor
        self.editing: NoteDialog | None = None  # the last note being edited
        self.model = NotesModel(editor, titles, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.table = QTableView(self)
        self.table.setObjectName("notesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # One cell per note, as wide as the dock: its number, place and item, its criterion,
        # then its whole text, wrapped; the rows grow to hold it.
        self.cells = HtmlCellDelegate(self.table)
        self.table.setItemDelegateForColumn(NOTE_COLUMN, self.cells)
        for column in range(NOTE_COLUMN):
            self.table.setColumnHidden(column, True)
        self.table.horizontalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().sectionResized.connect(
            lambda column, *_: self.table.resizeRowsToContents() if column == NOTE_COLUMN else None)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(lambda index: self.noteChosen.emit(self.model.note(index.row())))
        self.table.doubleClicked.connect(lambda index: self.noteChosen.emit(self.model.note(index.row())))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add note")
        self.add_button.clicked.connect(self.addRequested)
        self.edit_button = QPushButton("Edit\u2026")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        for b in (self.add_button, self.edit_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.empty = QLabel("No notes yet. While watching or reading, press the Add Note key "
                            "to note a moment, a page, a region of a photo or a selected passage.")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #666;")
        layout.addWidget(self.empty)
        editor.notesChanged.connect(lambda _: self._update())
        editor.reviewChanged.connect(lambda _: self._update())
        self._update()

    def rebind(self, editor: ReviewEditor, titles: dict[str, str]) -> None:
        """Show another review's notes (the workspace reuses its panel)."""
        self.editor = editor
        self.model.rebind(editor, titles)
        editor.notesChanged.connect(lambda _: self._update())
        editor.reviewChanged.connect(lambda _: self._update())
        self._update()

    def _update(self) -> None:
        locked = self.editor.locked
        for b in (self.add_button, self.edit_button, self.delete_button):
            b.setEnabled(not locked)
        self.empty.setVisible(not self.editor.notes)
        self._size_columns()

    def _size_columns(self) -> None:
        """The short columns as wide as their longest text (from the first rows: a long
        list is not measured row by row, which would slow opening); the note takes the rest."""
        metrics = self.table.fontMetrics()
        rows = [self.model.values(row) for row in range(min(self.model.rowCount(), SIZED_ROWS))]
        for column, header in enumerate(NotesModel.HEADERS[:-1]):
            widest = max((metrics.horizontalAdvance(r[column]) for r in rows), default=0)
            width = max(widest, metrics.horizontalAdvance(header)) + CELL_PADDING
            self.table.setColumnWidth(column, min(width, MAX_COLUMN_WIDTH))

    def selected(self) -> Annotation | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.note(rows[0].row()) if rows else None

    def select(self, uid: str) -> None:
        row = self.model.row_of(uid)
        if row >= 0:
            self.table.selectRow(row)

    def step(self, delta: int) -> Annotation | None:
        """Select the next (or previous) note and go there."""
        if not self.model.rowCount():
            return None
        current = self.selected()
        row = self.model.row_of(current.uid) + delta if current else (0 if delta > 0 else -1)
        row %= self.model.rowCount()
        self.table.selectRow(row)
        note = self.model.note(row)
        self.noteChosen.emit(note)
        return note

    def edit_selected(self) -> None:
        note = self.selected()
        if note is None:
            return
        dialog = NoteDialog(self.editor.rubric, note.where(), note.text, note.criterion_key, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor = self.editor

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and editor is self.editor:
                text, criterion = dialog.values()
                editor.edit_note(note.uid, text, criterion)
            self.writing.emit(False)

        dialog.finished.connect(finished)
        self.editing = dialog
        self.writing.emit(True)  # (the workspace pauses the video meanwhile)
        dialog.open()

    def delete_selected(self) -> None:
        note = self.selected()
        if note is not None:
            self.editor.delete_note(note.uid)
