"""What to tell someone helping with a problem: versions, where things are, what works.

``reviewer-app --diagnose`` prints it and Help > About shows it. No Qt here: the Qt and
libvlc versions are asked of the modules by name, only when diagnosing (like
``cli._gui``), so the core still runs where PySide6 or python-vlc is not installed, and
then says so.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app import __version__
from reviewer_app.config import AppPaths, redact_url

NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Libvlc:
    version: str = ""          # "" when libvlc cannot be used
    library: str = ""          # the file of the libvlc that was loaded
    plugins: str = ""          # where its plugins were loaded from (or are looked for)
    problem: str = ""          # why it cannot be used

    def describe(self) -> str:
        if not self.version:
            return f"unavailable ({self.problem})" if self.problem else NOT_INSTALLED
        return self.version + (f" ({self.library})" if self.library else "")


@dataclass(frozen=True)
class Diagnosis:
    app_version: str
    python: str
    system: str
    bundle: str                # the bundle's folder, or "" when running from Python
    qt: str
    pyside: str
    libvlc: Libvlc
    mupdf: str
    pymupdf: str
    data_dir: Path
    database: str              # the URL, password hidden
    database_file: Path | None
    schema: str                # "0003_sync_outbox (newest)" or why it is unknown
    keyring: str               # the backend, or why there is none
    log_file: Path
    extra: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Reviewer", self.app_version),
            ("Python", self.python),
            ("System", self.system),
            ("Installed as", f"bundle in {self.bundle}" if self.bundle else "Python package"),
            ("Qt", self.qt),
            ("PySide6", self.pyside),
            ("libvlc", self.libvlc.describe()),
        ]
        if self.libvlc.plugins:
            rows.append(("VLC plugins", self.libvlc.plugins))
        rows += [
            ("MuPDF", self.mupdf),
            ("PyMuPDF", self.pymupdf),
            ("Data folder", str(self.data_dir)),
            ("Database", self.database),
            ("Schema revision", self.schema),
            ("Keyring", self.keyring),
            ("Log file", str(self.log_file)),
        ]
        rows += list(self.extra.items())
        return rows

    def text(self) -> str:
        width = max(len(label) for label, _ in self.rows())
        return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in self.rows())


def collect(paths: AppPaths, *, engine=None, probe_libvlc: bool = True) -> Diagnosis:  # noqa: ANN001
    """Everything at once. ``engine``: an open database engine to ask (else one is made
    for the question and disposed of; the database is never created or upgraded here)."""
    qt, pyside = qt_versions()
    mupdf, pymupdf = mupdf_versions()
    return Diagnosis(
        app_version=__version__,
        python=f"{platform.python_version()} ({sys.executable})",
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
        bundle=bundle_dir(),
        qt=qt, pyside=pyside,
        libvlc=libvlc_info() if probe_libvlc else Libvlc(),
        mupdf=mupdf, pymupdf=pymupdf,
        data_dir=paths.data_dir,
        database=redact_url(paths.database_url),
        database_file=paths.sqlite_path,
        schema=schema_revision(paths, engine),
        keyring=keyring_backend(),
        log_file=paths.log_file,
    )


def bundle_dir() -> str:
    """The folder of a PyInstaller bundle (its ``_internal``), or "" from Python."""
    if getattr(sys, "frozen", False):
        return str(getattr(sys, "_MEIPASS", "") or Path(sys.executable).parent)
    return ""


def qt_versions() -> tuple[str, str]:
    """(the Qt runtime's version, PySide6's), or "not installed"."""
    try:
        # Asked, not needed: pyproject.toml's contracts allow this one Qt import in the core.
        import PySide6
        from PySide6 import QtCore
    except ImportError:
        return NOT_INSTALLED, NOT_INSTALLED
    return str(QtCore.qVersion()), str(getattr(PySide6, "__version__", "?"))


def mupdf_versions() -> tuple[str, str]:
    """(MuPDF's version, PyMuPDF's), or "not installed"."""
    try:
        import pymupdf
    except ImportError:
        return NOT_INSTALLED, NOT_INSTALLED
    mupdf = getattr(pymupdf, "mupdf_version", None) or getattr(pymupdf, "VersionFitz", "?")
    return str(mupdf), str(getattr(pymupdf, "VersionBind", "?"))


def libvlc_info() -> Libvlc:
    """libvlc's version, the library file that was loaded and where its plugins come from.

    Starting an instance is part of the question: libvlc that loads but finds no plugins
    cannot play anything."""
    try:
        # The finder lives beside the media pane but knows nothing of Qt: pyproject.toml's
        # contracts allow this one import from the GUI package.
        from reviewer_app.gui.media import vlc_loader as loader
    except ImportError as exc:  # pragma: no cover - the module is always there
        return Libvlc(problem=str(exc))
    try:
        vlc = loader.load_vlc()
    except loader.VlcUnavailable as exc:
        if "No module named 'vlc'" in exc.details:
            return Libvlc()
        return Libvlc(problem=exc.details)
    version = loader.libvlc_version()
    library = loaded_library(vlc.dll, "libvlc_get_version")
    problem = loader.availability() or ""
    plugins = ", ".join(loaded_plugin_dirs()) or os.environ.get("VLC_PLUGIN_PATH", "")
    return Libvlc(version=version if not problem else "", library=library, plugins=plugins,
                  problem=problem)


def loaded_library(dll, symbol: str) -> str:  # noqa: ANN001 - a ctypes.CDLL
    """The file a loaded shared library came from ("" when the system will not say)."""
    try:
        if sys.platform == "win32":
            buf = ctypes.create_unicode_buffer(32768)
            handle = ctypes.c_void_p(dll._handle)  # noqa: SLF001 - ctypes documents CDLL._handle
            if ctypes.windll.kernel32.GetModuleFileNameW(handle, buf, 32768):
                return buf.value
            return ""

        class DlInfo(ctypes.Structure):
            _fields_ = (("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                        ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p))

        dladdr = ctypes.CDLL(None).dladdr
        dladdr.argtypes = (ctypes.c_void_p, ctypes.POINTER(DlInfo))
        info = DlInfo()
        address = ctypes.cast(getattr(dll, symbol), ctypes.c_void_p).value
        if address and dladdr(address, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(os.fsdecode(info.dli_fname))
    except (AttributeError, OSError, ValueError):
        pass
    return ""


def loaded_plugin_dirs() -> list[str]:
    """The VLC plugin folders this process has loaded plugins from (Linux only: read from
    /proc/self/maps; elsewhere an empty list)."""
    dirs: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].rstrip().endswith("_plugin.so"):
                    plugin = Path(parts[5].rstrip())
                    # plugins sit one folder down: .../plugins/codec/libavcodec_plugin.so
                    root = str(plugin.parent.parent)
                    if root not in dirs:
                        dirs.append(root)
    except OSError:
        return []
    return dirs


def schema_revision(paths: AppPaths, engine=None) -> str:  # noqa: ANN001
    """The database's Alembic revision and whether it is the newest this app knows."""
    from reviewer_app.store.migrate import current_revision, head_revision

    db_file = paths.sqlite_path
    if engine is None and db_file is not None and not db_file.exists():
        return "no database yet (it is made at the first start)"
    own = engine is None
    try:
        if own:
            from reviewer_app.store.db import make_engine

            engine = make_engine(paths.database_url)
        current = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - a diagnosis reports, it does not fail
        return f"unknown: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    finally:
        if own and engine is not None:
            engine.dispose()
    head = head_revision()
    if current is None:
        return f"empty (newest is {head})"
    return f"{current} ({'newest' if current == head else f'newest is {head}'})"


def keyring_backend() -> str:
    """The keyring backend the sign-in tokens would go to, or why there is none."""
    try:
        from reviewer_app.sync.secrets import KeyringTokenStore, NoKeyring
    except ImportError as exc:  # pragma: no cover - keyring is a core dependency
        return f"none ({exc})"
    hint = "issuer sign-in needs GNOME Keyring or KWallet"
    try:
        backend = KeyringTokenStore().backend()
    except NoKeyring as exc:
        found = exc.details.removeprefix("keyring backend: ") or "no secure backend"
        return f"none; {hint} (found {found})"
    except Exception as exc:  # noqa: BLE001
        return f"none; {hint} ({type(exc).__name__}: {exc})"
    return f"available ({type(backend).__module__}.{type(backend).__qualname__})"
