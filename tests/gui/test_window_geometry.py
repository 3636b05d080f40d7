"""Windows come back where the person left them on a screen of the same size, and never
where they would no longer fit (a laptop unplugged from its monitor). The small-screen
tests run on an offscreen screen of 1024x640, narrower and lower than the large windows'
preferred sizes, in a pytest of their own (test_on_a_small_screen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect

from reviewer_app.gui.geometry import screen_key
from reviewer_app.gui.main_window import MainWindow
from reviewer_app.gui.stats.window import StatsWindow


def _main(qtbot, ctx) -> MainWindow:
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model.loaded, timeout=10_000):
        win.show()
    return win


def _stats(qtbot, ctx, main) -> StatsWindow:
    window = StatsWindow(ctx, main)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


SMALL = "1024x640"
small_screen_only = pytest.mark.skipif(
    os.environ.get("REVIEWER_TEST_SCREEN") != SMALL,
    reason=f"runs on a {SMALL} screen, in the pytest that test_on_a_small_screen starts")


@pytest.mark.slow  # a second pytest on a small screen
def test_on_a_small_screen():
    """The tests marked small_screen_only, on a 1024x640 offscreen screen."""
    env = {**os.environ, "REVIEWER_TEST_SCREEN": SMALL, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "small_screen and not test_on_a_small_screen"],
        capture_output=True, text=True, env=env, timeout=300, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout, result.stdout[-2000:]


@small_screen_only
def test_the_queue_opens_maximised_on_a_small_screen(qtbot, demo_ctx):
    win = _main(qtbot, demo_ctx)
    qtbot.waitUntil(win.isMaximized, timeout=5000)
    assert win.screen().availableGeometry().contains(win.frameGeometry())


@small_screen_only
def test_a_window_larger_than_the_small_screen_opens_shrunk_inside_it(qtbot, demo_ctx):
    main = _main(qtbot, demo_ctx)
    window = _stats(qtbot, demo_ctx, main)  # 1100x760 on a large screen
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    assert window.width() <= available.width() < 1100


def test_the_size_and_place_given_come_back_on_a_screen_of_the_same_size(qtbot, demo_ctx):
    main = _main(qtbot, demo_ctx)
    window = _stats(qtbot, demo_ctx, main)
    # a size of the person's own, not the preferred one (and one the window can take)
    least = window.minimumSizeHint()
    given = QRect(40, 50, max(least.width(), 700) + 13, max(least.height(), 500) + 7)
    window.setGeometry(given)
    qtbot.waitUntil(lambda: window.geometry() == given, timeout=5000)
    window.close()
    key = f"windowGeometry/statistics/{screen_key(window.screen().availableGeometry())}"
    assert main.settings.value(key) == f"40 50 {given.width()} {given.height()} 0"

    again = _stats(qtbot, demo_ctx, main)
    assert again.geometry() == given


def test_a_saved_geometry_that_no_longer_fits_is_not_used(qtbot, demo_ctx):
    main = _main(qtbot, demo_ctx)
    available = main.screen().availableGeometry()
    # left on this screen size, but the screen's area moved (a panel, another monitor layout)
    main.settings.setValue(f"windowGeometry/statistics/{screen_key(available)}",
                           f"{available.right() - 100} 40 600 400 0")
    # left on a large monitor: a different screen size is never looked at
    main.settings.setValue("windowGeometry/statistics/2560x1440", "100 100 2000 1200 0")
    window = _stats(qtbot, demo_ctx, main)
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    assert window.geometry() != QRect(available.right() - 100, 40, 600, 400)
