"""The core imports no Qt: an import-linter contract, and the CLI with PySide6 absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Makes 'import PySide6' fail exactly as it does where PySide6 is not installed.
BLOCK_QT = """
import sys
class _NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoQt())
from reviewer_app.cli import main
code = main(sys.argv[1:])
assert not any(m.split(".")[0] in ("PySide6", "shiboken6") for m in sys.modules), "Qt was imported"
raise SystemExit(code)
"""


def _cli_without_qt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK_QT, *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_every_core_module_is_under_the_no_qt_contract():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    sources = set(config["contracts"][0]["source_modules"])
    package = ROOT / "reviewer_app"
    modules = {f"reviewer_app.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"reviewer_app.{p.parent.name}" for p in package.glob("*/__init__.py")}
    modules -= {"reviewer_app.gui", "reviewer_app.__main__"}
    assert modules - sources == set(), "add new core modules to the import-linter contract"


def test_demo_and_list_work_without_pyside6(tmp_path: Path):
    data = str(tmp_path / "data")
    demo = _cli_without_qt("--data-dir", data, "demo")
    assert demo.returncode == 0, demo.stderr
    listed = _cli_without_qt("--data-dir", data, "list")
    assert listed.returncode == 0, listed.stderr
    assert "DEMO-1001" in listed.stdout and "DEMO-2001" in listed.stdout


def test_the_window_without_pyside6_says_how_to_get_it(tmp_path: Path):
    result = _cli_without_qt("--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert "PySide6" in result.stderr and "Traceback" not in result.stderr
