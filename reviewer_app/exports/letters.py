"""Feedback letters: one PDF per final decision, for the candidate, made with PyMuPDF.

A letter says, in plain words: the credential, the candidate, the date, the decision,
each criterion's final level (label and number), the required level and the comment,
the overall feedback and, for "not yet", the next steps: which criteria must reach which
level (with that level's descriptor) and how to resubmit.

Layout is HTML + CSS laid out by PyMuPDF's ``Story`` on A4 pages (a long letter runs on
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

import html
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reviewer_app.errors import UserError
from reviewer_app.exports import decisions
from reviewer_app.exports.decisions import DecisionFilter
from reviewer_app.exports.files import atomic_path, write_bytes_atomic
from reviewer_app.jobs import Job
from reviewer_app.services.context import AppContext

PAGE = "a4"
MARGIN = 56  # left and right, points (about 2 cm)
TOP = 46  # top margin
FOOTER = 30  # the footer's baseline, this far above the page's bottom edge
TEXT_BOTTOM = 52  # the text ends this far above the bottom edge (above the footer rule)

# No background colours: MuPDF's Story paints them again, as stray bands, on the pages
# after the one they belong to. Boxes are drawn with borders; rows below the required
# level are marked in words.
CSS = """
body { margin: 0; font-family: sans-serif; font-size: 10pt; line-height: 1.35; color: #1d232b; }
p { margin-top: 0; margin-bottom: 7pt; }
.kicker { font-size: 8.5pt; color: #5b6b7d; letter-spacing: 1pt; margin-bottom: 2pt; }
h1 { font-size: 19pt; color: #1f3a5f; margin-top: 0; margin-bottom: 2pt; }
.subtitle { color: #5b6b7d; margin-bottom: 10pt; }
h2 { font-size: 12pt; color: #1f3a5f; margin-top: 10pt; margin-bottom: 4pt;
     page-break-after: avoid; }
table.meta { margin-bottom: 10pt; border-collapse: collapse; }
table.meta td { padding: 1pt 14pt 1pt 0; vertical-align: top; }
table.meta td.k { color: #5b6b7d; }
.decision { padding: 6pt 10pt; margin: 2pt 0 4pt 0; }
.decision p { margin: 0; }
.earned { border: 0.8pt solid #2e7d32; border-left: 4pt solid #2e7d32; }
.notyet { border: 0.8pt solid #e08a00; border-left: 4pt solid #e08a00; }
.verdict { font-size: 13pt; font-weight: bold; margin-bottom: 3pt; }
table.scores { border-collapse: collapse; width: 100%; margin-top: 2pt; }
table.scores th { text-align: left; font-size: 9.5pt; color: #1f3a5f; padding: 4pt 5pt;
                  border: 0.6pt solid #b5c3d3; border-bottom: 1.4pt solid #1f3a5f; }
table.scores td { padding: 3pt 5pt; border: 0.6pt solid #c9d3de; vertical-align: top;
                  font-size: 9.5pt; }
.below-mark { font-size: 8.5pt; font-weight: bold; color: #b86e00; }
.small { font-size: 9pt; color: #5b6b7d; }
.note { font-size: 9pt; color: #5b6b7d; }
li { margin-bottom: 5pt; }
table.closing { margin-top: 8pt; border-collapse: collapse; }
table.closing td { padding: 0; }
"""


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


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _nb(text: object) -> str:
    """Escaped, with no line break inside (short values in the header)."""
    return _e(text).replace(" ", "&#160;")


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return "".join(f"<p>{'<br/>'.join(_e(line) for line in b.splitlines())}</p>" for b in blocks)


def _level_words(score: dict[str, Any], top: int | None) -> str:
    if score["level"] is None:
        return "Not assessed"
    label = score["label"] or f"Level {score['level']}"
    of = f" of {top}" if top else ""
    # "(2 of 4)" is never split across lines.
    return f"{label} " + f"({score['level']}{of})".replace(" ", "\u00a0")


# -- one letter as HTML ------------------------------------------------------------------

def letter_html(rec: dict[str, Any], rubric: decisions.RubricInfo, today: date) -> str:
    """The letter's body (HTML for PyMuPDF's Story)."""
    crit_by_key = {c.key: c for c in rubric.criteria}
    cand = rec["candidate"]
    name = cand["name"] or "candidate"
    cred = rec["credential"]
    decided = datetime.fromisoformat(rec["decided_at"]).astimezone().date()
    earned = rec["decision"] == "earned"
    out = [
        '<p class="kicker">MICRO-CREDENTIAL FEEDBACK</p>',
        f"<h1>{_e(cred['title'])}</h1>",
        f'<p class="subtitle">Credential {_e(cred["id"])}, version {_e(cred["version"])}</p>',
        '<table class="meta">',
        (f'<tr><td class="k">Candidate</td><td>{_nb(cand["name"] or cand["id"])}</td>'
         f'<td class="k">Submission</td>'
         f'<td>{_nb(rec["submission_id"] + ", attempt " + str(rec["attempt"]))}</td></tr>'),
        (f'<tr><td class="k">Decided</td><td>{_nb(long_date(decided))}</td>'
         f'<td class="k">Letter date</td><td>{_nb(long_date(today))}</td></tr>'),
        "</table>",
        f"<p>Dear {_e(name)},</p>",
        (f"<p>Thank you for submitting evidence for the micro-credential "
         f"<b>{_e(cred['title'])}</b>. It was assessed against the rubric "
         f"&#8220;{_e(rubric.title)}&#8221; (version {_e(rubric.version)}); here are the "
         f"decision, your result on each criterion and the assessors' feedback.</p>"),
    ]
    if earned:
        out.append(
            '<div class="decision earned"><p class="verdict">Decision: Earned</p>'
            "<p>Congratulations: your evidence meets the required level on every criterion, "
            "and you have earned this micro-credential. Your digital badge is issued "
            "separately.</p></div>")
    else:
        out.append(
            '<div class="decision notyet"><p class="verdict">Decision: Not yet</p>'
            "<p>Your evidence does not yet meet the required level on every criterion. This "
            "is not a final judgement: the next steps below say what to work on, and you can "
            "resubmit.</p></div>")

    out.append("<h2>Your results by criterion</h2>")
    # Widths in points (MuPDF's tables ignore percentages), without the cells' padding:
    # they add up to the text width less 4 x 10 pt of padding and the borders.
    out.append('<table class="scores"><tr><th style="width:104pt">Criterion</th>'
               '<th style="width:72pt">Your level</th><th style="width:66pt">Required</th>'
               '<th style="width:198pt">Comment</th></tr>')
    below = []
    for score in rec["scores"]:
        crit = crit_by_key.get(score["criterion_id"])
        top = crit.top_level if crit else None
        need = crit.label(score["required_level"]) if crit else None
        required = f"{need} ({score['required_level']})" if need else str(score["required_level"])
        met = score["met"]
        if not met:
            below.append((score, crit))
        status = "" if met else '<br/><span class="below-mark">Not yet met</span>'
        out.append(
            f"<tr><td>{_e(score['title'])}</td>"
            f"<td>{_e(_level_words(score, top))}{status}</td><td>{_e(required)}</td>"
            f"<td>{_e(score['comment']) or '&#8212;'}</td></tr>")
    out.append("</table>")

    out.append("<h2>Overall feedback</h2>")
    out.append(_paragraphs(rec["feedback"]) or "<p>&#8212;</p>")

    if not earned:
        out.append("<h2>Next steps</h2>")
        if below:
            out.append("<p>To earn this micro-credential, your next submission needs to show "
                       "the following:</p><ul>")
            for score, crit in below:
                need = crit.label(score["required_level"]) if crit else None
                top = crit.top_level if crit else None
                target = (f"<b>{_e(need)}</b> (level {score['required_level']}"
                          f"{f' of {top}' if top else ''})" if need
                          else f"level {score['required_level']}")
                now = ("it was not assessed this time" if score["level"] is None else
                       f"this submission was assessed at {_e(_level_words(score, top))}")
                descriptor = crit.levels.get(score["required_level"], ("", ""))[1] if crit else ""
                what = (f" At {_e(need or 'that level')}: &#8220;{_e(descriptor)}&#8221;"
                        if descriptor else "")
                out.append(f"<li><b>{_e(score['title'])}</b>: reach {target}; {now}.{what}</li>")
            out.append("</ul>")
        out.append(
            "<p><b>How to resubmit.</b> Gather new evidence that shows these criteria (a new "
            "recording or document where needed, and a short reflection on what you changed) "
            f"and submit it as a new attempt of submission {_e(rec['submission_id'])} (it will "
            f"be attempt {rec['attempt'] + 1}), the same way you sent this one. The whole "
            "rubric is assessed again, so keep showing what already meets the required "
            "level.</p>")

    # A one-cell table: MuPDF does not split a table row across pages (it ignores
    # page-break-inside), so the sign-off is never torn from the name.
    out.append(f'<table class="closing"><tr><td>With best wishes,<br/>{_e(rec["decided_by"])}'
               '<br/><span class="small">for the assessment team</span></td></tr></table>')
    return "".join(out)


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
    story = fitz.Story(letter_html(rec, rubric, today), user_css=CSS)
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

