"""PDF feedback letters: what the candidate reads, one file each or combined, never half written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reviewer_app.domain.model import Decision, Role
from reviewer_app.errors import Cancelled, UserError
from reviewer_app.exports import decisions
from reviewer_app.exports.decisions import DecisionFilter
from reviewer_app.exports.letters import (
    letter_filename,
    load_pymupdf,
    render_letter,
    safe_filename,
)
from reviewer_app.jobs import Job
from reviewer_app.services.final_exports import write_feedback_letters
from reviewer_app.services.roles import NotAllowed, update_self

from final_decisions_support import seed_final_decisions

TODAY = date(2025, 5, 6)
NAMES = ["DEMO-1002-1-Sam-Rivera.pdf", "DEMO-1001-1-Alex-Morgan.pdf",
         "DEMO-2001-1-Jordan-Lee.pdf", "DEMO-1002-2-Sam-Rivera.pdf"]


@pytest.fixture
def lead_ctx(demo_ctx):
    seed_final_decisions(demo_ctx)
    return demo_ctx


def pdf_text(path_or_bytes: Path | bytes) -> tuple[int, str]:
    """(pages, text) as a reader sees it: ligatures as letters, whitespace as one space."""
    fitz = load_pymupdf()
    doc = (fitz.open(path_or_bytes) if isinstance(path_or_bytes, Path)
           else fitz.open("pdf", path_or_bytes))
    with doc:
        flags = fitz.TEXTFLAGS_TEXT & ~fitz.TEXT_PRESERVE_LIGATURES
        text = " ".join(page.get_text("text", flags=flags) for page in doc)
        return doc.page_count, " ".join(text.split())


def test_a_letter_per_final_decision(lead_ctx, tmp_path: Path):
    summary = write_feedback_letters(lead_ctx, tmp_path / "letters")
    assert summary.count == 4
    assert [p.name for p in summary.files] == NAMES
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == sorted(NAMES)


def test_not_yet_letter_says_the_decision_levels_comments_and_next_steps(lead_ctx, tmp_path: Path):
    write_feedback_letters(lead_ctx, tmp_path / "letters", today=TODAY)
    pages, text = pdf_text(tmp_path / "letters" / "DEMO-1002-1-Sam-Rivera.pdf")
    assert pages == 1
    for expected in [
        "Formative Assessment in Mathematics", "Credential fa-math, version 1",
        "Dear Sam Rivera,", "DEMO-1002, attempt 1", "Decided 3 March 2025",
        "Letter date 6 May 2025", "Decision: Not yet",
        # each criterion with its final level (label, value of the top) and comment
        "Clear learning goals Proficient (3 of 4) Proficient (3) Goals are on the board",
        ("Checks for understanding Developing (2 of 4) Not yet met Proficient (3) "
        "Only volunteers answer; try mini whiteboards."),
        "Adjusting instruction from evidence Developing (2 of 4) Developing (2)",
        # overall feedback
        "Overall feedback Your goals and written feedback are strong.",
        # next steps: which criterion must reach which level, and how to resubmit
        "Next steps", ("Checks for understanding: reach Proficient (level 3 of 4); this "
        "submission was assessed at Developing (2 of 4). At Proficient: "
        "\u201cChecks (hinge question, exit ticket) reach every student.\u201d"),
        "How to resubmit.", "new attempt of submission DEMO-1002 (it will be attempt 2)",
        "With best wishes, Lena Lead",
        "submission DEMO-1002, attempt 1 Page 1 of 1",
    ]:
        assert expected in text, expected
    # Criteria that meet their level are not listed as next steps.
    assert "Clear learning goals: reach" not in text


def test_second_not_yet_lists_every_criterion_still_below(lead_ctx, tmp_path: Path):
    write_feedback_letters(lead_ctx, tmp_path / "letters", today=TODAY)
    _, text = pdf_text(tmp_path / "letters" / "DEMO-1002-2-Sam-Rivera.pdf")
    steps = text[text.index("Next steps"):]
    assert "Checks for understanding: reach Proficient (level 3 of 4)" in steps
    assert "Actionable feedback to students: reach Proficient (level 3 of 4)" in steps
    assert "Adjusting instruction from evidence: reach" not in steps  # 2 meets its 2
    assert "(it will be attempt 3)" in steps


def test_earned_letter_has_no_next_steps(lead_ctx, tmp_path: Path):
    write_feedback_letters(lead_ctx, tmp_path / "letters", today=TODAY)
    _, text = pdf_text(tmp_path / "letters" / "DEMO-2001-1-Jordan-Lee.pdf")
    assert "Decision: Earned" in text and "you have earned this micro-credential" in text
    # the moderation's final levels, not the first reviewer's
    assert "Group roles and structures Established (3 of 3) Emerging (2) Role cards are visible" in text
    assert "Your groups ran themselves; keep pressing for reasoning." in text
    assert "Next steps" not in text and "Not yet" not in text


def test_combined_pdf_has_every_letter_and_a_bookmark_each(lead_ctx, tmp_path: Path):
    out = tmp_path / "out"
    summary = write_feedback_letters(lead_ctx, out / "all.pdf", combined=True, today=TODAY)
    assert summary.combined and summary.count == 4 and summary.path == out / "all.pdf"
    fitz = load_pymupdf()
    with fitz.open(out / "all.pdf") as doc:
        toc = doc.get_toc()
        assert [t[1] for t in toc] == ["DEMO-1002 attempt 1 \u2014 Sam Rivera",
                                       "DEMO-1001 attempt 1 \u2014 Alex Morgan",
                                       "DEMO-2001 attempt 1 \u2014 Jordan Lee",
                                       "DEMO-1002 attempt 2 \u2014 Sam Rivera"]
        assert doc.page_count == 4
        assert "Dear Jordan Lee," in doc[toc[2][2] - 1].get_text()
    assert [p.name for p in out.iterdir()] == ["all.pdf"]


def test_filters_choose_the_letters(lead_ctx, tmp_path: Path):
    summary = write_feedback_letters(lead_ctx, tmp_path / "l", DecisionFilter(
        credential="fa-math", decisions=(Decision.NOT_YET,), date_from=date(2025, 4, 1)))
    assert [p.name for p in summary.files] == ["DEMO-1002-2-Sam-Rivera.pdf"]


def test_long_feedback_runs_on_to_a_second_page(lead_ctx, tmp_path: Path):
    with decisions.read_transaction(lead_ctx) as conn:
        plan = decisions.plan(conn, DecisionFilter())
        row, scores = next(iter(decisions.stream(conn, DecisionFilter())))
        rubric = plan.rubrics[row[decisions.R_RUBRIC]]
        rec = decisions.record(row, scores, rubric)
    rec["feedback"] = "\n\n".join(f"Paragraph {i}: " + "more detail on the lesson. " * 30
                                  for i in range(4))
    pages, text = pdf_text(render_letter(rec, rubric, TODAY))
    assert pages == 2
    assert "Paragraph 3:" in text and "Page 1 of 2" in text and "Page 2 of 2" in text
    assert text.index("Paragraph 3:") < text.index("Next steps") < text.index("With best wishes")


def test_cancel_keeps_finished_letters_and_leaves_no_half_file(lead_ctx, tmp_path: Path):
    out = tmp_path / "letters"
    job = Job()
    job.progress = lambda done, total, msg: job.cancel() if done >= 2 else None
    with pytest.raises(Cancelled):
        write_feedback_letters(lead_ctx, out, job=job)
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES[:2])  # no .part file
    for name in NAMES[:2]:
        pages, text = pdf_text(out / name)
        assert pages == 1 and "With best wishes" in text  # complete


def test_cancelled_combined_pdf_leaves_nothing(lead_ctx, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "all.pdf").write_bytes(b"previous")
    job = Job()
    job.progress = lambda done, total, msg: job.cancel() if done >= 1 else None
    with pytest.raises(Cancelled):
        write_feedback_letters(lead_ctx, out / "all.pdf", combined=True, job=job)
    assert [p.name for p in out.iterdir()] == ["all.pdf"]
    assert (out / "all.pdf").read_bytes() == b"previous"


def test_a_reviewer_is_refused(demo_ctx, tmp_path: Path):
    update_self(demo_ctx, role=Role.REVIEWER)
    with pytest.raises(NotAllowed, match="Only a lead assessor may write feedback letters"):
        write_feedback_letters(demo_ctx, tmp_path / "letters")
    assert not (tmp_path / "letters").exists()


def test_refusals_in_plain_words(lead_ctx, tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file; give a folder"):
        write_feedback_letters(lead_ctx, tmp_path / "file")
    with pytest.raises(UserError, match="No final decisions match"):
        write_feedback_letters(lead_ctx, tmp_path / "none.pdf", DecisionFilter(credential="x"),
                               combined=True)
    assert not (tmp_path / "none.pdf").exists()


@pytest.mark.parametrize(("name", "expected"), [
    ("Zo\u00eb \u00c5ngstr\u00f6m-\u0141ukasz", "S-1-2-Zoe-Angstrom-Lukasz.pdf"),
    ("Jos\u00e9  N\u00fa\u00f1ez", "S-1-2-Jose-Nunez.pdf"),
    ("\u738b\u5c0f\u660e", "S-1-2-cand-9.pdf"),  # no letters a file name keeps: the id
    (None, "S-1-2-cand-9.pdf"),
    ("../../etc/passwd", "S-1-2-etc-passwd.pdf"),
])
def test_letter_file_names_are_safe(name: str | None, expected: str):
    rec = {"submission_id": "S/1", "attempt": 2, "candidate": {"name": name, "id": "cand-9"}}
    assert letter_filename(rec) == expected
    assert safe_filename("", "...", suffix=".pdf") == "letter.pdf"


def test_markup_in_names_and_feedback_reaches_the_letter_as_typed(lead_ctx, tmp_path: Path):
    """A candidate named like an HTML tag and feedback full of markup characters: the letter
    shows every character as typed, and none of it changes the letter's layout."""
    with decisions.read_transaction(lead_ctx) as conn:
        plan = decisions.plan(conn, DecisionFilter())
        row, scores = next(iter(decisions.stream(conn, DecisionFilter())))
        rubric = plan.rubrics[row[decisions.R_RUBRIC]]
        rec = decisions.record(row, scores, rubric)
    plain = render_letter(rec, rubric, TODAY)
    rec["candidate"]["name"] = 'Ana <b>Bold</b> & "Co"'
    rec["feedback"] = ("Use <h1>headings</h1> & <i>lists</i>; 3 < 4 > 2 &lt; 5.\n\n"
                       "</p></td></tr></table><p>escaped?</p>")
    rec["scores"][0]["comment"] = "<script>alert(1)</script> &amp; done"
    rec["decided_by"] = "Lena </td></tr></table> Lead"
    pages, text = pdf_text(render_letter(rec, rubric, TODAY))
    assert 'Dear Ana <b>Bold</b> & "Co",' in text
    assert "Use <h1>headings</h1> & <i>lists</i>; 3 < 4 > 2 &lt; 5." in text
    assert "</p></td></tr></table><p>escaped?</p>" in text
    assert "<script>alert(1)</script> &amp; done" in text
    assert "With best wishes, Lena </td></tr></table> Lead" in text
    # The table and the sections are laid out as in a letter without markup characters.
    assert pages == pdf_text(plain)[0]
    assert text.index("Your results by criterion") < text.index("<script>") \
        < text.index("Overall feedback") < text.index("Use <h1>")
