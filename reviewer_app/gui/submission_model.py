"""The queue as a lazily fetched table model.

Rows arrive a page at a time from ``services.submissions`` on a worker thread
(``canFetchMore``/``fetchMore``): the view asks for more as the user scrolls, so a
queue of any size never sits in memory at once. A new query cancels the reads of the one
it replaces, and the database abandons them where they are (``store.interrupt``): with
two worker threads, a stale count of a million rows would otherwise hold one of them.

At start the model is made without the database (``ctx`` None: no rows, the headers only),
so that the window paints before SQLAlchemy is imported; ``attach`` gives it the context
and reads the first page with the sort chosen meanwhile.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from reviewer_app.domain.model import SubmissionStatus
from reviewer_app.gui.tasks import Task, run_task

if TYPE_CHECKING:
    from reviewer_app.services import submissions as svc
    from reviewer_app.store.context import AppContext

Index = QModelIndex | QPersistentModelIndex

COLUMNS = [  # (header, sort key in services.submissions.SORT_COLUMNS)
    ("Submission", "key"),
    ("Attempt", "attempt"),
    ("Credential", "credential"),
    ("Submitted", "submitted_at"),
    ("Status", "status"),
    ("Evidence", "evidence"),
]
PAGE = 200


class SubmissionTableModel(QAbstractTableModel):
    pageShown = Signal(int)  # the first page of a new query is on screen (its row count)
    loaded = Signal(int)  # ...and the total matching the query is known
    failed = Signal(object)

    def __init__(self, ctx: AppContext | None, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._ctx = ctx
        self._query: svc.QueueQuery | None = None  # (made with the services, at the first read)
        self._sort: tuple[str, bool] | None = None  # the sort chosen before the context came
        self._rows: list[svc.SubmissionRow] = []
        self._total: int | None = None
        self._more = False
        self._generation = 0  # answers to an outdated query are dropped
        self._fetching = False
        self._reads: list[Task] = []  # the page, count and more-rows reads of this query

    # -- queries -----------------------------------------------------------------------------
    @property
    def query(self) -> svc.QueueQuery:
        if self._query is None:
            from reviewer_app.services import submissions as svc

            self._query = svc.QueueQuery()
            if self._sort is not None:
                self._query = replace(self._query, sort=self._sort[0], descending=self._sort[1])
        return self._query

    @property
    def attached(self) -> bool:
        return self._ctx is not None

    def attach(self, ctx: AppContext, query: svc.QueueQuery | None = None) -> None:
        """The database is open: read the first page of ``query`` (by default, all with the
        sort chosen meanwhile)."""
        self._ctx = ctx
        if query is not None:
            self._query = query
        self.refresh()

    @property
    def total(self) -> int:
        return self._total if self._total is not None else len(self._rows)

    def set_query(self, query: svc.QueueQuery) -> None:
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Reload for the current query: the first page as soon as it is read, the count after."""
        if self._ctx is None:
            return  # (attach reads it)
        from reviewer_app.services import submissions as svc

        self._generation += 1
        generation, query, ctx = self._generation, self.query, self._ctx
        self._fetching, self._total = True, None
        self.cancel_reads()
        self._read(lambda job: svc.list_submissions(ctx, query, offset=0, limit=PAGE, job=job),
                   lambda rows: self._reset(generation, rows))

    def cancel_reads(self) -> None:
        """Stop every read still running for the current query (its answer is not wanted)."""
        reads, self._reads = self._reads, []
        for task in reads:
            task.cancel()

    def _read(self, fn, on_success) -> None:  # noqa: ANN001
        task = run_task(fn, on_success=on_success, on_error=self._failed, owner=self)
        self._reads.append(task)
        task.signals.finished.connect(lambda: self._reads.remove(task) if task in self._reads else None)

    def _count(self, generation: int) -> None:
        # After the page, not beside it: the rows on screen come first.
        from reviewer_app.services import submissions as svc

        query, ctx = self.query, self._ctx
        self._read(lambda job: svc.count_submissions(ctx, query, job=job),
                   lambda total: self._counted(generation, total))

    def _reset(self, generation: int, rows: list[svc.SubmissionRow]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows, self._fetching = rows, False
        self._more = len(rows) == PAGE
        self.endResetModel()
        self.pageShown.emit(len(rows))
        self._count(generation)

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._generation:
            return
        self._total = total
        self.loaded.emit(total)

    def _failed(self, exc: BaseException) -> None:
        self._fetching = False
        self.failed.emit(exc)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if parent.isValid() or self._fetching or not self._more:
            return
        from reviewer_app.services import submissions as svc

        self._fetching = True
        generation, query, offset, ctx = self._generation, self.query, len(self._rows), self._ctx
        self._read(lambda job: svc.list_submissions(ctx, query, offset=offset, limit=PAGE, job=job),
                   lambda rows: self._append(generation, offset, rows))

    def _append(self, generation: int, offset: int, rows: list[svc.SubmissionRow]) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._fetching = False
        self._more = len(rows) == PAGE
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    # -- the model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> str | None:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def row(self, index: int) -> svc.SubmissionRow:
        return self._rows[index]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _DISPLAY[column](r)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return r.submitted_at.isoformat()
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return r
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is None:
            return
        if self._ctx is None and self._query is None:  # at start: the services come later
            self._sort = (key, order == Qt.SortOrder.DescendingOrder)
            return
        self.set_query(replace(self.query, sort=key,
                               descending=order == Qt.SortOrder.DescendingOrder))


# Each column's text, made only for the cell asked for (a paint asks for every visible one).
_DISPLAY = (
    lambda r: r.key,
    lambda r: str(r.attempt),
    lambda r: f"{r.credential_title} (v{r.credential_version})",
    lambda r: r.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M"),
    lambda r: r.status.value.capitalize(),
    lambda r: str(r.evidence_count),
)

# Item data holds the status's value: Qt stores a StrEnum as a plain string anyway.
STATUS_CHOICES = [("All statuses", None)] + [(s.value.capitalize(), s.value) for s in SubmissionStatus]
