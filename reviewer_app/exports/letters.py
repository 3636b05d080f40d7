"""Feedback letters: one PDF per final decision, for the candidate, made with PyMuPDF.

A letter says, in plain words: the credential, the candidate, the date, the decision,
each criterion's final level (label and number), the required level and the comment,
the overall feedback and, for "not yet", the next steps: which criteria must reach which
level (with that level's descriptor) and how to resubmit.

Layout is HTML + CSS (``templates/letter.html``, a Jinja2 template that escapes every value,
and ``templates/letter.css``) laid out by PyMuPDF's ``Story`` on A4 pages (a long letter runs on
to further pages); a footer with the submission and "page N of M" is stamped on each page
afterwards, and the document gets a title and author.

Letters go to a folder, one file each, named ``<submission>-<attempt>-<candidate>.pdf``
(``safe_filename``), or into one combined PDF with a bookmark per letter. Every file is
written to a temporary name and renamed, so a cancelled or failed run never leaves half a
letter; letters finished before a cancel stay (each is complete).

PyMuPDF is imported only when letters are written (it is in the ``gui`` extra); without it
the user gets a plain ``UserError``. Like the PDF renderer (``reviewer_app.render.pdf``),
this keeps PyMuPDF's optional ``pymupdf.layout`` / ``pymupdf4llm`` add-ons (an ONNX model,
numpy) from loading: letters never use them.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from reviewer_app.errors import UserError
from reviewer_app.exports import decisions
from reviewer_app.exports.decisions import DecisionFilter
from reviewer_app.jobs import Job
from reviewer_app.store.atomic_files import atomic_path, write_bytes_atomic
from reviewer_app.store.context import AppContext

PAGE = "a4"
MARGIN = 56  # left and right, points (about 2 cm)
TOP = 46  # top margin
FOOTER = 30  # the footer's baseline, this far above the page's bottom edge
TEXT_BOTTOM = 52  # the text ends this far above the bottom edge (above the footer rule)
TEMPLATES = Path(__file__).with_name("templates")



def load_pymupdf() -> Any:
    """PyMuPDF, without its optional add-ons; a ``UserError`` when it is not installed."""
    if "pymupdf" not in sys.modules:
        # As in reviewer_app.render.pdf: PyMuPDF imports these optional add-ons when they
        # are installed (an ONNX layout model, numpy); letters never use them.
        for optional in ("pymupdf.layout", "pymupdf4llm"):
            sys.modules.setdefault(optional, None)  # type: ignore[arg-type]
    try:
        import pymupdf
    except ImportError as exc:
        raise UserError("Feedback letters need PyMuPDF, which is not installed: "
                        "pip install PyMuPDF", details=str(exc)) from None
    return pymupdf


@dataclass(frozen=True)
class LettersSummary:
    path: Path  # the folder, or the combined PDF
    count: int
    files: tuple[Path, ...] = field(default_factory=tuple)
    combined: bool = False


# -- names and words ---------------------------------------------------------------------

def safe_filename(*parts: object, suffix: str = ".pdf", limit: int = 120) -> str:
    """``parts`` joined by "-" as a file name that is safe on every system: accents
    dropped, anything but letters, digits, ".", "_" and "-" made a "-"."""
    text = "-".join(_ascii(str(p)) for p in parts if p not in (None, ""))
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    text = re.sub(r"\.{2,}", "-", text)  # no ".." (not a path, but looks like one)
    text = re.sub(r"-{2,}", "-", text).strip("-.")[:limit].rstrip("-.")
    return (text or "letter") + suffix


# Letters that Unicode does not decompose into a base letter and an accent.
_TRANSLIT = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d",
                           "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th",
                           "þ": "th", "ı": "i"})


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return text.encode("ascii", "ignore").decode("ascii")


def letter_filename(rec: dict[str, Any]) -> str:
    """``<submission>-<attempt>-<candidate>.pdf``; the candidate's id when their name has
    no letters a file name can keep (a name in another script)."""
    cand = rec["candidate"]
    name = cand["name"] if cand["name"] and re.search(r"[A-Za-z0-9]", _ascii(cand["name"])) \
        else cand["id"]
    return safe_filename(rec["submission_id"], rec["attempt"], name)


def long_date(value: date) -> str:
    """'3 March 2025' (the same in every locale)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


# MuPDF's HTML reader decodes character references twice ("&amp;lt;" shows as "<"), so an
# escaped "&" followed by what reads as a reference gets an empty element in between.
_REFERENCE_AFTER_AMP = re.compile(r"&amp;(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")


def _story_text(value: object) -> object:
    """Every ``{{ value }}`` of the template: text is escaped for MuPDF's Story (markup the
    template made itself, ``Markup``, stays as it is)."""
    if isinstance(value, Markup) or value is None:
        return value
    return Markup(_REFERENCE_AFTER_AMP.sub("&amp;<span></span>", str(escape(value))))


def _nobreak(text: object) -> Markup:
    """Escaped, with no line break inside (short values in the header)."""
    return Markup(_story_text("" if text is None else str(text))).replace(" ", Markup("&#160;"))


def _paragraphs(text: str | None) -> list[list[str]]:
    """Paragraphs (split at blank lines), each as its lines."""
    return [b.strip().splitlines() for b in re.split(r"\n\s*\n", text or "") if b.strip()]


def _level_words(score: dict[str, Any], top: int | None) -> str:
    if score["level"] is None:
        return "Not assessed"
    label = score["label"] or f"Level {score['level']}"
    of = f" of {top}" if top else ""
    # "(2 of 4)" is never split across lines.
    return f"{label} " + f"({score['level']}{of})".replace(" ", "\u00a0")


@cache
def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=_story_text)
    env.filters["nobreak"] = _nobreak
    return env


@cache
def letter_css() -> str:
    return (TEMPLATES / "letter.css").read_text(encoding="utf-8")


# -- one letter as HTML ------------------------------------------------------------------

def letter_html(rec: dict[str, Any], rubric: decisions.RubricInfo, today: date) -> str:
    """The letter's body (HTML for PyMuPDF's Story), from ``templates/letter.html``; every
    value is escaped by the template engine, so names and feedback are shown as typed."""
    crit_by_key = {c.key: c for c in rubric.criteria}
    cand = rec["candidate"]
    rows, below = [], []
    for score in rec["scores"]:
        crit = crit_by_key.get(score["criterion_id"])
        top = crit.top_level if crit else None
        need = crit.label(score["required_level"]) if crit else None
        rows.append({
            "title": score["title"], "level": _level_words(score, top), "met": score["met"],
            "required": f"{need} ({score['required_level']})" if need
            else str(score["required_level"]),
            "comment": score["comment"]})
        if not score["met"]:
            below.append({
                "title": score["title"], "need": need, "required": score["required_level"],
                "top": top, "level": score["level"], "level_words": _level_words(score, top),
                "descriptor": crit.levels.get(score["required_level"], ("", ""))[1]
                if crit else ""})
    decided = datetime.fromisoformat(rec["decided_at"]).astimezone().date()
    return _templates().get_template("letter.html").render(
        cred=rec["credential"], rubric=rubric, candidate=cand["name"] or cand["id"],
        name=cand["name"] or "candidate",
        submission=f"{rec['submission_id']}, attempt {rec['attempt']}",
        submission_id=rec["submission_id"], next_attempt=rec["attempt"] + 1,
        decided=long_date(decided), today=long_date(today),
        earned=rec["decision"] == "earned", rows=rows, below=below,
        feedback=_paragraphs(rec["feedback"]), decided_by=rec["decided_by"])


def render_letter(rec: dict[str, Any], rubric: decisions.RubricInfo,
                  today: date | None = None) -> bytes:
    """One letter as PDF bytes."""
    import io

    fitz = load_pymupdf()
    today = today or date.today()
    page = fitz.paper_rect(PAGE)
    where = page + (MARGIN, TOP, -MARGIN, -TEXT_BOTTOM)
    buf = io.BytesIO()
    writer = fitz.DocumentWriter(buf)
    story = fitz.Story(letter_html(rec, rubric, today), user_css=letter_css())
    more = True
    pages = 0
    while more:
        dev = writer.begin_page(page)
        more, _ = story.place(where)
        story.draw(dev)
        writer.end_page()
        pages += 1
        if pages > 50:  # pragma: no cover - a runaway layout
            raise UserError(f"The letter for {rec['submission_id']} does not fit in 50 pages.")
    writer.close()

    doc = fitz.open("pdf", buf.getvalue())
    try:
        footer = f"{rec['credential']['title']} \u00b7 submission {rec['submission_id']}, " \
                 f"attempt {rec['attempt']}"
        for i, pg in enumerate(doc):
            y = page.height - FOOTER
            pg.draw_line((MARGIN, y - 12), (page.width - MARGIN, y - 12), color=(0.78, 0.82, 0.87),
                         width=0.6)
            pg.insert_text((MARGIN, y), footer, fontname="helv", fontsize=8,
                           color=(0.36, 0.42, 0.49))
            num = f"Page {i + 1} of {doc.page_count}"
            width = fitz.get_text_length(num, fontname="helv", fontsize=8)
            pg.insert_text((page.width - MARGIN - width, y), num, fontname="helv", fontsize=8,
                           color=(0.36, 0.42, 0.49))
        cand = rec["candidate"]["name"] or rec["candidate"]["id"]
        doc.set_metadata({"title": f"Feedback: {rec['credential']['title']} \u2014 {cand}",
                          "author": "Reviewer", "subject": "Micro-credential feedback letter",
                          "creator": "reviewer-app", "producer": "reviewer-app (PyMuPDF)"})
        return doc.tobytes(garbage=3, deflate=True)
    finally:
        doc.close()


# -- many letters ------------------------------------------------------------------------

def write_letters(ctx: AppContext, out: Path, filters: DecisionFilter | None = None, *,
                  combined: bool = False, job: Job | None = None,
                  today: date | None = None) -> LettersSummary:
    """A letter per final decision selected by ``filters``.

    ``out`` is a folder (one PDF per letter), or with ``combined`` the PDF to write (a
    folder there gets ``feedback-letters.pdf`` inside it).
    """
    fitz = load_pymupdf()
    filters = filters or DecisionFilter()
    job = job or Job()
    today = today or date.today()
    out = Path(out)
    if combined and (out.is_dir() or out.suffix.lower() != ".pdf"):
        out = out / "feedback-letters.pdf"
    if not combined and out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file; give a folder for the letters (or use one "
                        "combined PDF).")
    files: list[Path] = []
    try:
        with decisions.read_transaction(ctx) as conn:
            plan = decisions.plan(conn, filters)
            job.start(plan.count, f"Writing {plan.count} feedback letters")
            if combined:
                book = fitz.open()
                toc = []
                try:
                    for rec, data in _letters(conn, filters, plan, today):
                        job.check()
                        with fitz.open("pdf", data) as one:
                            toc.append([1, _toc_title(rec), book.page_count + 1])
                            book.insert_pdf(one)
                        job.advance(1)
                    job.check()
                    if not toc:
                        raise UserError("No final decisions match; no letters were written.")
                    book.set_toc(toc)
                    book.set_metadata({"title": "Feedback letters", "author": "Reviewer",
                                       "creator": "reviewer-app"})
                    with atomic_path(out) as part:
                        book.save(part, garbage=3, deflate=True)
                finally:
                    book.close()
                return LettersSummary(out, len(toc), (out,), combined=True)
            out.mkdir(parents=True, exist_ok=True)
            for rec, data in _letters(conn, filters, plan, today):
                job.check()
                target = out / letter_filename(rec)
                write_bytes_atomic(target, data)
                files.append(target)
                job.advance(1)
            job.check()
    except OSError as exc:
        raise UserError(f"Cannot write the letters to {out}: {exc.strerror or exc}",
                        details=str(exc)) from None
    return LettersSummary(out, len(files), tuple(files))


def _letters(conn: Any, filters: DecisionFilter, plan: decisions.Plan,
             today: date) -> Iterator[tuple[dict[str, Any], bytes]]:
    for row, scores in decisions.stream(conn, filters):
        rubric = plan.rubrics[row[decisions.R_RUBRIC]]
        rec = decisions.record(row, scores, rubric)
        yield rec, render_letter(rec, rubric, today)


def _toc_title(rec: dict[str, Any]) -> str:
    cand = rec["candidate"]["name"] or rec["candidate"]["id"]
    return f"{rec['submission_id']} attempt {rec['attempt']} \u2014 {cand}"

