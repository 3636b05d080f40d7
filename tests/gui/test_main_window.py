"""The main window, offscreen: it lists submissions, filters them, and imports packages
on a worker thread with progress; a refused package shows one message and changes nothing."""

from __future__ import annotations

import difflib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from reviewer_app.gui.main_window import MainWindow
from reviewer_app.gui.submission_model import PAGE
from reviewer_app.services.submissions import list_submissions
from reviewer_app.store import models as m

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, demo_ctx):
    win = MainWindow(demo_ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded, timeout=10_000):
        win.show()
    return win


def _keys(win: MainWindow) -> list[tuple[str, int]]:
    return [(win.model.row(i).key, win.model.row(i).attempt) for i in range(win.model.rowCount())]


def test_lists_the_demo_submissions(window: MainWindow):
    assert sorted(_keys(window)) == [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2),
                                     ("DEMO-2001", 1)]
    assert window.count_label.text() == "4 submissions"
    statuses = {window.model.index(i, 4).data() for i in range(4)}
    assert statuses == {"New", "In progress", "Submitted"}


def test_status_and_credential_filters(qtbot, window: MainWindow):
    combo = window.ui.statusCombo
    with qtbot.waitSignal(window.model.loaded):
        combo.setCurrentIndex(combo.findText("Submitted"))
    assert _keys(window) == [("DEMO-1002", 1)]
    with qtbot.waitSignal(window.model.loaded):
        combo.setCurrentIndex(0)
    creds = window.ui.credentialCombo
    qtbot.waitUntil(lambda: creds.count() == 3)
    with qtbot.waitSignal(window.model.loaded):
        creds.setCurrentIndex(creds.findData("cl-discussion"))
    assert _keys(window) == [("DEMO-2001", 1)]


def test_search_box(qtbot, window: MainWindow):
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        qtbot.keyClicks(window.ui.searchEdit, "1002")
    assert sorted(_keys(window)) == [("DEMO-1002", 1), ("DEMO-1002", 2)]
    assert window.count_label.text() == "2 submissions match"


def test_import_from_the_window_adds_the_submission(qtbot, app_ctx, demo_packages):
    win = MainWindow(app_ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded):
        win.show()
    assert win.ui.emptyLabel.isVisible()
    with qtbot.waitSignal(win.model.loaded, timeout=20_000):
        win.import_path(demo_packages[-1])
    assert _keys(win) == [("DEMO-2001", 1)]
    assert "imported submission DEMO-2001" in win.ui.statusbar.currentMessage()
    assert not win.ui.emptyLabel.isVisible()


def test_a_refused_package_shows_one_message_and_changes_nothing(qtbot, window, demo_ctx,
                                                                 tmp_path: Path):
    before = list_submissions(demo_ctx)
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    window.import_path(bad)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None,
                    timeout=10_000)
    box = window.findChild(QMessageBox, "errorDialog")
    # Plain words and what to do first; the technical reason one click away (Show Details).
    assert box.text().startswith("broken.zip: this is not a submission package")
    assert "ask the sender for a new copy" in box.text() and "valid zip" not in box.text()
    assert "not a valid zip" in box.detailedText()
    assert list_submissions(demo_ctx) == before


def test_queue_fetches_rows_a_page_at_a_time(qtbot, app_ctx, demo_packages):
    from reviewer_app.services.imports import import_package

    import_package(app_ctx, demo_packages[0])
    with app_ctx.transaction() as session:  # many attempts of one submission, quickly
        first = session.query(m.Attempt).one()
        for n in range(2, PAGE * 2 + 50):
            session.add(m.Attempt(submission_id=first.submission_id, number=n,
                                  credential_id=first.credential_id, rubric_id=first.rubric_id,
                                  submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
                                  manifest_sha256="0" * 64, manifest_json="{}"))
    win = MainWindow(app_ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded):
        win.show()
    assert win.model.total == PAGE * 2 + 49
    assert win.model.rowCount() == PAGE
    assert win.model.canFetchMore()
    win.model.fetchMore()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2 * PAGE)


def test_generated_forms_match_the_designer_files(tmp_path: Path):
    uic = Path(sys.executable).with_name("pyside6-uic")
    for ui in sorted((ROOT / "ui").glob("*.ui")):
        out = tmp_path / f"ui_{ui.stem}.py"
        subprocess.run([str(uic), str(ui), "-o", str(out)], check=True, timeout=60)
        committed = ROOT / "reviewer_app" / "gui" / "forms" / out.name
        strip = lambda text: [line for line in text.splitlines() if not line.startswith("##")]  # noqa: E731
        diff = list(difflib.unified_diff(strip(committed.read_text()), strip(out.read_text()),
                                         lineterm=""))
        assert diff == [], f"{committed.name} is stale: run 'make ui'\n" + "\n".join(diff[:20])
