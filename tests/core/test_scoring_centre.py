"""A scoring centre's defaults, run the whole way with three reviewers scoring differently.

Each reviewer scores on their own database and sends a signed score batch as a FILE; the
lead (default rules, nothing configured) imports them. What is second-read, what goes to
moderation, what is held, what is released and what reaches the outbox; a late review;
calibration that counts.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Role
from reviewer_app.errors import UserError
from reviewer_app.services import calibration, policies, release, second_reads
from reviewer_app.services.batches import export_batch, import_batches
from reviewer_app.services.imports import import_package
from reviewer_app.services.late_reviews import list_late_reviews
from reviewer_app.services.moderation import find_dispute, list_disputes, moderate
from reviewer_app.services.roles import update_self
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import CL_EARNED, FA_EARNED, FA_NOT_YET, as_lead_database, attempt_id, enrol, score

CL_NOT_YET = {"group-structures": 1, "discourse-moves": 2, "equitable-participation": 2}


@pytest.fixture(scope="module")
def bare_demo(tmp_path_factory: pytest.TempPathFactory, demo_packages: list[Path]) -> Path:
    folder = tmp_path_factory.mktemp("centre-demo") / "data"
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        for package in demo_packages:
            import_package(ctx, package)
    return folder


@pytest.fixture
def people(bare_demo: Path, tmp_path: Path) -> Iterator[dict[str, AppContext]]:
    out = {}
    for name, role in (("Lena Lead", Role.LEAD_ASSESSOR), ("Ana", Role.REVIEWER), ("Ben", Role.REVIEWER),
                       ("Cara", Role.REVIEWER)):
        target = tmp_path / name.split()[0].lower()
        shutil.copytree(bare_demo, target)
        out[name.split()[0].lower()] = ctx = AppContext.open(resolve_paths(data_dir=target))
        update_self(ctx, name=name, role=role)
        if role is Role.LEAD_ASSESSOR:
            as_lead_database(ctx)  # the lead's own database holds the same packages
    for name in ("ana", "ben", "cara"):
        enrol(out["lena"], out[name], tmp_path / f"enrol-{name}")
    yield out
    for ctx in out.values():
        ctx.close()


def send(reviewer: AppContext, lead: AppContext, folder: Path):
    """The reviewer exports a batch file; the lead imports that file."""
    exported = export_batch(reviewer, folder)
    [outcome] = import_batches(lead, [exported.json_path])
    assert outcome.status == "imported", outcome.message
    return outcome


def outbox(lead: AppContext) -> dict[str, str]:
    with lead.sessions() as s:
        return {f"{k} {n}": d for k, n, d in s.execute(
            select(m.OutboxEntry.submission_key, m.OutboxEntry.attempt_number, m.OutboxEntry.decision))}


def test_second_reading_moderation_late_review_backreading_and_release(people, tmp_path: Path):
    lead, ana, ben, cara = people["lena"], people["ana"], people["ben"], people["cara"]
    assert not policies.get_policy(lead, "fa-math").stored  # the defaults, nothing configured

    # Ana (a new reviewer) scores everything: each review waits for a second reading.
    score(ana, "DEMO-1001", 1, FA_EARNED)
    score(ana, "DEMO-1002", 1, FA_EARNED)
    score(ana, "DEMO-1002", 2, {**FA_EARNED, "adjusting-instruction": 2})
    score(ana, "DEMO-2001", 1, CL_EARNED)
    first = send(ana, lead, tmp_path / "ana")
    assert (first.final, first.disputed, first.waiting) == (0, 0, 4)
    assert len(first.lines) == 4 and all("waits for a second reading" in line for line in first.lines)
    assert outbox(lead) == {}

    queue = second_reads.second_reading_queue(lead)
    assert [(s.submission_key, s.attempt) for s in queue] == [
        ("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2), ("DEMO-2001", 1)]
    assert {s.first_reviewer for s in queue} == {"Ana"}
    with pytest.raises(UserError, match="first review"):
        second_reads.assign(lead, "DEMO-1001", "Ana")
    for key, attempt in (("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2)):
        second_reads.assign(lead, key, "Ben", attempt)
    second_reads.assign(lead, "DEMO-2001", "Cara")
    files = {p.name: p for p in second_reads.export_assignments(lead, tmp_path / "assignments")}
    assert set(files) == {"second-reads-Ben.json", "second-reads-Cara.json"}
    with pytest.raises(UserError, match="not to you"):
        second_reads.import_assignments(cara, files["second-reads-Ben.json"])
    mine = second_reads.import_assignments(ben, files["second-reads-Ben.json"])
    assert [(a.submission_key, a.attempt, a.reviewed) for a in mine] == [
        ("DEMO-1001", 1, False), ("DEMO-1002", 1, False), ("DEMO-1002", 2, False)]
    assigned = second_reads.import_assignments(cara, files["second-reads-Cara.json"])
    assert [a.submission_key for a in assigned] == ["DEMO-2001"]

    # Ben agrees on DEMO-1001, splits DEMO-1002 attempt 1 (earned / not yet), and is two levels
    # from Ana on one criterion of attempt 2 with the same decision.
    score(ben, "DEMO-1001", 1, FA_EARNED)
    score(ben, "DEMO-1002", 1, FA_NOT_YET)
    score(ben, "DEMO-1002", 2, {**FA_EARNED, "adjusting-instruction": 4})
    assert all(a.reviewed for a in second_reads.my_assignments(ben))
    second = send(ben, lead, tmp_path / "ben")
    assert (second.final, second.held, second.disputed, second.waiting) == (1, 1, 2, 0)
    lines = dict(line.split(": ", 1) for line in second.lines)
    assert lines["DEMO-1001 attempt 1"] == "final decision, held for the lead's backreading and release"
    assert lines["DEMO-1002 attempt 1"] == lines["DEMO-1002 attempt 2"] == \
        "differs from another review: goes to moderation"
    reasons = {d.submission_key + str(d.attempt): d.reasons for d in list_disputes(lead)}
    assert any("decided" in r for r in reasons["DEMO-10021"])
    assert any("2 levels apart" in r for r in reasons["DEMO-10022"])

    # Cara second-reads DEMO-2001 (within one level: agreed) and, a third reviewer, scores
    # DEMO-1001 after its final decision, differently: kept, flagged, decision unchanged.
    score(cara, "DEMO-2001", 1, {**CL_EARNED, "group-structures": 2})
    score(cara, "DEMO-1001", 1, FA_NOT_YET)
    third = send(cara, lead, tmp_path / "cara")
    assert (third.final, third.late) == (1, 1)
    lines = dict(line.split(": ", 1) for line in third.lines)
    assert lines["DEMO-1001 attempt 1"].startswith("arrived after the final decision and differs from it")
    assert lines["DEMO-2001 attempt 1"].startswith("final decision, held")
    [late] = list_late_reviews(lead, discrepancies_only=True)
    assert (late.submission_key, late.reviewer, late.final_decision, late.agrees) == \
        ("DEMO-1001", "Cara", "earned", False)
    with lead.sessions() as s:
        final = s.scalars(select(m.FinalDecision).where(
            m.FinalDecision.attempt_id == attempt_id(lead, "DEMO-1001", 1))).one()
        assert (final.decision.value, final.source) == ("earned", "agreed")

    # The lead moderates both disputes; still nothing reaches the outbox: all four are held.
    moderate(lead, find_dispute(lead, "DEMO-1002", 1), FA_NOT_YET, feedback="Revisit the goals.",
             rationale="Goals were not revisited.")
    moderate(lead, find_dispute(lead, "DEMO-1002", 2), FA_EARNED, rationale="Adjusting is proficient.")
    held = release.held_decisions(lead)
    assert len(held) == 4 and outbox(lead) == {}
    sampled = [h for h in held if h.waits_for_backreading]
    assert len(sampled) == 2  # 5% rounded up, per credential (three fa-math, one cl-discussion)
    assert {h.credential_key for h in sampled} == {"fa-math", "cl-discussion"}

    # Release lets go of what needs no backreading; the sample waits.
    done = release.release(lead)
    assert (done.released, done.waiting_for_backreading) == (2, 2)
    assert set(outbox(lead)) == {f"{h.submission_key} {h.attempt}" for h in held if not h.sampled}
    # The lead backreads the sample: confirms one, overturns the other with a rationale.
    keep, change = sorted(sampled, key=lambda h: h.credential_key != "fa-math")
    release.backread(lead, keep.submission_key, keep.attempt)
    with pytest.raises(UserError, match="rationale"):
        release.overturn(lead, change.submission_key, CL_NOT_YET, " ", attempt=change.attempt)
    new = release.overturn(lead, change.submission_key, CL_NOT_YET, "Roles were never used.",
                           attempt=change.attempt, feedback="Give each group working roles.")
    assert new == "not_yet"
    done = release.release(lead)
    assert (done.released, done.waiting_for_backreading) == (2, 0)
    assert release.held_decisions(lead) == []
    sent = outbox(lead)
    assert len(sent) == 4 and sent[f"{change.submission_key} {change.attempt}"] == "not_yet"
    assert sent["DEMO-1001 1"] == "earned"  # the late review changed nothing
    with pytest.raises(UserError, match="already released"):
        release.backread(lead, "DEMO-1001", 1)
    [entry] = [e for e in audit.recent(lead) if e.action == audit.OVERTURN]
    details = json.loads(entry.details_json)
    assert details["rationale"] == "Roles were never used." and details["after"]["decision"] == "not_yet"
    assert audit.verify(lead).ok

    # A submission with a final decision cannot become a calibration item.
    with pytest.raises(UserError, match="already has a final decision"):
        calibration.mark_calibration(lead, attempt_id(lead, "DEMO-1001", 1), FA_EARNED)


def test_an_unqualified_reviewer_is_second_read_until_calibration_counts(people, tmp_path: Path):
    lead, ana = people["lena"], people["ana"]
    policies.set_policy(lead, "fa-math", second_review_percent=0, near_cut_margin=None, first_reviews=0)
    calibration.mark_calibration(lead, attempt_id(lead, "DEMO-1002", 1), FA_EARNED)
    export = tmp_path / "calibration.json"
    calibration.export_calibration(lead, export)
    calibration.import_calibration(ana, export)

    # One exact calibration item is not enough (three by default): Ana's review waits.
    score(ana, "DEMO-1002", 1, FA_EARNED)
    score(ana, "DEMO-1001", 1, FA_EARNED)
    outcome = send(ana, lead, tmp_path / "ana-1")
    assert (outcome.final, outcome.waiting) == (0, 1)
    assert "not yet qualified by calibration" in " ".join(outcome.lines)
    [agreement] = calibration.reviewer_agreement(lead, "fa-math")
    assert (agreement.items, agreement.exact_rate, agreement.qualified) == (1, 1.0, False)

    # With one item required, the same agreement qualifies her: her next review is final alone.
    policies.set_policy(lead, "fa-math", calibration_items=1)
    assert calibration.reviewer_agreement(lead, "fa-math")[0].qualified
    score(ana, "DEMO-1002", 2, FA_EARNED)
    outcome = send(ana, lead, tmp_path / "ana-2")
    assert (outcome.final, outcome.held, outcome.waiting) == (1, 1, 0)

    # At a 100% threshold she still qualifies; asked for more items than she scored, not.
    policies.set_policy(lead, "fa-math", calibration_threshold=1.0)
    assert calibration.reviewer_agreement(lead, "fa-math")[0].qualified
    policies.set_policy(lead, "fa-math", calibration_items=2)
    assert not calibration.reviewer_agreement(lead, "fa-math")[0].qualified
