"""Frame times read from an MP4's sample tables: what the media pane counts frames by."""

from __future__ import annotations

import struct
from pathlib import Path

from reviewer_app.render.mp4_timing import read_mp4_timing
from reviewer_app.resources_path import resource


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full(kind: bytes, version: int, body: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + body)


def mp4(*, deltas: list[int], offsets: list[int] | None, sync: list[int] | None,
        edits: list[tuple[int, int]] | None, scale: int = 12800, movie_scale: int = 1000,
        handler: bytes = b"vide", mdat_first: bool = False) -> bytes:
    """A file with one track: ``deltas`` per sample (stts), composition ``offsets`` (ctts),
    1-based ``sync`` samples (stss), ``edits`` (duration, media_time) in the edit list."""
    stts = full(b"stts", 0, struct.pack(">I", len(deltas))
                + b"".join(struct.pack(">II", 1, d) for d in deltas))
    tables = stts
    if offsets is not None:
        version = 1 if any(o < 0 for o in offsets) else 0
        fmt = ">Ii" if version else ">II"
        tables += full(b"ctts", version, struct.pack(">I", len(offsets))
                       + b"".join(struct.pack(fmt, 1, o) for o in offsets))
    if sync is not None:
        tables += full(b"stss", 0, struct.pack(">I", len(sync))
                       + b"".join(struct.pack(">I", n) for n in sync))
    stbl = box(b"stbl", tables)
    mdhd = full(b"mdhd", 0, struct.pack(">IIII", 0, 0, scale, sum(deltas)) + b"\0" * 4)
    hdlr = full(b"hdlr", 0, b"\0" * 4 + handler + b"\0" * 12 + b"v\0")
    mdia = box(b"mdia", mdhd + hdlr + box(b"minf", stbl))
    trak_body = mdia
    if edits is not None:
        elst = full(b"elst", 0, struct.pack(">I", len(edits))
                    + b"".join(struct.pack(">IihH", d, m, 1, 0) for d, m in edits))
        trak_body = box(b"edts", elst) + mdia
    mvhd = full(b"mvhd", 0, struct.pack(">IIII", 0, 0, movie_scale, 1000) + b"\0" * 80)
    moov = box(b"moov", mvhd + box(b"trak", trak_body))
    mdat = box(b"mdat", b"\0" * 64)
    ftyp = box(b"ftyp", b"isom\0\0\0\0isom")
    return ftyp + (mdat + moov if mdat_first else moov + mdat)


def write(tmp_path: Path, data: bytes, name: str = "v.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_frames_without_reordering(tmp_path):
    path = write(tmp_path, mp4(deltas=[512] * 10, offsets=None, sync=[1, 6], edits=None))
    timing = read_mp4_timing(path)
    assert timing is not None
    assert timing.frame_us == tuple(i * 40_000 for i in range(10))
    assert [i for i, k in enumerate(timing.key) if k] == [0, 5]
    assert not timing.reorders
    assert timing.fps == 25.0
    assert timing.index_at(199_999) == 4 and timing.index_at(200_000) == 5
    assert timing.index_at(-5) == 0 and timing.index_at(10**9) == 9
    assert timing.key_before(4) == 0 and timing.key_before(5) == 5 and timing.key_before(9) == 5


def test_b_frames_and_the_edit_list_shift(tmp_path):
    """As x264 writes them: decode order I P B B ..., the first frame shown at media time
    1024 (two frames of decode delay), which the edit list moves to 0."""
    # decode order: I0 P3 B1 B2 P6 B4 B5 (presentation index); cts = (index + 2) * 512
    order = [0, 3, 1, 2, 6, 4, 5]
    offsets = [(p + 2) * 512 - d * 512 for d, p in enumerate(order)]
    path = write(tmp_path, mp4(deltas=[512] * 7, offsets=offsets, sync=[1], edits=[(280, 1024)],
                               mdat_first=True))
    timing = read_mp4_timing(path)
    assert timing is not None
    assert timing.frame_us == tuple(i * 40_000 for i in range(7))
    assert timing.reorders
    assert timing.key == (True,) + (False,) * 6
    assert timing.key_before(6) == 0


def test_an_empty_edit_delays_the_first_frame(tmp_path):
    path = write(tmp_path, mp4(deltas=[1000] * 3, offsets=None, sync=None,
                               edits=[(500, -1), (3000, 0)], scale=25_000, movie_scale=1000))
    timing = read_mp4_timing(path)
    assert timing is not None
    assert timing.frame_us == (500_000, 540_000, 580_000)
    assert all(timing.key)


def test_an_open_gop_key_frame_is_not_a_starting_point(tmp_path):
    """A key frame followed (in decoding order) by frames shown before it: decoding from it
    does not show it first, so counting cannot start there."""
    order = [0, 1, 4, 2, 3]  # frame 4 is a sync sample whose leading frames 2, 3 come after it
    offsets = [(p + 1) * 512 - d * 512 for d, p in enumerate(order)]
    path = write(tmp_path, mp4(deltas=[512] * 5, offsets=offsets, sync=[1, 3], edits=None))
    timing = read_mp4_timing(path)
    assert timing is not None
    assert timing.key[4] and not timing.closed_keys[4]
    assert timing.key_before(4) == 0


def test_the_demo_video(tmp_path):
    timing = read_mp4_timing(resource("demo", "classroom.mp4"))
    assert timing is not None
    assert len(timing) == 500 and timing.fps == 25.0
    assert timing.frame_us[0] == 0 and timing.frame_us[-1] == 19_960_000
    assert [i for i, k in enumerate(timing.key) if k] == list(range(0, 500, 50))
    assert timing.reorders


def test_what_it_does_not_read(tmp_path):
    assert read_mp4_timing(resource("demo", "lesson-plan.pdf")) is None
    assert read_mp4_timing(resource("demo", "reflection.mp3")) is None
    assert read_mp4_timing(tmp_path / "missing.mp4") is None
    whole = mp4(deltas=[512] * 4, offsets=None, sync=None, edits=None)
    assert read_mp4_timing(write(tmp_path, whole[:60], "cut.mp4")) is None
    audio = mp4(deltas=[512] * 4, offsets=None, sync=None, edits=None, handler=b"soun")
    assert read_mp4_timing(write(tmp_path, audio, "audio.mp4")) is None
    fragmented = box(b"ftyp", b"isom\0\0\0\0isom") + box(b"moof", b"\0" * 16)
    assert read_mp4_timing(write(tmp_path, fragmented, "frag.mp4")) is None
    two_segments = mp4(deltas=[512] * 4, offsets=None, sync=None,
                       edits=[(40, 0), (40, 1024)])
    assert read_mp4_timing(write(tmp_path, two_segments, "edits.mp4")) is None
