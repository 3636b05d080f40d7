"""What a built wheel carries: every package, the migrations, and resources/."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_for_setuptools():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "reviewer_app").rglob("*.py")
             if "__pycache__" not in p.parts}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"


@pytest.mark.slow
def test_the_wheel_holds_migrations_and_resources(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=300,
                   capture_output=True)
    names = set(zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist())
    for expected in ["reviewer_app/store/migrations/versions/0001_initial_schema.py",
                     "reviewer_app/store/migrations/env.py",
                     "reviewer_app/resources/demo/classroom.mp4",
                     "reviewer_app/resources/demo/lesson-plan.pdf",
                     "reviewer_app/resources/icons/reviewer.svg",
                     "reviewer_app/intake/FORMAT.md",
                     "reviewer_app/sync/contexts/credentials-v2.jsonld",
                     "reviewer_app/sync/contexts/ob-context-3.0.3.json",
                     "reviewer_app/gui/forms/ui_main_window.py"]:
        assert expected in names
