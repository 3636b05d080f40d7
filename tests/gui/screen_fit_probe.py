"""Opens every window and dialog of the app, one after another, on a real X screen (a script
run by ``test_screen_fit.py`` in a subprocess per screen size, not a test module).

For each window it prints one JSON line: its name, its frame and the available screen area
(logical pixels), and for each primary control whether its whole rectangle is visible
(inside the window, not clipped by a scroll area's viewport or any other parent).

    python tests/gui/screen_fit_probe.py DATA_DIR            # every window, then exit
    python tests/gui/screen_fit_probe.py DATA_DIR --hold moderation   # stay open on one
``build_data(DATA_DIR)`` makes the lead assessor's data it needs (no Qt).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]


def build_data(data_dir: Path) -> None:
    """Demo submissions, a dispute between two reviewers in a lead assessor's database, a
    calibration submission, and a folder of score batch files that will be refused."""
    from reviewer_app.config import resolve_paths
    from reviewer_app.services import calibration
    from reviewer_app.services.demo import load_demo
    from reviewer_app.store.context import AppContext

    from lead_gui_support import make_dispute
    from lead_support import CL_EARNED, attempt_id, score_as

    with AppContext.open(resolve_paths(data_dir=data_dir)) as ctx:
        load_demo(ctx)
        dispute = make_dispute(ctx)
        calibration.mark_calibration(ctx, attempt_id(ctx, "DEMO-2001"), CL_EARNED,
                                     note="Agreed at the June meeting")
        uid = score_as(ctx, dispute.ana, "DEMO-2001", 1, {**CL_EARNED, "group-structures": 2})
        (data_dir / "calibration-review.txt").write_text(uid)
    batches = data_dir / "incoming-batches"
    batches.mkdir()
    for i in range(24):  # a lead's Monday: many files, each refused with its reason
        (batches / f"reviewer-{i:02d}.reviewer-batch.json").write_text('{"format": "not a batch"}')


# -- waiting without sleeping ------------------------------------------------------------------

def wait_until(condition: Callable[[], object], timeout_s: float = 10.0) -> bool:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if condition():
            return True
    return bool(condition())


def framed(window) -> bool:
    """Shown, and the window manager's frame around it is known."""
    from reviewer_app.gui.geometry import known_margins

    return window.isVisible() and window.windowHandle() is not None and window.windowHandle().isExposed() \
        and known_margins(window) is not None


def frame_of(window):
    """The window's frame; where Qt has not (yet) read it from the window manager, the window
    framed as the app's other windows are (openbox frames them all alike; a maximised window
    is sized by the window manager itself)."""
    from reviewer_app.gui.geometry import frame_margins

    if framed(window) or window.isMaximized():
        return window.frameGeometry()
    return window.geometry().marginsAdded(frame_margins(window))


def inside(window) -> bool:
    return window.screen().availableGeometry().contains(frame_of(window))


# -- measuring ---------------------------------------------------------------------------------

def rect_list(r) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def visible_part(widget):
    """The widget's rectangle and the part of it its parents (scroll area viewports, the
    window itself) do not clip away."""
    from PySide6.QtCore import QPoint, QRect

    top = widget.window()
    whole = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    seen = QRect(whole)
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        seen = seen.intersected(QRect(parent.mapTo(top, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return whole, seen.intersected(top.rect())


def measure(name: str, window, primaries: dict) -> dict:
    from PySide6.QtCore import QPoint

    was_framed = wait_until(lambda: framed(window), 3)  # measured anyway: the report says where it is
    wait_until(lambda: inside(window), 3.5)
    controls = {}
    for label, widget in primaries.items():
        if widget is None:
            controls[label] = {"found": False}
            continue
        whole, seen = visible_part(widget)
        on_screen = window.screen().availableGeometry().contains(
            whole.translated(window.mapToGlobal(QPoint(0, 0))))
        controls[label] = {"found": True, "shown": widget.isVisible(), "rect": rect_list(whole),
                           "seen": rect_list(seen), "on_screen": on_screen,
                           "visible": (widget.isVisible() and seen == whole and not whole.isEmpty()
                                       and on_screen)}
    from reviewer_app.gui.geometry import FitScrollArea

    def squeezed() -> list[int]:  # long content that scrolls (the window may yet grow to it)
        return [area.verticalScrollBar().maximum() for area in window.findChildren(FitScrollArea)
                if area.isVisible() and area.verticalScrollBar().maximum() > 0]

    wait_until(lambda: not squeezed(), 1.5)
    return {"name": name, "frame": rect_list(frame_of(window)), "scrolled_px": max(squeezed(), default=0),
            "inside": rect_list(window.geometry()),
            "available": rect_list(window.screen().availableGeometry()), "maximized": window.isMaximized(),
            "framed": was_framed,
            "controls": controls}


def button(box, text: str):
    from PySide6.QtWidgets import QAbstractButton

    for b in box.findChildren(QAbstractButton):
        if b.text().replace("&", "") == text:
            return b
    return None


def std(box, which: str):
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

    for kind, enum in ((QDialogButtonBox, QDialogButtonBox.StandardButton),
                       (QMessageBox, QMessageBox.StandardButton)):
        for child in ([box] if isinstance(box, kind) else box.findChildren(kind)):
            found = child.button(getattr(enum, which))
            if found is not None:
                return found
    return None


# -- the windows -------------------------------------------------------------------------------

def windows(main, ctx):
    """(name, open it -> the window, its primary controls, ready?) for each window."""
    from PySide6.QtWidgets import QMessageBox, QPushButton, QTextEdit

    from reviewer_app.errors import UserError
    from reviewer_app.gui.errors import show_error

    lead = main.lead
    state: dict = {}

    def workspace():
        main.open_submission("DEMO-1001", None, lambda w: state.__setitem__("workspace", w))
        wait_until(lambda: "workspace" in state, 20)
        return state["workspace"]

    def shortcuts():
        w = state["workspace"]
        dialog = w.show_shortcuts()
        return dialog

    def submit_summary():
        w = state["workspace"]
        for criterion in w.editor.rubric.criteria:  # everything scored: Submit shows its summary
            w.editor.set_level(criterion.key, criterion.levels[-1].value)
        w.rubric.submit()
        return w.rubric._summary

    def mark_calibration():
        dialog = lead.open_calibration()
        wait_until(lambda: dialog.items, 10)
        main.ui.submissionTable.selectRow(0)
        dialog.item_table.clearSelection()
        mark = dialog.mark_current()
        state["calibration"] = dialog
        return mark

    def batch_import():
        paths = sorted((ctx.paths.data_dir / "incoming-batches").glob("*.json"))
        lead.import_batches(paths)
        wait_until(lambda: lead.last_summary is not None, 20)
        return lead.last_summary

    def batch_export():
        lead.export_batch(ctx.paths.data_dir / "outgoing")
        wait_until(lambda: lead.last_message is not None, 20)
        return lead.last_message

    def calibration_result():
        from reviewer_app.gui.lead.calibration_result import CalibrationResultDialog
        from reviewer_app.services.calibration import calibration_result as result_of

        uid = (ctx.paths.data_dir / "calibration-review.txt").read_text()
        dialog = CalibrationResultDialog(result_of(ctx, uid), main)
        dialog.open()
        return dialog

    def controller_dialog(action: str, key: str):
        def open_() -> object:
            main.sync_controller.actions[action].trigger()
            return main.sync_controller.dialogs[key]
        return open_

    def error():
        details = "\n".join(f"  File \"reviewer_app/module_{i}.py\", line {i}, in step_{i}"
                            for i in range(80))
        box = show_error(main, UserError("The score batch was altered after it was exported, so none "
                                         "of its reviews were imported. Ask the reviewer to export it "
                                         "again and send the new file.", details),
                         "Score batches not imported")
        show = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.ActionRole)
        show.click()  # "Show Details...": the tallest the box gets
        return box

    return [
        ("queue", lambda: main, lambda w: {"table": w.ui.submissionTable, "status bar": w.statusBar()},
         lambda w: True),
        ("workspace", workspace, lambda w: {"Submit": w.findChild(QPushButton, "submitButton"),
                                            "status bar": w.statusBar()},
         lambda w: w.findChild(QPushButton, "submitButton") is not None),
        ("shortcuts help", shortcuts, lambda w: {"OK": std(w, "Ok")}, lambda w: True),
        ("submit summary", submit_summary, lambda w: {"Submit Review": w.submit_button,
                                                      "Cancel": std(w, "Cancel")}, lambda w: True),
        ("moderation", lead.open_moderation, lambda w: {"Record Final Decision": w.form.record,
                                                        "Rationale": w.form.rationale},
         lambda w: w.detail is not None),
        ("statistics", lead.open_stats, lambda w: {"Refresh": w.refresh_button, "charts": w.charts},
         lambda w: w.report is not None),
        ("audit log", lead.open_audit, lambda w: {"Verify": w.verify_button, "Close": button(w, "Close")},
         lambda w: w.table.topLevelItemCount() > 0),
        ("calibration", lead.open_calibration, lambda w: {"Close": button(w, "Close"),
                                                          "Mark": w.mark_button}, lambda w: bool(w.items)),
        ("mark calibration", mark_calibration, lambda w: {"Save": std(w, "Save")},
         lambda w: w.detail is not None),
        ("calibration result", calibration_result, lambda w: {"Close": std(w, "Close")}, lambda w: True),
        ("credential policies", lead.open_policies, lambda w: {"Save": std(w, "Save")},
         lambda w: w.credentials.count() > 0),
        ("score batch import", batch_import, lambda w: {"Close": std(w, "Close")}, lambda w: True),
        ("score batch export", batch_export, lambda w: {"Close": std(w, "Close")}, lambda w: True),
        ("final-decision export", lead.open_exports,
         lambda w: {"Export": w.run_button, "Close": w.close_button},
         lambda w: w.match_label.text() != "Counting\u2026"),
        ("feedback letters", lead.open_letters, lambda w: {"Write": w.run_button, "Close": w.close_button},
         lambda w: w.match_label.text() != "Counting\u2026"),
        ("issuer settings", controller_dialog("issuer_settings", "settings"),
         lambda w: {"Save": w.save_button, "Sign In": w.sign_in_button, "Close": std(w, "Close")},
         lambda w: True),
        ("outbox", controller_dialog("outbox", "outbox"),
         lambda w: {"Retry": w.retry_button, "Close": std(w, "Close")}, lambda w: True),
        ("profile", lead.edit_profile, lambda w: {"Save": std(w, "Save")}, lambda w: True),
        ("about", main.show_about, lambda w: {"Close": std(w, "Close")}, lambda w: w.is_loaded()),
        ("error dialog", error, lambda w: {"OK": std(w, "Ok"), "details": w.findChild(QTextEdit)},
         lambda w: w.findChild(QTextEdit) is not None and w.findChild(QTextEdit).isVisible()),
    ]


def main(argv: list[str]) -> int:
    from reviewer_app.config import resolve_paths
    from reviewer_app.gui.app import make_application
    from reviewer_app.gui.main_window import MainWindow
    from reviewer_app.store.context import AppContext

    data_dir = Path(argv[0])
    hold = argv[argv.index("--hold") + 1] if "--hold" in argv else None
    app = make_application()
    ctx = AppContext.open(resolve_paths(data_dir=data_dir))
    main_window = MainWindow(ctx)
    main_window.show()
    wait_until(lambda: main_window.lead.profile is not None and main_window.model.rowCount() > 0, 20)
    for name, open_, primaries, ready in windows(main_window, ctx):
        if hold is not None and name != hold and not (hold in ("shortcuts help", "submit summary")
                                                      and name == "workspace"):
            continue
        started = time.monotonic()
        window = open_()
        window = window.window() if window is not None else None
        if window is None:
            print(json.dumps({"name": name, "error": "did not open"}), flush=True)
            continue
        if not wait_until(lambda ready=ready, window=window: ready(window), 20):
            print(json.dumps({"name": name, "error": "not ready in 20 s"}), flush=True)
        result = measure(name, window, primaries(window))
        result["seconds"] = round(time.monotonic() - started, 2)
        print(json.dumps(result), flush=True)
        if name == hold:
            return app.exec()
        if window is not main_window and name != "workspace":
            window.close()
    for w in list(app.topLevelWidgets()):
        w.close()
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
