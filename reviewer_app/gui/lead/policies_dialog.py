"""Lead > Credential Policies: per credential, who gets a second review (a random share,
every one near the cut, each reviewer's first N), when two reviews dispute (the allowed
gap between levels) and who is qualified (exact agreement with calibration scores); and
blind review for the whole database. Changes are saved together (``services.policies``)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.errors import show_error
from reviewer_app.gui.geometry import FitScrollArea, fit_window
from reviewer_app.gui.lead.common import MUTED
from reviewer_app.gui.tasks import run_task
from reviewer_app.services import policies
from reviewer_app.services.policies import Policy
from reviewer_app.store.context import AppContext


def _load(ctx: AppContext) -> tuple[list[Policy], dict[str, str], bool]:
    from reviewer_app.services.submissions import credentials

    found = policies.list_policies(ctx)
    titles = {c.key: c.title for c in credentials(ctx)}
    return found, titles, policies.blind_review(ctx)


def _save(ctx: AppContext, changed: list[Policy], blind: bool | None) -> int:
    for p in changed:
        policies.set_policy(ctx, p.credential_key, second_review_percent=p.second_review_percent,
                            near_cut_margin=p.near_cut_margin, first_reviews=p.first_reviews,
                            max_level_gap=p.max_level_gap, calibration_threshold=p.calibration_threshold,
                            calibration_items=p.calibration_items, hold_for_release=p.hold_for_release,
                            backread_percent=p.backread_percent)
    if blind is not None:
        policies.set_blind_review(ctx, blind)
    return len(changed) + (blind is not None)


def _spin(parent: QWidget, name: str, low: int, high: int, suffix: str = "", special: str = "") -> QSpinBox:
    box = QSpinBox(parent)
    box.setObjectName(name)
    box.setRange(low, high)
    box.setSuffix(suffix)
    if special:
        box.setSpecialValueText(special)
    box.setMinimumWidth(120)
    box.setMaximumWidth(160)
    return box


class PoliciesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("policiesDialog")
        self.setWindowTitle("Credential Policies")
        self.original: dict[str, Policy] = {}
        self.edited: dict[str, Policy] = {}
        self.blind_original: bool | None = None
        self._loading = False

        self.credentials = QListWidget(self)
        self.credentials.setObjectName("credentialList")
        self.credentials.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.credentials.setWordWrap(True)
        self.credentials.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.credentials.setSpacing(2)
        self.credentials.setFixedWidth(260)
        self.credentials.currentItemChanged.connect(lambda *_: self._show_current())

        self.second = _spin(self, "secondPercent", 0, 100, " %")
        self.near_cut_on = QCheckBox("Every submission &near the cut, within", self)
        self.near_cut_on.setObjectName("nearCutOn")
        self.near_cut = _spin(self, "nearCutMargin", 0, 9, " level(s)")
        self.first = _spin(self, "firstReviews", 0, 1000, " reviews", special="Off")
        self.gap = _spin(self, "maxLevelGap", 0, 9, " level(s)")
        self.threshold = _spin(self, "threshold", 0, 100, " %")
        self.items = _spin(self, "calibrationItems", 0, 100, " calibration items")
        self.hold = QCheckBox("&Hold final decisions until you release them", self)
        self.hold.setObjectName("holdForRelease")
        self.backread = _spin(self, "backreadPercent", 0, 100, " %")
        near = QHBoxLayout()
        near.addWidget(self.near_cut_on)
        near.addWidget(self.near_cut)
        near.addStretch(1)

        double = QGroupBox("Second reviews", self)
        form = QFormLayout(double)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Random share of submissions:", self.second)
        form.addRow(near)
        form.addRow("Each reviewer's &first:", self.first)
        disputes = QGroupBox("Disputes and qualification", self)
        form2 = QFormLayout(disputes)
        form2.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form2.addRow("Allowed &gap between levels:", self.gap)
        gap_help = QLabel("0: any difference between two reviewers' levels is a dispute; two "
                          "different decisions always are.", self)
        gap_help.setWordWrap(True)
        gap_help.setStyleSheet(f"color: {MUTED};")
        form2.addRow("", gap_help)
        form2.addRow("&Qualified at exact agreement:", self.threshold)
        form2.addRow("Qualified &after:", self.items)
        release_box = QGroupBox("Release", self)
        form3 = QFormLayout(release_box)
        form3.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form3.addRow(self.hold)
        form3.addRow("&Backread before release:", self.backread)
        self.summary = QLabel(self)
        self.summary.setObjectName("policySummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {MUTED};")
        self.summary.setMinimumHeight(self.summary.fontMetrics().height() * 3)

        right = QVBoxLayout()
        self.heading = QLabel(self)
        self.heading.setObjectName("policyHeading")
        right.addWidget(self.heading)
        right.addWidget(double)
        right.addWidget(disputes)
        right.addWidget(release_box)
        right.addWidget(self.summary)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.credentials)
        top.addLayout(right, 1)

        self.blind = QCheckBox("&Blind review: reviewers do not see who the candidate is", self)
        self.blind.setObjectName("blindReview")
        blind_help = QLabel("A lead assessor always sees the candidate; the issuer receives the "
                            "identity with the final decision.", self)
        blind_help.setWordWrap(True)
        blind_help.setStyleSheet(f"color: {MUTED};")
        self.status = QLabel("Loading\u2026", self)
        self.status.setObjectName("statusLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)

        body = QVBoxLayout()  # scrolls on a short screen; Save stays in view
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(top, 1)
        body.addWidget(self.blind)
        body.addWidget(blind_help)
        layout = QVBoxLayout(self)
        layout.addWidget(FitScrollArea(body, self), 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for box in (self.second, self.near_cut, self.first, self.gap, self.threshold, self.items,
                    self.backread):
            box.valueChanged.connect(self._edited)
        self.near_cut_on.toggled.connect(self._edited)
        self.hold.toggled.connect(self._edited)
        self.blind.toggled.connect(self._changed)
        self._set_form_enabled(False)
        fit_window(self, "policies", (760, 480))
        ctx_ = ctx
        run_task(lambda job: _load(ctx_), on_success=self._loaded, on_error=self._refused, owner=self)

    # -- loading ---------------------------------------------------------------------------------
    def _loaded(self, result: tuple[list[Policy], dict[str, str], bool]) -> None:
        found, titles, blind = result
        self._loading = True
        self.original = {p.credential_key: p for p in found}
        self.edited = dict(self.original)
        self.blind_original = blind
        self.blind.setChecked(blind)
        for p in found:
            item = QListWidgetItem(titles.get(p.credential_key, p.credential_key))
            item.setData(Qt.ItemDataRole.UserRole, p.credential_key)
            item.setToolTip(p.credential_key)
            self.credentials.addItem(item)
        self._loading = False
        self.status.setText("" if found else "No credentials yet: import submissions first.")
        if found:
            self.credentials.setCurrentRow(0)
        self._set_form_enabled(bool(found))

    def _refused(self, exc: BaseException) -> None:
        self.status.setText(getattr(exc, "message", "") or "The policies cannot be shown.")
        self.blind.setEnabled(False)
        show_error(self, exc, self.windowTitle())

    def _set_form_enabled(self, on: bool) -> None:
        for w in (self.second, self.near_cut_on, self.near_cut, self.first, self.gap, self.threshold,
                  self.items, self.hold, self.backread):
            w.setEnabled(on)
        if on:
            self.near_cut.setEnabled(self.near_cut_on.isChecked())

    # -- editing ---------------------------------------------------------------------------------
    def current_key(self) -> str | None:
        item = self.credentials.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show_current(self) -> None:
        key = self.current_key()
        if key is None:
            return
        p = self.edited[key]
        self._loading = True
        self.heading.setText(f"<b>{self.credentials.currentItem().text()}</b>"
                             + ("" if p.stored else " <span style='color:#666'>(defaults)</span>"))
        self.second.setValue(p.second_review_percent)
        self.near_cut_on.setChecked(p.near_cut_margin is not None)
        self.near_cut.setValue(p.near_cut_margin or 0)
        self.near_cut.setEnabled(p.near_cut_margin is not None)
        self.first.setValue(p.first_reviews)
        self.gap.setValue(p.max_level_gap)
        self.threshold.setValue(round(p.calibration_threshold * 100))
        self.items.setValue(p.calibration_items)
        self.hold.setChecked(p.hold_for_release)
        self.backread.setValue(p.backread_percent)
        self._loading = False
        self.summary.setText(p.describe()[:1].upper() + p.describe()[1:] + ".")

    def _edited(self) -> None:
        self.near_cut.setEnabled(self.near_cut_on.isChecked())
        key = self.current_key()
        if self._loading or key is None:
            return
        p = replace(self.edited[key], second_review_percent=self.second.value(),
                    near_cut_margin=self.near_cut.value() if self.near_cut_on.isChecked() else None,
                    first_reviews=self.first.value(), max_level_gap=self.gap.value(),
                    calibration_threshold=self.threshold.value() / 100,
                    calibration_items=self.items.value(), hold_for_release=self.hold.isChecked(),
                    backread_percent=self.backread.value())
        self.edited[key] = p
        text = p.describe()
        self.summary.setText(text[:1].upper() + text[1:] + ".")
        item = self.credentials.currentItem()
        font = item.font()
        font.setItalic(self._differs(self.original[key], p))
        item.setFont(font)
        self._changed()

    @staticmethod
    def _differs(a: Policy, b: Policy) -> bool:
        fields = ("second_review_percent", "near_cut_margin", "first_reviews", "max_level_gap",
                  "calibration_threshold", "calibration_items", "hold_for_release", "backread_percent")
        return any(getattr(a, f) != getattr(b, f) for f in fields)

    def changed_policies(self) -> list[Policy]:
        return [p for key, p in self.edited.items() if self._differs(self.original[key], p)]

    def _changed(self) -> None:
        blind_changed = self.blind_original is not None and self.blind.isChecked() != self.blind_original
        n = len(self.changed_policies()) + blind_changed
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(n > 0)
        if not self._loading and self.original:
            self.status.setText(f"{n} unsaved change{'s' if n != 1 else ''}." if n else "")

    # -- saving ----------------------------------------------------------------------------------
    def save(self) -> None:
        changed = self.changed_policies()
        blind = self.blind.isChecked() if self.blind.isChecked() != self.blind_original else None
        if not changed and blind is None:
            self.accept()
            return
        ctx = self.ctx
        self.buttons.setEnabled(False)
        self.status.setText("Saving\u2026")

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.status.setText("Not saved.")
            show_error(self, exc, "Policies not saved")

        run_task(lambda job: _save(ctx, changed, blind), on_success=lambda n: self.accept(),
                 on_error=failed, owner=self)


def open_policies_dialog(ctx: AppContext, parent: QWidget | None = None) -> PoliciesDialog:
    dialog = PoliciesDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
