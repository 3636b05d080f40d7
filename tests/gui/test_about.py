"""Help > About shows the versions in use and the details to copy; unhandled exceptions
anywhere become one error dialog, and are logged."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from reviewer_app import __version__
from reviewer_app.gui.about import AboutDialog
from reviewer_app.gui.app import install_exception_hooks
from reviewer_app.gui.main_window import MainWindow
from reviewer_app.store.migrate import head_revision


def test_about_shows_the_app_qt_libvlc_and_mupdf_versions(qtbot, demo_ctx):
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.ui.actionAbout.trigger()
    dialog = window.findChild(AboutDialog, "aboutDialog")
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.is_loaded, timeout=20_000)

    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    shown = {label: widget.text() for label, widget in dialog.values.items()}
    assert f"Reviewer {__version__}" in dialog.findChild(QLabel, "aboutTitle").text()
    assert shown["Qt"] == qVersion() and shown["PySide6"] == pyside_version
    import pymupdf

    assert shown["MuPDF"] == pymupdf.mupdf_version
    from reviewer_app.gui.media.vlc_loader import availability, libvlc_version

    if availability() is None:
        assert shown["libvlc"].startswith(libvlc_version() + " (")
    assert shown["Data folder"] == str(demo_ctx.paths.data_dir)
    assert shown["Schema revision"] == f"{head_revision()} (newest)"
    assert shown["Keyring"]

    # "Copy Details" puts the same report as `reviewer-app --diagnose` on the clipboard.
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert copied == dialog.details_text()
    assert f"Reviewer:        {__version__}" in copied and "Log file:" in copied


@pytest.fixture
def hooks(qapp):
    """The app's exception hooks, installed for one test (pytest-qt's own are set aside)."""
    saved = sys.excepthook, threading.excepthook
    reporter = install_exception_hooks()
    yield reporter
    sys.excepthook, threading.excepthook = saved
    if reporter.box is not None:
        reporter.box.close()


def _error_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "errorDialog" and w.isVisible()]


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_one_dialog_and_is_logged(qtbot, hooks, caplog):
    def broken_slot() -> None:
        raise ZeroDivisionError("the slot divided by zero")

    with caplog.at_level(logging.ERROR):
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: len(_error_boxes()) == 1, timeout=5000)
    box = _error_boxes()[0]
    assert "Something unexpected went wrong" in box.text()
    assert "ZeroDivisionError: the slot divided by zero" in box.detailedText()
    assert "broken_slot" in box.detailedText()  # the traceback, to copy
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert logged, "the exception must be logged with its traceback"

    # More failures while the dialog is open: still one dialog, which counts them.
    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: "1 more unexpected error" in box.informativeText(), timeout=5000)
    assert len(_error_boxes()) == 1


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_python_thread_shows_the_dialog_and_is_logged(qtbot, hooks, caplog):
    def worker() -> None:
        raise KeyError("a key the worker thread lacked")

    with caplog.at_level(logging.ERROR):
        thread = threading.Thread(target=worker, name="broken-worker")
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(_error_boxes()) == 1, timeout=5000)
    box = _error_boxes()[0]
    assert "a key the worker thread lacked" in box.detailedText()
    assert any("broken-worker" in r.getMessage() and r.exc_info for r in caplog.records)
