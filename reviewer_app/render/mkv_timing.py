"""When each video frame of a Matroska or WebM file is shown, read from its blocks.

The Matroska counterpart of :mod:`reviewer_app.render.mp4_timing` (no Qt, no libvlc): it
walks the file's clusters, reading each block's header only (its payload is skipped), and
returns for the first video track the presentation time of every frame and which frames
are key frames. Matroska stores presentation timestamps, in decoding order. The player has
libvlc read Matroska with libavformat, whose clock starts at the file's first timestamp
(of any track), so times are microseconds from there.

``read_matroska_timing`` returns ``None`` for anything it does not understand (not
Matroska, laced video blocks, no video track, damage): callers then seek by time alone.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from reviewer_app.render.mp4_timing import VideoTiming

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
SEGMENT, CLUSTER = 0x18538067, 0x1F43B675
INFO, TIMESTAMP_SCALE = 0x1549A966, 0x2AD7B1
TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE = 0x1654AE6B, 0xAE, 0xD7, 0x83
CLUSTER_TIMESTAMP, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK, REFERENCE_BLOCK = 0xE7, 0xA3, 0xA0, 0xA1, 0xFB
# Elements that sit directly in the Segment: meeting one ends a cluster of unknown size.
LEVEL1 = {0x114D9B74, INFO, TRACKS, 0x1C53BB6B, CLUSTER, 0x1043A770, 0x1941A469, 0x1254C367}
VIDEO_TRACK = 1
MAX_FRAMES = 10_000_000
UNKNOWN = -1


class _Bad(Exception):
    """The file is not something this reader understands."""


def is_matroska(path: Path | str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == EBML_MAGIC
    except OSError:
        return False


def read_matroska_timing(path: Path | str) -> VideoTiming | None:
    """The timing of the first video track of a Matroska/WebM file, or ``None``."""
    try:
        with open(path, "rb", buffering=64 * 1024) as f:
            return _read(f)
    except (OSError, _Bad, struct.error, ValueError, IndexError, ZeroDivisionError):
        return None


# ------------------------------------------------------------------------------ EBML --
def _vint(f: BinaryIO, *, keep_marker: bool) -> tuple[int, int]:
    """(value, length) of a variable-length integer; an all-ones size is UNKNOWN."""
    first = f.read(1)
    if not first:
        raise EOFError
    b = first[0]
    if b == 0:
        raise _Bad("bad variable-length integer")
    length = 9 - b.bit_length()
    rest = f.read(length - 1)
    if len(rest) != length - 1:
        raise EOFError
    value = b if keep_marker else b & (0xFF >> length)
    for byte in rest:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return UNKNOWN, length
    return value, length


def _header(f: BinaryIO) -> tuple[int, int]:
    """(element id, payload size) at the current position."""
    element, _ = _vint(f, keep_marker=True)
    size, _ = _vint(f, keep_marker=False)
    return element, size


def _uint(f: BinaryIO, size: int) -> int:
    if not 0 <= size <= 8:
        raise _Bad("bad integer size")
    data = f.read(size)
    return int.from_bytes(data, "big") if data else 0


def _children(f: BinaryIO, end: int, *, in_cluster: bool = False) -> Iterator[tuple[int, int, int]]:
    """(id, size, payload start) of each child up to ``end`` (the file's end if unknown; a
    cluster of unknown size ends at the next top-level element); the caller reads or skips
    the payload, the walk seeks past it."""
    while end == UNKNOWN or f.tell() < end:
        start = f.tell()
        try:
            element, size = _header(f)
        except EOFError:
            return
        payload = f.tell()
        if in_cluster and end == UNKNOWN and element in LEVEL1:
            f.seek(start)  # the parent (a cluster of unknown size) ended before this
            return
        yield element, size, payload
        if size == UNKNOWN:
            if element != CLUSTER:
                raise _Bad("unknown size outside a cluster")
            continue  # its children were walked by the caller, up to here
        f.seek(payload + size)


# ------------------------------------------------------------------------------ file --
def _read(f: BinaryIO) -> VideoTiming | None:
    if f.read(4) != EBML_MAGIC:
        return None
    f.seek(0)
    element, size = _header(f)
    f.seek(f.tell() + size)  # the EBML header
    element, size = _header(f)
    if element != SEGMENT:
        raise _Bad("no segment")
    segment_end = UNKNOWN if size == UNKNOWN else f.tell() + size
    scale_ns = 1_000_000
    video: int | None = None
    blocks: list[tuple[int, bool]] = []  # (timestamp in scale units, key), in decoding order
    first: list[int] = []  # the earliest timestamp of any track's block
    for element, size, payload in _children(f, segment_end):
        if element == INFO:
            for child, child_size, _ in _children(f, payload + size):
                if child == TIMESTAMP_SCALE:
                    scale_ns = _uint(f, child_size) or 1_000_000
        elif element == TRACKS and video is None:
            video = _video_track(f, payload + size)
        elif element == CLUSTER:
            if video is None:
                raise _Bad("clusters before the tracks")
            _cluster(f, UNKNOWN if size == UNKNOWN else payload + size, video, blocks, first)
    if video is None or not blocks:
        return None
    origin = min(first)
    return _timing([(t - origin, k) for t, k in blocks], scale_ns)


def _video_track(f: BinaryIO, end: int) -> int | None:
    for element, size, payload in _children(f, end):
        if element != TRACK_ENTRY:
            continue
        number = kind = None
        for child, child_size, _ in _children(f, payload + size):
            if child == TRACK_NUMBER:
                number = _uint(f, child_size)
            elif child == TRACK_TYPE:
                kind = _uint(f, child_size)
        if kind == VIDEO_TRACK and number:
            f.seek(end)
            return number
    return None


def _cluster(f: BinaryIO, end: int, video: int, blocks: list[tuple[int, bool]],
             first: list[int]) -> None:
    base = 0
    for element, size, payload in _children(f, end, in_cluster=True):
        if element == CLUSTER_TIMESTAMP:
            base = _uint(f, size)
        elif element == SIMPLE_BLOCK:
            track, relative, flags = _block(f, video)
            _note_first(first, base + relative)
            if track == video:
                blocks.append((base + relative, bool(flags & 0x80)))
        elif element == BLOCK_GROUP:
            found, referenced = None, False
            for child, _child_size, _ in _children(f, payload + size):
                if child == BLOCK:
                    found = _block(f, video)
                elif child == REFERENCE_BLOCK:
                    referenced = True
            if found is not None:
                _note_first(first, base + found[1])
                if found[0] == video:
                    blocks.append((base + found[1], not referenced))
        if len(blocks) > MAX_FRAMES:
            raise _Bad("too many frames")


def _note_first(first: list[int], timestamp: int) -> None:
    if not first:
        first.append(timestamp)
    elif timestamp < first[0]:
        first[0] = timestamp


def _block(f: BinaryIO, video: int) -> tuple[int, int, int]:
    """(track, timestamp relative to the cluster, flags) of a block."""
    track, _ = _vint(f, keep_marker=False)
    relative, flags = struct.unpack(">hB", f.read(3))
    if track == video and flags & 0x06:
        raise _Bad("laced video blocks")
    return track, relative, flags


def _timing(blocks: list[tuple[int, bool]], scale_ns: int) -> VideoTiming | None:
    times = [t * scale_ns // 1000 for t, _ in blocks]  # microseconds, decoding order
    keys = [k for _, k in blocks]
    order = sorted(range(len(times)), key=lambda i: times[i])
    frames, key_flags, closed = [], [], []
    for i in order:
        frames.append(times[i])
        key_flags.append(keys[i])
        if keys[i]:
            # closed: no frame decoded after it (before the next key frame) is shown before it
            end = next((j for j in range(i + 1, len(times)) if keys[j]), len(times))
            closed.append(all(times[j] >= times[i] for j in range(i + 1, end)))
        else:
            closed.append(False)
    reorders = any(b < a for a, b in itertools.pairwise(times))
    duration = (frames[-1] - frames[0]) / (len(frames) - 1) if len(frames) > 1 else 40_000.0
    return VideoTiming(tuple(frames), tuple(key_flags), tuple(closed), reorders, duration)


__all__ = ["is_matroska", "read_matroska_timing"]
