"""Calibration: submissions with agreed scores, against which reviewers are measured.

A lead assessor marks a submission attempt as a calibration item with the agreed level of
every criterion (the decision follows from the rubric). A reviewer who scores it sees,
once their review is submitted and never before, where they matched
(``calibration_result``); each reviewer's exact agreement over a credential's
calibration items says whether they are qualified for it (``reviewer_agreement``, against
the credential policy's threshold, 80% by default).

Reviews of a calibration item are practice: ``services.finalize`` makes no decision from
them.

How the agreed scores reach reviewers' laptops: they live in the lead's database; the
lead exports them as a calibration file (``export_calibration``: JSON with the SHA-256 of
its content, format ``reviewer-calibration/1``) and each reviewer imports it
(``import_calibration``). The service refuses to show a reviewer the agreed scores before
they submit, but the file and the reviewer's own database do hold them: a reviewer who
opens either with other tools can read them. Calibration relies on reviewers' good faith
for this, as paper calibration sets do.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.domain.moderation import CriterionMatch, calibration_agreement, calibration_matches
from reviewer_app.domain.rules import decide, missing_criteria
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services.decision_inputs import attempt_subject
from reviewer_app.services.policies import policy_for
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.roles import NotAllowed, require_lead
from reviewer_app.services.submissions import rubric_to_domain
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

FORMAT = "reviewer-calibration/1"


@dataclass(frozen=True)
class CalibrationItemView:
    attempt_id: int
    submission_key: str
    attempt: int
    credential_key: str
    decision: Decision
    levels: tuple[tuple[str, int], ...]  # (criterion key, agreed level), rubric order
    note: str
    marked_by: str
    marked_at: datetime


@dataclass(frozen=True)
class CriterionResult:
    criterion_key: str
    title: str
    agreed: int
    agreed_label: str
    given: int | None
    given_label: str | None
    exact: bool
    adjacent: bool


@dataclass(frozen=True)
class CalibrationResult:
    """A submitted review of a calibration item against the agreed scores."""

    review_uid: str
    submission_key: str
    attempt: int
    criteria: tuple[CriterionResult, ...]
    agreed_decision: Decision
    given_decision: Decision | None
    exact: int  # criteria matched exactly
    adjacent: int  # criteria within one level

    @property
    def decision_matched(self) -> bool:
        return self.agreed_decision == self.given_decision

    @property
    def exact_rate(self) -> float | None:
        return self.exact / len(self.criteria) if self.criteria else None


@dataclass(frozen=True)
class ReviewerAgreement:
    reviewer_uid: str
    reviewer_name: str
    items: int  # calibration items scored
    criteria: int  # criterion levels compared
    exact_rate: float | None
    adjacent_rate: float | None
    decisions_matched: int
    threshold: float
    qualified: bool


def _attempt(session, attempt_id: int) -> m.Attempt:  # noqa: ANN001
    row = session.scalars(
        select(m.Attempt).where(m.Attempt.id == attempt_id)
        .options(selectinload(m.Attempt.submission),
                 selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                 .selectinload(m.Criterion.levels))).first()
    if row is None:
        raise NotFound(f"No submission attempt {attempt_id}")
    return row


def _view(session, item: m.CalibrationItem) -> CalibrationItemView:  # noqa: ANN001
    attempt = item.attempt
    marked_by = session.scalar(select(m.Profile.name).where(m.Profile.id == item.marked_by_id)) or ""
    by_id = {s.criterion_id: s.level for s in item.scores}
    return CalibrationItemView(
        attempt.id, attempt.submission.key, attempt.number, attempt.submission.credential_key,
        item.decision, tuple((c.key, by_id[c.id]) for c in attempt.rubric.criteria if c.id in by_id),
        item.note, marked_by, item.marked_at)


def _check_levels(rubric, levels: Mapping[str, int]) -> None:  # noqa: ANN001
    unknown = sorted(set(levels) - {c.key for c in rubric.criteria})
    if unknown:
        raise UserError(f"The rubric has no criterion {unknown[0]!r}.")
    missing = missing_criteria(rubric, levels)
    if missing:
        titles = ", ".join(f"\u201c{rubric.criterion(k).title}\u201d" for k in missing)
        raise UserError(f"A calibration item needs an agreed level for every criterion; missing: {titles}.")
    for c in rubric.criteria:
        if c.level(levels[c.key]) is None:
            raise UserError(f"Criterion \u201c{c.title}\u201d has no level {levels[c.key]}.")


def _store(session, attempt: m.Attempt, levels: Mapping[str, int], note: str,  # noqa: ANN001
           marked_by_id: int, marked_at: datetime) -> tuple[m.CalibrationItem, Decision]:
    rubric = rubric_to_domain(attempt.rubric)
    _check_levels(rubric, levels)
    decision = decide(rubric, levels)
    assert decision is not None
    item = session.scalars(select(m.CalibrationItem).where(m.CalibrationItem.attempt_id == attempt.id)
                           .options(selectinload(m.CalibrationItem.scores))).first()
    if item is None:
        item = m.CalibrationItem(attempt=attempt)
        session.add(item)
    item.decision, item.note, item.marked_by_id, item.marked_at = decision, note, marked_by_id, marked_at
    by_id = {s.criterion_id: s for s in item.scores}
    for c in attempt.rubric.criteria:
        score = by_id.get(c.id)
        if score is None:
            score = m.CalibrationScore(criterion=c, level=levels[c.key])
            item.scores.append(score)
        score.level = levels[c.key]
    session.flush()
    return item, decision


def mark_calibration(ctx: AppContext, attempt_id: int, levels: Mapping[str, int], *,
                     note: str = "") -> CalibrationItemView:
    """Make an attempt a calibration item with these agreed levels (again: replace them)."""
    me = require_lead(ctx, "mark calibration submissions")
    with ctx.transaction() as session:
        attempt = _attempt(session, attempt_id)
        if session.scalar(select(m.FinalDecision.id).where(m.FinalDecision.attempt_id == attempt_id)):
            raise UserError(f"{attempt.submission.key} attempt {attempt.number} already has a final "
                            "decision; a calibration item must be practice, not a real candidate's "
                            "decided submission.")
        lead_id = session.scalar(select(m.Profile.id).where(m.Profile.uid == me.uid))
        item, decision = _store(session, attempt, levels, note, lead_id, utcnow())
        audit.append(session, audit.CALIBRATION, attempt_subject(attempt.submission.key, attempt.number),
                     {"levels": dict(levels), "decision": decision.value, "note": note},
                     actor_uid=me.uid)
        session.refresh(item)
        return _view(session, item)


def unmark_calibration(ctx: AppContext, attempt_id: int) -> bool:
    """Stop using an attempt for calibration; False if it was not a calibration item."""
    me = require_lead(ctx, "change calibration submissions")
    with ctx.transaction() as session:
        attempt = _attempt(session, attempt_id)
        item = session.scalars(select(m.CalibrationItem)
                               .where(m.CalibrationItem.attempt_id == attempt_id)).first()
        if item is None:
            return False
        session.delete(item)
        audit.append(session, audit.CALIBRATION, attempt_subject(attempt.submission.key, attempt.number),
                     {"removed": True}, actor_uid=me.uid)
        return True


def _items(session, credential_key: str | None) -> list[m.CalibrationItem]:  # noqa: ANN001
    stmt = (select(m.CalibrationItem).join(m.Attempt, m.CalibrationItem.attempt_id == m.Attempt.id)
            .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .order_by(m.Submission.key, m.Attempt.number)
            .options(selectinload(m.CalibrationItem.scores),
                     selectinload(m.CalibrationItem.attempt).options(
                         selectinload(m.Attempt.submission), selectinload(m.Attempt.credential),
                         selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                         .selectinload(m.Criterion.levels))))
    if credential_key:
        stmt = stmt.where(m.Submission.credential_key == credential_key)
    return list(session.scalars(stmt))


def list_calibration(ctx: AppContext, credential_key: str | None = None) -> list[CalibrationItemView]:
    """The calibration items with their agreed levels (a lead assessor only)."""
    require_lead(ctx, "see calibration scores")
    with ctx.sessions() as session:
        return [_view(session, item) for item in _items(session, credential_key)]


def _result(review: m.Review, item: m.CalibrationItem) -> CalibrationResult:
    rubric_row = review.attempt.rubric
    rubric = rubric_to_domain(rubric_row)
    agreed = {s.criterion.key: s.level for s in item.scores}
    given = {s.criterion.key: s.level for s in review.scores}
    matches = calibration_matches(rubric, agreed, given)
    rows = []
    for match in matches:
        c = rubric.criterion(match.criterion_key)
        agreed_level = c.level(match.agreed) if c else None
        given_level = c.level(match.given) if c and match.given is not None else None
        rows.append(CriterionResult(match.criterion_key, c.title if c else match.criterion_key,
                                    match.agreed, agreed_level.label if agreed_level else "",
                                    match.given, given_level.label if given_level else None,
                                    match.exact, match.adjacent))
    return CalibrationResult(review.uid, review.attempt.submission.key, review.attempt.number,
                             tuple(rows), item.decision, review.decision,
                             sum(1 for r in matches if r.exact), sum(1 for r in matches if r.adjacent))


def calibration_result(ctx: AppContext, review_uid: str) -> CalibrationResult | None:
    """Where a submitted review of a calibration item matched the agreed levels.

    None when the attempt is not a calibration item. Only for the reader's own review (a
    lead assessor: any review), and only once it is submitted.
    """
    me = current_profile(ctx)
    with ctx.sessions() as session:
        review = session.scalars(
            select(m.Review).where(m.Review.uid == review_uid)
            .options(selectinload(m.Review.reviewer),
                     selectinload(m.Review.scores).selectinload(m.ReviewScore.criterion),
                     selectinload(m.Review.attempt).options(
                         selectinload(m.Attempt.submission),
                         selectinload(m.Attempt.rubric).selectinload(m.Rubric.criteria)
                         .selectinload(m.Criterion.levels)))).first()
        if review is None:
            raise NotFound(f"No review {review_uid}")
        if review.reviewer.uid != me.uid and me.role is not Role.LEAD_ASSESSOR:
            raise NotAllowed("A reviewer may see calibration results of their own reviews only.")
        item = session.scalars(
            select(m.CalibrationItem).where(m.CalibrationItem.attempt_id == review.attempt_id)
            .options(selectinload(m.CalibrationItem.scores).selectinload(m.CalibrationScore.criterion))
        ).first()
        if item is None:
            return None
        if review.status is not ReviewStatus.SUBMITTED:
            raise UserError("The calibration result is shown once the review is submitted.")
        return _result(review, item)


def my_result(ctx: AppContext, attempt_id: int) -> CalibrationResult | None:
    """``calibration_result`` of the current profile's own review of an attempt."""
    me = current_profile(ctx)
    with ctx.sessions() as session:
        uid = session.scalar(select(m.Review.uid).join(m.Profile, m.Review.reviewer_id == m.Profile.id)
                             .where(m.Review.attempt_id == attempt_id, m.Profile.uid == me.uid))
    if uid is None:
        raise NotFound("You have not reviewed this submission.")
    return calibration_result(ctx, uid)


def reviewer_agreement(ctx: AppContext, credential_key: str) -> list[ReviewerAgreement]:
    """Each reviewer's exact agreement with the credential's calibration items.

    A lead assessor sees every reviewer; a reviewer sees their own line only.
    """
    me = current_profile(ctx)
    with ctx.sessions() as session:
        if session.scalar(select(m.Credential.id).where(m.Credential.key == credential_key).limit(1)) is None:
            raise NotFound(f"No credential {credential_key!r} in this database.")
        policy = policy_for(session, credential_key)
        threshold = policy.calibration_threshold
        items = {item.attempt_id: item for item in _items(session, credential_key)}
        stmt = (select(m.Review).where(m.Review.attempt_id.in_(list(items)),
                                       m.Review.status == ReviewStatus.SUBMITTED,
                                       m.Review.kind == "review")
                .options(selectinload(m.Review.reviewer),
                         selectinload(m.Review.scores).selectinload(m.ReviewScore.criterion)))
        if me.role is not Role.LEAD_ASSESSOR:
            stmt = stmt.join(m.Profile, m.Review.reviewer_id == m.Profile.id).where(m.Profile.uid == me.uid)
        by_reviewer: dict[str, list[tuple[list[CriterionMatch], bool]]] = defaultdict(list)
        names: dict[str, str] = {}
        for review in session.scalars(stmt):
            item = items[review.attempt_id]
            rubric = rubric_to_domain(item.attempt.rubric)
            agreed = {c.key: s.level for c in item.attempt.rubric.criteria for s in item.scores
                      if s.criterion_id == c.id}
            given = {s.criterion.key: s.level for s in review.scores}
            by_reviewer[review.reviewer.uid].append(
                (calibration_matches(rubric, agreed, given), review.decision == item.decision))
            names[review.reviewer.uid] = review.reviewer.name
        out = []
        for uid, results in by_reviewer.items():
            a = calibration_agreement(results, threshold)
            out.append(ReviewerAgreement(uid, names[uid], a.items, a.criteria, a.exact_rate,
                                         a.adjacent_rate, a.decisions_matched, threshold,
                                         a.qualified and a.items >= policy.calibration_items))
        if me.role is not Role.LEAD_ASSESSOR and not out:
            out.append(ReviewerAgreement(me.uid, me.name, 0, 0, None, None, 0, threshold, False))
        return sorted(out, key=lambda r: (r.reviewer_name.lower(), r.reviewer_uid))


# -- the calibration file -----------------------------------------------------------------

def _canonical(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class CalibrationExport:
    path: Path
    items: int


def export_calibration(ctx: AppContext, out: Path, credential_key: str | None = None) -> CalibrationExport:
    """Write the calibration items (agreed levels) to a file reviewers import."""
    from reviewer_app.store.atomic_files import atomic_text_file

    me = require_lead(ctx, "export calibration scores")
    with ctx.sessions() as session:
        items = []
        for item in _items(session, credential_key):
            view = _view(session, item)
            attempt = item.attempt
            items.append({"submission": view.submission_key, "attempt": view.attempt,
                          "credential": {"key": attempt.credential.key,
                                         "version": attempt.credential.version},
                          "rubric": {"key": attempt.rubric.key, "version": attempt.rubric.version},
                          "decision": view.decision.value,
                          "levels": [{"criterion": k, "level": v} for k, v in view.levels],
                          "note": view.note, "marked_at": view.marked_at.isoformat()})
    if not items:
        raise UserError("There are no calibration submissions to export"
                        + (f" for credential {credential_key!r}." if credential_key else "."))
    header = {"exported_at": utcnow().isoformat(), "count": len(items),
              "lead": {"uid": me.uid, "name": me.name, "role": me.role.value},
              "content_sha256": hashlib.sha256(_canonical(items)).hexdigest()}
    with atomic_text_file(Path(out)) as fh:
        json.dump({"format": FORMAT, "header": header, "items": items}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return CalibrationExport(Path(out), len(items))


@dataclass(frozen=True)
class CalibrationImport:
    imported: int
    missing: tuple[str, ...]  # "SUB attempt N" this database does not hold

    def describe(self) -> str:
        text = f"Imported {self.imported} calibration submission{'s' if self.imported != 1 else ''}."
        if self.missing:
            text += (f" Not in this database (import their packages first): {', '.join(self.missing)}.")
        return text


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"No such file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{Path(path).name} is not a calibration file.", details=str(exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("items"), list) \
            or not isinstance(data.get("header"), dict):
        raise UserError(f"{Path(path).name} is not a calibration file ({FORMAT}).")
    header = data["header"]
    if hashlib.sha256(_canonical(data["items"])).hexdigest() != header.get("content_sha256"):
        raise UserError(f"{Path(path).name} was altered after it was exported (its content does not "
                        "match its SHA-256); ask the lead assessor for a new copy.")
    lead = header.get("lead")
    if not isinstance(lead, dict) or not lead.get("uid") or not lead.get("name"):
        raise UserError(f"{Path(path).name} does not name the lead assessor who made it.")
    return data


def import_calibration(ctx: AppContext, path: Path) -> CalibrationImport:
    """Store the agreed levels from a lead assessor's calibration file (again: replace them).
    A refused file stores nothing; its refusal is written to the audit log."""
    try:
        return _import_calibration(ctx, path)
    except UserError as exc:
        audit.record_refusal(ctx, audit.CALIBRATION_REFUSED, f"calibration file {Path(path).name}",
                             {"file": Path(path).name, "reason": exc.message,
                              "file_sha256": audit.file_sha256(Path(path))})
        raise


def _import_calibration(ctx: AppContext, path: Path) -> CalibrationImport:
    data = _read(path)
    me = current_profile(ctx)
    lead = data["header"]["lead"]
    imported, missing = 0, []
    with ctx.transaction() as session:
        lead_row = session.scalars(select(m.Profile).where(m.Profile.uid == lead["uid"])).first()
        if lead_row is None:
            lead_row = m.Profile(uid=lead["uid"], name=lead["name"], role=Role.LEAD_ASSESSOR, is_self=False)
            session.add(lead_row)
            session.flush()
        for entry in data["items"]:
            try:
                key, number = str(entry["submission"]), int(entry["attempt"])
                levels = {str(x["criterion"]): int(x["level"]) for x in entry["levels"]}
                rubric_key, rubric_version = entry["rubric"]["key"], entry["rubric"]["version"]
            except (KeyError, TypeError, ValueError):
                raise UserError(f"{Path(path).name} holds an item that is not a calibration item.") from None
            attempt_id = session.scalar(
                select(m.Attempt.id).join(m.Submission, m.Attempt.submission_id == m.Submission.id)
                .where(m.Submission.key == key, m.Attempt.number == number))
            if attempt_id is None:
                missing.append(attempt_subject(key, number))
                continue
            attempt = _attempt(session, attempt_id)
            if (attempt.rubric.key, attempt.rubric.version) != (rubric_key, rubric_version):
                raise UserError(f"{attempt_subject(key, number)} is scored here with rubric "
                                f"{attempt.rubric.key} version {attempt.rubric.version}, but the "
                                f"calibration file has {rubric_key} version {rubric_version}.")
            _store(session, attempt, levels, str(entry.get("note") or ""), lead_row.id, utcnow())
            imported += 1
        audit.append(session, audit.CALIBRATION, f"calibration file {Path(path).name}",
                     {"imported": imported, "missing": missing, "lead": lead["uid"],
                      "content_sha256": data["header"]["content_sha256"]}, actor_uid=me.uid)
    return CalibrationImport(imported, tuple(missing))
