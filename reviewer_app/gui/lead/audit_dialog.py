"""Lead > Audit Log: the latest entries (who did what, to which submission, when) and
"Verify", which checks every entry's hash link (naming the first one altered or removed)
and every audited row against its last audited state, listing each one that differs
(``store.audit``)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.lead.common import EARNED_FG, MUTED, esc, when
from reviewer_app.gui.tasks import run_task
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext

LIMIT = 500

ACTION_LABELS = {
    audit.SCORE: "Level changed", audit.COMMENT: "Comment changed", audit.FEEDBACK: "Feedback changed",
    audit.SUBMIT: "Review submitted", audit.BATCH_EXPORT: "Batch exported",
    audit.BATCH_IMPORT: "Batch imported", audit.BATCH_REFUSED: "Batch refused",
    audit.ENROL: "Reviewer enrolled", audit.REVOKE: "Key revoked", audit.DISPUTE: "Dispute opened",
    audit.MODERATE: "Dispute moderated", audit.FINAL: "Final decision",
    audit.CALIBRATION: "Calibration", audit.POLICY: "Policy changed", audit.ROLE: "Role changed",
    audit.SYNC: "Sync result", audit.ROWS: "Rows recorded", audit.BASELINE: "Data baseline",
    audit.LATE: "Late review", audit.RELEASE: "Decisions released",
    audit.BACKREAD: "Backread", audit.OVERTURN: "Decision overturned",
    audit.ASSIGN: "Second reader assigned",
}


def _load(ctx: AppContext) -> tuple[list[audit.AuditLine], dict[str, str]]:
    from reviewer_app.services.lead_views import profile_names

    return audit.recent(ctx, LIMIT), profile_names(ctx)


# A batch import's entry lists every attempt it decided: tens of kilobytes of details.
CELL_CHARS, TOOLTIP_CHARS = 300, 1500


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()}… ({len(text) - limit:,} more characters)"


def details_text(details_json: str) -> str:
    """The entry's details on one line: ``key: value`` pairs."""
    try:
        data = json.loads(details_json) if details_json else {}
    except ValueError:
        return details_json
    if not isinstance(data, dict):
        return str(data)
    rows = data.pop("rows", None)  # the audited rows' states: too long to show, counted
    if isinstance(rows, dict):
        data["rows audited"] = len(rows)

    def show(value) -> str:  # noqa: ANN001
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            if len(value) == 2 and all(not isinstance(v, (list, dict)) and len(str(v)) < 40 for v in value):
                return f"{value[0]} \u2192 {value[1]}"  # a change: before -> after
            return " | ".join(show(v) for v in value)
        return str(value)

    return "; ".join(f"{k}: {show(v)}" for k, v in data.items())


class AuditDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit Log")
        intro = QLabel("Every score change, submission, batch, dispute, moderation, final decision, "
                       "policy change and sync result is written here in the same transaction as "
                       "the change. Each entry carries the hash of the one before, so an entry "
                       "altered or removed outside the app breaks the chain. Each entry also records the "
                       "rows it wrote; Verify compares them with the data and lists every row that "
                       "differs.", self)
        intro.setWordWrap(True)
        self.table = QTreeWidget(self)
        self.table.setObjectName("auditTable")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHeaderLabels(["#", "When", "Who", "What", "Subject", "Details"])
        header = self.table.header()
        header.setStretchLastSection(True)
        metrics = self.table.fontMetrics()
        for col, sample in enumerate(["000000", "2026-12-31 23:59", "Somebody Longname",
                                      "Dispute moderated", "DEMO-00000000 attempt 2"]):
            header.resizeSection(col, metrics.horizontalAdvance(sample) + 24)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.count = QLabel(self)
        self.count.setStyleSheet(f"color: {MUTED};")
        self.result = QLabel(self)
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.discrepancies = QPlainTextEdit(self)
        self.discrepancies.setObjectName("verifyDiscrepancies")
        self.discrepancies.setAccessibleName("Discrepancies between the data and the audit log")
        self.discrepancies.setReadOnly(True)
        self.discrepancies.setMaximumHeight(150)
        self.discrepancies.hide()
        self.verify_button = QPushButton("&Verify", self)
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.setToolTip("Check every entry's hash link, and the reviews, scores, final "
                                      "decisions, policies and enrolments against the log "
                                      "(reviewer-app audit verify)")
        self.verify_button.clicked.connect(self.verify)
        refresh = QPushButton("&Refresh", self)
        refresh.clicked.connect(self.reload)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.reload)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.verify_button)
        row.addWidget(self.result, 1)
        row.addWidget(refresh)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.discrepancies)
        layout.addLayout(row)
        fit_window(self, "auditLog", (1000, 560))
        self.reload()

    def reload(self) -> None:
        ctx = self.ctx
        self.count.setText("Loading\u2026")
        run_task(lambda job: _load(ctx), on_success=self._loaded,
                 on_error=lambda exc: show_error(self, exc, self.windowTitle()), owner=self)

    def _loaded(self, result: tuple[list[audit.AuditLine], dict[str, str]]) -> None:
        lines, names = result
        self.table.clear()
        for line in lines:
            who = names.get(line.actor_uid or "", line.actor_uid or "(system)")
            details = details_text(line.details_json)
            item = QTreeWidgetItem([str(line.id), when(line.at), who,
                                    ACTION_LABELS.get(line.action, line.action), line.subject,
                                    shorten(details, CELL_CHARS)])
            item.setToolTip(3, line.action)
            item.setToolTip(5, shorten(details, TOOLTIP_CHARS))
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.addTopLevelItem(item)
        shown = len(lines)
        self.count.setText(f"The latest {shown} entries, newest first." if shown == LIMIT
                           else f"{shown} entr{'ies' if shown != 1 else 'y'}, newest first.")

    def verify(self) -> None:
        ctx = self.ctx
        self.verify_button.setEnabled(False)
        self.result.setText("Verifying\u2026")

        def done(result: audit.VerifyResult) -> None:
            self.verify_button.setEnabled(True)
            chain, data = [line for line in result.lines() if not line.startswith("  - ")]
            marks = {True: (EARNED_FG, "\u2714"), False: ("#b00020", "\u2716")}
            self.result.setText("<br>".join(
                f"<span style='color:{marks[good][0]}'>{marks[good][1]} {esc(text)}</span>"
                for text, good in ((chain, result.problem is None), (data, not result.rows))))
            self.result.setProperty("ok", result.ok)
            self.discrepancies.setPlainText("\n".join(p.message for p in result.rows))
            self.discrepancies.setVisible(bool(result.rows))

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            self.result.setText("")
            show_error(self, exc, "Audit log not verified")

        run_task(lambda job: audit.verify(ctx), on_success=done, on_error=failed, owner=self)


def open_audit_dialog(ctx: AppContext, parent: QWidget | None = None) -> AuditDialog:
    dialog = AuditDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
