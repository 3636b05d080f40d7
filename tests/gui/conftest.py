from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import shiboken6

os.environ.setdefault("REVIEWER_APP_NO_AUDIO", "1")
sys.path.insert(0, str(Path(__file__).parent))

import workspace_support


@pytest.fixture(autouse=True)
def _close_workspaces(qapp):
    yield
    while workspace_support.OPEN:
        window = workspace_support.OPEN.pop()
        if shiboken6.isValid(window):
            window.close()
    qapp.processEvents()
