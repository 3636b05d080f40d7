"""What a command imports before it does its work: a command line pays only for what it
uses (issue #15: the fixed cost of a CLI import under 0.5 s). Not timed: each case reads
the modules a real ``python -m reviewer_app`` process had imported when it exited."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

from reviewer_app import commands
from reviewer_app.store.db import make_engine
from reviewer_app.store.migrate import upgrade_with_alembic

# What no command line below needs: migrations, the window, the media libraries, the network.
NEVER = {"alembic", "mako", "PySide6", "shiboken6", "fitz", "pymupdf", "vlc", "httpx", "numpy"}


# ``python -m reviewer_app ARGS`` that writes, as it exits, the modules it imported (read
# from sys.modules: ``-X importtime`` misses modules loaded by importlib.import_module).
WRAPPER = """\
import atexit, gc, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join([f"gc={gc.isenabled()}", *sys.modules])))
sys.argv[0] = "reviewer_app"
runpy.run_module("reviewer_app", run_name="__main__", alter_sys=True)
"""


def imported(data: Path, *args: str) -> set[str]:
    """The modules ``reviewer-app --data-dir DATA ARGS`` imported (it must succeed)."""
    out = data.parent / "modules.txt"
    result = subprocess.run([sys.executable, "-c", WRAPPER, str(out), "--data-dir", str(data),
                             *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    names = set(out.read_text().split())
    assert "reviewer_app.cli" in names  # the output was read as meant
    if args[0] != "--version":  # start-up may load with the garbage collector off; work may not
        assert "gc=True" in names, f"{args}: the command ran without the garbage collector"
    return names


def tops(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def command_modules(names: set[str]) -> set[str]:
    return {n.rsplit(".", 1)[1] for n in names if n.startswith("reviewer_app.commands.")}


def test_version_imports_no_database_code(tmp_path: Path):
    names = imported(tmp_path / "data", "--version")
    assert not tops(names) & (NEVER | {"sqlalchemy", "pydantic", "cryptography"})


def test_import_and_list_import_only_what_they_use(tmp_path: Path, demo_packages):
    data = tmp_path / "data"
    # A new data folder: its database is made without Alembic.
    names = imported(data, "import", str(demo_packages[0]))
    assert not tops(names) & (NEVER | {"cryptography"}), tops(names) & (NEVER | {"cryptography"})
    assert command_modules(names) <= {"storage", "progress"}
    assert "pydantic" in tops(names)  # (the manifest's models: the import needs them)
    # A current database: opened without Alembic; the queue needs no importer (pydantic)
    # and no keys (cryptography).
    names = imported(data, "list")
    assert not tops(names) & (NEVER | {"pydantic", "cryptography"})
    assert "reviewer_app.intake.importer" not in names
    assert command_modules(names) <= {"storage"}
    names = imported(data, "audit", "verify")  # another module's command: that module only
    assert command_modules(names) == {"storage", "audit"}


def test_a_database_behind_head_still_migrates_with_alembic(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'reviewer.sqlite3'}")
    upgrade_with_alembic(engine, target="0010")
    engine.dispose()
    names = imported(data, "list")
    assert "alembic" in tops(names)  # (so the checks above can see Alembic when it comes)
    assert "alembic" not in tops(imported(data, "list"))  # now at head


def test_the_command_table_matches_the_modules():
    for module, names in commands.COMMANDS.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"reviewer_app.commands.{module}").add_commands(sub)
        assert tuple(sub.choices) == names, module
