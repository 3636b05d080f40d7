"""Does a file's content match the kind its manifest claims?

Checked on the bytes as they stream past (no second read): the first bytes must carry a
signature of a format of that kind; a ``text`` item must be UTF-8 with no NUL bytes
throughout. This catches the mislabelled and the malicious (a "pdf" that is an
executable), not every damaged file: whether a video really plays is the viewer's
pre-check.
"""

from __future__ import annotations

import codecs

from reviewer_app.domain.model import EvidenceKind

HEAD_BYTES = 4096

_MP4_BRANDS_AUDIO = (b"M4A ", b"M4B ", b"M4P ", b"F4A ")


def _iso_bmff(head: bytes) -> bytes | None:
    """The major brand of an ISO base media file (MP4, MOV, 3GP, M4A, HEIC), if it is one."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12]
    return None


def _looks_video(head: bytes) -> bool:
    brand = _iso_bmff(head)
    if brand is not None:
        return brand not in _MP4_BRANDS_AUDIO and brand not in (b"heic", b"heix", b"mif1", b"avif")
    if len(head) >= 12 and head[4:8] in (b"moov", b"mdat", b"free", b"wide", b"skip"):
        return True  # QuickTime files without ftyp
    return (
        head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska / WebM
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith(b"\x00\x00\x01\xba")  # MPEG program stream
        or head.startswith(b"\x00\x00\x01\xb3")  # MPEG-1/2 elementary video
        or head.startswith(b"FLV\x01")
        or (head.startswith(b"OggS") and (b"theora" in head[:512] or b"\x80theora" in head))
        or (len(head) > 376 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47)  # MPEG-TS
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF / WMV
    )


# Sony Wave64: a RIFF-like file whose chunk ids are GUIDs ("riff" ... "wave" ...).
_W64_RIFF = bytes.fromhex("726966662e91cf11a5d628db04c10000")
_W64_WAVE = bytes.fromhex("77617665f3acd3118cd100c04f8edb8a")


def _looks_wave(head: bytes) -> bool:
    """A WAV file in any of the containers libvlc plays (its own WAV reader and
    libavformat's, which it falls back to): RIFF; RIFX (big-endian); RF64 and BW64 (EBU
    Tech 3306 and ITU-R BS.2088, what field recorders write past 4 GB, sizes in a
    ``ds64`` chunk, the 32-bit size field often 0xFFFFFFFF); and Sony Wave64. libvlc
    opened each as audio of the right length: ffmpeg's RIFF, RF64 and Wave64 files, an
    RF64 file labelled BW64 (the same layout), and a RIFF file rewritten as RIFX."""
    if head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return True
    return head[:16] == _W64_RIFF and head[24:40] == _W64_WAVE


def _looks_audio(head: bytes) -> bool:
    brand = _iso_bmff(head)
    if brand is not None:
        return True  # M4A, or an MP4 holding only audio: the player decides
    return (
        head.startswith(b"ID3")
        or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0)  # MPEG audio / ADTS
        or head.startswith(b"OggS")
        or _looks_wave(head)
        or head.startswith(b"fLaC")
        or head.startswith(b"\x1a\x45\xdf\xa3")  # WebM audio
        or head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC")
        or head.startswith(b"#!AMR")
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # WMA
    )


def _looks_image(head: bytes) -> bool:
    brand = _iso_bmff(head)
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or head.startswith((b"GIF87a", b"GIF89a"))
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or head.startswith((b"II*\x00", b"MM\x00*"))
        or head.startswith(b"BM")
        or brand in (b"heic", b"heix", b"mif1", b"avif")
    )


def _looks_pdf(head: bytes) -> bool:
    # The PDF reference allows the header anywhere in the first 1024 bytes.
    return b"%PDF-" in head[:1024]


_CHECKS = {
    EvidenceKind.VIDEO: (_looks_video,
                         "it is not a video (no MP4, MOV, WebM, MKV, AVI, MPEG or Ogg signature)"),
    EvidenceKind.AUDIO: (_looks_audio, "it is not audio (no MP3, M4A, Ogg, WAV, FLAC or WebM signature)"),
    EvidenceKind.IMAGE: (_looks_image,
                         "it is not an image (no JPEG, PNG, GIF, WebP, TIFF, BMP or HEIC signature)"),
    EvidenceKind.PDF: (_looks_pdf, "it is not a PDF (no %PDF- header)"),
}


class ContentMismatch(Exception):
    """The content is not of the declared kind; the message says why, in plain words."""


class KindSniffer:
    """Feed it every chunk in order, then call ``finish()``; raises ``ContentMismatch``."""

    def __init__(self, kind: EvidenceKind) -> None:
        self.kind = kind
        self._head = bytearray()
        self._head_checked = False
        self._decoder = codecs.getincrementaldecoder("utf-8")() if kind is EvidenceKind.TEXT else None
        self._offset = 0

    def feed(self, chunk: bytes | memoryview) -> None:
        if self._decoder is not None:
            data = bytes(chunk)
            nul = data.find(b"\x00")
            if nul >= 0:
                raise ContentMismatch(f"it is not text (a NUL byte at offset {self._offset + nul})")
            try:
                self._decoder.decode(data)
            except UnicodeDecodeError as exc:
                raise ContentMismatch(
                    f"it is not UTF-8 text (invalid byte at offset {self._offset + exc.start})") from None
        elif not self._head_checked:
            self._head += bytes(chunk[: HEAD_BYTES - len(self._head)])
            if len(self._head) >= HEAD_BYTES:
                self._check_head()
        self._offset += len(chunk)

    def _check_head(self) -> None:
        self._head_checked = True
        check, reason = _CHECKS[self.kind]
        if not check(bytes(self._head)):
            raise ContentMismatch(reason)

    def finish(self) -> None:
        if self._decoder is not None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise ContentMismatch("it is not UTF-8 text (it ends inside a character)") from None
        elif not self._head_checked:
            if not self._head:
                raise ContentMismatch(f"it is empty, not a {self.kind.value} file")
            self._check_head()
