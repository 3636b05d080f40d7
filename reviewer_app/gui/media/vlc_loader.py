"""Finding libvlc: never raises on import, and knows nothing of Qt.

python-vlc loads libvlc when it is imported, and it fails in several ways when VLC is not
installed: ``NotImplementedError`` on Linux, ``OSError``/``FileNotFoundError`` on Windows and
macOS, and ``SystemExit`` (it calls ``sys.exit(1)``) when ``PYTHON_VLC_LIB_PATH`` points at a
file it cannot load. A library that loads but is not libvlc gives ``AttributeError`` or
``NotImplementedError`` at the first call, and ``vlc.Instance()`` returns ``None`` when libvlc
finds no plugins. Every one of those becomes a :class:`VlcUnavailable` here, whose message
tells the reviewer how to install VLC.

One ``vlc.Instance`` is shared by the whole process (creating one loads the plugin cache).
The probe uses it from worker threads: libvlc itself is thread-safe; what python-vlc forbids
is calling libvlc from inside a libvlc callback.

In a bundle (PyInstaller, ``sys.frozen``) libvlc and its plugins come from the bundle, never
from the system: python-vlc is pointed at them (``PYTHON_VLC_LIB_PATH``,
``PYTHON_VLC_MODULE_PATH``) and so is libvlc (``VLC_PLUGIN_PATH``) before it is loaded.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

INSTALL_HINT = ("Install VLC media player (on Debian/Ubuntu: sudo apt-get install vlc) "
                "to play video and audio here.")
BUNDLE_HINT = ("The video player inside Reviewer could not start; reinstall Reviewer, "
               "and send the details below if it happens again.")
NO_AUDIO_ENV = "REVIEWER_APP_NO_AUDIO"

# Where packaging/reviewer-app.spec puts libvlc and its plugins inside a bundle.
BUNDLED_LIBVLC = {"linux": "libvlc.so.5", "win32": "libvlc.dll", "darwin": "libvlc.dylib"}
BUNDLED_PLUGINS = ("vlc", "plugins")

# The options every libvlc instance of the app gets (see instance_args()).
BASE_ARGS = (
    "--no-xlib",               # frames come through callbacks; never touch X11 from libvlc
    "--quiet",                 # libvlc's own log stays off stderr
    "--no-video-title-show",   # no file name painted over the first frames
    "--no-osd",                # no volume/seek overlays painted into the frames
    "--no-input-fast-seek",    # precise seeks (the default, said out loud)
    "--no-sub-autodetect-file",  # do not pick up stray subtitle files next to evidence
    "--no-snapshot-preview",
)


class VlcUnavailable(Exception):
    """libvlc cannot be used on this machine: ``message`` says what to do, ``details`` why."""

    def __init__(self, details: str, message: str = INSTALL_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


_lock = threading.RLock()
_module: ModuleType | None = None
_module_error: str | None = None
_instance: Any = None
_instance_error: str | None = None


def has_sound_device() -> bool:
    """Whether an audio output can exist. Only Linux can tell cheaply; elsewhere assume yes."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        if os.path.isdir("/dev/snd") and any(os.scandir("/dev/snd")):
            return True
    except OSError:
        pass
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        for name in ("pulse/native", "pipewire-0"):
            if os.path.exists(os.path.join(runtime, name)):
                return True
    return False


def audio_disabled() -> bool:
    return os.environ.get(NO_AUDIO_ENV) == "1" or not has_sound_device()


def instance_args() -> list[str]:
    args = list(BASE_ARGS)
    if audio_disabled():
        args.append("--aout=dummy")  # no ALSA errors where there is no sound card (tests, CI)
    return args


def bundled_libvlc() -> tuple[str, str] | None:
    """(libvlc, plugin folder) inside this bundle, or None when not running from one."""
    root = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or not root:
        return None
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    library = os.path.join(root, BUNDLED_LIBVLC.get(platform, "libvlc.so.5"))
    plugins = os.path.join(root, *BUNDLED_PLUGINS)
    if os.path.isfile(library) and os.path.isdir(plugins):
        return library, plugins
    return None


def use_bundled_libvlc() -> bool:
    """In a bundle, make python-vlc and libvlc use the bundled copies (whatever the
    environment said: a system VLC's plugins do not fit the bundled libvlc)."""
    found = bundled_libvlc()
    if found is None:
        return False
    library, plugins = found
    os.environ["PYTHON_VLC_LIB_PATH"] = library
    os.environ["PYTHON_VLC_MODULE_PATH"] = plugins
    os.environ["VLC_PLUGIN_PATH"] = plugins
    return True


def _hint() -> str:
    return BUNDLE_HINT if getattr(sys, "frozen", False) else INSTALL_HINT


def load_vlc() -> ModuleType:
    """The ``vlc`` module with a working libvlc 3, or :class:`VlcUnavailable`."""
    global _module_error
    with _lock:
        if _module is not None:
            return _module
        if _module_error is None:
            _module_error = _try_import()
        if _module_error is not None:
            raise VlcUnavailable(_module_error, _hint())
        assert _module is not None
        return _module


def _try_import() -> str | None:
    global _module
    if use_bundled_libvlc():
        log.info("using the bundled libvlc %s", os.environ["PYTHON_VLC_LIB_PATH"])
    try:
        import vlc

        raw = vlc.libvlc_get_version()
    except SystemExit as exc:  # python-vlc calls sys.exit(1) when PYTHON_VLC_LIB_PATH is wrong
        path = os.environ.get("PYTHON_VLC_LIB_PATH", "")
        return f"python-vlc could not load libvlc from PYTHON_VLC_LIB_PATH={path!r} (exit {exc.code})"
    except (ImportError, OSError, NameError, AttributeError, NotImplementedError) as exc:
        return f"python-vlc could not load libvlc: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - any other failure of a foreign library is the same fact
        return f"python-vlc could not load libvlc: {type(exc).__name__}: {exc}"
    version = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if not version.startswith("3."):
        return (f"libvlc {version} is installed; Reviewer plays media with libvlc 3 "
                "(VLC 3.0), whose interface it was tested against.")
    _module = vlc
    return None


def get_instance() -> Any:
    """The process-wide ``vlc.Instance`` (created on first use), or :class:`VlcUnavailable`."""
    global _instance, _instance_error
    vlc = load_vlc()
    with _lock:
        if _instance is None and _instance_error is None:
            args = instance_args()
            try:
                instance = vlc.Instance(args)
            except (OSError, NameError, AttributeError, NotImplementedError, TypeError) as exc:
                _instance_error = f"libvlc could not start: {type(exc).__name__}: {exc}"
            except Exception as exc:  # noqa: BLE001
                _instance_error = f"libvlc could not start: {type(exc).__name__}: {exc}"
            else:
                if instance is None:
                    _instance_error = ("libvlc could not start (libvlc_new returned NULL: "
                                       "its plugins are probably missing, e.g. vlc-plugin-base)")
                else:
                    log.info("libvlc %s started with %s", libvlc_version(), " ".join(args))
                    _instance = instance
        if _instance_error is not None:
            raise VlcUnavailable(_instance_error, _hint())
        return _instance


def availability() -> str | None:
    """``None`` when media can be played, else the reason (for logs and details)."""
    try:
        get_instance()
    except VlcUnavailable as exc:
        return exc.details
    return None


def libvlc_version() -> str:
    try:
        raw = load_vlc().libvlc_get_version()
    except VlcUnavailable:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


# --------------------------------------------------------------------------------------------
# Tracks. python-vlc 3.0.21203 declares ``libvlc_media_track_t`` with three separate pointers
# where libvlc 3 has a union of one, so its ``Media.tracks_get()`` reads the wrong memory
# (it crashes on a plain H.264 file). These are the libvlc 3.0 layouts from vlc/libvlc_media.h.


class _VideoTrack3(ctypes.Structure):
    _fields_ = (
        ("height", ctypes.c_uint),
        ("width", ctypes.c_uint),
        ("sar_num", ctypes.c_uint),
        ("sar_den", ctypes.c_uint),
        ("frame_rate_num", ctypes.c_uint),
        ("frame_rate_den", ctypes.c_uint),
        ("orientation", ctypes.c_int),
    )


class _AudioTrack3(ctypes.Structure):
    _fields_ = (("channels", ctypes.c_uint), ("rate", ctypes.c_uint))


class _Track3(ctypes.Structure):
    _fields_ = (
        ("codec", ctypes.c_uint32),
        ("original_fourcc", ctypes.c_uint32),
        ("id", ctypes.c_int),
        ("type", ctypes.c_int),
        ("profile", ctypes.c_int),
        ("level", ctypes.c_int),
        ("detail", ctypes.c_void_p),  # union { audio*, video*, subtitle* }
        ("bitrate", ctypes.c_uint),
        ("language", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
    )


_TRACKS = ctypes.POINTER(ctypes.POINTER(_Track3))
_track_functions: tuple[Any, Any] | None = None

TRACK_AUDIO, TRACK_VIDEO, TRACK_TEXT = 0, 1, 2
# libvlc_video_orient_t values whose picture is turned a quarter (width and height swap).
_QUARTER_TURNS = {4, 5, 6, 7}


@dataclass(frozen=True)
class TrackInfo:
    kind: str  # "video", "audio", "text" or "other"
    codec: str
    width: int = 0
    height: int = 0
    sar_num: int = 1
    sar_den: int = 1
    fps_num: int = 0
    fps_den: int = 0
    orientation: int = 0
    channels: int = 0
    sample_rate: int = 0

    @property
    def fps(self) -> float:
        return self.fps_num / self.fps_den if self.fps_num and self.fps_den else 0.0

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: sample aspect ratio applied, rotation honoured."""
        width, height = self.width, self.height
        if self.sar_num and self.sar_den and self.sar_num != self.sar_den:
            width = round(width * self.sar_num / self.sar_den)
        if self.orientation in _QUARTER_TURNS:
            width, height = height, width
        return width, height


def _functions() -> tuple[Any, Any]:
    global _track_functions
    if _track_functions is None:
        dll = load_vlc().dll
        get = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_void_p, ctypes.POINTER(_TRACKS))(
            ("libvlc_media_tracks_get", dll))
        release = ctypes.CFUNCTYPE(None, _TRACKS, ctypes.c_uint)(
            ("libvlc_media_tracks_release", dll))
        _track_functions = (get, release)
    return _track_functions


def _fourcc(code: int) -> str:
    return code.to_bytes(4, "little").decode("latin-1").strip("\0 ")


def read_tracks(media: Any) -> list[TrackInfo]:
    """The elementary streams of a parsed ``vlc.Media`` (empty when there are none)."""
    get, release = _functions()
    array = _TRACKS()
    count = get(media._as_parameter_, ctypes.byref(array))
    tracks: list[TrackInfo] = []
    try:
        for i in range(count):
            track = array[i].contents
            codec = _fourcc(track.codec)
            if track.type == TRACK_VIDEO and track.detail:
                v = ctypes.cast(track.detail, ctypes.POINTER(_VideoTrack3)).contents
                tracks.append(TrackInfo("video", codec, v.width, v.height, v.sar_num or 1,
                                        v.sar_den or 1, v.frame_rate_num, v.frame_rate_den,
                                        v.orientation))
            elif track.type == TRACK_AUDIO and track.detail:
                a = ctypes.cast(track.detail, ctypes.POINTER(_AudioTrack3)).contents
                tracks.append(TrackInfo("audio", codec, channels=a.channels, sample_rate=a.rate))
            elif track.type == TRACK_TEXT:
                tracks.append(TrackInfo("text", codec))
            else:
                tracks.append(TrackInfo("other", codec))
    finally:
        if count:
            release(array, count)
    return tracks
