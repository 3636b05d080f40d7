"""Downloading a submission package from the issuer, resuming a broken download.

The bytes go to ``<data>/sync/downloads/<sha256>.part`` (named by the checksum the issuer
announced, so a resumed download always continues the same content). After a break the
next try asks for the rest (``Range: bytes=N-`` with ``If-Range`` on the checksum ETag);
an issuer that answers 200 instead starts the file again. The finished file must have the
announced size and SHA-256, else it is deleted and fetched again later; only then is it
renamed and handed to the importer (which checks every evidence file again). A link on
another site is fetched only as the adapter's ``package_stream`` allows (without a token).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from pathlib import Path

from reviewer_app.jobs import Job
from reviewer_app.sync.adapters.base import IssuerAdapter, PackageRef
from reviewer_app.sync.client import IssuerRefused, TransientError

log = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class ChecksumMismatch(TransientError):
    """The downloaded package is not what the issuer announced; it is fetched again."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "package"


def fetch_package(adapter: IssuerAdapter, ref: PackageRef, folder: Path, label: str,
                  job: Job | None = None, *, tries: int = 5, pause: float = 0.2) -> Path:
    """Download ``ref`` into ``folder``, resuming after breaks; returns the verified file."""
    job = job or Job()
    folder.mkdir(parents=True, exist_ok=True)
    if not re.fullmatch(r"[0-9a-f]{64}", ref.sha256):
        raise IssuerRefused(f"The issuer gave no valid SHA-256 for {label}'s package.")
    part = folder / f"{ref.sha256}.part"
    final = folder / f"{_safe(label)}.zip"
    job.start(ref.size, f"Downloading {label}")
    for attempt in range(1, tries + 1):
        job.check()
        have = part.stat().st_size if part.exists() else 0
        if have > ref.size:
            part.unlink()
            have = 0
        if have == ref.size:
            break
        try:
            _get(adapter, ref, part, have, job)
        except TransientError as exc:
            if attempt == tries:
                raise
            log.info("download of %s broke at %d bytes (%s); resuming", label,
                     part.stat().st_size if part.exists() else 0, exc)
            time.sleep(pause * attempt)
    size = part.stat().st_size if part.exists() else 0
    if size != ref.size:
        raise TransientError(f"the download of {label} stopped at {size:,} of {ref.size:,} bytes")
    actual = _sha256(part)
    if actual != ref.sha256:
        part.unlink()
        raise ChecksumMismatch(f"the package of {label} did not match its SHA-256 checksum "
                               f"(announced {ref.sha256[:12]}\u2026, got {actual[:12]}\u2026)")
    os.replace(part, final)
    return final


def _get(adapter: IssuerAdapter, ref: PackageRef, part: Path, have: int, job: Job) -> None:
    headers = {"Accept": "application/zip, application/octet-stream"}
    if have:
        headers.update({"Range": f"bytes={have}-", "If-Range": f'"{ref.sha256}"'})
    with adapter.package_stream(ref.href, headers=headers) as response:
        status = response.status_code
        if status == 416:  # nothing left to send: the part is whole (or wrong, checked later)
            return
        if status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
            if not match or int(match.group(1)) != have:
                part.unlink(missing_ok=True)
                raise TransientError("the issuer resumed the download at the wrong place")
            mode = "ab"
        elif status == 200:
            mode, have = "wb", 0  # the issuer sent the whole file again
        elif status in (403, 404, 410):
            raise IssuerRefused(f"The issuer no longer offers this package (HTTP {status}).")
        else:
            raise TransientError(f"the package download answered HTTP {status}")
        job.done = have
        with open(part, mode) as out:
            try:
                for chunk in response.iter_bytes():  # as it arrives: a break keeps it all
                    job.check()
                    out.write(chunk)
                    job.advance(len(chunk))
            finally:
                out.flush()
                os.fsync(out.fileno())
