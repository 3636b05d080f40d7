"""`reviewer-app --diagnose`: what a person helping with a problem asks for, in one go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app import __version__
from reviewer_app.store.migrate import head_revision

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "reviewer_app", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                 "REVIEWER_APP_NO_AUDIO": "1"})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def _fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep:
            fields[label.strip()] = value.strip()
    return fields


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """--diagnose on a data folder with no database yet (one run for the tests below)."""
    data = tmp_path_factory.mktemp("diagnose") / "data"
    return data, _fields(_run("--data-dir", str(data), "--diagnose").stdout)


@pytest.mark.slow  # several CLI processes
def test_diagnose_names_the_versions_in_use_and_where_the_data_is(fresh):
    data, fields = fresh

    assert fields["Reviewer"] == __version__
    assert fields["Installed as"] == "Python package"
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    assert fields["Qt"] == qVersion() and fields["PySide6"] == pyside_version
    import pymupdf

    assert fields["MuPDF"] == pymupdf.mupdf_version
    assert fields["Data folder"] == str(data.resolve())
    assert fields["Database"] == f"sqlite:///{data.resolve() / 'reviewer.sqlite3'}"
    assert fields["Log file"] == str(data.resolve() / "logs" / "reviewer.log")
    # Asking does not create the database.
    assert fields["Schema revision"].startswith("no database yet")
    assert not (data / "reviewer.sqlite3").exists()
    assert fields["Keyring"]  # a backend's name, or "none: ..." with the reason


def test_diagnose_reports_the_libvlc_that_was_loaded(fresh):
    from reviewer_app.gui.media.vlc_loader import availability, libvlc_version, load_vlc

    if availability() is not None:
        pytest.skip(f"libvlc is not usable here: {availability()}")
    _, fields = fresh
    version, _, library = fields["libvlc"].partition(" (")
    assert version == libvlc_version()
    library = library.rstrip(")")
    assert Path(library).is_file() and Path(library).name.startswith("libvlc")
    # the same file this process loaded through python-vlc
    from reviewer_app.diagnostics import loaded_library

    assert library == loaded_library(load_vlc().dll, "libvlc_get_version")
    if sys.platform.startswith("linux"):
        plugins = Path(fields["VLC plugins"])
        assert plugins.is_dir() and any(plugins.rglob("*_plugin.so"))


@pytest.mark.slow  # several CLI processes
def test_diagnose_gives_the_schema_revision_of_an_existing_database(tmp_path: Path):
    from reviewer_app.config import resolve_paths
    from reviewer_app.store.context import AppContext

    data = str(tmp_path / "data")
    AppContext.open(resolve_paths(data)).close()  # the app's first start makes the database
    fields = _fields(_run("--data-dir", data, "--diagnose").stdout)
    assert fields["Schema revision"] == f"{head_revision()} (newest)"


# 'import PySide6' fails as it does where PySide6 is not installed; Qt must stay unloaded.
WITHOUT_QT = """
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


def test_diagnose_works_without_qt_and_says_so(tmp_path: Path):
    result = _run("--data-dir", str(tmp_path), "--diagnose", code=WITHOUT_QT)
    fields = _fields(result.stdout)
    assert fields["Qt"] == "not installed" and fields["Reviewer"] == __version__


def test_the_keyring_line_says_whether_sign_in_tokens_can_be_kept():
    import keyring
    import keyring.backends.fail
    from keyring.backend import KeyringBackend

    from reviewer_app.diagnostics import keyring_backend

    class SecureEnough(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service, username):
            return None

        def set_password(self, service, username, password):
            pass

        def delete_password(self, service, username):
            pass

    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(SecureEnough())
        assert keyring_backend() == f"available ({__name__}.{SecureEnough.__qualname__})"
        keyring.set_keyring(keyring.backends.fail.Keyring())
        line = keyring_backend()
        assert line.startswith("none;") and "keyring.backends.fail.Keyring" in line
    finally:
        keyring.set_keyring(previous)
