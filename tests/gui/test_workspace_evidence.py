"""The workspace with real media: a note takes the video to its exact frame, at any speed;
broken evidence says so in plain words and the rest of the workspace keeps working."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QPushButton

from reviewer_app.config import resolve_paths
from reviewer_app.resources_path import resource
from reviewer_app.services import reviews
from reviewer_app.services.demo import build_demo_packages
from reviewer_app.services.imports import import_package
from reviewer_app.store.context import AppContext

from workspace_support import make_workspace, wait_saved

GREEN, BLUE, RED = (0, 255, 0), (0, 0, 255), (255, 0, 0)


def bottom_bar(image: QImage) -> tuple[int, int, int]:
    """The colour of the demo video's time-coded bar (the bottom 40 of 360 rows)."""
    y = image.height() - max(2, image.height() * 20 // 360)
    colours = [image.pixelColor(image.width() * k // 6, y) for k in range(1, 6)]
    return tuple(sum(getattr(c, ch)() for c in colours) // 5 for ch in ("red", "green", "blue"))


def near(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 45) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


@pytest.fixture
def ws(qtbot, demo_ctx):
    window = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    qtbot.waitUntil(lambda: window.viewer.media.current_frame() is not None, timeout=15_000)
    return window


@pytest.mark.parametrize("rate", [1.0, *(pytest.param(r, marks=pytest.mark.slow) for r in (0.5, 2.0, 4.0))])
def test_choosing_a_note_shows_the_frame_at_its_time(qtbot, ws, rate):
    ws.editor.add_note(evidence_key="video", start_ms=7_000, end_ms=None, text="Hinge question",
                       criterion_key=None)
    ws.editor.add_note(evidence_key="video", start_ms=12_500, end_ms=None, text="Regrouping",
                       criterion_key=None)
    wait_saved(qtbot, ws)
    media = ws.viewer.media
    media.set_rate(rate)
    media.play()
    for note, colour in ((ws.editor.notes[0], GREEN), (ws.editor.notes[1], BLUE),
                         (ws.editor.notes[0], GREEN)):
        with qtbot.waitSignal(media.frameShown, timeout=10_000):
            ws.go_to_note(note)
        assert near(bottom_bar(media.current_frame()), colour), (note.where(), rate)
        assert abs(media.position() - note.start_ms) < 500


def test_choosing_a_page_note_opens_the_pdf_there(qtbot, ws):
    ws.editor.add_note(evidence_key="plan", page=2, region=None, text="Rotated page",
                       criterion_key=None)
    wait_saved(qtbot, ws)
    pdf = ws.viewer.pdf
    qtbot.waitUntil(lambda: pdf.page_count() == 4, timeout=15_000)
    ws.go_to_note(ws.editor.notes[0])
    qtbot.waitUntil(lambda: pdf.current_page() == 2, timeout=10_000)


def _broken_package(tmp_path: Path) -> Path:
    """A package whose video is truncated and whose PDF is damaged (both pass the importer's
    checks: their checksums match and their headers are right)."""
    source = build_demo_packages(tmp_path / "src")[0]  # DEMO-1001
    video = resource("demo", "classroom.mp4").read_bytes()[:40_000]
    pdf = bytearray(resource("demo", "lesson-plan.pdf").read_bytes())
    for i in range(2_000, len(pdf) - 2_000, 7):
        pdf[i] = 0x20  # spaces over the document's body
    import hashlib

    out = tmp_path / "broken.zip"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        manifest["submission_id"] = "BROKEN-1"
        replaced = {"evidence/classroom.mp4": video, "evidence/lesson-plan.pdf": bytes(pdf)}
        for item in manifest["evidence"]:
            if item["path"] in replaced:
                data = replaced[item["path"]]
                item["sha256"], item["size"] = hashlib.sha256(data).hexdigest(), len(data)
        dst.writestr("manifest.json", json.dumps(manifest))
        for info in src.infolist():
            if info.filename != "manifest.json":
                dst.writestr(info.filename, replaced.get(info.filename, src.read(info)))
    return out


@pytest.mark.slow  # test_media_pane and test_pdf_pane check each broken file quickly
def test_broken_video_and_pdf_say_so_and_scoring_still_works(qtbot, tmp_path):
    with AppContext.open(resolve_paths(data_dir=tmp_path / "data")) as ctx:
        assert import_package(ctx, _broken_package(tmp_path)).status == "imported"
        ws = make_workspace(qtbot, ctx, "BROKEN-1")
        media, pdf = ws.viewer.media, ws.viewer.pdf
        qtbot.waitUntil(lambda: media.error_text() != "", timeout=20_000)
        assert "cannot be played" in media.error_text() or "damaged" in media.error_text()
        qtbot.waitUntil(lambda: pdf.message() != "", timeout=20_000)
        # the pre-check flags both in the evidence list
        qtbot.waitUntil(lambda: {"video", "plan"} <= set(ws.evidence.problems), timeout=20_000)
        # ... and the reviewer can still score and write
        qtbot.mouseClick(ws.findChild(QPushButton, "level-learning-goals-2"), Qt.MouseButton.LeftButton)
        wait_saved(qtbot, ws)
        assert reviews.get_review(ctx, ws.editor.review.uid).levels()["learning-goals"] == 2
        ws.close()
