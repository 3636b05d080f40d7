"""Roles in the main window: the Lead menu is there for a lead assessor only and follows a
role change; the profile shows in the status bar; score batches go out from a reviewer's
window and come in through the lead's (the same function the menu calls, files injected),
with a summary of every file's outcome."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Role
from reviewer_app.gui.lead.profile_dialog import ProfileDialog
from reviewer_app.services import batches, enrolment, identity, moderation, policies
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_gui_support import main_window
from lead_support import FA_EARNED, FA_NOT_YET, add_profile, become, make_lead, rows, score


def _menu_titles(win) -> list[str]:
    return [a.text().replace("&", "") for a in win.menuBar().actions() if a.isVisible()]


def test_the_lead_menu_is_hidden_from_a_reviewer_and_follows_a_role_change(qtbot, demo_ctx):
    win = main_window(qtbot, demo_ctx)
    assert "Lead" not in _menu_titles(win)
    assert "Reviewer" in win.lead.profile_button.text()
    assert all(not a.isEnabled() for a in win.lead.lead_menu.actions() if not a.isSeparator())

    dialog = win.lead.edit_profile()
    assert isinstance(dialog, ProfileDialog)
    dialog.name.setText("Lena Lead")
    dialog.role.setCurrentIndex(dialog.role.findData(Role.LEAD_ASSESSOR))
    with qtbot.waitSignal(win.lead.profileChanged, timeout=10_000):
        dialog.save()
    assert "Lead" in _menu_titles(win)
    assert win.lead.profile_button.text().endswith("Lena Lead \u00b7 Lead assessor")
    labels = [a.text().replace("&", "") for a in win.lead.lead_menu.actions() if not a.isSeparator()]
    assert labels == ["Import Score Batches\u2026", "Enrolled Reviewers\u2026", "Moderation\u2026",
                      "Agreement Statistics\u2026", "Calibration\u2026", "Second Readings and Release\u2026",
                      "Export Final Decisions\u2026", "Feedback Letters\u2026", "Credential Policies\u2026",
                      "Audit Log\u2026"]
    moderation = win.findChild(QAction, "actionModeration")
    assert moderation.shortcut().toString() == "Ctrl+M"

    dialog = win.lead.edit_profile()
    dialog.role.setCurrentIndex(dialog.role.findData(Role.REVIEWER))
    with qtbot.waitSignal(win.lead.profileChanged, timeout=10_000):
        dialog.save()
    assert "Lead" not in _menu_titles(win)


def test_a_lead_window_opens_with_the_lead_menu(qtbot, demo_ctx):
    make_lead(demo_ctx, "Lena Lead")
    win = main_window(qtbot, demo_ctx)
    assert "Lead" in _menu_titles(win)
    assert "Lena Lead" in win.lead.profile_button.text()


def _wait_message(qtbot, win, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: win.lead.last_message is not None
                    and win.lead.last_message.objectName() == name, timeout=20_000)
    return win.lead.last_message


def test_a_reviewer_exports_a_score_batch_and_is_told_when_nothing_is_new(qtbot, demo_ctx, tmp_path):
    win = main_window(qtbot, demo_ctx)
    out = tmp_path / "out"
    out.mkdir()
    win.lead.export_batch(out)
    box = _wait_message(qtbot, win, "batchExported")
    assert box.text() == f"1 review exported to {out}."
    assert len(list(out.glob("*.reviewer-batch.json"))) == 1 and len(list(out.glob("*.csv"))) == 1
    box.close()
    win.lead.last_message = None

    win.lead.export_batch(out)
    box = _wait_message(qtbot, win, "nothingToExport")
    assert box.text().startswith(
        "Nothing new to export: your submitted review is already in an earlier batch")
    assert len(list(out.glob("*.reviewer-batch.json"))) == 1  # nothing written


def _reviewer_batch(template: Path, where: Path, name: str, levels: dict[str, int]) -> Path:
    """A reviewer's own laptop (a copy of the demo data): they score DEMO-1002 attempt 2 and
    export their batch, and their enrolment file (``where``/card) beside it."""
    shutil.copytree(template, where / "data")
    with AppContext.open(resolve_paths(data_dir=where / "data")) as ctx:
        become(ctx, add_profile(ctx, name))
        score(ctx, "DEMO-1002", 2, levels)
        identity.export_enrolment(ctx, where / "card")
        return batches.export_batch(ctx, where).json_path


def _enrol_all(lead: AppContext, *batch_files: Path) -> None:
    for path in batch_files:
        [card] = (path.parent / "card").glob("*.reviewer-enrolment.json")
        enrolment.enrol(lead, card, json.loads(card.read_text(encoding="utf-8"))["fingerprint"])


def test_the_lead_imports_batches_and_sees_each_files_outcome(qtbot, demo_ctx, tmp_path,
                                                              _demo_data_template):
    ana = _reviewer_batch(_demo_data_template, tmp_path / "ana", "Ana Silva", FA_EARNED)
    ben = _reviewer_batch(_demo_data_template, tmp_path / "ben", "Ben Okoye", FA_NOT_YET)
    altered = tmp_path / "altered.reviewer-batch.json"
    data = json.loads(ben.read_text(encoding="utf-8"))
    data["reviews"][0]["feedback"] = "Changed after export."
    altered.write_text(json.dumps(data), encoding="utf-8")
    make_lead(demo_ctx, "Lena Lead")
    _enrol_all(demo_ctx, ana, ben)
    policies.set_policy(demo_ctx, "fa-math", second_review_percent=100)  # every one gets a second review
    win = main_window(qtbot, demo_ctx)

    win.lead.import_batches([ana, ben, ana, altered])
    qtbot.waitUntil(lambda: win.lead.last_summary is not None, timeout=30_000)
    table = win.lead.last_summary.rows()
    assert [(r[0], r[1], r[2]) for r in table] == [
        (ana.name, "Ana Silva", "Imported 1 review"),
        (ben.name, "Ben Okoye", "Imported 1 review"),
        (ana.name, "Ana Silva", "Already imported"),
        (altered.name, "", "Refused")]
    assert table[0][3] == "1 waiting for a second review"
    assert table[1][3] == "1 dispute"
    assert table[3][3].startswith("Was changed after it was exported")
    assert "2 reviews imported from 2 of 4 files" in win.lead.last_summary.summary.text()
    assert "1 file refused" in win.lead.last_summary.summary.text()

    assert len(rows(demo_ctx, m.Review, m.Review.batch_id.is_not(None))) == 2
    [dispute] = moderation.list_disputes(demo_ctx)
    assert (dispute.submission_key, dispute.attempt, dispute.reviewers) == ("DEMO-1002", 2,
                                                                           ("Ana Silva", "Ben Okoye"))
