"""Score batches between two data folders: a reviewer exports, a lead assessor imports.

Both folders hold the demo submissions (imported from the real demo packages), each with
its own profile; the reviewer scores through ``services.reviews`` and ``services.annotations``
as the window does.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Region, ReviewStatus, Role
from reviewer_app.errors import Cancelled
from reviewer_app.exports.batches import read_batch
from reviewer_app.jobs import Job
from reviewer_app.services import annotations, reviews
from reviewer_app.services.batches import (
    NothingToExport,
    export_batch,
    import_batches,
    review_records,
)
from reviewer_app.services.imports import import_package
from reviewer_app.services.roles import NotAllowed, update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database, enrol, resign, simple_rules

FA_LEVELS = {"learning-goals": 3, "checks-for-understanding": 2, "feedback": 3, "adjusting-instruction": 2}
CL_LEVELS = {"group-structures": 3, "discourse-moves": 2, "equitable-participation": 3}


@pytest.fixture(scope="module")
def bare_demo(tmp_path_factory: pytest.TempPathFactory, demo_packages: list[Path]) -> Path:
    """A data folder holding the demo submissions and no profile yet (each copy makes its own)."""
    folder = tmp_path_factory.mktemp("bare-demo") / "data"
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        for package in demo_packages:
            import_package(ctx, package)
    return folder


def _open(template: Path, target: Path, name: str, role: Role) -> AppContext:
    shutil.copytree(template, target)
    ctx = AppContext.open(resolve_paths(data_dir=target))
    update_self(ctx, name=name, role=role)
    if role is Role.LEAD_ASSESSOR:
        as_lead_database(ctx)  # the lead's own database holds the same packages
    return ctx


@pytest.fixture
def reviewer(bare_demo: Path, tmp_path: Path) -> Iterator[AppContext]:
    ctx = _open(bare_demo, tmp_path / "reviewer", "Alice Morgan", Role.REVIEWER)
    yield ctx
    ctx.close()


@pytest.fixture
def lead(bare_demo: Path, tmp_path: Path, reviewer: AppContext) -> Iterator[AppContext]:
    """The lead's database, with the reviewer enrolled."""
    ctx = _open(bare_demo, tmp_path / "lead", "Lee Lead", Role.LEAD_ASSESSOR)
    enrol(ctx, reviewer, tmp_path)
    yield ctx
    ctx.close()


def score(ctx: AppContext, key: str, attempt: int, levels: dict[str, int], *, notes: bool = False,
          feedback: str = "Check every student's understanding at the hinge point.") -> str:
    """Score one attempt as a reviewer does, submit it, and return the review's uid."""
    review = reviews.start_review(ctx, get_submission(ctx, key, attempt).attempt_id)
    for criterion, level in levels.items():
        reviews.set_level(ctx, review.uid, criterion, level)
        reviews.set_comment(ctx, review.uid, criterion, f"{criterion}: seen in the evidence.")
    reviews.set_feedback(ctx, review.uid, feedback)
    if notes:
        annotations.add_time_note(ctx, review.uid, "video", 130_000, 142_500,
                                  "Only three hands go up.", "checks-for-understanding")
        annotations.add_page_note(ctx, review.uid, "plan", 1, Region(72.0, 100.5, 300.0, 180.25),
                                  "Success criteria on the board.", "learning-goals")
    reviews.submit_review(ctx, review.uid)
    return review.uid


AUDIT_TABLES = ("audit_log", "audit_head")


def db_state(ctx: AppContext) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log's: what a refused or repeated import must
    leave as it was (a refusal is written to the audit log: ``refusals``)."""
    with ctx.engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in sorted(inspect(conn).get_table_names()) if name not in AUDIT_TABLES}


def refusals(ctx: AppContext) -> list[dict[str, Any]]:
    """The refusals in the audit log, oldest first (their details)."""
    return [json.loads(e.details_json) for e in reversed(audit.recent(ctx))
            if e.action == audit.BATCH_REFUSED]


def rewrite(path: Path, out: Path, change, signer: AppContext) -> Path:
    """A batch edited by ``change(reviews)`` and re-sealed with a correct hash and count, and
    signed again by ``signer``'s key: a well-formed batch whose content does not fit this
    database."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["reviews"])
    data["header"]["batch_id"] = "11111111-2222-4333-8444-555555555555"
    out.write_text(json.dumps(resign(data, signer)), encoding="utf-8")
    return out


def test_round_trip_keeps_every_score_comment_and_note(reviewer: AppContext, lead: AppContext,
                                                       tmp_path: Path):
    first = score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    second = score(reviewer, "DEMO-2001", 1, CL_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    assert batch.count == 2 and batch.json_path.name.startswith("alice-morgan-")
    assert batch.json_path.name.endswith(".reviewer-batch.json") and batch.csv_path.exists()

    [outcome] = import_batches(lead, [batch.json_path])
    assert outcome.status == "imported" and outcome.imported == 2, outcome.message

    for uid in (first, second):
        mine, theirs = reviews.get_review(reviewer, uid), reviews.get_review(lead, uid)
        assert theirs.status is ReviewStatus.SUBMITTED
        assert (theirs.scores, theirs.feedback, theirs.decision, theirs.submitted_at) == \
            (mine.scores, mine.feedback, mine.decision, mine.submitted_at)
        assert theirs.reviewer_uid == mine.reviewer_uid
        assert annotations.list_notes(lead, uid) == annotations.list_notes(reviewer, uid)
    assert len(annotations.list_notes(lead, first)) == 2
    # Exported again from the lead's database, the reviews are byte for byte what was sent.
    sent = json.loads(batch.json_path.read_text(encoding="utf-8"))["reviews"]
    with lead.sessions() as s:
        ids = s.scalars(select(m.Review.id).where(m.Review.uid.in_([first, second]))
                        .order_by(m.Review.submitted_at)).all()
        held = review_records(s, ids)
        profile = s.scalars(select(m.Profile).where(m.Profile.uid == mine.reviewer_uid)).one()
        stored = s.scalars(select(m.ScoreBatch)).one()
        kinds = set(s.scalars(select(m.Review.kind).where(m.Review.uid.in_([first, second]))))
    assert [held[i] for i in ids] == sent
    assert (profile.name, profile.role, profile.is_self) == ("Alice Morgan", Role.REVIEWER, False)
    assert (stored.uid, stored.sha256, stored.review_count) == (batch.batch_id, batch.content_sha256, 2)
    assert kinds == {"review"}
    [entry] = [e for e in audit.recent(lead) if e.action == audit.BATCH_IMPORT]
    assert json.loads(entry.details_json)["imported"] == 2
    assert any(e.action == audit.BATCH_EXPORT for e in audit.recent(reviewer))
    assert audit.verify(lead).ok and audit.verify(reviewer).ok
    statuses = {(d.key, d.attempt): d.status.value for d in (
        get_submission(lead, "DEMO-1002", 1), get_submission(lead, "DEMO-2001", 1))}
    assert set(statuses.values()) <= {"submitted", "synced"}


def test_a_batch_imported_before_is_recognised_and_changes_nothing(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    batch = export_batch(reviewer, tmp_path / "out")
    import_batches(lead, [batch.json_path])
    before = db_state(lead)
    [again] = import_batches(lead, [batch.json_path])
    assert again.status == "already imported" and not again.refused
    assert "already imported on" in again.message and "nothing changed" in again.message
    assert db_state(lead) == before


def test_an_altered_batch_is_refused_and_nothing_is_stored(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    data = json.loads(batch.json_path.read_text(encoding="utf-8"))
    data["reviews"][0]["scores"][1]["level"] = 4  # "checks for understanding": 2 -> 4
    altered = tmp_path / "altered.reviewer-batch.json"
    altered.write_text(json.dumps(data), encoding="utf-8")
    before = db_state(lead)
    [outcome] = import_batches(lead, [altered])
    assert outcome.refused
    assert "was changed after it was exported" in outcome.message
    assert "does not match its SHA-256" in outcome.message
    assert "\n" not in outcome.message and outcome.message.startswith(altered.name)
    assert db_state(lead) == before


def test_reviews_of_submissions_this_database_lacks_are_named(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")

    def elsewhere(items: list[dict]) -> None:
        template = items[0]
        for i in range(1, 6):
            items.append({**template, "uid": f"00000000-0000-4000-8000-00000000000{i}",
                          "submission": f"ELSEWHERE-{i}"})
        items.append({**template, "uid": "00000000-0000-4000-8000-000000000009", "attempt": 7})

    crafted = rewrite(batch.json_path, tmp_path / "crafted.reviewer-batch.json", elsewhere, reviewer)
    before = db_state(lead)
    [outcome] = import_batches(lead, [crafted])
    assert outcome.refused
    assert "6 submission attempts this database does not hold" in outcome.message
    assert "DEMO-1002 attempt 7, ELSEWHERE-1, ELSEWHERE-2 and 3 more" in outcome.message
    assert db_state(lead) == before


def test_a_review_scored_with_another_rubric_is_refused(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")

    def other_rubric(items: list[dict]) -> None:
        items[0]["rubric"]["content_sha256"] = "f" * 64

    crafted = rewrite(batch.json_path, tmp_path / "rubric.reviewer-batch.json", other_rubric, reviewer)
    before = db_state(lead)
    [outcome] = import_batches(lead, [crafted])
    assert outcome.refused and "a different rubric under that name and version" in outcome.message
    assert "DEMO-1002 attempt 1" in outcome.message
    assert db_state(lead) == before


def test_a_held_review_with_different_content_is_refused_identical_is_skipped(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    first = export_batch(reviewer, tmp_path / "out")
    import_batches(lead, [first.json_path])
    score(reviewer, "DEMO-2001", 1, CL_LEVELS)

    def changed_comment(items: list[dict]) -> None:
        items[0]["scores"][0]["comment"] = "Rewritten after the export."

    crafted = rewrite(first.json_path, tmp_path / "changed.reviewer-batch.json", changed_comment, reviewer)
    before = db_state(lead)
    [refused] = import_batches(lead, [crafted])
    assert refused.refused and "already holds with different content" in refused.message
    assert db_state(lead) == before

    # Exported again with --all: the held review is skipped, the new one imported.
    everything = export_batch(reviewer, tmp_path / "all", include_all=True)
    assert everything.count == 2
    [outcome] = import_batches(lead, [everything.json_path])
    assert (outcome.status, outcome.imported, outcome.skipped) == ("imported", 1, 1)
    assert "1 already held, skipped" in outcome.message


def test_export_takes_only_reviews_not_in_an_earlier_batch(reviewer, tmp_path):
    with pytest.raises(NothingToExport, match="no submitted reviews"):
        export_batch(reviewer, tmp_path / "out")
    first_uid = score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    assert export_batch(reviewer, tmp_path / "out").count == 1
    with pytest.raises(NothingToExport, match="--all"):
        export_batch(reviewer, tmp_path / "out")
    second_uid = score(reviewer, "DEMO-2001", 1, CL_LEVELS)
    later = read_batch(export_batch(reviewer, tmp_path / "out").json_path)
    assert [r.uid for r in later.reviews] == [second_uid]
    everything = read_batch(export_batch(reviewer, tmp_path / "out", include_all=True).json_path)
    assert {r.uid for r in everything.reviews} == {first_uid, second_uid}
    # Drafts never travel.
    reviews.start_review(reviewer, get_submission(reviewer, "DEMO-1001", 1).attempt_id)
    assert len(read_batch(export_batch(reviewer, tmp_path / "out", include_all=True).json_path).reviews) == 2


def test_the_csv_beside_the_batch_has_a_row_per_review_and_criterion(reviewer, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    score(reviewer, "DEMO-2001", 1, CL_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    assert batch.csv_path.name == batch.json_path.name.replace(".json", ".csv")
    with open(batch.csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(FA_LEVELS) + len(CL_LEVELS)
    got = {(r["submission_id"], r["criterion_id"]): int(r["level"]) for r in rows}
    assert got == {**{("DEMO-1002", k): v for k, v in FA_LEVELS.items()},
                   **{("DEMO-2001", k): v for k, v in CL_LEVELS.items()}}
    assert {r["reviewer"] for r in rows} == {"Alice Morgan"}
    notes = {r["criterion_id"]: r["notes"] for r in rows if r["submission_id"] == "DEMO-1002"}
    assert notes["checks-for-understanding"] == "1" and notes["feedback"] == "0"


def test_a_reviewer_may_not_import_batches(reviewer, lead, tmp_path):
    score(lead, "DEMO-1002", 1, FA_LEVELS)  # a lead may export too
    batch = export_batch(lead, tmp_path / "out")
    before = db_state(reviewer)
    with pytest.raises(NotAllowed, match="Only a lead assessor may import score batches"):
        import_batches(reviewer, [batch.json_path])
    assert db_state(reviewer) == before


def test_a_cancelled_export_leaves_no_file_and_exports_the_reviews_next_time(reviewer, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    score(reviewer, "DEMO-2001", 1, CL_LEVELS)
    stop = threading.Event()
    job = Job(progress=lambda done, total, message: stop.set() if message.startswith("Writing") else None,
              cancel_event=stop)
    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        export_batch(reviewer, out, job=job)
    assert not out.exists() or list(out.iterdir()) == []
    assert not any(e.action == audit.BATCH_EXPORT for e in audit.recent(reviewer))
    assert export_batch(reviewer, out).count == 2


def test_many_batches_a_refused_one_does_not_stop_the_others(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    first = export_batch(reviewer, tmp_path / "a")
    score(reviewer, "DEMO-2001", 1, CL_LEVELS)
    second = export_batch(reviewer, tmp_path / "b")
    junk = tmp_path / "junk.reviewer-batch.json"
    junk.write_text("{not json", encoding="utf-8")
    missing = tmp_path / "missing.reviewer-batch.json"
    outcomes = import_batches(lead, [first.json_path, junk, missing, second.json_path])
    assert [o.status for o in outcomes] == ["imported", "refused", "refused", "imported"]
    assert "is not a score batch: it is not readable JSON" in outcomes[1].message
    assert "cannot be read" in outcomes[2].message
    with lead.sessions() as s:
        assert s.scalar(select(m.ScoreBatch.id).where(m.ScoreBatch.uid == second.batch_id)) is not None


def test_files_that_are_not_whole_batches_are_refused_with_the_reason(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    data = json.loads(batch.json_path.read_text(encoding="utf-8"))
    miscounted = tmp_path / "miscounted.reviewer-batch.json"
    # Signed by the reviewer's own key with the wrong count (only the key's holder could).
    miscounted_doc = resign(json.loads(json.dumps(data)), reviewer, count=3)
    miscounted.write_text(json.dumps(miscounted_doc), encoding="utf-8")
    other = tmp_path / "package.json"
    other.write_text(json.dumps({"format": "mcred-submission/1", "submission_id": "X"}), encoding="utf-8")
    newer = tmp_path / "newer.reviewer-batch.json"
    newer.write_text(json.dumps({**data, "format": "reviewer-batch/3"}), encoding="utf-8")
    before = db_state(lead)
    outcomes = import_batches(lead, [miscounted, other, newer])
    assert all(o.refused for o in outcomes)
    assert "says it holds 3 reviews but holds 1" in outcomes[0].message
    assert "is not a score batch (its format is 'mcred-submission/1'" in outcomes[1].message
    assert "format reviewer-batch/3, which this version of Reviewer cannot read" in outcomes[2].message
    assert db_state(lead) == before


def test_a_batch_imports_consequences_outbox_payloads_and_one_audit_entry_each(
        reviewer: AppContext, lead: AppContext, bare_demo: Path, tmp_path: Path):
    """The lead's rules on imported reviews: a single review becomes final, a selected one waits;
    the second reviewer's batch then agrees on one attempt and disputes another (the first
    reviews read from the database, the second taken as imported). Each payload is exactly
    ``decision_payload`` of its review; the audit log holds one entry per kind per batch."""
    from reviewer_app.services import policies
    from reviewer_app.store import queue_state
    from reviewer_app.sync import outbox

    simple_rules(lead)
    policies.set_policy(lead, "fa-math", second_review_percent=100)
    ben = _open(bare_demo, tmp_path / "ben", "Ben Second", Role.REVIEWER)
    enrol(lead, ben, tmp_path / "ben-enrolment")
    try:
        agreed = score(reviewer, "DEMO-1001", 1, FA_LEVELS,
                       feedback="Agreed \u2013 \u201cwell\u201d \U0001F600")
        disputed = score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
        single = score(reviewer, "DEMO-2001", 1, CL_LEVELS)
        score(ben, "DEMO-1001", 1, FA_LEVELS)
        ben_disputed = score(ben, "DEMO-1002", 1, {**FA_LEVELS, "learning-goals": 1})
        first = export_batch(reviewer, tmp_path / "alice")
        second = export_batch(ben, tmp_path / "ben-out")
    finally:
        ben.close()

    [one] = import_batches(lead, [first.json_path])
    assert (one.final, one.disputed, one.waiting) == (1, 0, 2), one.message
    [two] = import_batches(lead, [second.json_path])
    assert (two.final, two.disputed, two.waiting) == (1, 1, 0), two.message

    with lead.sessions() as s:
        finals = {f.review.uid: f.source for f in s.scalars(select(m.FinalDecision))}
        assert finals == {single: "single", agreed: "agreed"}
        entries = s.scalars(select(m.OutboxEntry)).all()
        assert len(entries) == 2
        for entry in entries:
            review = s.get(m.Review, entry.review_id)
            assert json.loads(entry.payload_json) == outbox.decision_payload(review)
        [dispute] = s.scalars(select(m.Dispute)).all()
        assert dispute.attempt.submission.key == "DEMO-1002" and dispute.state == "open"
        assert queue_state.mismatches(s) == []

    recorded: dict[str, dict] = {}

    def logged(action: str, batch) -> dict:
        [entry] = [e for e in audit.recent(lead)
                   if e.action == action and e.subject == f"batch {batch.batch_id}"]
        details = json.loads(entry.details_json)
        recorded.update(details.pop("rows", {}))  # the rows written, as audited (audit_rows)
        return details

    assert logged(audit.FINAL, first) == {"count": 1, "decisions": [
        {"attempt": "DEMO-2001 attempt 1", "decision": "earned", "source": "single", "review": single,
         "reviewer": reviewer_uid(reviewer), "second_review": None, "held": False}]}
    [final] = [state for key, state in recorded.items() if key.startswith("final:")]
    assert (final["decision"], final["source"], final["review"]) == ("earned", "single", single)
    # Agreed: the first review (Alice's, read back from the database) is the final one.
    assert logged(audit.FINAL, second) == {"count": 1, "decisions": [
        {"attempt": "DEMO-1001 attempt 1", "decision": "not_yet", "source": "agreed", "review": agreed,
         "reviewer": reviewer_uid(reviewer), "second_review": "random", "held": False}]}
    opened = logged(audit.DISPUTE, second)
    assert opened["count"] == 1 and opened["disputes"][0]["attempt"] == "DEMO-1002 attempt 1"
    assert opened["disputes"][0]["reviews"] == [disputed, ben_disputed]
    assert opened["disputes"][0]["reasons"]
    assert not [e for e in audit.recent(lead) if e.subject.startswith("DEMO-") and e.action == audit.FINAL]
    assert audit.verify(lead).ok


def reviewer_uid(ctx: AppContext) -> str:
    from reviewer_app.services.profiles import current_profile

    return current_profile(ctx).uid


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.update(decision="earned" if r["decision"] == "not_yet" else "not_yet"),
     "DEMO-1002 attempt 1 whose decision ({}) does not follow from its levels"),
    (lambda r: r["scores"][2].update(criterion="charisma"),
     "DEMO-1002 attempt 1 that scores criterion 'charisma', which its rubric does not have"),
    (lambda r: r["scores"][2].update(level=9),
     "DEMO-1002 attempt 1 that gives criterion 'feedback' level 9, which its rubric does not have"),
    (lambda r: r["scores"].pop(),
     "DEMO-1002 attempt 1 that does not give every criterion of its rubric a level"),
    (lambda r: r["annotations"][0].update(evidence="nowhere"),
     "note on DEMO-1002 attempt 1 about evidence 'nowhere', which this database does not hold"),
    (lambda r: r["annotations"][0].update(criterion="charisma"),
     "note on DEMO-1002 attempt 1 about criterion 'charisma', which its rubric does not have"),
    (lambda r: r["annotations"][1].update(evidence="video"),
     "page note on DEMO-1002 attempt 1 about evidence 'video', which is a video item"),
], ids=["decision", "criterion", "level", "missing score", "note evidence", "note criterion",
        "note kind"])
def test_a_review_whose_scores_or_notes_do_not_fit_is_refused(reviewer, lead, tmp_path, change, message):
    # The first review's scores are checked in full; the second has the very same levels (its
    # check is a lookup) until it is changed.
    score(reviewer, "DEMO-1001", 1, FA_LEVELS)
    score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    batch = export_batch(reviewer, tmp_path / "out")
    decision = json.loads(batch.json_path.read_text(encoding="utf-8"))["reviews"][1]["decision"]

    def changed(items: list[dict]) -> None:
        [target] = [r for r in items if r["submission"] == "DEMO-1002"]
        change(target)

    crafted = rewrite(batch.json_path, tmp_path / "crafted.reviewer-batch.json", changed, reviewer)
    before = db_state(lead)
    [outcome] = import_batches(lead, [crafted])
    flipped = "earned" if decision == "not_yet" else "not_yet"
    assert outcome.refused and message.format(flipped) in outcome.message, outcome.message
    assert db_state(lead) == before
    [fine] = import_batches(lead, [batch.json_path])
    assert fine.imported == 2, fine.message


def test_a_second_different_review_by_the_same_reviewer_is_refused(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    import_batches(lead, [batch.json_path])

    def another(items: list[dict]) -> None:
        items[0]["uid"] = "00000000-0000-4000-8000-0000000000aa"

    crafted = rewrite(batch.json_path, tmp_path / "another.reviewer-batch.json", another, reviewer)
    before = db_state(lead)
    [outcome] = import_batches(lead, [crafted])
    assert outcome.refused and "DEMO-1002 attempt 1 by Alice Morgan, who already has a different review" \
        in outcome.message
    assert db_state(lead) == before


def test_the_cycle_collector_is_back_as_it_was_after_an_import(reviewer, lead, tmp_path):
    import gc

    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    batch = export_batch(reviewer, tmp_path / "out")
    junk = tmp_path / "junk.reviewer-batch.json"
    junk.write_text("{not json", encoding="utf-8")
    assert gc.isenabled()
    assert [o.status for o in import_batches(lead, [junk, batch.json_path])] == ["refused", "imported"]
    assert gc.isenabled()
    gc.disable()  # someone else's choice is kept
    try:
        import_batches(lead, [batch.json_path])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_notes_on_photos_and_quoted_passages_travel_in_batches(reviewer, lead, tmp_path):
    review = reviews.start_review(reviewer, get_submission(reviewer, "DEMO-1001", 1).attempt_id)
    for criterion, level in FA_LEVELS.items():
        reviews.set_level(reviewer, review.uid, criterion, level)
    reviews.set_feedback(reviewer, review.uid, "Check every student's understanding at the hinge point.")
    annotations.add_region_note(reviewer, review.uid, "photo", Region(10, 20, 300, 240), "Worked example")
    annotations.add_quote_note(reviewer, review.uid, "written", "Today's lesson", 0, "Names it", "feedback")
    reviews.submit_review(reviewer, review.uid)
    batch = export_batch(reviewer, tmp_path / "out")
    [outcome] = import_batches(lead, [batch.json_path])
    assert outcome.status == "imported", outcome.message
    assert annotations.list_notes(lead, review.uid) == annotations.list_notes(reviewer, review.uid)
    assert [n.quote for n in annotations.list_notes(lead, review.uid)] == [None, "Today's lesson"]

    crafts = {  # (photo region, quote) -> a note an export never writes, and what is said
        "an empty passage": (lambda r, q: q.update(quote={"text": "", "at": 0}), "quote note"),
        "a passage at -1": (lambda r, q: q.update(quote={"text": "Today", "at": -1}), "quote note"),
        "no passage": (lambda r, q: q.pop("quote"), "quote note"),
        "a quote with a region":
            (lambda r, q: q.update(region={"x0": 0, "y0": 0, "x1": 1, "y1": 1}), "quote note"),
        "a region with a passage": (lambda r, q: r.update(quote={"text": "Today", "at": 0}), "region note"),
        "a region on a page": (lambda r, q: r.update(page=0), "region note"),
    }
    for i, (name, (change, said)) in enumerate(crafts.items()):
        def changed(items: list[dict], change=change, i=i) -> None:
            change(*items[0]["annotations"])
            items[0]["uid"] = f"00000000-0000-4000-c000-{i:012d}"

        crafted = rewrite(batch.json_path, tmp_path / f"crafted{i}.reviewer-batch.json", changed, reviewer)
        [refused] = import_batches(lead, [crafted])
        assert refused.refused, name
        assert f"{said} with an anchor it cannot have" in refused.message, (name, refused.message)
