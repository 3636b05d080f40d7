"""Can this file be played? A libvlc check with no Qt in it, for a worker thread.

``probe_media(path)`` parses the file with libvlc (``parse_with_options`` on local files,
waiting for the parsed status), inspects its tracks, and by default also decodes its first
picture (or first audio samples) with a hidden player, which is what catches a truncated
MP4 whose header is intact. It never raises for a bad file or a missing libvlc: the answer
is a :class:`ProbeResult` with a message in plain words.
"""

from __future__ import annotations

import ctypes
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer_app.gui.media.vlc_loader import (
    INSTALL_HINT,
    TrackInfo,
    VlcUnavailable,
    get_instance,
    load_vlc,
    read_tracks,
)

PARSE_TIMEOUT_MS = 5000
DECODE_TIMEOUT_MS = 4000

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts",
                  ".mts", ".m2ts", ".wmv", ".3gp", ".ogv", ".flv"}
AUDIO_SUFFIXES = {".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".flac", ".wma",
                  ".amr", ".3ga", ".caf", ".aiff", ".aif"}


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str
    duration_ms: int | None
    has_video: bool
    has_audio: bool
    details: str = ""
    width: int = 0          # as displayed (sample aspect ratio and rotation applied)
    height: int = 0
    fps: float = 0.0        # 0.0 when the container does not say
    video_codec: str = ""
    audio_codec: str = ""
    vlc_missing: bool = False


def kind_of(path: Path, expect: str | None = None) -> str:
    if expect in ("video", "audio"):
        return expect
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return "file"


def cannot_play_message(kind: str) -> str:
    if kind == "video":
        return ("This video cannot be played: the file is damaged or uses a format VLC "
                "cannot decode.")
    if kind == "audio":
        return ("This audio recording cannot be played: the file is damaged or uses a format "
                "VLC cannot decode.")
    return "This file cannot be played: it is damaged, or it is not a video or audio file."


def _fail(path: Path, kind: str, why: str, duration: int | None = None,
          *, message: str | None = None, vlc_missing: bool = False) -> ProbeResult:
    return ProbeResult(False, message or cannot_play_message(kind), duration, False, False,
                       details=f"{why}\nFile: {path}", vlc_missing=vlc_missing)


def missing_vlc_result(path: Path, exc: VlcUnavailable) -> ProbeResult:
    return ProbeResult(False, exc.message, None, False, False, details=exc.details,
                       vlc_missing=True)


def inspect_media(media: Any, path: Path, *, expect: str | None = None) -> ProbeResult:
    """The verdict on a ``vlc.Media`` whose parsing has finished (any status)."""
    vlc = load_vlc()
    kind = kind_of(path, expect)
    status = media.get_parsed_status()
    if status == vlc.MediaParsedStatus.timeout:
        return _fail(path, kind, f"VLC took longer than {PARSE_TIMEOUT_MS / 1000:g} s to read "
                                 "the file.")
    if status != vlc.MediaParsedStatus.done:
        return _fail(path, kind, f"VLC could not read the file (parse status: {status}).")
    tracks = read_tracks(media)
    duration = media.get_duration()
    duration = duration if duration and duration > 0 else None
    video = next((t for t in tracks if t.kind == "video" and t.width and t.height), None)
    audio = next((t for t in tracks if t.kind == "audio"), None)
    if video is None and audio is None:
        names = ", ".join(f"{t.kind} {t.codec}" for t in tracks) or "none"
        return _fail(path, kind, f"VLC found no video or audio track in the file "
                                 f"(tracks: {names}).", duration)
    if kind == "audio" and audio is None:
        return _fail(path, kind, "The file has no audio track.", duration)
    return _ok(video, audio, duration)


def _ok(video: TrackInfo | None, audio: TrackInfo | None, duration: int | None) -> ProbeResult:
    width, height = video.display_size if video else (0, 0)
    parts = []
    if video:
        parts.append(f"video {video.codec} {video.width}x{video.height}"
                     + (f" {video.fps:g} fps" if video.fps else ""))
    if audio:
        parts.append(f"audio {audio.codec}")
    return ProbeResult(True, "", duration, video is not None, audio is not None,
                       details=", ".join(parts), width=width, height=height,
                       fps=video.fps if video else 0.0,
                       video_codec=video.codec if video else "",
                       audio_codec=audio.codec if audio else "")


def probe_media(path: Path | str, *, timeout_ms: int = PARSE_TIMEOUT_MS,
                decode: bool = True, expect: str | None = None) -> ProbeResult:
    """Parse ``path`` with libvlc and say whether it can be played. Blocking, Qt-free.

    ``decode=False`` only parses (a few milliseconds); the default also decodes the first
    picture or audio samples (about a tenth of a second), which is what detects a file cut
    short. ``expect`` ("video" or "audio") words the messages; by default the file suffix
    decides.
    """
    path = Path(path)
    kind = kind_of(path, expect)
    try:
        instance = get_instance()
        vlc = load_vlc()
    except VlcUnavailable as exc:
        return missing_vlc_result(path, exc)
    if not path.is_file():
        return _fail(path, kind, "The file does not exist or is not a regular file.",
                     message=f"This {kind if kind != 'file' else 'file'} cannot be found: "
                             f"{path.name}")
    media = instance.media_new_path(str(path))
    if media is None:
        return _fail(path, kind, "libvlc could not open the path.")
    try:
        done = threading.Event()
        events = media.event_manager()
        # The callback only sets an Event: it never calls back into libvlc.
        events.event_attach(vlc.EventType.MediaParsedChanged, lambda _event: done.set())
        try:
            media.parse_with_options(vlc.MediaParseFlag.local, timeout_ms)
            if not done.wait(timeout_ms / 1000 + 1.0):
                media.parse_stop()
                return _fail(path, kind, f"VLC took longer than {timeout_ms / 1000:g} s to read "
                                         "the file.")
        finally:
            events.event_detach(vlc.EventType.MediaParsedChanged)
        result = inspect_media(media, path, expect=expect)
        if not result.ok or not decode:
            return result
        problem = _decode_first(instance, vlc, media, result)
        if problem:
            return _fail(path, kind, problem, result.duration_ms)
        return result
    finally:
        media.release()


def _decode_first(instance: Any, vlc: Any, media: Any, info: ProbeResult) -> str:
    """Play the start of the file into a small buffer; '' when a picture (or sound) came out."""
    got = threading.Event()
    ended = threading.Event()
    player = instance.media_player_new()
    if player is None:
        return "libvlc could not create a player."
    callbacks: list[Any] = []
    if info.has_video:
        width, height = 64, 36
        buffer = (ctypes.c_ubyte * (width * height * 4))()
        address = ctypes.addressof(buffer)

        @vlc.CallbackDecorators.VideoLockCb
        def lock(_opaque, planes) -> None:  # noqa: ANN001 - libvlc's ctypes pointers
            planes[0] = address
            return None

        @vlc.CallbackDecorators.VideoUnlockCb
        def unlock(_opaque, _picture, _planes) -> None:
            return None

        @vlc.CallbackDecorators.VideoDisplayCb
        def display(_opaque, _picture) -> None:
            got.set()

        callbacks += [lock, unlock, display, buffer]
        player.video_set_callbacks(lock, unlock, display, None)
        player.video_set_format("RV32", width, height, width * 4)
    else:
        @vlc.CallbackDecorators.AudioPlayCb
        def play(_data, _samples, count, _pts) -> None:  # noqa: ANN001 - libvlc's ctypes values
            if count:
                got.set()

        callbacks.append(play)
        player.audio_set_callbacks(play, None, None, None, None, None)
        player.audio_set_format("S16N", 44100, 2)
    events = player.event_manager()
    watched = (vlc.EventType.MediaPlayerEndReached, vlc.EventType.MediaPlayerEncounteredError)
    for event_type in watched:
        events.event_attach(event_type, lambda _event: ended.set())
    try:
        player.set_media(media)
        player.audio_set_mute(True)
        player.play()
        deadline = time.monotonic() + DECODE_TIMEOUT_MS / 1000
        while time.monotonic() < deadline and not got.is_set() and not ended.is_set():
            got.wait(0.01)
        if got.is_set():
            return ""
        if ended.is_set():
            what = "picture" if info.has_video else "sound"
            return f"VLC reached the end of the file (or an error) before decoding any {what}."
        return f"VLC decoded nothing within {DECODE_TIMEOUT_MS / 1000:g} s."
    finally:
        player.stop()  # synchronous: no callback runs after it returns
        for event_type in watched:
            events.event_detach(event_type)
        player.release()
        callbacks.clear()


__all__ = ["INSTALL_HINT", "ProbeResult", "cannot_play_message", "inspect_media", "probe_media"]
