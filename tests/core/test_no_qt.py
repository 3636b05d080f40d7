"""The core imports no Qt: an import-linter contract, and the CLI with PySide6 absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Makes 'import PySide6' (or whatever $BLOCKED names) fail exactly as it does where it is
# not installed.
BLOCK = """
import os, sys
blocked = os.environ["BLOCKED"].split()
class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Absent())
from reviewer_app.cli import main
code = main(sys.argv[1:])
assert not any(m.split(".")[0] in blocked for m in sys.modules), "a blocked package was imported"
raise SystemExit(code)
"""


def _cli_without(blocked: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK, *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "BLOCKED": blocked})


def _cli_without_qt(*args: str) -> subprocess.CompletedProcess[str]:
    return _cli_without("PySide6 shiboken6", *args)


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


@pytest.mark.slow  # a fresh interpreter without the web stack
def test_the_core_works_without_the_reference_issuers_web_stack(tmp_path: Path):
    """starlette and uvicorn are the ``issuer`` extra: without them the core still imports,
    lists and syncs; only ``issuer-serve`` needs them, and says how to get them."""
    data = str(tmp_path / "data")
    web = "starlette uvicorn"
    assert _cli_without(web, "--data-dir", data, "demo").returncode == 0
    listed = _cli_without(web, "--data-dir", data, "list")
    assert listed.returncode == 0 and "DEMO-1001" in listed.stdout, listed.stderr
    serve = _cli_without(web, "--data-dir", data, "issuer-serve", "--port", "0")
    assert serve.returncode == 2
    assert "reviewer-app[issuer]" in serve.stderr and "Traceback" not in serve.stderr
