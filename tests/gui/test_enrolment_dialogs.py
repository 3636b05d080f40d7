"""Settings > Signing Key (a reviewer sees their fingerprint and exports the enrolment file)
and Lead > Enrolled Reviewers (the lead enrols with the fingerprint read out, sees, revokes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from reviewer_app.config import resolve_paths
from reviewer_app.services import identity
from reviewer_app.store.context import AppContext

from lead_gui_support import main_window
from lead_support import add_profile, become, make_lead


def _action(win, name: str):
    from PySide6.QtGui import QAction

    return win.findChild(QAction, name)


def test_a_reviewer_sees_their_fingerprint_and_exports_the_enrolment_file(qtbot, demo_ctx, tmp_path,
                                                                           monkeypatch):
    win = main_window(qtbot, demo_ctx)
    assert _action(win, "actionSigningKey").isEnabled()
    _action(win, "actionSigningKey").trigger()
    dialog = win.lead.open_identity()  # the one the menu opened
    assert dialog.isVisible() and dialog.objectName() == "identityDialog"
    me = identity.identity(demo_ctx)
    qtbot.waitUntil(lambda: dialog.fingerprint.text() == me.fingerprint, timeout=10_000)
    assert dialog.export_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    with qtbot.waitSignal(dialog.exported, timeout=10_000) as written:
        dialog.export_to(tmp_path / "card")
    doc = json.loads(Path(written.args[0]).read_text(encoding="utf-8"))
    assert (doc["public_key"], doc["fingerprint"]) == (me.public_key, me.fingerprint)
    # A reviewer has no Lead menu, so no Enrolled Reviewers.
    assert not _action(win, "actionEnrolment").isEnabled()


def test_the_lead_enrols_checks_the_fingerprint_and_revokes(qtbot, demo_ctx, tmp_path, _demo_data_template):
    shutil.copytree(_demo_data_template, tmp_path / "ana")
    with AppContext.open(resolve_paths(data_dir=tmp_path / "ana")) as ana:
        become(ana, add_profile(ana, "Ana Silva"))
        card, me = identity.export_enrolment(ana, tmp_path / "card")
    make_lead(demo_ctx, "Lena Lead")
    win = main_window(qtbot, demo_ctx)
    _action(win, "actionEnrolment").trigger()
    dialog = win.lead.open_enrolment()  # the one the menu opened
    qtbot.waitUntil(lambda: dialog.loads == 1, timeout=10_000)

    dialog.enrol(card, "AAAA-BBBB-CCCC-DDDD-EEEE")  # not what Ana read out
    qtbot.waitUntil(lambda: bool(dialog.findChildren(QMessageBox, "errorDialog")), timeout=10_000)
    [box] = dialog.findChildren(QMessageBox, "errorDialog")
    assert "is not that of the key" in box.text()
    box.close()
    assert dialog.table.topLevelItemCount() == 0

    dialog.enrol(card, me.fingerprint.lower())
    qtbot.waitUntil(lambda: dialog.loads == 2, timeout=10_000)
    item = dialog.table.topLevelItem(0)
    assert [item.text(c) for c in range(3)] == ["Ana Silva", me.fingerprint, "Enrolled"]
    dialog.table.setCurrentItem(item)
    assert dialog.revoke_button.isEnabled()
    dialog.revoke(me.fingerprint)
    qtbot.waitUntil(lambda: dialog.loads == 3, timeout=10_000)
    assert dialog.table.topLevelItem(0).text(2).startswith("Revoked ")
    dialog.table.setCurrentItem(dialog.table.topLevelItem(0))
    assert not dialog.revoke_button.isEnabled()


def test_a_reviewer_made_lead_on_their_laptop_is_told_plainly_that_lead_actions_stay_refused(
        qtbot, demo_ctx, tmp_path):
    from reviewer_app.domain.model import Role
    from reviewer_app.gui.lead.profile_dialog import ProfileDialog

    win = main_window(qtbot, demo_ctx)
    dialog = win.lead.edit_profile()
    assert isinstance(dialog, ProfileDialog)
    dialog.role.setCurrentIndex(dialog.role.findData(Role.LEAD_ASSESSOR))
    assert "A reviewer's data folder stays a reviewer's" in dialog.help.text()
    with qtbot.waitSignal(win.lead.profileChanged, timeout=10_000):
        dialog.save()
    card, me = identity.export_enrolment(demo_ctx, tmp_path / "card")
    _action(win, "actionEnrolment").trigger()
    enrol = win.lead.open_enrolment()
    qtbot.waitUntil(lambda: bool(enrol.findChildren(QMessageBox, "errorDialog"))
                    or bool(win.findChildren(QMessageBox, "errorDialog")), timeout=10_000)
    enrol.enrol(card, me.fingerprint)
    qtbot.waitUntil(lambda: any("This data folder is a reviewer's" in b.text()
                                for b in enrol.findChildren(QMessageBox, "errorDialog")
                                + win.findChildren(QMessageBox, "errorDialog")), timeout=10_000)
    assert enrol.table.topLevelItemCount() == 0
