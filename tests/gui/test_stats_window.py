"""The Agreement Statistics window, offscreen, on the demo reviewed by two reviewers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.domain.agreement import EXPLANATIONS
from reviewer_app.gui.stats import StatsWindow, open_stats_window
from reviewer_app.services.profiles import current_profile
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database
from stats_support import two_reviewers_over_demo


@pytest.fixture(scope="module")
def _two_template(tmp_path_factory: pytest.TempPathFactory, _demo_data_template: Path):
    folder = tmp_path_factory.mktemp("stats-gui") / "data"
    shutil.copytree(_demo_data_template, folder)
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        me = current_profile(ctx).name
        two_reviewers_over_demo(ctx)  # the profile ends as a lead assessor
    return folder, me


@pytest.fixture
def lead_ctx(_two_template, tmp_path: Path):
    shutil.copytree(_two_template[0], tmp_path / "data")
    with AppContext.open(resolve_paths(data_dir=tmp_path / "data")) as ctx:
        as_lead_database(ctx)  # bound to the lead's key in this test's keyring
        yield ctx


def opened(qtbot, ctx: AppContext) -> StatsWindow:
    window = StatsWindow(ctx)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=20_000):
        window.show()
    return window


def test_shows_the_figures_per_credential_criterion_and_pair(qtbot, lead_ctx, _two_template):
    me = _two_template[1]
    window = opened(qtbot, lead_ctx)
    assert window.summary.text().startswith("4 pairs of submitted reviews")
    rows = window.row_texts()
    labels = [r[0] for r in rows]
    assert labels[0] == "Collaborative Learning: Small-Group Discussion"
    assert "Formative Assessment in Mathematics" in labels
    assert ["Clear learning goals", "3", "100.0%", "100.0%", "1.00", "1.00", "1.00", "", ""] in rows
    # One pair that gave the same level: kappa is undefined, shown as a dash.
    assert ["Teacher discourse moves", "1", "100.0%", "100.0%", "\u2014", "\u2014", "\u2014", "",
            ""] in rows
    fa = rows[labels.index("Formative Assessment in Mathematics")]
    assert fa[1:3] == ["12", "66.7%"] and fa[7] == "66.7% of 3"
    pair = " & ".join(sorted([me, "Blake Okafor"]))
    assert labels.count(pair) == 2  # one pair of reviewers under each credential


def test_the_selected_figure_is_explained(qtbot, lead_ctx):
    window = opened(qtbot, lead_ctx)
    window.select_figure("Checks for understanding", 4)  # the Kappa column
    assert window.explained == "kappa"
    assert "agreement beyond what chance alone would give" in window.explanation.toPlainText()
    window.select_figure("Checks for understanding", 5)
    assert "square of its distance" in window.explanation.toPlainText()
    header = window.tree.headerItem()
    assert header.toolTip(3) == EXPLANATIONS["adjacent"]


def test_charts_of_distributions_and_agreement_over_time(qtbot, lead_ctx, _two_template):
    me = _two_template[1]
    window = opened(qtbot, lead_ctx)
    window.show_distribution_of("fa-math", "checks-for-understanding")
    assert window.dist_criterion.currentText() == (
        "Checks for understanding (Formative Assessment in Mathematics)")
    bars = window.bars
    assert bars.categories == ["Level 1", "Level 2", "Level 3", "Level 4"]
    shares = {s.name: list(s.values) for s in bars.series}
    # Blake gave 2, 2, 3; I gave 3, 3 and 2 (the 2 in the demo's own review).
    assert shares["Blake Okafor"] == pytest.approx([0, 2 / 3, 1 / 3, 0])
    assert shares[me] == pytest.approx([0, 1 / 3, 2 / 3, 0])
    bars.grab()  # paints, which records where each bar is
    assert any("gave level 2 2 of 3 times" in text for _, text in bars._hits)
    line = window.line
    assert len(line.categories) == 1 and line.series[0].values == [pytest.approx(0.6)]
    window.time_figure.setCurrentIndex(window.time_figure.findData("weighted_kappa"))
    assert line.series[0].name == "Quadratic-weighted kappa"
    assert line.series[0].values[0] == pytest.approx(window.report.over_time[0].scores.weighted_kappa)


def test_choosing_a_credential_recomputes(qtbot, lead_ctx):
    window = opened(qtbot, lead_ctx)
    combo = window.credential_combo
    assert combo.count() == 3
    with qtbot.waitSignal(window.loaded, timeout=20_000):
        combo.setCurrentIndex(combo.findData("fa-math"))
    assert [r[0] for r in window.row_texts()][0] == "Formative Assessment in Mathematics"
    assert window.summary.text().startswith("3 pairs")


def test_a_reviewer_sees_why_there_are_no_figures(qtbot, demo_ctx):
    window = open_stats_window(demo_ctx, None)
    qtbot.addWidget(window)
    assert window.summary.text() == "Computing agreement\u2026"  # off the GUI thread
    qtbot.waitUntil(lambda: "lead assessor" in window.summary.text(), timeout=20_000)
    assert window.summary.text().startswith("Only a lead assessor may see agreement statistics")
    assert window.tree.topLevelItemCount() == 0 and not window.bars.has_data()


def test_export_writes_the_figures_shown_as_a_workbook(qtbot, lead_ctx, tmp_path: Path):
    import openpyxl

    window = opened(qtbot, lead_ctx)
    assert window.export_button.isEnabled()
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        window.export_to(tmp_path / "agreement.xlsx", "xlsx")
    assert done.args[0] == tmp_path / "agreement.xlsx"
    assert window.summary.text() == f"Statistics written to {tmp_path / 'agreement.xlsx'}."
    wb = openpyxl.load_workbook(tmp_path / "agreement.xlsx")
    assert wb.sheetnames == ["Summary", "cl-discussion", "fa-math", "Over time"]
    assert wb["Summary"]["B6"].value == window.report.pairs == 4
