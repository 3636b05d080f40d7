"""A reviewer's calibration result: after they submit a review of a calibration
submission, where they matched the agreed levels, criterion by criterion, and their exact
agreement (``services.calibration.calibration_result``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.geometry import FitScrollArea, fit_window
from reviewer_app.gui.lead.common import AGREE_BG, DIFFER_BG, DISPUTED_BG, MUTED, esc
from reviewer_app.gui.tasks import run_task
from reviewer_app.store.context import AppContext


def _level(value: int | None, label: str | None) -> str:
    return "\u2014" if value is None else f"{value} \u00b7 {label}" if label else str(value)


def verdict(row) -> tuple[str, str]:  # noqa: ANN001 - CriterionResult
    """(text, background) for one criterion's match."""
    if row.exact:
        return "\u2714 Matched", AGREE_BG
    if row.adjacent:
        return "\u2248 One level off", DIFFER_BG
    return "\u2716 Not matched", DISPUTED_BG


class CalibrationResultDialog(QDialog):
    def __init__(self, result, parent: QWidget | None = None) -> None:  # noqa: ANN001 - CalibrationResult
        super().__init__(parent)
        self.result = result
        self.setObjectName("calibrationResult")
        self.setWindowTitle("Calibration Result")
        n = len(result.criteria)
        rate = result.exact_rate
        heading = QLabel(
            f"<p><b>{esc(result.submission_key)} attempt {result.attempt}</b> is a calibration "
            "submission: lead assessors agreed its scores beforehand.</p>"
            f"<p style='font-size:large'>You matched <b>{result.exact} of {n}</b> criteria exactly"
            + (f" (<b>{rate:.0%}</b> exact agreement)" if rate is not None else "")
            + f"; {result.adjacent} of {n} were within one level.</p>", self)
        heading.setObjectName("calibrationHeading")
        heading.setWordWrap(True)
        self.table = QTreeWidget(self)
        self.table.setObjectName("calibrationTable")
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setHeaderLabels(["Criterion", "Your level", "Agreed level", "Result"])
        self.table.setStyleSheet("QTreeView::item { padding: 4px 2px; }")
        for row in result.criteria:
            text, bg = verdict(row)
            item = QTreeWidgetItem([row.title, _level(row.given, row.given_label),
                                    _level(row.agreed, row.agreed_label), text])
            item.setBackground(3, QBrush(QColor(bg)))
            self.table.addTopLevelItem(item)
        given = result.given_decision.label if result.given_decision else "\u2014"
        decision = QTreeWidgetItem(["Decision", given, result.agreed_decision.label,
                                    "\u2714 Matched" if result.decision_matched else "\u2716 Not matched"])
        decision.setBackground(3, QBrush(QColor(AGREE_BG if result.decision_matched else DISPUTED_BG)))
        font = decision.font(0)
        font.setBold(True)
        for col in range(4):
            decision.setFont(col, font)
        self.table.addTopLevelItem(decision)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        rows = self.table.topLevelItemCount()
        self.table.setFixedHeight(self.table.header().sizeHint().height() + 2 * self.table.frameWidth()
                                    + sum(self.table.sizeHintForRow(i) for i in range(rows)) + 4)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        note = QLabel("Your review stays as you submitted it; calibration reviews make no "
                      "decision for the candidate. Your agreement over the calibration set "
                      "decides whether you are qualified for this credential.", self)
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED};")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.accept)
        body = QVBoxLayout()  # a long rubric scrolls; Close stays in view
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(heading)
        body.addWidget(self.table, 1)
        body.addWidget(note)
        layout = QVBoxLayout(self)
        layout.addWidget(FitScrollArea(body, self), 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(680, self.screen().availableGeometry().width() - 40))
        self.adjustSize()
        fit_window(self, "calibrationResult", remember=False)

    def rows(self) -> list[list[str]]:
        return [[self.table.topLevelItem(i).text(c) for c in range(4)]
                for i in range(self.table.topLevelItemCount())]


def show_calibration_result(parent: QWidget, ctx: AppContext, review_uid: str) -> None:
    """After a submit: if the review's attempt is a calibration submission, show the result
    (nothing at all otherwise; a failure to read it is logged, the submit stands)."""
    from reviewer_app.services.calibration import calibration_result

    def shown(result) -> None:  # noqa: ANN001
        if result is None:
            return
        dialog = CalibrationResultDialog(result, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def failed(exc: BaseException) -> None:
        import logging

        logging.getLogger(__name__).warning("calibration result not shown: %s", exc)

    run_task(lambda job: calibration_result(ctx, review_uid), on_success=shown, on_error=failed,
             owner=parent)
