"""A batch is read with orjson and hashed from orjson's encoding where that is the canonical
form byte for byte, and by the standard library otherwise: every verdict stays the same.

``exports.batches.canonical`` (the standard library: sorted keys, no spaces, UTF-8 kept) is
what the header's SHA-256 is defined over. ``read_batch`` takes orjson's sorted, compact
encoding instead for reviews in an export's exact layout; these tests hold the two equal for
every character a text can hold, and hold ``read_batch``'s outcome (the reviews read, or the
refusal and its message) equal to the standard library's for files that take the other path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.exports import batches
from reviewer_app.exports.batches import (
    BatchRefused,
    Reviewer,
    canonical,
    content_sha256,
    read_batch,
    signed_bytes,
    write_batch,
)
from reviewer_app.signatures import sign

REVIEWER = Reviewer("00000000-0000-4000-a000-000000000001", "Ana Quote\"s \\ \u2028 \U0001F600", "reviewer")
WHEN = "2026-01-06T09:00:00.000000+00:00"
TRICKY = ("ctrl \x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f quote \" backslash \\ slash / "
          "emoji \U0001F600\U0001F469\u200d\U0001F52C line sep \u2028 para sep \u2029 "
          "bom \ufeff nbsp \xa0 accents \u00e9\u0301 cjk \u4e2d\u6587 high \uffff \U0010FFFF "
          "html <script>&amp;</script> escapes \\u0041 \\n")


def _orjson(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def test_every_character_encodes_as_the_canonical_form():
    # Each code point alone, between others, and as a key (keys are sorted by code point).
    points = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 61), 0x10FFFF]
    for start in range(0, len(points), 4096):
        text = "".join(chr(p) for p in points[start:start + 4096])
        assert _orjson([text]) == canonical([text]).encode("utf-8")
        assert _orjson([chr(p) for p in points[start:start + 4096]]) == \
            canonical([chr(p) for p in points[start:start + 4096]]).encode("utf-8")
    keys = {chr(p): p for p in points[::97]} | {"a": 1, "B": 2, "\U0001F600": 3, "\uffff": 4, "": 5}
    assert _orjson(keys) == canonical(keys).encode("utf-8")


def test_the_values_an_export_writes_encode_as_the_canonical_form():
    values = [TRICKY, "", 0, 1, -1, 2 ** 63 - 1, -(2 ** 63), None, True, False, [], {},
              {"region": {"x0": 0.0, "y0": 72.5, "x1": 595.2755905511812, "y1": 0.0001}},
              [0.1, 1 / 3, 100.25, 1e15 + 0.5, 9999999999999998.0, -0.0]]
    for value in values:
        assert _orjson(value) == canonical(value).encode("utf-8"), value
    # What orjson writes differently, and why such reviews are hashed by the standard library.
    for odd in (1e-05, 2.5e-07, 1.5212603486793025e-05):
        assert _orjson(odd) != canonical(odd).encode("utf-8")
        assert not batches._plain_number(odd)
    assert not any(batches._plain_number(v) for v in (1e16, 1.5e300, -1e-5, True))


def _review(i: int, text: str = TRICKY, *, region: dict | None = None, kind: str = "time") -> dict:
    note = {"uid": f"00000000-0000-4000-b000-{i:012d}", "number": 1, "evidence": "video",
            "criterion": "checks", "kind": kind, "start_ms": 1000 if kind == "time" else None,
            "end_ms": None, "page": 0 if kind == "page" else None, "region": region, "text": text,
            "created_at": WHEN, "updated_at": WHEN}
    return {"uid": f"00000000-0000-4000-c000-{i:012d}", "submission": f"S-{i}", "attempt": 1,
            "credential": {"key": "cred", "version": "1"},
            "rubric": {"key": "rub", "version": "1", "content_sha256": "ab" * 32},
            "reviewer_uid": REVIEWER.uid, "status": "submitted", "decision": "earned",
            "feedback": text, "created_at": WHEN, "updated_at": WHEN, "submitted_at": WHEN,
            "scores": [{"criterion": "checks", "level": 3, "comment": text},
                       {"criterion": "goals", "level": None, "comment": ""}],
            "annotations": [note]}


KEY = Ed25519PrivateKey.generate()


def _write(folder: Path, reviews: list[dict]) -> Path:
    return write_batch(folder, "11111111-2222-4333-8444-555555555555", REVIEWER, reviews,
                       key=KEY, exported_at=datetime(2026, 1, 7, tzinfo=UTC)).json_path


def _signed(doc: dict) -> dict:
    """The document signed again with the reviewer's key (as only they could)."""
    doc["signature"] = sign(KEY, signed_bytes(doc["header"], canonical(doc["reviews"]).encode("utf-8")))
    return doc


def _outcome(path: Path, *, stdlib: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    """What ``read_batch`` makes of a file: its reviews, or the refusal's message and details."""
    with monkeypatch.context() as patch:
        if stdlib:  # the standard library alone, as before orjson
            patch.setattr(batches, "_orjson_data", lambda raw: None)
        try:
            batch = read_batch(path)
        except BatchRefused as exc:
            return ("refused", exc.message, exc.details)
    return ("read", batch.header, batch.reviews)


def test_tricky_text_is_read_by_the_fast_path_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    reviews = [_review(1), _review(2, "plain"),
               _review(3, region={"x0": 72, "y0": 100.5, "x1": 300.0, "y1": 180.25}, kind="page")]
    path = _write(tmp_path, reviews)
    fast = _outcome(path, stdlib=False, monkeypatch=monkeypatch)
    assert fast[0] == "read" and fast == _outcome(path, stdlib=True, monkeypatch=monkeypatch)
    assert [r.feedback for r in fast[2]] == [TRICKY, "plain", TRICKY]
    assert fast[2][2].annotations[0].region == (72.0, 100.5, 300.0, 180.25)
    # It took orjson's path: the reviews are in an export's exact layout.
    data = batches._orjson_data(path.read_bytes())
    assert data is not None and all(batches._review_fast(r) is not None for r in data["reviews"])
    assert _orjson(data["reviews"]) == canonical(json.loads(path.read_bytes())["reviews"]).encode("utf-8")


def _variants(tmp_path: Path) -> dict[str, Path]:
    """Files orjson does not read as the standard library does, or that an export never writes."""
    files: dict[str, Path] = {}
    tiny = _review(1, region={"x0": 1e-05, "y0": 0.0, "x1": 1e16, "y1": 2.5e-07}, kind="page")
    files["tiny and huge floats"] = _write(tmp_path / "floats", [tiny, _review(2)])
    extra = {**_review(3), "extra": 2 ** 70, "more": [1e-7, {"deep": 18446744073709551616}]}
    files["an extra field with big numbers"] = _write(tmp_path / "extra", [extra])

    def sealed(name: str, text: str) -> Path:
        path = tmp_path / f"{name}.reviewer-batch.json"
        path.write_text(text, encoding="utf-8")
        return path

    good = json.loads(files["tiny and huge floats"].read_text(encoding="utf-8"))
    altered = json.loads(json.dumps(good))
    altered["reviews"][0]["annotations"][0]["region"]["x0"] = 2e-05
    files["a float altered"] = sealed("altered", json.dumps(altered))
    bigcount = json.loads(json.dumps(good))
    bigcount["header"]["count"] = 2 ** 64 + 2
    files["a count beyond 64 bits"] = sealed("bigcount", json.dumps(_signed(bigcount)))
    nan = json.loads(json.dumps(good))
    nan["reviews"][1]["scores"][0]["level"] = float("nan")
    files["NaN"] = sealed("nan", json.dumps(nan))
    files["a lone surrogate"] = sealed("surrogate", json.dumps(good).replace("emoji", "\\ud800", 1))
    bom = tmp_path / "bom.reviewer-batch.json"
    bom.write_bytes(b"\xef\xbb\xbf" + files["tiny and huge floats"].read_bytes())
    files["a byte order mark"] = bom
    files["spaces and another key order"] = sealed("pretty", json.dumps(
        {"signature": good["signature"], "reviews": good["reviews"], "header": good["header"],
         "format": good["format"]}, indent=3))
    short = json.loads(json.dumps(good))
    del short["reviews"][0]["annotations"]
    short["header"]["content_sha256"] = content_sha256(short["reviews"])
    files["a review without its notes field"] = sealed("short", json.dumps(_signed(short)))
    return files


def test_other_files_get_the_standard_librarys_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    verdicts = {}
    for name, path in _variants(tmp_path).items():
        fast = _outcome(path, stdlib=False, monkeypatch=monkeypatch)
        assert fast == _outcome(path, stdlib=True, monkeypatch=monkeypatch), name
        verdicts[name] = fast[0] if fast[0] == "read" else fast[1].split(": ", 1)[1]
    changed = "was changed after it was exported"
    assert verdicts.pop("a float altered").startswith(changed)
    assert verdicts.pop("NaN").startswith(changed)
    assert verdicts.pop("a lone surrogate").startswith(changed)
    assert verdicts.pop("a count beyond 64 bits") == "says it holds 18446744073709551618 reviews but holds 2."
    assert set(verdicts.values()) == {"read"}, verdicts


def test_a_changed_character_is_caught_by_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _write(tmp_path, [_review(1), _review(2)])
    head, reviews = path.read_text(encoding="utf-8").split('"reviews": [', 1)
    assert "\\u2028" not in reviews and "\u2028" in reviews  # kept as UTF-8, as canonical() writes it
    for old, new in (("\u2028", "\u2029"), ("\\\\", "/"), ("\\u0000", "\\u0001"),
                     ("\U0001F600", "\U0001F601")):
        assert old in reviews
        changed = tmp_path / "changed.reviewer-batch.json"
        changed.write_text(head + '"reviews": [' + reviews.replace(old, new, 1), encoding="utf-8")
        fast = _outcome(changed, stdlib=False, monkeypatch=monkeypatch)
        assert fast[0] == "refused" and "was changed after it was exported" in fast[1], old
        assert fast == _outcome(changed, stdlib=True, monkeypatch=monkeypatch)
