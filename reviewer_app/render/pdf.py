"""PDF work for a renderer process: PyMuPDF behind plain functions. No Qt.

Every public function here takes plain arguments (a path, a page number, a zoom, an
optional password) and returns plain picklable values, so that
``reviewer_app.gui.pdf.render_client`` can run it in a separate process (PyMuPDF holds
the GIL while it renders, so a thread would still freeze the window).

Coordinates: page sizes, search hits and highlights are in PDF points *as displayed*,
that is after the page's /Rotate is applied, with the origin at the top left. A page
rendered at ``zoom`` is ``size * zoom`` pixels; a rectangle in displayed points times
``zoom`` lands on the same pixels.

Open documents are kept in a small per-process LRU (``DOC_CACHE_SIZE``), keyed by path,
the file's modification time and size, and the password, so page renders do not reopen
the file each time.

Failures are reported in plain words: ``DocInfo.error`` for a document that cannot be
opened at all (missing, not a PDF, damaged beyond repair, wrong password), and
``DocInfo.unreadable_pages`` for pages of a damaged document that cannot be read while
the others can. ``render_page`` and ``render_thumbnail`` raise ``RenderError`` (a plain
message) for a page that cannot be drawn.

``pymupdf`` is imported lazily, so that the GUI process can import this module (for its
dataclasses and to name these functions to the process pool) without loading PyMuPDF.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

DOC_CACHE_SIZE = 4
# A rendered page is never larger than this many pixels; past it the zoom is lowered
# (the result says which zoom it used) so that a 400 % zoom on a poster cannot exhaust memory.
MAX_RENDER_PIXELS = 36_000_000
MAX_HITS = 2000

NOT_PDF = "This file is not a PDF document, so it cannot be shown here."
WRONG_PASSWORD = "The password is not correct."
NEEDS_PASSWORD = "This PDF is password-protected. Enter its password to open it."


class RenderError(Exception):
    """A page or document that cannot be drawn; the message is in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across the process boundary
        return (type(self), (self.message,))


class PasswordRequired(RenderError):
    """The document is encrypted and no (or a wrong) password was given."""

    def __init__(self, message: str = NEEDS_PASSWORD, wrong: bool = False) -> None:
        super().__init__(message)
        self.wrong = wrong

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.wrong))


@dataclass(frozen=True)
class DocInfo:
    """What the viewer needs to lay out a document before any page is drawn."""

    path: str
    page_count: int = 0
    page_sizes: list[tuple[float, float]] = field(default_factory=list)  # (w, h) points, displayed
    rotations: list[int] = field(default_factory=list)  # /Rotate of each page: 0, 90, 180, 270
    needs_password: bool = False
    unreadable_pages: list[int] = field(default_factory=list)  # 0-based
    error: str | None = None
    title: str = ""  # from the document's metadata, "" if none

    @property
    def ok(self) -> bool:
        return self.error is None and not self.needs_password


@dataclass(frozen=True)
class RenderedPage:
    """A page as pixels: RGB, 8 bits per channel, no alpha (white paper), rows ``stride`` apart."""

    width: int
    height: int
    stride: int
    samples: bytes
    page_index: int
    zoom: float  # the zoom actually used (lower than asked only past MAX_RENDER_PIXELS)
    channels: int = 3


@dataclass(frozen=True)
class Hit:
    """One occurrence of the searched text; ``rects`` are (x0, y0, x1, y1) in displayed points."""

    page_index: int
    rects: list[tuple[float, float, float, float]]


def pages_phrase(pages: list[int]) -> str:
    """'Page 3', 'Pages 3 and 5', 'Pages 2, 3 and 5' (1-based, from 0-based indexes)."""
    nums = [str(p + 1) for p in pages]
    if len(nums) > 12:
        nums = nums[:10] + [f"{len(nums) - 10} more"]
    if len(nums) == 1:
        return f"Page {nums[0]}"
    return f"Pages {', '.join(nums[:-1])} and {nums[-1]}"


def unreadable_message(info: DocInfo, shown: str = "shown") -> str:
    """What to tell a reviewer about a damaged document's unreadable pages ("" if none)."""
    bad, n = info.unreadable_pages, info.page_count
    if not bad:
        return ""
    if len(bad) >= n:
        return (f"None of the {n} pages of this PDF could be read; it is damaged." if n > 1
                else "The page of this PDF could not be read; it is damaged.")
    return f"{pages_phrase(bad)} could not be read; the other pages are {shown}."


def problem(info: DocInfo) -> str:
    """A document check in one line: "" when every page can be shown, else what is wrong."""
    if info.error:
        return info.error
    if info.needs_password:
        return "This PDF is password-protected: its password is needed to read it."
    return unreadable_message(info, shown="readable")


# ---------------------------------------------------------------------------------------
# The worker process


def init_worker(nice: int = 5) -> None:
    """Initializer of a renderer process: lower its CPU priority below the window's, load
    PyMuPDF now (not on the first page), and keep MuPDF's warnings off stderr (they are
    read back where a page's damage must be known)."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:  # pragma: no cover - not allowed here: run at normal priority
            pass
    if "pymupdf" not in sys.modules:
        # PyMuPDF imports the optional pymupdf4llm and pymupdf_layout packages when they
        # are installed (an ONNX layout model, numpy): drawing and searching never use
        # them, and they take most of a second to load. Keep them out of the renderer.
        for optional in ("pymupdf.layout", "pymupdf4llm"):
            sys.modules.setdefault(optional, None)  # type: ignore[arg-type]
    fitz = _fitz()
    for name in ("mupdf_display_errors", "mupdf_display_warnings"):
        toggle = getattr(fitz.TOOLS, name, None)
        if toggle is not None:
            toggle(False)
    _exit_with_parent()


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _exit_with_parent() -> None:
    """A renderer ends when the app that started it ends, even if the app was killed
    (a pool's workers otherwise outlive a killed parent, reparented to init).

    On Linux the kernel does it: ``PR_SET_PDEATHSIG`` sends SIGKILL to the renderer when
    its parent goes, with no Python code of the renderer's own to run (a watcher thread
    cannot, while MuPDF holds the GIL on a page that never finishes). The signal follows
    the parent *thread* that started the process, so the clients start renderers only
    from threads that live as long as the app. Elsewhere a watcher thread does it, as
    well as it can."""
    import multiprocessing
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if _die_with_parent():
        if os.getppid() != parent.pid:  # the app went before the signal was armed
            os._exit(0)
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent ends; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
        return False


def worker_pid() -> int:
    """The renderer process's id (for tests and diagnostics)."""
    return os.getpid()


def _fitz() -> Any:
    import pymupdf

    return pymupdf


_docs: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _close_cached(key: tuple[Any, ...]) -> None:
    doc = _docs.pop(key, None)
    if doc is not None:
        try:
            doc.close()
        except Exception:  # noqa: BLE001 - closing a damaged document must not fail a render
            pass


def clear_cache() -> None:
    """Close every cached document (tests; or to free memory)."""
    for key in list(_docs):
        _close_cached(key)


def _sniff(path: str) -> str | None:
    """None when the file starts like a PDF, else a plain-words reason it is not one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        return f"The file {os.path.basename(path)} could not be found."
    except IsADirectoryError:
        return f"{os.path.basename(path)} is a folder, not a PDF document."
    except PermissionError:
        return f"The file {os.path.basename(path)} could not be opened: permission denied."
    except OSError as exc:
        return f"The file {os.path.basename(path)} could not be read ({exc.strerror or exc})."
    if not head:
        return "This file is empty, so there is no PDF to show."
    if b"%PDF-" in head:
        return None
    kind = (
        "a JPEG image" if head.startswith(b"\xff\xd8\xff")
        else "a PNG image" if head.startswith(b"\x89PNG")
        else "a ZIP archive or an Office document" if head.startswith(b"PK\x03\x04")
        else "a video or audio file" if head[4:8] == b"ftyp"
        else "a web page" if head.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
        else None
    )
    return NOT_PDF if kind is None else f"{NOT_PDF[:-1]} (it looks like {kind})."


def _document(path: str, password: str | None) -> Any:
    """An open, authenticated document from the per-process cache; raises RenderError or
    PasswordRequired in plain words."""
    path = os.path.abspath(path)
    try:
        st = os.stat(path)
    except OSError:
        raise RenderError(_sniff(path) or f"The file {os.path.basename(path)} could not be read.") from None
    key = (path, st.st_mtime_ns, st.st_size, password or None)
    doc = _docs.get(key)
    if doc is not None:
        _docs.move_to_end(key)
        return doc
    for stale in [k for k in _docs if k[0] == path and k[1:3] != key[1:3]]:
        _close_cached(stale)  # the file changed on disk
    reason = _sniff(path)
    if reason is not None:
        raise RenderError(reason)
    fitz = _fitz()
    try:
        doc = fitz.open(path, filetype="pdf")
    except Exception:  # noqa: BLE001 - MuPDF's own words are not for reviewers
        raise RenderError("This PDF is damaged and could not be opened.") from None
    if doc.needs_pass:
        if not password:
            doc.close()
            raise PasswordRequired()
        if not any(doc.authenticate(candidate) for candidate in password_candidates(password)):
            doc.close()
            raise PasswordRequired(WRONG_PASSWORD, wrong=True)
    if doc.page_count == 0:
        doc.close()
        raise RenderError("This PDF has no pages that can be read; it may be damaged.")
    _docs[key] = doc
    while len(_docs) > DOC_CACHE_SIZE:
        _close_cached(next(iter(_docs)))
    return doc


def password_candidates(password: str) -> list[str]:
    """The passwords to try for what the reviewer typed: as typed, then its SASLprep form.

    PDF 2.0 (ISO 32000-2) has an AES-256 password prepared with SASLprep (RFC 4013) before
    it is used: spaces of other kinds become plain spaces, characters "commonly mapped to
    nothing" (a soft hyphen, a zero-width joiner) go, and the rest is NFKC-normalised.
    MuPDF uses the password as given, so a document made by a writer that follows the
    standard opens only with the prepared form; one made by a writer that does not, only
    with the typed form. Both are tried."""
    prepared = saslprep(password)
    return [password] if prepared is None or prepared == password else [password, prepared]


def saslprep(text: str) -> str | None:
    """``text`` prepared with SASLprep (RFC 4013, for a query: unassigned code points
    allowed), or None where SASLprep prohibits it."""
    import stringprep
    import unicodedata

    mapped = "".join(" " if stringprep.in_table_c12(ch) else ch
                     for ch in text if not stringprep.in_table_b1(ch))
    prepared = unicodedata.normalize("NFKC", mapped)
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
                  stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
                  stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9)
    if any(check(ch) for ch in prepared for check in prohibited):
        return None
    rtl = [stringprep.in_table_d1(ch) for ch in prepared]
    if any(rtl) and (any(stringprep.in_table_d2(ch) for ch in prepared) or not (rtl[0] and rtl[-1])):
        return None  # RFC 3454 section 6: mixed or badly bounded right-to-left text
    return prepared


def _warnings(fitz: Any) -> str:
    return fitz.TOOLS.mupdf_warnings(reset=True) or ""


def _page_is_damaged(doc: Any, index: int) -> bool:
    """Whether a page cannot be read: it fails to load, its page object is gone (MuPDF
    then gives a blank stand-in), or a content stream fails to decode."""
    fitz = _fitz()
    try:
        page = doc.load_page(index)
    except Exception:  # noqa: BLE001
        return True
    try:
        if page.xref and doc.xref_object(page.xref, compressed=True).strip() == "null":
            return True
        _warnings(fitz)
        for xref in page.get_contents():
            data = doc.xref_stream(xref)
            said = _warnings(fitz).lower()
            if data is None or "error" in said:
                return True
    except Exception:  # noqa: BLE001
        return True
    return False


def open_info(path: str, password: str | None = None) -> DocInfo:
    """Open a PDF (or take it from the cache) and describe it. Never raises."""
    path = str(path)
    try:
        doc = _document(path, password)
    except PasswordRequired as exc:
        return DocInfo(path=path, needs_password=True, error=exc.message if exc.wrong else None)
    except RenderError as exc:
        return DocInfo(path=path, error=exc.message)
    except Exception:  # noqa: BLE001
        return DocInfo(path=path, error="This PDF could not be opened.")
    sizes: list[tuple[float, float]] = []
    rotations: list[int] = []
    unreadable: list[int] = []
    fitz = _fitz()
    for i in range(doc.page_count):
        try:
            page = doc.load_page(i)
            rect = page.rect  # displayed: already rotated
            sizes.append((float(rect.width), float(rect.height)))
            rotations.append(int(page.rotation))
        except Exception:  # noqa: BLE001
            sizes.append(sizes[-1] if sizes else (595.0, 842.0))
            rotations.append(0)
        if _page_is_damaged(doc, i):
            unreadable.append(i)
    _warnings(fitz)
    title = ""
    try:
        title = (doc.metadata or {}).get("title") or ""
    except Exception:  # noqa: BLE001
        pass
    return DocInfo(path=path, page_count=doc.page_count, page_sizes=sizes, rotations=rotations,
                   unreadable_pages=unreadable, title=title)


def _load_page(doc: Any, page_index: int) -> Any:
    if not 0 <= page_index < doc.page_count:
        raise RenderError(f"This PDF has no page {page_index + 1}.")
    try:
        page = doc.load_page(page_index)
    except Exception:  # noqa: BLE001
        raise RenderError(f"Page {page_index + 1} could not be read.") from None
    if page.xref and doc.xref_object(page.xref, compressed=True).strip() == "null":
        raise RenderError(f"Page {page_index + 1} could not be read.")
    return page


def _pixmap(page: Any, page_index: int, zoom: float) -> RenderedPage:
    fitz = _fitz()
    rect = page.rect
    zoom = max(0.01, float(zoom))
    pixels = rect.width * rect.height * zoom * zoom
    if pixels > MAX_RENDER_PIXELS:
        zoom *= (MAX_RENDER_PIXELS / pixels) ** 0.5
    try:
        # get_pixmap applies the page's /Rotate: a rotated page comes out upright.
        pix = page.get_pixmap(matrix=fitz.Matrix(zoom, zoom), alpha=False, annots=True,
                              colorspace=fitz.csRGB)
    except Exception:  # noqa: BLE001
        raise RenderError(f"Page {page_index + 1} could not be drawn.") from None
    finally:
        _warnings(fitz)
    return RenderedPage(width=pix.width, height=pix.height, stride=pix.stride,
                        samples=bytes(pix.samples), page_index=page_index, zoom=zoom,
                        channels=pix.n)


def render_page(path: str, page_index: int, zoom: float, password: str | None = None) -> RenderedPage:
    """Draw one page at ``zoom`` (1.0 = one pixel per point), upright, with annotations."""
    doc = _document(str(path), password)
    return _pixmap(_load_page(doc, page_index), page_index, zoom)


def render_thumbnail(path: str, page_index: int, max_width: int, max_height: int,
                     password: str | None = None) -> RenderedPage:
    """Draw one page as large as fits in ``max_width`` x ``max_height`` pixels."""
    doc = _document(str(path), password)
    page = _load_page(doc, page_index)
    rect = page.rect
    zoom = min(max_width / max(rect.width, 1.0), max_height / max(rect.height, 1.0))
    return _pixmap(page, page_index, zoom)


def _displayed(rect: Any, page: Any) -> tuple[float, float, float, float]:
    r = rect * page.rotation_matrix  # unrotated page space -> displayed (rotated) space
    r.normalize()
    return (float(r.x0), float(r.y0), float(r.x1), float(r.y1))


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def _group_fragments(page: Any, needle: str, rects: list[Any]) -> list[list[Any]]:
    """One list of rectangles per occurrence.

    ``search_for`` gives one rectangle per line of an occurrence, so a phrase that wraps
    onto the next line comes back as two. Consecutive rectangles whose texts join up into
    the phrase (a prefix, then the rest) are taken as one occurrence; anything that does
    not join up stays an occurrence of its own."""
    want = _norm(needle)
    texts = []
    for r in rects:
        try:
            texts.append(_norm(page.get_textbox(r)))
        except Exception:  # noqa: BLE001
            texts.append(want)
    groups: list[list[Any]] = []
    i = 0
    while i < len(rects):
        group, text, j = [rects[i]], texts[i], i + 1
        if text and text != want and want.startswith(text):
            while j < len(rects) and text != want and len(group) < 6:
                candidates = (f"{text} {texts[j]}", text + texts[j])
                joined = next((t for t in candidates if want.startswith(t)), None)
                if joined is None:
                    break
                group.append(rects[j])
                text, j = joined, j + 1
            if text != want:  # did not join up: the first rectangle on its own
                group, j = [rects[i]], i + 1
        groups.append(group)
        i = j
    return groups


def search(path: str, text: str, password: str | None = None, max_hits: int = MAX_HITS) -> list[Hit]:
    """Every occurrence of ``text`` (case-insensitive, runs of white space match any white
    space), in page order; an occurrence that wraps onto the next line is one hit with a
    rectangle per line."""
    needle = " ".join(str(text).split())
    if not needle:
        return []
    doc = _document(str(path), password)
    fitz = _fitz()
    hits: list[Hit] = []
    for i in range(doc.page_count):
        try:
            page = doc.load_page(i)
            found = page.search_for(needle)
            groups = _group_fragments(page, needle, found) if found else []
        except Exception:  # noqa: BLE001 - a damaged page has nothing to find
            continue
        finally:
            _warnings(fitz)
        for group in groups:
            rects = [_displayed(r, page) for r in group]
            rects.sort(key=lambda r: (r[1], r[0]))
            hits.append(Hit(page_index=i, rects=rects))
            if len(hits) >= max_hits:
                return hits
    return hits
