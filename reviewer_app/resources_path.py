"""Where the top-level ``resources/`` folder is, installed or from a source tree."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle
    if bundle:
        return Path(bundle) / "resources"
    source = Path(__file__).resolve().parent.parent / "resources"
    if source.is_dir():
        return source
    from importlib.resources import files

    return Path(str(files("reviewer_app.resources")))


def resource(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)
