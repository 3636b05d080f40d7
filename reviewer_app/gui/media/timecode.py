"""Times as reviewers read and type them: ``01:23.4``, ``1:02:03.4``; ``83``, ``1:23.5``."""

from __future__ import annotations

import re

TIME_HELP = "Type a time like 83, 1:23, 1:23.5 or 01:02:03."

_NUMBER = re.compile(r"^\d+$")
_SECONDS = re.compile(r"^\d+(?:[.,]\d+)?$")


def format_ms(ms: int | float | None, *, with_hours: bool | None = None) -> str:
    """``mm:ss.t`` (tenths, truncated so 59.96 s never shows as 60.0), ``h:mm:ss.t`` past an
    hour or when ``with_hours`` asks for it (so "current / duration" line up)."""
    total = max(0, int(ms or 0)) // 100
    hours, rest = divmod(total, 36_000)
    minutes, rest = divmod(rest, 600)
    seconds, tenths = divmod(rest, 10)
    if with_hours or (with_hours is None and hours):
        return f"{hours}:{minutes:02d}:{seconds:02d}.{tenths}"
    return f"{minutes:02d}:{seconds:02d}.{tenths}"


def parse_time(text: str) -> int:
    """Milliseconds from ``83``, ``83.5``, ``1:23``, ``1:23.5``, ``01:02:03`` or ``1:02:03,25``.

    Raises ``ValueError`` (whose message is :data:`TIME_HELP`) for anything else, including
    minutes or seconds of 60 or more after a larger unit.
    """
    parts = text.strip().replace(" ", "").split(":")
    if not 1 <= len(parts) <= 3 or not _SECONDS.match(parts[-1]):
        raise ValueError(TIME_HELP)
    if any(not _NUMBER.match(p) for p in parts[:-1]):
        raise ValueError(TIME_HELP)
    seconds = float(parts[-1].replace(",", "."))
    units = [int(p) for p in parts[:-1]]
    if units and seconds >= 60:
        raise ValueError(TIME_HELP)
    if len(units) == 2 and units[1] >= 60:
        raise ValueError(TIME_HELP)
    total = seconds
    for factor, value in zip((60, 3600), reversed(units), strict=False):
        total += factor * value
    return round(total * 1000)
