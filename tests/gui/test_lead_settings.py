"""The lead assessor's settings windows: the audit log with "Verify" (intact, or the
entry that was altered named), and the credential policies saved from the dialog; a
reviewer who reaches a lead's dialog gets the service's refusal in plain words."""

from __future__ import annotations

import re
import sqlite3

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import func, select

from reviewer_app.gui.lead.audit_dialog import AuditDialog
from reviewer_app.gui.lead.policies_dialog import PoliciesDialog
from reviewer_app.services import policies
from reviewer_app.store import audit
from reviewer_app.store import models as m

from lead_gui_support import main_window, make_dispute
from lead_support import make_lead


def _entries(ctx) -> int:
    with ctx.sessions() as s:
        return s.scalar(select(func.count(m.AuditEntry.id)))


def test_the_audit_log_lists_entries_and_verifies_the_chain(qtbot, demo_ctx):
    make_dispute(demo_ctx)
    win = main_window(qtbot, demo_ctx)
    dialog = win.lead.open_audit()
    assert isinstance(dialog, AuditDialog)
    n = _entries(demo_ctx)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == n, timeout=10_000)
    newest = dialog.table.topLevelItem(0)
    assert (newest.text(0), newest.text(3)) == (str(n), "Dispute opened")
    assert newest.text(4) == "DEMO-1002 attempt 2"
    assert any(dialog.table.topLevelItem(i).text(2) == "Ana Silva" for i in range(n))

    dialog.verify_button.click()
    qtbot.waitUntil(lambda: dialog.result.property("ok") is not None, timeout=10_000)
    assert dialog.result.property("ok") is True
    assert f"chain is intact: {n} entries, none altered or removed." in dialog.result.text()
    assert "The data matches the audit log" in dialog.result.text()
    assert dialog.discrepancies.isHidden()

    con = sqlite3.connect(demo_ctx.paths.sqlite_path)
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    con.execute("UPDATE audit_log SET subject = 'DEMO-9999 attempt 1' WHERE id = 3")
    con.execute("UPDATE review_score SET level = 1 WHERE id = (SELECT min(id) FROM review_score "
                "WHERE level > 1)")
    con.commit()
    con.close()
    dialog.result.setProperty("ok", None)
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: dialog.result.property("ok") is not None, timeout=10_000)
    assert dialog.result.property("ok") is False
    said = dialog.result.text()
    assert "Audit entry 3 (" in said and "was altered after it was written" in said
    assert "1 of " in said and "differs from the audit log" in said
    assert dialog.discrepancies.isVisible()
    [line] = dialog.discrepancies.toPlainText().splitlines()
    assert re.search(r"^Review of DEMO-\d+ attempt \d+ by .*: the level for '[a-z-]+' is 1, was [2-4] "
                     r"\(last audited in entry \d+, ", line), line
    assert not audit.verify(demo_ctx).ok


def test_policies_are_saved_from_the_dialog(qtbot, demo_ctx):
    make_lead(demo_ctx, defaults=True)
    win = main_window(qtbot, demo_ctx)
    dialog = win.lead.open_policies()
    assert isinstance(dialog, PoliciesDialog)
    qtbot.waitUntil(lambda: dialog.credentials.count() == 2, timeout=10_000)
    keys = [dialog.credentials.item(i).toolTip() for i in range(2)]
    dialog.credentials.setCurrentRow(keys.index("fa-math"))
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and dialog.blind.isChecked()  # blind review is on by default
    dialog.second.setValue(25)
    dialog.near_cut_on.setChecked(True)
    dialog.near_cut.setValue(1)
    dialog.first.setValue(5)
    dialog.gap.setValue(1)
    dialog.threshold.setValue(90)
    dialog.items.setValue(4)
    dialog.hold.setChecked(True)
    dialog.backread.setValue(10)
    dialog.blind.setChecked(False)
    assert save.isEnabled() and dialog.status.text() == "2 unsaved changes."
    assert "25% at random" in dialog.summary.text() and "at 90% exact agreement" in dialog.summary.text()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        save.click()
    p = policies.get_policy(demo_ctx, "fa-math")
    assert (p.second_review_percent, p.near_cut_margin, p.first_reviews, p.max_level_gap,
            p.calibration_threshold) == (25, 1, 5, 1, 0.9)
    assert (p.calibration_items, p.hold_for_release, p.backread_percent) == (4, True, 10)
    assert not policies.get_policy(demo_ctx, "cl-discussion").stored  # untouched
    assert policies.blind_review(demo_ctx) is False


def test_a_reviewer_is_refused_a_lead_dialog_in_plain_words(qtbot, demo_ctx):
    win = main_window(qtbot, demo_ctx)
    dialog = win.lead.open_policies()  # what the menu would do, were it shown
    qtbot.waitUntil(lambda: bool(dialog.findChildren(QMessageBox, "errorDialog")), timeout=10_000)
    box = dialog.findChildren(QMessageBox, "errorDialog")[0]
    assert box.text().startswith("Only a lead assessor may see credential policies")
    assert dialog.credentials.count() == 0


def test_a_long_audit_entry_is_shortened_in_its_cell_and_tooltip():
    from reviewer_app.gui.lead.audit_dialog import CELL_CHARS, shorten

    long = "attempts: " + ", ".join(f"BATCH-{i:06d} attempt 1" for i in range(2000))
    cell = shorten(long, CELL_CHARS)
    assert len(cell) < CELL_CHARS + 40 and cell.endswith("more characters)")
    assert shorten("decision: earned", CELL_CHARS) == "decision: earned"
