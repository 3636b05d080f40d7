"""Lead > Calibration: the calibration submissions with their agreed levels, each
reviewer's agreement with them and whether they are qualified, per credential; mark the
submission selected in the queue as a calibration submission (agreed level per criterion),
remove one, and export the calibration file reviewers import (``services.calibration``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.rules import decide
from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import FitScrollArea, fit_window, grow_to_content
from reviewer_app.gui.lead.common import AGREE_BG, DISPUTED_BG, EARNED_FG, MUTED, NOT_YET_FG, when
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import calibration
from reviewer_app.store.context import AppContext

#: What "the current submission" is: (submission key, attempt) or None when none is selected.
CurrentSubmission = Callable[[], "tuple[str, int] | None"]


def _load(ctx: AppContext, credential_key: str | None):  # noqa: ANN202
    from reviewer_app.services.submissions import credentials

    creds = {c.key: c.title for c in credentials(ctx)}
    items = calibration.list_calibration(ctx, credential_key)
    keys = [credential_key] if credential_key else sorted({i.credential_key for i in items})
    agreement = {key: calibration.reviewer_agreement(ctx, key) for key in keys}
    return creds, items, agreement


def _pct(x: float | None) -> str:
    return "\u2014" if x is None else f"{x:.0%}"


def _tree(parent: QWidget, name: str, headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget(parent)
    tree.setObjectName(name)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setHeaderLabels(headers)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(True)
    return tree


class CalibrationDialog(QDialog):
    def __init__(self, ctx: AppContext, current: CurrentSubmission | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.current = ctx, current
        self.setObjectName("calibrationDialog")
        self.setWindowTitle("Calibration")
        self.items: list[calibration.CalibrationItemView] = []
        self.credential = QComboBox(self)
        self.credential.setObjectName("credentialFilter")
        self.credential.addItem("All credentials", None)
        self.credential.currentIndexChanged.connect(lambda _: self.reload())
        intro = QLabel("Calibration submissions have levels agreed by lead assessors. A reviewer "
                       "who scores one sees, after submitting, where they matched; their exact "
                       "agreement over the set says whether they are qualified for the credential "
                       "(the threshold is in Credential Policies).", self)
        intro.setWordWrap(True)
        self.item_table = _tree(self, "itemTable", ["Submission", "Credential", "Agreed levels",
                                                    "Decision", "Marked by", "Marked", "Note"])
        self.item_table.itemSelectionChanged.connect(self._selection_changed)
        self.agreement_table = _tree(self, "agreementTable", [
            "Credential", "Reviewer", "Items scored", "Exact", "Within one", "Decisions matched",
            "Qualified"])
        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("<b>Calibration submissions</b>", top))
        tl.addWidget(self.item_table)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("<b>Reviewers' agreement with the agreed levels</b>", bottom))
        bl.addWidget(self.agreement_table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)

        self.mark_button = QPushButton("&Mark Current Submission as Calibration\u2026", self)
        self.mark_button.setObjectName("markButton")
        self.mark_button.setToolTip("The submission selected in the queue (or, here, the "
                                    "selected calibration submission: change its agreed levels)")
        self.mark_button.clicked.connect(self.mark_current)
        self.remove_button = QPushButton("&Remove from Calibration", self)
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected)
        self.export_button = QPushButton("&Export Calibration File\u2026", self)
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip("The agreed levels as a file for reviewers to import "
                                      "(File \u25b8 Import Calibration File)")
        self.export_button.clicked.connect(self.export_file)
        self.status = QLabel(self)
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("&Credential:", self, buddy=self.credential))
        filter_row.addWidget(self.credential)
        filter_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.mark_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(filter_row)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        fit_window(self, "calibration", (980, 620))
        self._filled_credentials = False
        self.reload()

    # -- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        ctx, key = self.ctx, self.credential.currentData()
        self.status.setText("Loading\u2026")
        run_task(lambda job: _load(ctx, key), on_success=self._loaded, on_error=self._refused,
                 owner=self)

    def _refused(self, exc: BaseException) -> None:
        self.status.setText(getattr(exc, "message", "") or "Calibration cannot be shown.")
        show_error(self, exc, self.windowTitle())

    def _loaded(self, result) -> None:  # noqa: ANN001
        creds, items, agreement = result
        if not self._filled_credentials:
            self._filled_credentials = True
            self.credential.blockSignals(True)
            for key, title in sorted(creds.items(), key=lambda kv: kv[1]):
                self.credential.addItem(title, key)
            self.credential.blockSignals(False)
        self.items = items
        self.item_table.clear()
        for item in items:
            levels = ", ".join(str(v) for _, v in item.levels)
            row = QTreeWidgetItem([f"{item.submission_key} attempt {item.attempt}",
                                   creds.get(item.credential_key, item.credential_key), levels,
                                   item.decision.label, item.marked_by, when(item.marked_at), item.note])
            row.setToolTip(2, "\n".join(f"{k}: {v}" for k, v in item.levels))
            row.setForeground(3, QBrush(QColor(EARNED_FG if item.decision.value == "earned" else NOT_YET_FG)))
            self.item_table.addTopLevelItem(row)
        self.agreement_table.clear()
        for key, lines in agreement.items():
            for a in lines:
                row = QTreeWidgetItem([creds.get(key, key), a.reviewer_name, str(a.items), _pct(a.exact_rate),
                                       _pct(a.adjacent_rate), f"{a.decisions_matched} of {a.items}",
                                       ("\u2714 Qualified" if a.qualified else "\u2716 Not yet")
                                       + f" (needs {a.threshold:.0%})"])
                row.setBackground(6, QBrush(QColor(AGREE_BG if a.qualified else DISPUTED_BG)))
                self.agreement_table.addTopLevelItem(row)
        n = len(items)
        self.status.setText(
            f"{n} calibration submission{'s' if n != 1 else ''}."
            if n else "No calibration submissions yet: select a submission in the queue and mark it.")
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.remove_button.setEnabled(self.selected() is not None)

    def selected(self) -> calibration.CalibrationItemView | None:
        current = self.item_table.currentItem()
        row = self.item_table.indexOfTopLevelItem(current) \
            if current is not None and current.isSelected() else -1
        return self.items[row] if 0 <= row < len(self.items) else None

    # -- actions --------------------------------------------------------------------------------
    def mark_current(self) -> MarkCalibrationDialog | None:
        chosen = self.selected()
        target = (chosen.submission_key, chosen.attempt) if chosen is not None else \
            (self.current() if self.current is not None else None)
        if target is None:
            QMessageBox.information(self, "Mark as Calibration",
                                    "Select a submission in the queue first, then mark it here.")
            return None
        dialog = MarkCalibrationDialog(self.ctx, target[0], target[1], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.marked.connect(lambda view: self.reload())
        dialog.open()
        return dialog

    def remove_selected(self) -> None:
        item = self.selected()
        if item is None:
            return
        answer = QMessageBox.question(
            self, "Remove from Calibration",
            f"Stop using {item.submission_key} attempt {item.attempt} for calibration? Reviews of "
            "it stay; they no longer count towards reviewers' agreement.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        ctx, attempt_id = self.ctx, item.attempt_id
        run_task(lambda job: calibration.unmark_calibration(ctx, attempt_id),
                 on_success=lambda _: self.reload(),
                 on_error=lambda exc: show_error(self, exc, "Not removed"), owner=self)

    def export_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Calibration File",
                                              str(Path.home() / "calibration.json"),
                                              "Calibration files (*.json)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        ctx, key = self.ctx, self.credential.currentData()
        run_task(lambda job: calibration.export_calibration(ctx, path, key),
                 on_success=lambda r: self.status.setText(
                     f"{r.items} calibration submission{'s' if r.items != 1 else ''} written to "
                     f"{r.path}. Reviewers import it with File \u25b8 Import Calibration File."),
                 on_error=lambda exc: show_error(self, exc, "Calibration file not written"), owner=self)


def _load_for_marking(ctx: AppContext, key: str, attempt: int):  # noqa: ANN202
    from reviewer_app.services.submissions import get_submission

    detail = get_submission(ctx, key, attempt)
    existing = next((i for i in calibration.list_calibration(ctx, detail.credential.key)
                     if i.attempt_id == detail.attempt_id), None)
    return detail, existing


class MarkCalibrationDialog(QDialog):
    """The agreed level of every criterion of one submission attempt (and a note)."""

    marked = Signal(object)  # CalibrationItemView

    def __init__(self, ctx: AppContext, key: str, attempt: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.key, self.attempt = ctx, key, attempt
        self.detail = None
        self.setObjectName("markCalibrationDialog")
        self.setWindowTitle("Mark as Calibration")
        self.heading = QLabel(f"<b>{key} attempt {attempt}</b>", self)
        self.heading.setWordWrap(True)
        self.form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        self.decision = QLabel(self)
        self.decision.setObjectName("decisionLabel")
        self.note = QLineEdit(self)
        self.note.setObjectName("noteEdit")
        self.note.setPlaceholderText("Why these levels (optional)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.setEnabled(False)
        help_ = QLabel("Give the level lead assessors agreed for each criterion; the decision "
                       "follows from the rubric.", self)
        help_.setWordWrap(True)
        help_.setStyleSheet(f"color: {MUTED};")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(help_)
        layout.addWidget(FitScrollArea(self.form, self), 1)  # many criteria scroll; Save stays
        layout.addWidget(self.decision)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min(620, self.screen().availableGeometry().width() - 40))
        fit_window(self, "markCalibration")
        run_task(lambda job: _load_for_marking(ctx, key, attempt), on_success=self._loaded,
                 on_error=lambda exc: show_error(self, exc, self.windowTitle()), owner=self)

    def _loaded(self, result) -> None:  # noqa: ANN001
        detail, existing = result
        self.detail = detail
        agreed = dict(existing.levels) if existing else {}
        self.heading.setText(f"<b>{detail.key} attempt {detail.attempt}</b> \u00b7 "
                             f"{detail.credential.title}"
                             + (" <span style='color:#666'>(already a calibration submission: "
                                "saving replaces its agreed levels)</span>" if existing else ""))
        for c in detail.rubric.criteria:
            combo = QComboBox(self)
            combo.setObjectName(f"agreed-{c.key}")
            combo.addItem("\u2014 choose \u2014", None)
            for level in c.levels:
                combo.addItem(f"{level.value} \u00b7 {level.label}", level.value)
            combo.setCurrentIndex(max(0, combo.findData(agreed.get(c.key))))
            combo.currentIndexChanged.connect(self._update)
            self.combos[c.key] = combo
            self.form.addRow(f"{c.title} (required {c.required_level}):", combo)
        self.form.addRow("Note:", self.note)
        if existing:
            self.note.setText(existing.note)
        self.buttons.setEnabled(True)
        self._update()
        QTimer.singleShot(0, self, lambda: grow_to_content(self))  # once the new rows are laid out

    def levels(self) -> dict[str, int]:
        return {k: c.currentData() for k, c in self.combos.items() if c.currentData() is not None}

    def _update(self) -> None:
        if self.detail is None:
            return
        decision = decide(self.detail.rubric, self.levels())
        missing = len(self.combos) - len(self.levels())
        if decision is None or missing:
            self.decision.setText(f"Decision: incomplete ({missing} criteri{'a' if missing != 1 else 'on'} "
                                  "without an agreed level)")
        else:
            colour = EARNED_FG if decision.value == "earned" else NOT_YET_FG
            self.decision.setText(f"Decision: <b style='color:{colour}'>{decision.label}</b>")

    def save(self) -> None:
        if self.detail is None:
            return
        ctx, attempt_id = self.ctx, self.detail.attempt_id
        levels, note = self.levels(), self.note.text().strip()
        self.buttons.setEnabled(False)

        def done(view) -> None:  # noqa: ANN001
            self.marked.emit(view)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            show_error(self, exc, "Not marked as calibration")

        run_task(lambda job: calibration.mark_calibration(ctx, attempt_id, levels, note=note),
                 on_success=done, on_error=failed, owner=self)


def open_calibration_dialog(ctx: AppContext, current: CurrentSubmission | None = None,
                            parent: QWidget | None = None) -> CalibrationDialog:
    dialog = CalibrationDialog(ctx, current, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
