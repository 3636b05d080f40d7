"""What every refused-package test shares (a helper module, not a test module): the
seeded data folder, the ``refused`` check (a reviewer's first line, the technical
details, nothing stored) and the bad package a test starts from."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.errors import PackageError
from reviewer_app.services.imports import import_package
from reviewer_app.services.submissions import list_submissions
from reviewer_app.store import audit

from packages import BuiltPackage, make_package

SEED = "SUB-SEED"
BAD = "SUB-BAD"

VIDEO, PDF, IMAGE, AUDIO, TEXT = (
    "evidence/classroom.mp4", "evidence/lesson-plan.pdf", "evidence/student-work.png",
    "evidence/reflection.mp3", "evidence/notes.txt")
INDEX = {"video": 0, "pdf": 1, "image": 2, "audio": 3, "text": 4}  # in default_evidence()

Words = str | tuple[str, ...]


# -- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture
def ctx(seeded_ctx):
    """Here every test starts with a valid package already imported (conftest's template)."""
    return seeded_ctx


@pytest.fixture
def seeded(ctx, seed_template) -> BuiltPackage:
    """The valid package already imported: the data a refused import must not touch."""
    assert [(r.key, r.attempt) for r in list_submissions(ctx)] == [(SEED, 1)]
    return seed_template.package


# What a reviewer's first line never holds: a builder's field path, a limit's ratio, a
# checksum or codec word, an exception's repr.
INTERNAL = re.compile(r"\[\d+\]|field '|\bzip bomb\b|\d:1\b|sha-?256|\bcrc\b|utf-8|errno|\\x|"
                      r"pydantic|validation error|\binteger\b|\bdeclares\b|\bentry\b", re.IGNORECASE)
# ... and always holds: what to do about it.
ACTIONS = ("Ask the sender", "ask the sender", "ask for a new copy", "Update Reviewer",
           "Free up space", "Check where", "Check that")


@pytest.fixture
def refused(ctx, snapshot, seeded) -> Callable[..., str]:
    """``refused(path, *words, says=())``: the import raises PackageError and nothing changes.

    The first line (the message) names the package, is one line in a reviewer's words
    (nothing ``INTERNAL``) and says what to do; each of ``says`` is in it. Each of
    ``words`` (or one of each tuple of alternatives) must appear in the technical details,
    case-insensitively. Returns the message.
    """
    def check(path: Path, *words: Words, says: Words = ()) -> str:
        before = snapshot()
        with pytest.raises(PackageError) as info:
            import_package(ctx, path)
        message, details = info.value.message, info.value.details
        print(f"refused: {message}\n  details: {details}")  # shown when a test fails, and with -s
        assert "\n" not in message, f"not one line: {message!r}"
        assert message.startswith(f"{path.name}: "), f"does not name the package: {message!r}"
        reason = message[len(path.name) + 2:]
        assert not INTERNAL.search(reason), f"a library's words in the first line: {message!r}"
        assert any(a in reason for a in ACTIONS), f"does not say what to do: {message!r}"
        for expected in (says,) if isinstance(says, str) else says:
            assert expected in reason, f"{message!r} does not say {expected!r}"
        assert details, "no technical details"
        lowered = details.lower()
        for expected in words:
            options = (expected,) if isinstance(expected, str) else expected
            assert any(o.lower() in lowered for o in options), (
                f"the details {details!r} do not mention {' or '.join(map(repr, options))}")
        # Nothing stored but the refusal's own audit entry, which names the package and why.
        snapshot.assert_unchanged(before, ignore=("audit_log", "audit_head"))
        assert snapshot().counts["audit_log"] == before.counts["audit_log"] + 1
        [entry] = audit.recent(ctx, limit=1)
        assert (entry.action, entry.subject) == (audit.PACKAGE_REFUSED, f"package {path.name}")
        logged = json.loads(entry.details_json)
        assert (logged["reason"], logged["details"]) == (info.value.reason, details)
        assert audit.verify(ctx).ok
        return message
    return check


MALFORMED = "the package was not put together correctly, so nothing from it was imported"
UNSAFE = "the package was refused as unsafe to unpack"
NEW_COPY = "Ask the sender for a new copy of the package."


def bad(tmp_path: Path, **kwargs: Any) -> BuiltPackage:
    """A package for SUB-BAD written under ``tmp_path/bad`` (zip unless ``as_zip=False``)."""
    kwargs.setdefault("submission_id", BAD)
    kwargs.setdefault("name", "bad")
    return make_package(tmp_path / "bad", **kwargs)
