"""Loading a file into the media engine: libvlc's session made, the file parsed and
inspected (probe), its frame table read on a thread (render.video_timing), and the one way
a file that cannot be played fails (plain words and details, the ``failed`` signal).

A part of MediaEngine (player.py): these methods share the engine's state
(``MediaEngine._reset_media_state``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QImage

from reviewer_app.gui.media.probe import (
    PARSE_TIMEOUT_MS,
    ProbeResult,
    cannot_play_message,
    inspect_media,
    kind_of,
)
from reviewer_app.gui.media.vlc_loader import VlcUnavailable, get_instance, load_vlc
from reviewer_app.gui.media.vlc_session import Session, frame_size_for, timing_reader
from reviewer_app.render.video_timing import VideoTiming, read_video_timing

log = logging.getLogger(__name__)


class MediaLoading:
    """Opening, parsing and closing a file in MediaEngine; its failure."""

    def load(self, path: Path, *, audio: bool = False, title: str = "", start_ms: int = 0) -> None:
        """Open ``path``, its first picture at ``start_ms`` (where the reviewer left it): libvlc
        starts there at once, so a reopened video costs no more than a new one (a seek after
        loading would decode the start first, then again from the key frame before the time).
        That first picture is libvlc's nearest; ``seek(ms, exact=True)`` makes it exact."""
        self.close_media()
        self._token += 1
        path = Path(path)
        self._path, self._title, self._audio = path, title or path.name, audio
        self._set_state("loading")
        kind = "audio" if audio else kind_of(path, "video")
        try:
            vlc = load_vlc()
            instance = get_instance()
        except VlcUnavailable as exc:
            self._fail(exc.message, exc.details)
            return
        if not path.is_file():
            self._fail(f"This {kind} cannot be found: {path.name}",
                       f"The file does not exist or is not a regular file.\nFile: {path}")
            return
        session = Session(vlc, instance, path, self._bridge)
        session.no_video = audio
        self._set_session(session)
        try:
            session.start_parse(self._token)
            session.make_player(video=not audio)
        except Exception as exc:  # noqa: BLE001
            self._fail(cannot_play_message(kind), f"{exc}\nFile: {path}")
            return
        self._parse_timer.start(PARSE_TIMEOUT_MS + 1500)
        self._timer.start()
        if not audio:
            self._read_timing(path, self._token)
            # Start decoding while libvlc parses the file (a few ms): the first picture comes
            # sooner. It is held (paused on) unless play() is called.
            self._restart(max(0, int(start_ms)), play=False)
        elif start_ms > 0:
            self._pending_seek, self._pending_exact = int(start_ms), False  # taken once parsed

    def _read_timing(self, path: Path, token: int) -> None:
        """Read the frame times from the file's tables on a thread (a long video's tables take
        tens of milliseconds to read): exact seeks wait for them."""
        bridge = self._bridge

        def read() -> None:
            try:
                timing = read_video_timing(path)
            except Exception:
                log.exception("reading the frame times of %s failed", path)
                timing = None
            bridge.timing.emit(token, timing)

        timing_reader().submit(read)

    def _on_timing(self, token: int, timing: object) -> None:
        if token != self._token or self._session is None:
            return
        self._timing = timing if isinstance(timing, VideoTiming) else None
        self._timing_known = True
        if self._timing is None:
            log.info("no frame table for %s: seeks land by time alone", self._path)
        elif not self._audio:
            self._quick_warm()
        if self._ready and self._pending_seek is not None:
            pending, self._pending_seek = self._pending_seek, None
            self.seek(pending, exact=self._pending_exact)

    def close_media(self) -> None:
        if self._loop is not None or self._mark_in is not None or self._mark_out is not None:
            self.clear_loop()  # a marked range belongs to the item it was marked on
        session = self._session
        self._quick_release()
        self._parse_timer.stop()
        self._timer.stop()
        self._set_session(None)
        if session is not None:
            session.shutdown()
        had_media = self._path is not None
        self._token += 1
        self._reset_media_state()
        if had_media:
            self.imageChanged.emit(QImage())
            self.messageChanged.emit("", "")
            self.durationChanged.emit(0)
            self.positionChanged.emit(0)
            self.stateChanged.emit("idle")

    def _set_session(self, session: Session | None) -> None:
        self._session = session
        self._session_box[0] = session

    def _on_parse_timeout(self) -> None:
        if self._session is not None and not self._ready and self._state == "loading":
            kind = "audio" if self._audio else kind_of(self._path, "video")
            self._fail(cannot_play_message(kind),
                       f"VLC took longer than {PARSE_TIMEOUT_MS / 1000:g} s to read the file.\n"
                       f"File: {self._path}")

    def _on_parsed(self, token: int) -> None:
        session = self._session
        if token != self._token or session is None or self._ready or self._error:
            return
        self._parse_timer.stop()
        expect = "audio" if self._audio else None
        try:
            info = inspect_media(session.parse_media, self._path, expect=expect)
        except Exception as exc:
            log.exception("inspecting %s failed", self._path)
            info = ProbeResult(False, cannot_play_message(kind_of(self._path, expect)), None,
                               False, False, details=str(exc))
        session.end_parse()
        if not info.ok:
            self._fail(info.message, info.details)
            return
        self._info = info
        if not self._audio and not info.has_video:
            # An audio file loaded as a video: stop the picture path started by load().
            self._audio = True
            self._op = None
            session.stop()
            session.watch("MediaPlayerPlaying")
            self._vlc_mode = "stopped"
            self._frames, self._v, self._vlc_idx = [], -1, -1
        if self._audio and not info.has_audio:
            self._fail(cannot_play_message("audio"), "The file has no audio track.")
            return
        if info.fps and 1 <= info.fps <= 240:
            self._frame_ms = 1000.0 / info.fps
            self._retime_frames()
        self._duration = int(info.duration_ms or 0)
        sink = session.sink
        if sink is not None:
            sink.target = frame_size_for(info.width, info.height)
            sink.target_known.set()
            if sink.configured is not None and sink.configured != sink.target:
                # The video output was made before the parse ended: make it again.
                log.info("video output %s made before parsing; restarting at %s",
                         sink.configured, sink.target)
                self._op = None
                self._restart(self._snap(self.position()), play=self._want_play)
        self._ready = True
        self._apply_audio()
        self.durationChanged.emit(self._duration)
        self.loaded.emit()
        pending, self._pending_seek = self._pending_seek, None
        if self._audio:
            self._audio_pos = self._clamp(pending) if pending is not None else 0
            if self._want_play:
                self._start_playing()
            else:
                self._set_state("paused")
                self._emit_position(self._audio_pos)
        else:
            if self._shown_pending is not None:
                shown, self._shown_pending = self._shown_pending, None
                self.frameShown.emit(self._snap(shown))
            if pending is not None:
                self.seek(pending, exact=self._pending_exact)
            elif self._want_play and self._op is None and self._vlc_mode != "playing":
                self._start_playing()

    def _retime_frames(self) -> None:
        if self._frames:
            first = self._frames[0].ms
            for i, frame in enumerate(self._frames):
                frame.ms = round(first + i * self._frame_ms)

    def _fail(self, message: str, details: str) -> None:
        log.warning("media: %s (%s)", message, details.replace("\n", "; "))
        self._error = message
        self._details = details
        session = self._session
        self._op = None
        self._want_play = False
        self._ready = False
        self._timer.stop()
        self._parse_timer.stop()
        if session is not None:
            self._set_session(None)
            session.shutdown()
        self._frames, self._v, self._vlc_idx = [], -1, -1
        if self._duration:
            self._duration = 0
            self.durationChanged.emit(0)
        self._emit_position(0)
        self.imageChanged.emit(QImage())
        self.messageChanged.emit(message, details)
        self._set_state("error")
        self.failed.emit(message)

    def details(self) -> str:
        return self._details if self._error else self._message_details

    def _warn(self, message: str, details: str) -> None:
        self._message, self._message_details = message, details
        self.messageChanged.emit(message, details)
