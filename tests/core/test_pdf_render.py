"""The Qt-free PDF renderer (``reviewer_app.render.pdf``) on real PDFs with real PyMuPDF:
the demo lesson plan (its page 3 is stored with /Rotate 90), and encrypted, damaged,
truncated and not-PDF files made here."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from reviewer_app.render import pdf as pdf_render

ROOT = Path(__file__).resolve().parents[2]
LESSON_PLAN = ROOT / "resources" / "demo" / "lesson-plan.pdf"
A4 = (595.0, 842.0)


def make_text_pdf(path: Path, pages: int = 5, rotate: dict[int, int] | None = None) -> Path:
    """A text PDF: page i says 'Page i+1' and a paragraph (distinct per page)."""
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=A4[0], height=A4[1])
        turn = (rotate or {}).get(i, 0)
        page.set_rotation(turn)
        # Written so that it reads upright as displayed (after /Rotate), as real scans are.
        box = pymupdf.Rect(72, 72, page.rect.width - 72, page.rect.height - 72) * page.derotation_matrix
        text = f"Page {i + 1}. " + f"Notes on lesson part {i + 1}: exit ticket review. " * 30
        page.insert_textbox(box, text, fontsize=11, rotate=turn)
    doc.save(path, deflate=True)
    doc.close()
    return path


def _object_span(data: bytes, xref: int) -> tuple[int, int]:
    m = re.search(rb"(?<![0-9])%d 0 obj" % xref, data)
    assert m, xref
    return m.start(), data.index(b"endobj", m.end())


def make_damaged_pdf(path: Path) -> Path:
    """Five pages; page 3's content stream is garbage from its middle on, and page 5's
    page object is overwritten. Pages 1, 2 and 4 are intact."""
    make_text_pdf(path, 5)
    with pymupdf.open(path) as doc:
        stream_xref = doc[2].get_contents()[0]
        page5_xref = doc[4].xref
    data = bytearray(path.read_bytes())
    start, end = _object_span(bytes(data), stream_xref)
    s = data.index(b"stream", start) + len(b"stream\n")
    e = data.index(b"endstream", s)
    mid = (s + e) // 2
    data[mid:e - 2] = bytes((i * 37 + 11) % 256 for i in range(e - 2 - mid))
    start, end = _object_span(bytes(data), page5_xref)
    data[start:end] = b"%" * (end - start)
    path.write_bytes(bytes(data))
    return path


def make_encrypted_pdf(path: Path) -> Path:
    doc = pymupdf.open(LESSON_PLAN)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="o")
    doc.close()
    return path


def dark_fraction(page: pdf_render.RenderedPage) -> float:
    """Share of pixels (sampled every other row and column) that are ink, not paper."""
    data, n, stride = page.samples, page.channels, page.stride
    dark = total = 0
    for y in range(0, page.height, 2):
        base = y * stride
        for x in range(0, page.width, 2):
            i = base + x * n
            total += 1
            dark += data[i] + data[i + 1] + data[i + 2] < 450
    return dark / total


def ink_under(page: pdf_render.RenderedPage, rect: tuple[float, float, float, float]) -> int:
    """Dark pixels along the middle row of ``rect`` (points; the page rendered at zoom 1)."""
    x0, y0, x1, y1 = rect
    base = int((y0 + y1) / 2) * page.stride
    return sum(1 for x in range(int(x0), int(x1))
               if sum(page.samples[base + 3 * x: base + 3 * x + 3]) < 450)


@pytest.fixture(autouse=True)
def _fresh_cache():
    pdf_render.clear_cache()
    yield
    pdf_render.clear_cache()


def test_info_of_the_lesson_plan():
    info = pdf_render.open_info(str(LESSON_PLAN))
    assert info.error is None and not info.needs_password and info.ok
    assert info.page_count == 4
    assert info.rotations == [0, 0, 90, 0]
    assert info.page_sizes[0] == A4
    assert info.page_sizes[2] == (A4[1], A4[0])  # landscape as displayed
    assert info.unreadable_pages == []
    assert "Lesson Plan" in info.title


def test_pages_render_upright_with_text():
    portrait = pdf_render.render_page(str(LESSON_PLAN), 0, 1.0)
    assert (portrait.width, portrait.height) == (595, 842)
    assert portrait.channels == 3 and portrait.stride == 595 * 3
    assert len(portrait.samples) == portrait.stride * portrait.height
    assert portrait.samples[:3] == b"\xff\xff\xff"  # white paper
    assert 0.002 < dark_fraction(portrait) < 0.5  # there is text, and it is not a black page

    rotated = pdf_render.render_page(str(LESSON_PLAN), 2, 1.0)  # /Rotate 90
    assert rotated.width > rotated.height
    assert (rotated.width, rotated.height) == (842, 595)
    # Upright: the page's heading is at the top left of the landscape image. Text rows
    # (runs of dark pixels) begin near the top, and the left margin is white.
    def dark(y: int, x: int) -> bool:
        at = y * rotated.stride + x * 3
        return sum(rotated.samples[at:at + 3]) < 300

    first_dark_row = next(y for y in range(rotated.height)
                          if any(dark(y, x) for x in range(0, rotated.width, 2)))
    assert first_dark_row < rotated.height * 0.25

    zoomed = pdf_render.render_page(str(LESSON_PLAN), 2, 2.0)
    assert (zoomed.width, zoomed.height) == (1684, 1190) and zoomed.zoom == 2.0


def test_rotated_page_heading_reads_upright():
    """The words 'Differentiation and formative assessment' are found at the top of the
    displayed page 3, in the same place the rendered pixels show dark text."""
    hits = pdf_render.search(str(LESSON_PLAN), "Differentiation and formative assessment checks")
    assert [h.page_index for h in hits] == [2]
    x0, y0, x1, y1 = hits[0].rects[0]
    assert x1 - x0 > y1 - y0  # a horizontal line of text: the page is upright
    assert y1 < 595 * 0.25 and x1 <= 842
    page = pdf_render.render_page(str(LESSON_PLAN), 2, 1.0)
    assert ink_under(page, hits[0].rects[0]) > (x1 - x0) * 0.05


def test_search_finds_hits_on_the_right_pages():
    hits = pdf_render.search(str(LESSON_PLAN), "exit ticket")
    pages = {h.page_index for h in hits}
    assert pages == {0, 1, 2, 3}
    for h in hits:
        w, hgt = pdf_render.open_info(str(LESSON_PLAN)).page_sizes[h.page_index]
        for x0, y0, x1, y1 in h.rects:
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= hgt
    # An occurrence that wraps onto the next line is one hit with two rectangles.
    assert any(len(h.rects) == 2 for h in hits)

    formative = pdf_render.search(str(LESSON_PLAN), "FORMATIVE   assessment")  # case and spaces don't matter
    assert formative and {h.page_index for h in formative} <= {0, 1, 2}
    assert pdf_render.search(str(LESSON_PLAN), "zebra crossing") == []
    assert pdf_render.search(str(LESSON_PLAN), "   ") == []


def test_hits_on_a_rotated_page_are_in_displayed_coordinates():
    hits = [h for h in pdf_render.search(str(LESSON_PLAN), "exit ticket") if h.page_index == 2]
    assert hits
    page = pdf_render.render_page(str(LESSON_PLAN), 2, 1.0)
    for h in hits:
        x0, y0, x1, y1 = h.rects[0]
        assert x1 - x0 > y1 - y0  # horizontal, as the text reads on the upright page
        assert x1 <= 842 and y1 <= 595
        # The rectangle covers dark text pixels of the rendered (upright) page.
        assert ink_under(page, h.rects[0]) > 0


def test_results_are_picklable():
    info = pdf_render.open_info(str(LESSON_PLAN))
    page = pdf_render.render_thumbnail(str(LESSON_PLAN), 2, 120, 160)
    hits = pdf_render.search(str(LESSON_PLAN), "exit ticket")
    for value in (info, page, hits, pdf_render.RenderError("x"),
                  pdf_render.PasswordRequired("y", wrong=True)):
        assert pickle.loads(pickle.dumps(value)) == value or isinstance(value, Exception)
    again = pickle.loads(pickle.dumps(pdf_render.PasswordRequired("y", wrong=True)))
    assert again.message == "y" and again.wrong


def test_thumbnail_fits_its_box():
    thumb = pdf_render.render_thumbnail(str(LESSON_PLAN), 2, 120, 160)  # landscape page
    assert thumb.width <= 120 and thumb.height <= 160 and thumb.width > thumb.height
    thumb = pdf_render.render_thumbnail(str(LESSON_PLAN), 0, 120, 160)
    assert thumb.height <= 160 and thumb.width <= 120 and max(thumb.width, thumb.height) >= 119


def test_a_rotated_page_made_here_renders_upright(tmp_path: Path):
    path = make_text_pdf(tmp_path / "rot.pdf", 2, rotate={1: 90})
    info = pdf_render.open_info(str(path))
    assert info.rotations == [0, 90] and info.page_sizes[1] == (A4[1], A4[0])
    page = pdf_render.render_page(str(path), 1, 1.0)
    assert (page.width, page.height) == (842, 595)
    hits = pdf_render.search(str(path), "Page 2.")
    x0, y0, x1, y1 = hits[0].rects[0]
    assert x1 - x0 > y1 - y0 and y0 < 100 and x0 < 100  # top left, horizontal: upright
    assert ink_under(page, hits[0].rects[0]) > 0


def test_documents_are_cached_per_process():
    pdf_render.render_page(str(LESSON_PLAN), 0, 0.5)
    assert len(pdf_render._docs) == 1
    doc = next(iter(pdf_render._docs.values()))
    pdf_render.render_page(str(LESSON_PLAN), 1, 0.5)
    pdf_render.search(str(LESSON_PLAN), "fractions")
    assert len(pdf_render._docs) == 1 and next(iter(pdf_render._docs.values())) is doc


def test_cache_is_bounded_and_notices_a_changed_file(tmp_path: Path):
    paths = [make_text_pdf(tmp_path / f"d{i}.pdf", 1) for i in range(pdf_render.DOC_CACHE_SIZE + 2)]
    for p in paths:
        pdf_render.render_page(str(p), 0, 0.2)
    assert len(pdf_render._docs) == pdf_render.DOC_CACHE_SIZE
    make_text_pdf(paths[-1], 3)  # replaced on disk
    assert pdf_render.open_info(str(paths[-1])).page_count == 3


def test_encrypted_pdf_needs_its_password(tmp_path: Path):
    path = str(make_encrypted_pdf(tmp_path / "locked.pdf"))
    info = pdf_render.open_info(path)
    assert info.needs_password and info.page_count == 0 and info.error is None

    wrong = pdf_render.open_info(path, "guess")
    assert wrong.needs_password and wrong.error == "The password is not correct."

    right = pdf_render.open_info(path, "secret")
    assert not right.needs_password and right.error is None and right.page_count == 4
    assert right.rotations == [0, 0, 90, 0]
    page = pdf_render.render_page(path, 2, 1.0, "secret")
    assert page.width > page.height and dark_fraction(page) > 0.002
    assert pdf_render.search(path, "exit ticket", "secret")

    with pytest.raises(pdf_render.PasswordRequired) as exc:
        pdf_render.render_page(path, 0, 0.5)
    assert not exc.value.wrong
    with pytest.raises(pdf_render.PasswordRequired) as exc:
        pdf_render.render_page(path, 0, 0.5, "nope")
    assert exc.value.wrong and str(exc.value) == "The password is not correct."


@pytest.mark.parametrize("stored, typed", [
    ("pass\u00adword", "pass\u00adword"),  # a writer that keeps the password as typed
    ("password", "pass\u00adword"),  # one that follows PDF 2.0: SASLprep drops the soft hyphen
    ("file x", "\ufb01le\u00a0x"),  # NFKC unfolds the ligature; a no-break space is a space
], ids=["as-typed", "soft-hyphen-prepared", "ligature-and-nbsp-prepared"])
def test_aes256_password_as_typed_or_saslprep_prepared(tmp_path: Path, stored: str, typed: str):
    """A real AES-256 PDF made by PyMuPDF (MuPDF itself prepares no password): the
    password the reviewer types opens it whether the writer stored it as typed or in its
    SASLprep form; a wrong one still does not."""
    path = tmp_path / "locked.pdf"
    with pymupdf.open(LESSON_PLAN) as doc:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=stored, owner_pw="owner-only")
    with pymupdf.open(path) as check:  # the file really needs the stored form
        assert check.needs_pass and check.authenticate(stored)
    info = pdf_render.open_info(str(path), typed)
    assert info.ok and info.page_count == 4, info
    assert dark_fraction(pdf_render.render_page(str(path), 0, 0.5, typed)) > 0.002
    assert pdf_render.open_info(str(path), typed + "x").error == "The password is not correct."


def test_damaged_pdf_reports_the_pages_it_cannot_read(tmp_path: Path):
    path = str(make_damaged_pdf(tmp_path / "damaged.pdf"))
    info = pdf_render.open_info(path)
    assert info.error is None and info.page_count == 5
    assert info.unreadable_pages == [2, 4]
    for i in (0, 1, 3):
        page = pdf_render.render_page(path, i, 1.0)
        assert dark_fraction(page) > 0.002, i
    with pytest.raises(pdf_render.RenderError) as exc:
        pdf_render.render_page(path, 4, 0.5)
    assert str(exc.value) == "Page 5 could not be read."
    hits = pdf_render.search(path, "exit ticket")
    assert {h.page_index for h in hits} >= {0, 1, 3}
    assert 4 not in {h.page_index for h in hits}


def test_truncated_pdf_opens_what_survives(tmp_path: Path):
    whole = make_text_pdf(tmp_path / "whole.pdf", 6).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    info = pdf_render.open_info(str(cut))
    if info.error is not None:  # MuPDF could not repair it at all: said in plain words
        assert info.error == "This PDF is damaged and could not be opened."
        return
    assert info.unreadable_pages and 0 not in info.unreadable_pages
    assert dark_fraction(pdf_render.render_page(str(cut), 0, 1.0)) > 0.002


@pytest.mark.parametrize(("content", "expected"), [
    (b"Dear reviewer,\nthis is a plain text file.\n", pdf_render.NOT_PDF),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), "it looks like a JPEG image"),
    (b"PK\x03\x04" + bytes(100), "ZIP archive"),
    (b"", "This file is empty"),
    (b"%PDF-1.7\n" + bytes(50), "This PDF is damaged and could not be opened."),
])
def test_not_a_pdf_is_said_in_plain_words(tmp_path: Path, content: bytes, expected: str):
    path = tmp_path / "evidence.pdf"
    path.write_bytes(content)
    info = pdf_render.open_info(str(path))
    assert info.error is not None and expected in info.error
    assert info.page_count == 0 and not info.needs_password
    with pytest.raises(pdf_render.RenderError):
        pdf_render.render_page(str(path), 0, 1.0)


def test_missing_file(tmp_path: Path):
    info = pdf_render.open_info(str(tmp_path / "gone.pdf"))
    assert info.error == "The file gone.pdf could not be found."


def test_a_huge_zoom_is_capped():
    page = pdf_render.render_page(str(LESSON_PLAN), 0, 20.0)
    assert page.width * page.height <= pdf_render.MAX_RENDER_PIXELS * 1.01
    assert page.zoom < 20.0
    assert page.width / 595 == pytest.approx(page.zoom, rel=0.01)


def test_importing_the_renderer_loads_neither_qt_nor_pymupdf():
    """The GUI imports this module to name its functions to the process pool: that must
    not load PyMuPDF into the GUI process (nor Qt into the renderer)."""
    code = ("import sys, reviewer_app.render.pdf as pdf_render; "
            "assert 'pymupdf' not in sys.modules and 'fitz' not in sys.modules; "
            "assert not any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules); "
            "pdf_render.init_worker(nice=0); assert 'pymupdf' in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
