"""What a reviewer is told when a package is refused.

A refusal has two parts. The first line is for the reviewer: what is wrong with the
package as a whole, in their words, and what to do about it (most often: ask the sender
for a new copy). The technical reason (which file, which field, which limit, in the
package builder's words) goes to the details: the window's Show Details, the CLI's
second line, the log. Internal phrases (``criteria[0].levels[1].value``, compression
ratios, checksums) never reach the first line.

Each ``PackageFault`` and ``FormatError`` carries one of the kinds below; ``refusal``
turns it into the ``PackageError`` that is shown.
"""

from __future__ import annotations

from typing import Any

from reviewer_app.errors import PackageError

NOT_A_PACKAGE = "not a package"
MISSING = "missing"
UNREADABLE = "unreadable"
DAMAGED = "damaged"
EVIDENCE_DAMAGED = "evidence damaged"
EVIDENCE_MISSING = "evidence missing"
EVIDENCE_WRONG_KIND = "evidence of another kind"
MALFORMED = "malformed"
NEWER_FORMAT = "newer format"
UNSAFE = "unsafe"
ENCRYPTED = "encrypted"
NO_EVIDENCE = "no evidence"
CONFLICT = "conflict"
DISK_FULL = "disk full"
RACE = "imported elsewhere"
DB_REFUSED = "database refused"

NEW_COPY = "Ask the sender for a new copy of the package."
NOTHING = "so nothing from the package was imported"
NOTHING_FROM_IT = "so nothing from it was imported"

LINES = {
    NOT_A_PACKAGE: ("this is not a submission package (a .zip file or a folder with a manifest.json "
                    "at its top), or it is damaged. Check that you chose the right file; if you did, "
                    + NEW_COPY[0].lower() + NEW_COPY[1:]),
    MISSING: "there is no such file or folder. Check where the package is, then import it again.",
    UNREADABLE: ("the package could not be read from the disk. Check that it is there and that you "
                 "may read it, then import it again."),
    DAMAGED: f"the package is damaged, {NOTHING_FROM_IT}. {NEW_COPY}",
    EVIDENCE_DAMAGED: f"{{what}} in it is damaged, {NOTHING}. {NEW_COPY}",
    EVIDENCE_MISSING: f"{{what}} is missing from it, {NOTHING}. {NEW_COPY}",
    EVIDENCE_WRONG_KIND: (f"{{what}} in it is not the kind of file the package says it is, {NOTHING}. "
                          f"{NEW_COPY}"),
    MALFORMED: (f"the package was not put together correctly, {NOTHING_FROM_IT}. Ask the sender to make the "
                "package again; the details say what is wrong."),
    NEWER_FORMAT: ("the package is in a format this version of Reviewer does not read (it may be made "
                   "for a newer version). Update Reviewer, or ask the sender for a package this "
                   "version reads."),
    UNSAFE: (f"the package was refused as unsafe to unpack, {NOTHING_FROM_IT}. Do not unpack it yourself: "
             "tell the sender, and ask for a new copy of the package."),
    ENCRYPTED: ("the package is password-protected, and packages must not be. Ask the sender for a "
                "copy without a password."),
    NO_EVIDENCE: ("the package holds no evidence to review, so it was not imported. Ask the sender "
                  "for a package with the evidence in it."),
    CONFLICT: (f"the package contradicts a submission or rubric already imported, {NOTHING_FROM_IT}. Ask the "
               "sender to check it: a resubmission needs a new attempt number, and a changed rubric "
               "a new version."),
    DISK_FULL: ("there is not enough free disk space to import the package ({need} needed, {free} "
                "free). Free up space, then import it again."),
    RACE: ("another Reviewer window imported the same submission at the same moment; nothing was "
           "changed here, and the submission is in the queue."),
    DB_REFUSED: (f"the database refused the package, {NOTHING_FROM_IT}. Try again; if it happens again, "
                 "report it with the details."),
}

_EVIDENCE_WORDS = {"video": "the video", "pdf": "the document", "image": "the image",
                   "audio": "the audio recording", "text": "the written piece"}


def evidence_words(kind: str, title: str) -> str:
    """'the document "Lesson plan"': an evidence item as the reviewer will see it listed."""
    shown = " ".join(str(title).split())
    if len(shown) > 80:
        shown = shown[:79] + "\u2026"
    noun = _EVIDENCE_WORDS.get(kind, "an evidence file")
    return f"{noun} \u201c{shown}\u201d" if shown else noun


def size_words(n: int) -> str:
    """1,536 -> '1.5 KB'; for people, not for limits (decimal units, as file managers show)."""
    value = float(max(n, 0))
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{n} bytes"  # pragma: no cover


def refusal(label: str, fault: Exception) -> PackageError:
    """The ``PackageError`` for a fault: the reviewer's first line, the fault's own words as
    the details."""
    kind = getattr(fault, "kind", MALFORMED)
    values: dict[str, Any] = dict(getattr(fault, "values", None) or {})
    values.setdefault("what", "an evidence file")
    line = LINES.get(kind, LINES[MALFORMED]).format(**values)
    return PackageError(label, line, details=str(fault))
