"""A PDF page that never finishes drawing, with real MuPDF and real renderer processes.

The page is one free-form (type 4) shading of four million full-page triangles: a 117 KB
file that MuPDF draws at about 0.75 ms a triangle at 100 % (about 50 minutes for the
page; a 15 % thumbnail about 90 s), holding the GIL throughout and with flat memory
(measured: 168 MB after 60 s). It stands for the PDFs whose pages spin inside MuPDF.

Checked: the hung page is abandoned with a plain message and not drawn again; another
document renders promptly meanwhile; and killing the app while the page spins leaves no
renderer alive (the kernel kills them: a watcher thread could not run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest

from reviewer_app.gui.pdf import render_client
from reviewer_app.gui.pdf.pdf_pane import PdfPane
from reviewer_app.gui.pdf.render_client import DocRef, RenderClient

ROOT = Path(__file__).resolve().parents[2]
LESSON_PLAN = ROOT / "resources" / "demo" / "lesson-plan.pdf"
WAIT = 20_000  # ms; a cold renderer starts in about 1 s, more on a loaded machine


def make_runaway_pdf(path: Path, triangles: int = 4_000_000, pages: int = 2) -> Path:
    """Pages that MuPDF takes about ``triangles`` x 0.75 ms each to draw at 100 %."""
    vertex = [(0, 0, 0), (255, 0, 128), (0, 255, 255), (255, 255, 60), (255, 0, 200), (0, 255, 20)]
    pair = bytes(b for x, y, c in vertex for b in (0, x, y, c))  # flag, x, y, grey: two triangles
    doc = pymupdf.open()
    shading = doc.get_new_xref()
    doc.update_object(shading, "<</ShadingType 4/ColorSpace/DeviceGray/BitsPerCoordinate 8"
                               "/BitsPerComponent 8/BitsPerFlag 8/Decode[0 595 0 842 0 1]>>")
    doc.update_stream(shading, pair * (triangles // 2), compress=True)
    contents = doc.get_new_xref()
    doc.update_object(contents, "<<>>")
    doc.update_stream(contents, b"/Sh0 sh")
    for _ in range(pages):
        page = doc.new_page()
        doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
        doc.xref_set_key(page.xref, "Resources", f"<</Shading<</Sh0 {shading} 0 R>>>>")
    doc.save(path, deflate=True)
    doc.close()
    return path


def _state(pid: int) -> str | None:
    """A process's state letter (Z for a zombie), None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def runaway(tmp_path_factory) -> Path:
    return make_runaway_pdf(tmp_path_factory.mktemp("runaway") / "runaway.pdf")


@pytest.mark.slow  # a page that spins in MuPDF until the time limit
def test_a_hung_page_is_abandoned_and_never_delays_another_document(qtbot, runaway: Path):
    client = RenderClient(workers=2, job_timeout=6.0)
    try:
        bad, good = DocRef.of(runaway), DocRef.of(LESSON_PLAN)
        failed: list[tuple[render_client.PageKey, str]] = []
        client.pageFailed.connect(lambda key, message: failed.append((key, message)))
        # The bad page, its thumbnail and its neighbour's thumbnail: as a pane asks.
        bad_key, _ = client.render(bad, 0, 1.0)
        client.render_thumbnail(bad, 0, 120, 160)
        qtbot.waitUntil(lambda: len(client.worker_pids()) == 1, timeout=WAIT)
        # The good document, asked for while the bad page spins, comes at once.
        started = time.monotonic()
        with qtbot.waitSignal(client.pageReady, timeout=WAIT,
                              check_params_cb=lambda key, image: key.doc == good) as ready:
            client.render(good, 0, 1.0)
        took = time.monotonic() - started
        print(f"\nanother document's page while the bad one spins: {took * 1000:.0f} ms")
        assert ready.args[1].width() == 595
        assert failed == [], "the bad page was given up before the good one came"
        assert took < 6.0
        with qtbot.waitSignal(client.pageReady, timeout=WAIT,
                              check_params_cb=lambda key, image: key.doc == good):
            client.render(good, 1, 1.0)  # and again: the bad document never holds both renderers
        # The bad page is abandoned with a plain message, its thumbnail with it (not drawn).
        qtbot.waitUntil(lambda: len(failed) >= 2, timeout=WAIT)
        assert sorted((k.kind, k.page, m) for k, m in failed) == [
            ("page", 0, render_client.RENDERER_HUNG), ("thumb", 0, render_client.RENDERER_HUNG)]
        assert client.pending_count() == 0
        # Asked for again (another zoom), it fails at once, with no renderer spinning on it;
        # and the document's other pages are no longer drawn ahead or as thumbnails.
        restarts = client.restarts
        with qtbot.waitSignal(client.pageFailed, timeout=1000,
                              check_params_cb=lambda key, message: message == render_client.RENDERER_HUNG):
            key, image = client.render(bad, 0, 2.0)
        assert image is None and client.pending_count() == 0 and client.restarts == restarts
        assert bad_key.page == key.page == 0
        with qtbot.waitSignal(client.pageFailed, timeout=1000,
                              check_params_cb=lambda key, message: message == render_client.NOT_DRAWN_AHEAD):
            client.render_thumbnail(bad, 1, 120, 160)
        client.render(bad, 1, 1.0, priority=render_client.PRIORITY_PREFETCH)
        assert client.pending_count() == 0 and client.restarts == restarts
        client.render(bad, 1, 1.0)  # the page on screen is still tried
        assert client.pending_count() == 1
    finally:
        client.shutdown()


@pytest.mark.slow  # waits out the time limit on a spinning page
def test_the_pane_says_the_page_took_too_long(qtbot, runaway: Path):
    client = RenderClient(workers=2, job_timeout=3.0)
    pane = PdfPane(client=client)
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    pane.show()
    try:
        with qtbot.waitSignal(pane.failed, timeout=WAIT):
            pane.load(runaway)
        assert pane.message() == ("Page 1 could not be shown. Drawing it took too long, so it was "
                                  "stopped: the PDF may be damaged or too complex to show here.")
        assert pane.canvas.placeholder() == pane.message()
    finally:
        pane.close_document()
        client.shutdown()


@pytest.mark.slow  # an app killed mid-render
def test_renderers_die_with_an_app_killed_while_a_page_hangs(tmp_path: Path, runaway: Path):
    """SIGKILL the app while its renderers spin inside MuPDF (one on the page, one on a
    pre-check started from a worker thread that has ended): none is alive 5 s later."""
    script = tmp_path / "app_with_a_hung_page.py"
    script.write_text(f"""
import sys, threading
from PySide6.QtCore import QCoreApplication, QTimer
app = QCoreApplication([])
from reviewer_app.gui.pdf import render_client
from reviewer_app.render import pdf as pdf_render
client = render_client.RenderClient(workers=2)
client.render(render_client.DocRef.of({str(runaway)!r}), 0, 1.0)
client.render(render_client.DocRef.of({str(LESSON_PLAN)!r}), 0, 1.0)
checked = []
t = threading.Thread(target=lambda: checked.append(render_client.check_pdf({str(LESSON_PLAN)!r})))
t.start(); t.join()  # the pre-check's renderer must outlive the thread that asked for it
from reviewer_app.gui.pdf import renderer_pools
checker = [p.pid for pool in renderer_pools._all_checkers for p in pool._processes.values()]
def report():
    if len(client.worker_pids()) == 2:
        print("PIDS", *client.worker_pids(), flush=True)
        print("CHECKED", repr(checked[0]), *checker, flush=True)
        timer.stop()
timer = QTimer(app, timeout=report, interval=50)
timer.start()
app.exec()
""")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env,
                           cwd=ROOT)
    try:
        pool_pids = [int(p) for p in app.stdout.readline().split()[1:]]
        checked, result, *checker = app.stdout.readline().split()
        assert (checked, result) == ("CHECKED", "''") and len(checker) == 1
        renderers = _children(app.pid)
        assert int(checker[0]) in renderers
        assert set(pool_pids) < set(renderers) and len(renderers) >= 3, (pool_pids, renderers)
        # Wait until the bad page's renderer is deep inside MuPDF (loading PyMuPDF and
        # drawing the lesson plan take well under a second of CPU).
        deadline = time.monotonic() + 60
        while max(map(_cpu_seconds, renderers)) < 2.0 and time.monotonic() < deadline:
            time.sleep(0.1)
        spinning = max(renderers, key=_cpu_seconds)
        assert _cpu_seconds(spinning) >= 2.0 and _state(spinning) == "R"
        assert _state(int(checker[0])) in ("R", "S"), "the pre-check's renderer died with its thread"
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(30)
    killed = time.monotonic()
    while time.monotonic() < killed + 5 and any(_state(p) not in (None, "Z") for p in renderers):
        time.sleep(0.05)
    alive = [p for p in renderers if _state(p) not in (None, "Z")]
    print(f"\nrenderers {renderers}: all gone {time.monotonic() - killed:.2f} s after the kill")
    try:
        assert alive == [], "renderer processes outlived the killed app"
    finally:
        for pid in alive:
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(proc.name))
    return found
