"""When each video frame of an MP4 or QuickTime file is shown, read from its sample tables.

No Qt and no libvlc: this reads the ``moov`` box of an ISO base media file (MP4, MOV, M4V,
3GP) and returns, for its first video track, the presentation time of every frame and which
frames are key frames (sync samples), with the edit list applied as players apply it. The
media pane uses it to land on the very frame a note points to: libvlc 3 reports no timestamp
for the picture it shows, but a picture decoded from a key frame onwards, one by one, is
known by its position.

Times are integers in microseconds, from the start of the presentation (the first frame
shown is at 0 for a file whose edit list starts at its first frame). ``read_mp4_timing``
returns ``None`` for anything it does not understand (not an ISO file, fragmented files,
edit lists with more than one media segment, damaged tables): callers then fall back to
seeking by time alone.
"""

from __future__ import annotations

import bisect
import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_MOOV_BYTES = 64 * 1024 * 1024  # a sane moov is a few MB even for hours of video
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


class _Bad(Exception):
    """The file is not something this reader understands."""


@dataclass(frozen=True)
class VideoTiming:
    """Frames of one video track in presentation order.

    ``frame_us[i]`` is when frame ``i`` starts being shown; ``key[i]`` whether it is a key
    frame a decoder can start at. ``reorders`` is true when frames are decoded in another
    order than they are shown (B-frames): players then cannot land on every frame directly.
    ``closed_keys[i]`` is true for a key frame after which (in decoding order) no frame is
    shown before it, so decoding from it shows it first.
    """

    frame_us: tuple[int, ...]
    key: tuple[bool, ...]
    closed_keys: tuple[bool, ...]
    reorders: bool
    frame_duration_us: float

    def __len__(self) -> int:
        return len(self.frame_us)

    def index_at(self, t_us: int) -> int:
        """The frame on screen at ``t_us`` (clamped to the first and last frame)."""
        i = bisect.bisect_right(self.frame_us, t_us) - 1
        return max(0, min(i, len(self.frame_us) - 1))

    def start_us(self, index: int) -> int:
        return self.frame_us[index]

    def key_before(self, index: int) -> int | None:
        """The last key frame at or before ``index`` that decoding can start from (a closed
        one: it is the first picture shown), or ``None``."""
        for i in range(index, -1, -1):
            if self.key[i] and self.closed_keys[i]:
                return i
        return None

    @property
    def fps(self) -> float:
        return 1e6 / self.frame_duration_us if self.frame_duration_us > 0 else 0.0


def read_mp4_timing(path: Path | str) -> VideoTiming | None:
    """The timing of the first video track of an ISO media file, or ``None``."""
    try:
        with open(path, "rb") as f:
            moov = _find_moov(f)
            if moov is None:
                return None
            return _parse_moov(moov)
    except (OSError, _Bad, struct.error, ValueError, IndexError, ZeroDivisionError):
        return None


# ------------------------------------------------------------------------------ boxes --
def _find_moov(f: BinaryIO) -> bytes | None:
    f.seek(0, 2)
    size = f.tell()
    offset = 0
    first = True
    while offset + 8 <= size:
        f.seek(offset)
        header = f.read(16)
        box_size, kind = struct.unpack(">I4s", header[:8])
        header_size = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", header[8:16])[0]
            header_size = 16
        elif box_size == 0:
            box_size = size - offset
        if box_size < header_size:
            raise _Bad("bad box size")
        if first and kind not in (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"):
            return None  # not an ISO base media file
        first = False
        if kind == b"moof":
            return None  # fragmented: tables are spread over fragments
        if kind == b"moov":
            if box_size > MAX_MOOV_BYTES:
                raise _Bad("moov too large")
            f.seek(offset + header_size)
            data = f.read(box_size - header_size)
            if len(data) != box_size - header_size:
                raise _Bad("truncated moov")
            return data
        offset += box_size
    return None


def _children(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        box_size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header_size = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
            header_size = 16
        elif box_size == 0:
            box_size = end - offset
        if box_size < header_size or offset + box_size > end:
            raise _Bad("box overruns its parent")
        yield kind, data[offset + header_size:offset + box_size]
        offset += box_size


def _child(data: bytes, kind: bytes) -> bytes | None:
    for name, body in _children(data):
        if name == kind:
            return body
    return None


def _full_box(body: bytes) -> tuple[int, bytes]:
    """(version, payload after version and flags)."""
    return body[0], body[4:]


# ----------------------------------------------------------------------------- tables --
def _parse_moov(moov: bytes) -> VideoTiming | None:
    mvhd = _child(moov, b"mvhd")
    if mvhd is None:
        raise _Bad("no mvhd")
    version, payload = _full_box(mvhd)
    movie_scale = struct.unpack(">I", payload[16:20] if version == 1 else payload[8:12])[0]
    if movie_scale == 0:
        raise _Bad("movie timescale 0")
    for kind, trak in _children(moov):
        if kind != b"trak":
            continue
        mdia = _child(trak, b"mdia")
        if mdia is None:
            continue
        hdlr = _child(mdia, b"hdlr")
        if hdlr is None or hdlr[8:12] != b"vide":
            continue
        return _parse_video_track(trak, mdia, movie_scale)
    return None


def _parse_video_track(trak: bytes, mdia: bytes, movie_scale: int) -> VideoTiming | None:
    mdhd = _child(mdia, b"mdhd")
    minf = _child(mdia, b"minf")
    stbl = _child(minf, b"stbl") if minf is not None else None
    if mdhd is None or stbl is None:
        raise _Bad("no mdhd or stbl")
    version, payload = _full_box(mdhd)
    scale = struct.unpack(">I", payload[16:20] if version == 1 else payload[8:12])[0]
    if scale == 0:
        raise _Bad("media timescale 0")

    stts = _child(stbl, b"stts")
    if stts is None:
        raise _Bad("no stts")
    _, payload = _full_box(stts)
    (count,) = struct.unpack(">I", payload[:4])
    dts: list[int] = []
    t = 0
    for i in range(count):
        n, delta = struct.unpack(">II", payload[4 + 8 * i:12 + 8 * i])
        if len(dts) + n > 10_000_000:
            raise _Bad("too many samples")
        for _ in range(n):
            dts.append(t)
            t += delta
    samples = len(dts)
    if samples == 0:
        return None

    offsets = [0] * samples
    ctts = _child(stbl, b"ctts")
    if ctts is not None:
        version, payload = _full_box(ctts)
        (count,) = struct.unpack(">I", payload[:4])
        fmt = ">Ii" if version == 1 else ">II"
        i = 0
        for k in range(count):
            n, offset = struct.unpack(fmt, payload[4 + 8 * k:12 + 8 * k])
            if version == 0 and offset >= 1 << 31:
                offset -= 1 << 32  # some writers put signed offsets in version 0
            for _ in range(n):
                if i >= samples:
                    break
                offsets[i] = offset
                i += 1

    sync = [True] * samples
    stss = _child(stbl, b"stss")
    if stss is not None:
        _, payload = _full_box(stss)
        (count,) = struct.unpack(">I", payload[:4])
        sync = [False] * samples
        for k in range(count):
            (number,) = struct.unpack(">I", payload[4 + 4 * k:8 + 4 * k])
            if 1 <= number <= samples:
                sync[number - 1] = True

    shift, lead = _edit(trak, scale, movie_scale)
    cts = [d + o for d, o in zip(dts, offsets, strict=True)]
    # Presentation order; frames the edit list cuts off before its start are dropped.
    order = sorted(range(samples), key=lambda s: cts[s])
    frames: list[int] = []
    keys: list[bool] = []
    closed: list[bool] = []
    for s in order:
        media = cts[s] - shift
        if media < 0:
            continue
        frames.append(lead + media * 1_000_000 // scale)
        keys.append(sync[s])
        # A key frame is "closed" when no later-decoded frame is shown before it.
        if sync[s]:
            end = next((j for j in range(s + 1, samples) if sync[j]), samples)
            closed.append(all(cts[j] >= cts[s] for j in range(s + 1, end)))
        else:
            closed.append(False)
    if not frames:
        return None
    reorders = any(b < a for a, b in itertools.pairwise(cts))
    duration = (frames[-1] - frames[0]) / (len(frames) - 1) if len(frames) > 1 else 40_000.0
    return VideoTiming(tuple(frames), tuple(keys), tuple(closed), reorders, duration)


def _edit(trak: bytes, scale: int, movie_scale: int) -> tuple[int, int]:
    """(media time the presentation starts at, in media units; microseconds of empty edit
    before it). Only "empty edits, then one media segment at normal rate" is understood."""
    edts = _child(trak, b"edts")
    elst = _child(edts, b"elst") if edts is not None else None
    if elst is None:
        return 0, 0
    version, payload = _full_box(elst)
    (count,) = struct.unpack(">I", payload[:4])
    entries = []
    pos = 4
    for _ in range(count):
        if version == 1:
            duration, media_time = struct.unpack(">Qq", payload[pos:pos + 16])
            pos += 16
        else:
            duration, media_time = struct.unpack(">Ii", payload[pos:pos + 8])
            pos += 8
        rate = struct.unpack(">h", payload[pos:pos + 2])[0]
        pos += 4
        entries.append((duration, media_time, rate))
    lead = 0
    media = [e for e in entries if e[1] != -1]
    for duration, media_time, _rate in entries:
        if media_time != -1:
            break
        lead += duration * 1_000_000 // movie_scale
    if not media:
        return 0, lead
    if len(media) > 1 or media[0][2] != 1:
        raise _Bad("edit list with several segments or another rate")
    return media[0][1], lead


__all__ = ["VideoTiming", "read_mp4_timing"]
