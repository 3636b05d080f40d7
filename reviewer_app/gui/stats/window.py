"""The "Agreement statistics" window, for lead assessors.

Figures per credential, criterion and pair of reviewers in a tree; beside it the
plain-language paragraph for the figure chosen (the column of the selected cell, or
the statistic chosen for the charts). Below: each reviewer's score distribution for a
criterion (bars) and agreement over time (a line). The statistics are computed by
``reviewer_app.services.stats`` on the thread pool, never on the GUI thread; the
service refuses a reviewer, and the window then says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.domain.agreement import EXPLANATIONS, Agreement
from reviewer_app.domain.stats_report import AgreementRow, StatsQuery, StatsReport
from reviewer_app.gui.errors import describe, show_error
from reviewer_app.gui.geometry import fit_window
from reviewer_app.gui.stats.charts import BarChart, LineChart, Series
from reviewer_app.gui.tasks import Task, run_task
from reviewer_app.services.stats import agreement_stats
from reviewer_app.store.context import AppContext

#: (column title, statistic explained) of the figures table; header tooltips explain them.
COLUMNS = [
    ("", None),
    ("Pairs", "n"),
    ("Exact", "exact"),
    ("Adjacent", "adjacent"),
    ("Kappa", "kappa"),
    ("QWK", "weighted_kappa"),
    ("Alpha", "alpha"),
    ("Same decision", "decision"),
    ("Decision kappa", "decision"),
]

#: The widest text each column shows (its width is set once, from the font).
SAMPLES = ["", "00000", "100.0%", "100.0%", "-0.00", "-0.00", "-0.00", "100.0% of 0000", "-0.00"]

CHART_FIGURES = [("Exact agreement", "exact"), ("Adjacent agreement", "adjacent"),
                 ("Cohen's kappa", "kappa"), ("Quadratic-weighted kappa", "weighted_kappa"),
                 ("Krippendorff's alpha (ordinal)", "alpha")]

DASH = "\u2014"


def pct(x: float | None) -> str:
    return DASH if x is None else f"{100 * x:.1f}%"


def num(x: float | None) -> str:
    return DASH if x is None else f"{x:.2f}"


def figures(scores: Agreement, decisions: Agreement | None) -> list[str]:
    cells = [str(scores.n), pct(scores.exact), pct(scores.adjacent), num(scores.kappa),
             num(scores.weighted_kappa), num(scores.alpha)]
    if decisions is None:
        return cells + ["", ""]
    return cells + [f"{pct(decisions.exact)} of {decisions.n}" if decisions.n else DASH,
                    num(decisions.kappa)]


class StatsWindow(QDialog):
    """Agreement statistics; ``loaded`` is emitted with each report shown."""

    loaded = Signal(object)
    #: The file an export wrote.
    exported = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statsWindow")
        self.setWindowTitle("Agreement Statistics")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        fit_window(self, "statistics", QSize(1100, 760))
        self.ctx = ctx
        self.report: StatsReport | None = None
        self.explained = ""  # the statistic whose paragraph is shown
        self._dist_keys: list[tuple[str, str]] = []  # (credential, criterion) of each choice
        self._task: Task | None = None

        self.credential_combo = QComboBox(self)
        self.credential_combo.setObjectName("credentialCombo")
        self.credential_combo.addItem("All credentials", None)
        self.period_combo = QComboBox(self)
        self.period_combo.addItem("By week", "week")
        self.period_combo.addItem("By month", "month")
        self.refresh_button = QPushButton("&Refresh", self)
        self.export_button = QPushButton("&Export\u2026", self)
        self.export_button.setObjectName("exportStats")
        self.export_button.setToolTip("Save every figure as CSV (opens in Excel), XLSX (a sheet "
                                      "per credential with confusion matrices) or JSON")
        self.export_button.setEnabled(False)
        self.summary = QLabel(self)
        self.summary.setObjectName("statsSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Credential:", self))
        top.addWidget(self.credential_combo)
        top.addWidget(self.period_combo)
        top.addWidget(self.refresh_button)
        top.addWidget(self.export_button)
        top.addWidget(self.summary, 1)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("figuresTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([c for c, _ in COLUMNS])
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        metrics = self.tree.fontMetrics()
        for column, sample in enumerate(SAMPLES):
            if column:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, max(metrics.horizontalAdvance(sample),
                                                 metrics.horizontalAdvance(COLUMNS[column][0])) + 18)
        for column, (_, key) in enumerate(COLUMNS):
            if key:
                self.tree.headerItem().setToolTip(column, EXPLANATIONS[key])

        self.explanation = QTextBrowser(self)
        self.explanation.setObjectName("explanation")
        self.explanation.setOpenLinks(False)
        self.explanation.setMinimumWidth(240)

        self.dist_criterion = QComboBox(self)
        self.dist_criterion.setObjectName("distributionCriterion")
        self.bars = BarChart(self)
        self.bars.setObjectName("distributionChart")
        self.bars.empty_text = "No submitted reviews for this criterion."
        dist_page = self._chart_page("Criterion:", self.dist_criterion, self.bars)

        self.time_figure = QComboBox(self)
        self.time_figure.setObjectName("timeFigure")
        for label, key in CHART_FIGURES:
            self.time_figure.addItem(label, key)
        self.line = LineChart(self)
        self.line.setObjectName("agreementChart")
        self.line.empty_text = "No pairs of submitted reviews in this range."
        time_page = self._chart_page("Figure:", self.time_figure, self.line)

        self.charts = QTabWidget(self)
        self.charts.addTab(dist_page, "Score distribution per reviewer")
        self.charts.addTab(time_page, "Agreement over time")

        upper = QSplitter(Qt.Orientation.Horizontal, self)
        upper.addWidget(self.tree)
        upper.addWidget(self.explanation)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 1)
        upper.setSizes([840, 260])
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(upper)
        split.addWidget(self.charts)
        split.setSizes([400, 320])

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self.export_file)
        self.credential_combo.currentIndexChanged.connect(self.refresh)
        self.period_combo.currentIndexChanged.connect(self.refresh)
        self.tree.currentItemChanged.connect(lambda *_: self._explain_current())
        self.tree.clicked.connect(lambda *_: self._explain_current())
        self.dist_criterion.currentIndexChanged.connect(self._show_distribution)
        self.time_figure.currentIndexChanged.connect(self._show_over_time)
        self.charts.currentChanged.connect(lambda *_: self._explain("distribution" if
                                                                    self.charts.currentIndex() == 0
                                                                    else self.time_figure.currentData()))
        self._explain("n")
        self.refresh()

    # -- loading -------------------------------------------------------------------------------

    def _chart_page(self, label: str, chooser: QComboBox, chart: QWidget) -> QWidget:
        """A chart under a labelled chooser of what it shows."""
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        row.addWidget(QLabel(label, page))
        row.addWidget(chooser, 1)
        layout.addLayout(row)
        layout.addWidget(chart, 1)
        return page
    def query(self) -> StatsQuery:
        return StatsQuery(credential_key=self.credential_combo.currentData(),
                          period=self.period_combo.currentData())

    def refresh(self) -> None:
        if self._task is not None:
            self._task.cancel()
        ctx, query = self.ctx, self.query()
        self.summary.setText("Computing agreement\u2026")
        self.refresh_button.setEnabled(False)
        self._task = run_task(lambda job: agreement_stats(ctx, query, job),
                              on_success=self._loaded, on_error=self._failed,
                              on_cancel=lambda: None, owner=self)

    def export_file(self) -> None:
        """Ask where, then export the report shown (the file's type from its filter)."""
        filters = {"CSV, opens in Excel (*.csv)": "csv", "Excel workbook (*.xlsx)": "xlsx",
                   "JSON (*.json)": "json"}
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export Agreement Statistics", str(Path.home() / "agreement.xlsx"),
            ";;".join(filters), "Excel workbook (*.xlsx)")
        if path:
            suffix = Path(path).suffix.lower().lstrip(".")
            self.export_to(Path(path), suffix if suffix in filters.values() else filters.get(chosen, "xlsx"))

    def export_to(self, path: Path, fmt: str) -> None:
        """Write the report shown to ``path`` on the thread pool; ``exported`` follows."""
        from reviewer_app.exports.stats import export_stats

        report = self.report
        if report is None:
            return
        self.export_button.setEnabled(False)

        def done(out: Path) -> None:
            self.export_button.setEnabled(True)
            self.summary.setText(f"Statistics written to {out}.")
            self.exported.emit(out)

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            show_error(self, exc, "Statistics not exported")

        run_task(lambda job: export_stats(report, fmt, path), on_success=done, on_error=failed,
                 owner=self)

    def _failed(self, exc: BaseException) -> None:
        self._task = None
        self.refresh_button.setEnabled(True)
        text, _ = describe(exc)
        self.summary.setText(text)
        self.tree.clear()
        self.bars.set_data([], [])
        self.line.set_data([], [])

    def _loaded(self, report: StatsReport) -> None:
        if report.query != self.query():
            return  # an older answer arriving after the filters changed
        self._task = None
        self.refresh_button.setEnabled(True)
        self.export_button.setEnabled(True)
        self.report = report
        self._fill_credentials(report)
        left_out = (f" Left out: {report.excluded.get('moderation', 0)} moderation and "
                    f"{report.excluded.get('calibration', 0)} calibration review(s)."
                    if any(report.excluded.values()) else "")
        if report.pairs:
            self.summary.setText(
                f"{report.pairs} pair{'s' if report.pairs != 1 else ''} of submitted reviews "
                f"(two reviewers, same attempt). Select a figure to read what it means.{left_out}")
        else:
            self.summary.setText("No pairs of submitted reviews yet: agreement needs two "
                                 "reviewers' submitted reviews of the same attempt.")
        self._fill_tree(report)
        self._fill_distribution_choices(report)
        self._show_over_time()
        self.loaded.emit(report)

    def _fill_credentials(self, report: StatsReport) -> None:
        combo = self.credential_combo
        known = {combo.itemData(i) for i in range(combo.count())}
        combo.blockSignals(True)
        for row in report.by_credential:
            if row.credential_key not in known:
                combo.addItem(row.credential_title, row.credential_key)
        combo.blockSignals(False)

    # -- the figures ---------------------------------------------------------------------------
    def _item(self, parent: QTreeWidget | QTreeWidgetItem, label: str, row: AgreementRow | None,
              tip: str = "") -> QTreeWidgetItem:
        cells = [label, *(figures(row.scores, row.decisions) if row else [""] * (len(COLUMNS) - 1))]
        item = QTreeWidgetItem(parent, cells)
        for column in range(1, len(COLUMNS)):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if tip:
            item.setToolTip(0, tip)
        return item

    def _fill_tree(self, report: StatsReport) -> None:
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for cred in report.by_credential:
            top = self._item(self.tree, cred.credential_title, cred,
                             f"{cred.credential_key}: every criterion pooled")
            for c in range(len(COLUMNS)):
                top.setFont(c, bold)
            criteria = [r for r in report.by_criterion if r.credential_key == cred.credential_key]
            if criteria:
                group = self._item(top, "Criteria", None)
                for r in criteria:
                    self._item(group, r.criterion_title or r.criterion_key or "", r,
                               f"Levels {', '.join(map(str, r.levels))}")
                group.setExpanded(True)
            pairs = [r for r in report.by_pair if r.credential_key == cred.credential_key]
            if pairs:
                group = self._item(top, "Pairs of reviewers", None)
                for r in pairs:
                    self._item(group, r.label, r)
                group.setExpanded(True)
            top.setExpanded(True)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0), 2)

    def _explain_current(self) -> None:
        column = self.tree.currentColumn()
        key = COLUMNS[column][1] if 0 <= column < len(COLUMNS) else None
        self._explain(key or "n")

    def _explain(self, key: str) -> None:
        if key == "distribution":
            title, text = ("Score distribution",
                           "How often each reviewer gave each level of the chosen criterion, as a "
                           "share of that reviewer's submitted reviews (hover a bar for the count). "
                           "A reviewer whose bars sit consistently to the left or right of the "
                           "others' is harsher or more lenient; that shows even where there are "
                           "too few pairs for kappa.")
        else:
            title = {"n": "Pairs", "exact": "Exact agreement", "adjacent": "Adjacent agreement",
                     "kappa": "Cohen's kappa", "weighted_kappa": "Quadratic-weighted kappa",
                     "decision": "Decision agreement"}[key]
            text = EXPLANATIONS[key]
        self.explanation.setHtml(f"<h3>{title}</h3><p>{text}</p>")
        self.explained = key

    # -- the charts ----------------------------------------------------------------------------
    def _fill_distribution_choices(self, report: StatsReport) -> None:
        combo = self.dist_criterion
        current = self.distribution_key()
        combo.blockSignals(True)
        combo.clear()
        titles = {r.credential_key: r.credential_title for r in report.by_credential}
        self._dist_keys = []
        for d in report.distributions:
            key = (d.credential_key, d.criterion_key)
            if key not in self._dist_keys:
                self._dist_keys.append(key)
                cred = titles.get(d.credential_key, d.credential_key)
                combo.addItem(f"{d.criterion_title} ({cred})")
        if current in self._dist_keys:
            combo.setCurrentIndex(self._dist_keys.index(current))
        combo.blockSignals(False)
        self._show_distribution()

    def distribution_key(self) -> tuple[str, str] | None:
        """(credential key, criterion key) of the criterion whose distribution is shown."""
        i = self.dist_criterion.currentIndex()
        return self._dist_keys[i] if 0 <= i < len(self._dist_keys) else None

    def show_distribution_of(self, credential_key: str, criterion_key: str) -> None:
        self.dist_criterion.setCurrentIndex(self._dist_keys.index((credential_key, criterion_key)))

    def _show_distribution(self) -> None:
        key = self.distribution_key()
        dists = [d for d in (self.report.distributions if self.report else [])
                 if (d.credential_key, d.criterion_key) == key]
        if not dists:
            self.bars.set_data([], [])
            return
        levels = sorted({lv for d in dists for lv in d.levels})
        series = []
        for d in dists:
            shares = [d.counts.get(lv, 0) / d.total if d.total else None for lv in levels]
            notes = [f"{d.reviewer.name} gave level {lv} {d.counts.get(lv, 0)} of {d.total} times"
                     for lv in levels]
            series.append(Series(d.reviewer.name, shares, notes))
        top = max((v for s in series for v in s.values if v is not None), default=1.0)
        self.bars.set_data([f"Level {lv}" for lv in levels], series,
                           title=f"{self.dist_criterion.currentText()}: share of each reviewer's scores",
                           y_range=(0.0, min(1.0, (int(top * 10) + 1) / 10)),
                           y_format=lambda v: f"{100 * v:.0f}%")

    def _show_over_time(self) -> None:
        key = self.time_figure.currentData()
        periods = self.report.over_time if self.report else []
        values = [getattr(p.scores, key) for p in periods]
        notes = [f"{p.period} (from {p.start.isoformat()}): {self.time_figure.currentText().lower()} "
                 f"{pct(v) if key in ('exact', 'adjacent') else num(v)}, {p.scores.n} pairs of levels"
                 for p, v in zip(periods, values)]
        if key in ("exact", "adjacent"):
            y_range, fmt = (0.0, 1.0), (lambda v: f"{100 * v:.0f}%")
        else:
            low = min((v for v in values if v is not None), default=0.0)
            y_range, fmt = (-1.0 if low < 0 else 0.0, 1.0), (lambda v: f"{v:.1f}")
        self.line.set_data([p.period for p in periods],
                           [Series(self.time_figure.currentText(), values, notes)],
                           title=f"{self.time_figure.currentText()} by "
                                 f"{self.period_combo.currentData()} of the later review",
                           y_range=y_range, y_format=fmt)
        if self.charts.currentIndex() == 1:
            self._explain(key)

    # -- for tests and callers -------------------------------------------------------------------
    def row_texts(self) -> list[list[str]]:
        """Every row of the figures tree, depth-first, as the cells' text."""
        out: list[list[str]] = []

        def walk(item: QTreeWidgetItem) -> None:
            out.append([item.text(c) for c in range(len(COLUMNS))])
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    def select_figure(self, row_label: str, column: int) -> None:
        items = self.tree.findItems(row_label, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 0)
        self.tree.setCurrentItem(items[0], column)


def open_stats_window(ctx: AppContext, parent: QWidget | None = None) -> StatsWindow:
    """Show the agreement statistics window (one per parent window; raised if already open)."""
    if parent is not None:
        for existing in parent.findChildren(StatsWindow):
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
    window = StatsWindow(ctx, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window

