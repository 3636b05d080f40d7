"""The lead assessor's export dialogs: the export runs off the GUI thread, the file appears,
Cancel leaves nothing behind, a reviewer is refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from reviewer_app.domain.model import Role
from reviewer_app.exports.letters import load_pymupdf
from reviewer_app.gui.lead import open_exports_dialog, open_letters_dialog
from reviewer_app.services.roles import update_self

from final_decisions_support import add_bulk_final_decisions, seed_final_decisions


@pytest.fixture
def lead_ctx(demo_ctx):
    seed_final_decisions(demo_ctx)
    return demo_ctx


def _ready(qtbot, dialog) -> None:
    """Wait for the credentials and the first count (loaded off the GUI thread)."""
    qtbot.waitUntil(lambda: dialog.filters.credential.count() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: "match" in dialog.match_label.text(), timeout=10_000)


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_export_runs_and_the_file_appears(qtbot, lead_ctx, tmp_path: Path):
    dialog = open_exports_dialog(lead_ctx)
    qtbot.addWidget(dialog)
    _ready(qtbot, dialog)
    assert dialog.match_label.text() == "4 final decisions match."
    out = tmp_path / "final.csv"
    dialog.destination.setText(str(out))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.task is None and dialog.status.text().startswith("Exported"),
                    timeout=20_000)
    assert dialog.status.text() == f"Exported 4 final decisions to {out}."
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.open_button.isEnabled() and dialog.run_button.isEnabled()
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["submission_id"] for r in rows] == ["DEMO-1002", "DEMO-1001", "DEMO-2001", "DEMO-1002"]


def test_filters_and_format_shape_the_export(qtbot, lead_ctx, tmp_path: Path):
    dialog = open_exports_dialog(lead_ctx)
    qtbot.addWidget(dialog)
    _ready(qtbot, dialog)
    dialog.destination.setText(str(tmp_path / "cl.csv"))
    _choose(dialog.format, "json")
    assert dialog.destination.text() == str(tmp_path / "cl.json")  # the extension follows
    _choose(dialog.filters.credential, "fa-math")
    _choose(dialog.filters.sync_state, "rejected")
    qtbot.waitUntil(lambda: dialog.match_label.text() == "1 final decision match.", timeout=10_000)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None and dialog.status.text().startswith("Exported"),
                    timeout=20_000)
    data = json.loads((tmp_path / "cl.json").read_text(encoding="utf-8"))
    assert [(d["submission_id"], d["attempt"], d["sync_state"]) for d in data["decisions"]] == [
        ("DEMO-1002", 2, "rejected")]
    assert data["filters"]["credential"] == "fa-math"


def test_an_empty_date_range_is_said_before_running(qtbot, lead_ctx):
    dialog = open_exports_dialog(lead_ctx)
    qtbot.addWidget(dialog)
    _ready(qtbot, dialog)
    dialog.filters.from_check.setChecked(True)
    dialog.filters.to_check.setChecked(True)
    dialog.filters.from_date.setDate(dialog.filters.to_date.date().addDays(3))
    qtbot.waitUntil(lambda: "date range is empty" in dialog.match_label.text(), timeout=10_000)
    assert not dialog.run_button.isEnabled()


def test_cancel_leaves_no_file_and_keeps_the_old_one(qtbot, lead_ctx, tmp_path: Path):
    add_bulk_final_decisions(lead_ctx, 2000)
    dialog = open_exports_dialog(lead_ctx)
    qtbot.addWidget(dialog)
    _ready(qtbot, dialog)
    out = tmp_path / "exports" / "final.csv"
    out.parent.mkdir()
    out.write_text("previous export\n")
    dialog.destination.setText(str(out))
    dialog.start()
    assert dialog.cancel_button.isEnabled() and not dialog.run_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.task is None, timeout=20_000)
    assert dialog.status.text() == ("Cancelled: nothing was written "
                                    "(the file already there is unchanged).")
    assert out.read_text() == "previous export\n"
    assert [p.name for p in out.parent.iterdir()] == ["final.csv"]
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_letters_dialog_writes_a_letter_each_or_one_pdf(qtbot, lead_ctx, tmp_path: Path):
    dialog = open_letters_dialog(lead_ctx)
    qtbot.addWidget(dialog)
    _ready(qtbot, dialog)
    dialog.destination.setText(str(tmp_path / "letters"))
    _choose(dialog.filters.decision, "not_yet")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None and dialog.status.text().startswith("Wrote"),
                    timeout=30_000)
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == [
        "DEMO-1002-1-Sam-Rivera.pdf", "DEMO-1002-2-Sam-Rivera.pdf"]

    dialog.combined.setChecked(True)
    assert dialog.destination.text() == str(tmp_path / "letters.pdf")
    _choose(dialog.filters.decision, None)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None and dialog.status.text().startswith("Wrote"),
                    timeout=30_000)
    assert dialog.status.text() == f"Wrote 4 feedback letters to {tmp_path / 'letters.pdf'}."
    with load_pymupdf().open(tmp_path / "letters.pdf") as doc:
        assert len(doc.get_toc()) == 4


def test_a_reviewer_is_refused(qtbot, demo_ctx):
    update_self(demo_ctx, role=Role.REVIEWER)
    dialog = open_exports_dialog(demo_ctx)
    qtbot.addWidget(dialog)

    def refusal() -> QMessageBox | None:
        boxes = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "errorDialog" and w.isVisible()]
        return boxes[0] if boxes else None

    qtbot.waitUntil(lambda: refusal() is not None, timeout=10_000)
    box = refusal()
    assert box.text().startswith("Only a lead assessor may see final decisions")
    assert dialog.status.text() == box.text()
    assert not dialog.run_button.isEnabled() and not dialog.filters.credential.isEnabled()
    box.close()
