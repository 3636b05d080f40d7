"""Run on a real X screen (Xvfb + openbox) by test_workspace_layout.py: opens the workspace
maximised on a demo submission, waits for the first video frame and PDF page, and prints
(as JSON) where every primary control is and how wide the page and the picture are.

    python layout_probe.py DATA_DIR SUBMISSION [SHOT.png]
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QPoint, QRect, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def _rect_in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _clipped(widget: QWidget) -> bool:
    """Whether an ancestor (a scroll area's viewport, a dock) cuts part of the widget off."""
    rect = QRect(QPoint(0, 0), widget.size())
    return widget.visibleRegion().boundingRect() != rect


def main() -> int:
    data_dir, key = sys.argv[1], sys.argv[2]
    shot = sys.argv[3] if len(sys.argv) > 3 else ""
    app = QApplication(sys.argv[:1])
    from reviewer_app.config import resolve_paths
    from reviewer_app.gui.settings import open_settings
    from reviewer_app.gui.workspace.opener import load_workspace_data
    from reviewer_app.gui.workspace.window import PRECHECK_WAIT_MS, WorkspaceWindow
    from reviewer_app.store.context import AppContext

    ctx = AppContext.open(resolve_paths(data_dir=data_dir))
    window = WorkspaceWindow(ctx, open_settings(ctx.paths.data_dir), *load_workspace_data(ctx, key, None))
    window.showMaximized()
    viewer = window.viewer
    started = time.monotonic()

    def ready() -> bool:
        return (viewer.pdf.page_image_shown() and viewer.media.current_frame() is not None
                and window.isMaximized() and not viewer.pdf._refit.isActive())

    def report() -> None:
        if not ready() and time.monotonic() - started < 30:
            QTimer.singleShot(100, report)
            return
        app.processEvents()
        media, pdf, rubric = viewer.media, viewer.pdf, window.rubric
        card = rubric.card(rubric.current)
        controls = {
            "play": media.buttons["play_pause"], "seek": media.seek_bar,
            "prev_frame": media.buttons["prev_frame"], "next_frame": media.buttons["next_frame"],
            "speed": media.speed_combo, "time": media.time_label,
            "prev_page": pdf.tool_buttons["prev_page"], "next_page": pdf.tool_buttons["next_page"],
            "page": pdf.page_box, "zoom_in": pdf.tool_buttons["zoom_in"],
            "zoom_out": pdf.tool_buttons["zoom_out"], "zoom": pdf.zoom_box,
            "find": pdf.tool_buttons["find"],
            **{f"level{i}": b for i, b in enumerate(card.buttons.buttons(), 1)},
            "comment": card.comment, "decision": rubric.decision_label, "submit": rubric.submit_button,
        }
        inside = window.rect()
        out = {
            "screen": [window.screen().size().width(), window.screen().size().height()],
            "window": [window.width(), window.height()],
            "frame": [window.frameGeometry().x(), window.frameGeometry().y(),
                      window.frameGeometry().width(), window.frameGeometry().height()],
            "page_px": round(pdf.canvas.page_rect().width()),
            "video_px": media.view.width(),
            "controls": {
                name: {"visible": w.isVisible(), "inside": inside.contains(_rect_in_window(w, window)),
                       "clipped": _clipped(w), "rect": list(_rect_in_window(w, window).getRect())}
                for name, w in controls.items()},
            "thumbs": pdf.thumbs.isVisible(),
            "ready": ready(),
        }
        if shot:
            window.grab().save(shot)
        print(json.dumps(out), flush=True)
        window.close()
        QThreadPool.globalInstance().waitForDone(10_000)  # the pre-check's jobs
        app.processEvents()
        ctx.close()
        app.quit()

    QTimer.singleShot(PRECHECK_WAIT_MS + 300, report)  # (the pre-check started: its jobs end before we do)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
