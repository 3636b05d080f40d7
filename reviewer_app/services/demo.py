"""Demo data: real submission packages built from the media in ``resources/demo``.

Three submissions (four attempts) across two credentials, with a classroom video, a
multi-page lesson plan, a photo of student work, an audio reflection and written
reflections; then a draft and a submitted review by the local profile. The packages go
through the same importer as any other, so the demo also shows the import path working.
Loading it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from reviewer_app.errors import UserError
from reviewer_app.intake.sealed import seal
from reviewer_app.resources_path import resource
from reviewer_app.services import reviews
from reviewer_app.services.imports import import_package
from reviewer_app.services.lead_database import is_lead_database, sealing_public_key
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

_FOUR = [(1, "Beginning"), (2, "Developing"), (3, "Proficient"), (4, "Exemplary")]


def _levels(descriptors: list[str], names: list[tuple[int, str]] = _FOUR) -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "descriptor": d} for (v, label), d in zip(names, descriptors)]


FA_RUBRIC = {
    "id": "fa-math-rubric", "version": "1", "title": "Formative Assessment in Mathematics",
    "criteria": [
        {"id": "learning-goals", "title": "Clear learning goals", "required_level": 3,
         "guidance": "Look for goals shared in student-friendly language and returned to "
                     "during the lesson.",
         "levels": _levels(["Goals are absent or not shared.",
                            "Goals are stated but not connected to the tasks.",
                            "Goals are shared, understood and connected to the tasks.",
                            "Students use the goals to judge their own progress."])},
        {"id": "checks-for-understanding", "title": "Checks for understanding",
         "required_level": 3,
         "guidance": "How does the teacher find out what every student understands, "
                     "not only the volunteers?",
         "levels": _levels(["No checks beyond 'any questions?'.",
                            "Checks reach a few students.",
                            "Checks (hinge question, exit ticket) reach every student.",
                            "Checks are planned at decision points and acted on at once."])},
        {"id": "feedback", "title": "Actionable feedback to students", "required_level": 3,
         "guidance": "Feedback should tell the student what to do next, not only a grade.",
         "levels": _levels(["Grades or praise only.",
                            "Comments are general.",
                            "Comments are specific and say what to do next.",
                            "Students act on the feedback within the lesson."])},
        {"id": "adjusting-instruction", "title": "Adjusting instruction from evidence",
         "required_level": 2,
         "guidance": "Does the evidence of learning change what happens next?",
         "levels": _levels(["The plan continues regardless of evidence.",
                            "Some adjustment is described in the reflection.",
                            "The lesson visibly changes in response to evidence.",
                            "Adjustments are targeted to groups and individuals."])},
    ],
}

_THREE = [(1, "Not evident"), (2, "Emerging"), (3, "Established")]
CL_RUBRIC = {
    "id": "cl-discussion-rubric", "version": "2", "title": "Small-Group Discussion",
    "criteria": [
        {"id": "group-structures", "title": "Group roles and structures", "required_level": 2,
         "guidance": "Roles, norms and a task that needs every member.",
         "levels": _levels(["No roles or norms.", "Roles assigned but not used.",
                            "Roles and norms guide the discussion."], _THREE)},
        {"id": "discourse-moves", "title": "Teacher discourse moves", "required_level": 2,
         "guidance": "Revoicing, pressing for reasoning, inviting others to add on.",
         "levels": _levels(["Teacher dominates the talk.", "Some moves, used unevenly.",
                            "Moves deepen students' reasoning."], _THREE)},
        {"id": "equitable-participation", "title": "Equitable participation", "required_level": 3,
         "guidance": "Who talks? Watch every student in the group.",
         "levels": _levels(["One or two students do the talking.",
                            "Most students speak at least once.",
                            "Every student contributes to the group's reasoning."], _THREE)},
    ],
}

FA = {"id": "fa-math", "title": "Formative Assessment in Mathematics", "version": "1"}
CL = {"id": "cl-discussion", "title": "Collaborative Learning: Small-Group Discussion", "version": "2"}

_REFLECTIONS = [
    {"prompt": "What evidence of student learning did you gather, and when?",
     "text": "I used a hinge question after the first worked example and an exit ticket at "
             "the end. The hinge question showed that a third of the class compared numerators "
             "only, so I regrouped them for a number-line activity."},
    {"prompt": "What would you change next time?",
     "text": "I would give the exit ticket earlier so that I can act on it in the same lesson, "
             "and share the success criteria on the board before the first task."},
]

# (file in resources/demo, evidence id, kind, title, criteria)
_EVIDENCE = {
    "video": ("classroom.mp4", "video", "Lesson video: comparing fractions",
              ["checks-for-understanding", "feedback", "adjusting-instruction"]),
    "plan": ("lesson-plan.pdf", "pdf", "Lesson plan", ["learning-goals", "checks-for-understanding"]),
    "photo": ("student-work.jpg", "image", "Photo of student work", ["feedback"]),
    "audio": ("reflection.mp3", "audio", "Audio reflection", ["adjusting-instruction"]),
    "written": ("reflection.txt", "text", "Written reflection", ["adjusting-instruction"]),
    "group": ("small-group.mp4", "video", "Small-group discussion video",
              ["group-structures", "discourse-moves", "equitable-participation"]),
    "unit": ("unit-plan.pdf", "pdf", "Unit overview", ["group-structures"]),
}

_SUBMISSIONS = [
    ("DEMO-1001", 1, "2026-09-14T15:20:00+01:00", FA, FA_RUBRIC,
     {"id": "cand-7f3a", "display_name": "Alex Morgan",
      "recipient": {"type": "email", "identity": "alex.morgan@example.org"}},
     ["video", "plan", "photo", "audio", "written"], _REFLECTIONS),
    ("DEMO-1002", 1, "2026-09-20T09:05:00-04:00", FA, FA_RUBRIC,
     {"id": "cand-19bd", "display_name": "Sam Rivera",
      "recipient": {"type": "email", "identity": "sam.rivera@example.org"}},
     ["video", "plan", "written"], _REFLECTIONS[:1]),
    ("DEMO-1002", 2, "2026-10-28T16:45:00-04:00", FA, FA_RUBRIC,
     {"id": "cand-19bd", "display_name": "Sam Rivera",
      "recipient": {"type": "email", "identity": "sam.rivera@example.org"}},
     ["video", "plan", "photo", "audio"], _REFLECTIONS),
    ("DEMO-2001", 1, "2026-10-02T11:30:00+02:00", CL, CL_RUBRIC,
     {"id": "cand-a402", "display_name": "Jordan Lee",
      "recipient": {"type": "url", "identity": "https://example.org/people/jlee"}},
     ["group", "unit", "photo", "audio", "written"],
     [{"prompt": "How did you make sure every voice was heard?",
       "text": "Each group had a facilitator and a skeptic; I tracked talk turns on a seating "
               "chart and invited the quieter students to revoice their partner's idea."}]),
]


# Which criteria each item supports when it is evidence for the discussion credential.
_CL_CRITERIA = {
    "photo": ["group-structures"],
    "audio": ["equitable-participation"],
    "written": ["discourse-moves", "equitable-participation"],
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _candidate(candidate: dict[str, Any], seal_to: str | None, identify: bool) -> dict[str, Any]:
    """The package's ``candidate``: the pseudonym, with the identity sealed to the lead's
    key (``seal_to``), in plain text (``identify``: the lead's own copy), or not at all."""
    if identify:
        return candidate
    out: dict[str, Any] = {"id": candidate["id"]}
    if seal_to is not None:
        out["sealed"] = seal(seal_to, candidate["id"], candidate.get("display_name"),
                             candidate.get("recipient"))
    return out


def demo_identities() -> list[tuple[str, str]]:
    """Every demo candidate's name and badge recipient (what a reviewer's laptop must not hold)."""
    return sorted({(c["display_name"], c["recipient"]["identity"])
                   for _, _, _, _, _, c, _, _ in _SUBMISSIONS})


def build_demo_packages(dest: Path, *, seal_to: str | None = None,
                        identify: bool = False) -> list[Path]:
    """Write the demo submission packages as .zip files into ``dest``; returns their paths.

    As packages for reviewers, they name each candidate by a pseudonym only; with
    ``seal_to`` (the lead's sealing public key, base64) they carry the identity sealed to
    it; with ``identify``, in plain text (a copy for the lead only)."""
    media = resource("demo")
    missing = [f for f, *_ in _EVIDENCE.values() if not (media / f).is_file()]
    if missing:
        raise UserError(f"The demo media is missing from {media}: {', '.join(missing)}")
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for key, attempt, when, cred, rubric, candidate, items, reflections in _SUBMISSIONS:
        evidence = []
        for name in items:
            filename, kind, title, criteria = _EVIDENCE[name]
            if cred is CL:
                criteria = _CL_CRITERIA.get(name, criteria)
            src = media / filename
            evidence.append({"id": name, "kind": kind, "path": f"evidence/{filename}",
                             "sha256": _sha256(src), "size": src.stat().st_size, "title": title,
                             "criteria": criteria})
        manifest = {"format": "mcred-submission/1", "submission_id": key, "attempt": attempt,
                    "submitted_at": when, "credential": cred,
                    "candidate": _candidate(candidate, seal_to, identify),
                    "rubric": "rubric.json", "evidence": evidence, "reflections": reflections}
        path = dest / f"{key}-attempt{attempt}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=2), zipfile.ZIP_DEFLATED)
            zf.writestr("rubric.json", json.dumps(rubric, indent=2), zipfile.ZIP_DEFLATED)
            for item in evidence:
                # Media is stored, not deflated: it does not compress and streams faster.
                method = zipfile.ZIP_DEFLATED if item["kind"] == "text" else zipfile.ZIP_STORED
                zf.write(media / Path(item["path"]).name, item["path"], method)
        out.append(path)
    return out


def load_demo(ctx: AppContext) -> list[str]:
    """Import the demo packages and add two reviews; returns what happened, a line each."""
    lines = []
    # A lead's database gets the identities sealed to its own key; a reviewer's, none.
    seal_to = sealing_public_key(ctx) if is_lead_database(ctx) else None
    with tempfile.TemporaryDirectory(prefix="reviewer-demo-") as tmp:
        for package in build_demo_packages(Path(tmp), seal_to=seal_to):
            lines.append(import_package(ctx, package).describe())
    lines += _demo_reviews(ctx)
    return lines


def _demo_reviews(ctx: AppContext) -> list[str]:
    first = get_submission(ctx, "DEMO-1002", 1)
    review = reviews.start_review(ctx, first.attempt_id)
    lines = []
    if review.status.value == "draft":
        for key, level, comment in [
            ("learning-goals", 3, "Goals are on the board and revisited at the end."),
            ("checks-for-understanding", 2, "Only volunteers answer; try mini whiteboards."),
            ("feedback", 3, "Specific written comments on the worksheet (photo)."),
            ("adjusting-instruction", 2, "The reflection describes regrouping."),
        ]:
            reviews.set_level(ctx, review.uid, key, level)
            reviews.set_comment(ctx, review.uid, key, comment)
        reviews.set_feedback(ctx, review.uid,
                             "Your goals and written feedback are strong. Next time, check every "
                             "student's understanding at the hinge point (for example with mini "
                             "whiteboards) and resubmit a video showing how you act on it.")
        reviews.submit_review(ctx, review.uid)
        lines.append("Demo review of DEMO-1002 attempt 1 submitted (not yet).")
    draft = reviews.start_review(ctx, get_submission(ctx, "DEMO-1001").attempt_id)
    if draft.status.value == "draft" and all(s.level is None for s in draft.scores):
        reviews.set_level(ctx, draft.uid, "learning-goals", 4)
        reviews.set_comment(ctx, draft.uid, "learning-goals",
                            "Students refer to the success criteria while working (video 02:10).")
        lines.append("Demo draft review of DEMO-1001 started.")
    return lines
