"""Reviewers' notes on the evidence: a moment or range of a video or audio item, a PDF
page or a region of it, a region of a photo, or a passage quoted from a written
reflection; each optionally tied to a rubric criterion. Every change is
committed at once, and a submitted review's notes are locked with it."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from reviewer_app.domain.model import Annotation, AnnotationKind, EvidenceKind, Region
from reviewer_app.errors import NotFound, UserError
from reviewer_app.services.reviews import ReviewLocked, check_own, check_readable
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow

_TIMED = {EvidenceKind.VIDEO, EvidenceKind.AUDIO}


def _to_annotation(row: m.Annotation) -> Annotation:
    region = None
    if row.x0 is not None and row.y0 is not None and row.x1 is not None and row.y1 is not None:
        region = Region(row.x0, row.y0, row.x1, row.y1)
    return Annotation(uid=row.uid, number=row.number, evidence_key=row.evidence_item.key,
                      kind=row.kind, text=row.text,
                      criterion_key=row.criterion.key if row.criterion else None,
                      start_ms=row.start_ms, end_ms=row.end_ms, page=row.page, region=region,
                      quote=row.quote, quote_at=row.quote_at)


def _review(session: Session, review_uid: str) -> m.Review:
    review = session.scalars(select(m.Review).where(m.Review.uid == review_uid)
                             .options(selectinload(m.Review.attempt))).first()
    if review is None:
        raise NotFound(f"No review {review_uid}")
    check_own(session, review.reviewer_id)  # only a review's own reviewer changes its notes
    if review.status.value == "submitted":
        raise ReviewLocked("This review was submitted; its notes can no longer be changed.")
    return review


def _evidence(session: Session, review: m.Review, evidence_key: str) -> m.EvidenceItem:
    item = session.scalars(select(m.EvidenceItem).where(
        m.EvidenceItem.attempt_id == review.attempt_id, m.EvidenceItem.key == evidence_key)).first()
    if item is None:
        raise NotFound(f"This submission has no evidence {evidence_key!r}")
    return item


def _criterion(session: Session, review: m.Review, criterion_key: str | None) -> m.Criterion | None:
    if criterion_key is None:
        return None
    crit = session.scalars(select(m.Criterion).where(
        m.Criterion.rubric_id == review.attempt.rubric_id, m.Criterion.key == criterion_key)).first()
    if crit is None:
        raise NotFound(f"The rubric has no criterion {criterion_key!r}")
    return crit


def _load(session: Session, uid: str) -> m.Annotation:
    row = session.scalars(select(m.Annotation).where(m.Annotation.uid == uid).options(
        selectinload(m.Annotation.evidence_item), selectinload(m.Annotation.criterion))).first()
    if row is None:
        raise NotFound("That note no longer exists.")
    return row


def _next_number(session: Session, review: m.Review) -> int:
    """Numbers are never reused, even after a deletion, so a cited [note N] keeps its meaning."""
    review.notes_issued += 1
    return review.notes_issued


def add_time_note(ctx: AppContext, review_uid: str, evidence_key: str, start_ms: int,
                  end_ms: int | None = None, text: str = "", criterion_key: str | None = None,
                  *, uid: str | None = None, number: int | None = None) -> Annotation:
    """A note at a moment (``end_ms`` None) or on a range of a video or audio item.

    ``uid`` and ``number`` restore a deleted note exactly (Undo).
    """
    if start_ms < 0 or (end_ms is not None and end_ms <= start_ms):
        raise UserError("A note's range must end after it starts.")
    with ctx.transaction() as session:
        review = _review(session, review_uid)
        item = _evidence(session, review, evidence_key)
        if item.kind not in _TIMED:
            raise UserError("Time-coded notes belong on a video or an audio item.")
        row = m.Annotation(review=review, number=number or _next_number(session, review),
                           evidence_item=item, criterion=_criterion(session, review, criterion_key),
                           kind=AnnotationKind.TIME, start_ms=int(start_ms),
                           end_ms=int(end_ms) if end_ms is not None else None, text=text)
        if uid:
            row.uid = uid
        session.add(row)
        session.flush()
        return _to_annotation(row)


def add_page_note(ctx: AppContext, review_uid: str, evidence_key: str, page: int,
                  region: Region | None = None, text: str = "", criterion_key: str | None = None,
                  *, uid: str | None = None, number: int | None = None) -> Annotation:
    """A note on a PDF page, optionally on a highlighted region of it (in points)."""
    if page < 0:
        raise UserError("Pages are counted from 1.")
    with ctx.transaction() as session:
        review = _review(session, review_uid)
        item = _evidence(session, review, evidence_key)
        if item.kind is not EvidenceKind.PDF:
            raise UserError("Page notes belong on a PDF.")
        row = m.Annotation(review=review, number=number or _next_number(session, review),
                           evidence_item=item, criterion=_criterion(session, review, criterion_key),
                           kind=AnnotationKind.PAGE, page=page, text=text)
        _set_region(row, region)
        if uid:
            row.uid = uid
        session.add(row)
        session.flush()
        return _to_annotation(row)


def _set_region(row: m.Annotation, region: Region | None) -> None:
    if region is None:
        return
    values = (region.x0, region.y0, region.x1, region.y1)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise UserError("A note's region must be a rectangle of finite numbers.")
    row.x0, row.y0 = min(region.x0, region.x1), min(region.y0, region.y1)
    row.x1, row.y1 = max(region.x0, region.x1), max(region.y0, region.y1)


def add_region_note(ctx: AppContext, review_uid: str, evidence_key: str, region: Region | None = None,
                    text: str = "", criterion_key: str | None = None,
                    *, uid: str | None = None, number: int | None = None) -> Annotation:
    """A note on a photo: on a region of it (in the image's pixels, as shown), or on the
    whole photo (``region`` None)."""
    with ctx.transaction() as session:
        review = _review(session, review_uid)
        item = _evidence(session, review, evidence_key)
        if item.kind is not EvidenceKind.IMAGE:
            raise UserError("Region notes belong on a photo.")
        row = m.Annotation(review=review, number=number or _next_number(session, review),
                           evidence_item=item, criterion=_criterion(session, review, criterion_key),
                           kind=AnnotationKind.REGION, text=text)
        _set_region(row, region)
        if uid:
            row.uid = uid
        session.add(row)
        session.flush()
        return _to_annotation(row)


def add_quote_note(ctx: AppContext, review_uid: str, evidence_key: str, quote: str, quote_at: int,
                   text: str = "", criterion_key: str | None = None,
                   *, uid: str | None = None, number: int | None = None) -> Annotation:
    """A note on a passage of a written reflection: ``quote`` is the passage, exactly as it
    stands in the text at character ``quote_at`` (checked against the stored file)."""
    if not quote.strip():
        raise UserError("Select the passage the note is about first.")
    if quote_at < 0:
        raise UserError("A quoted passage starts within the text.")
    with ctx.transaction() as session:
        review = _review(session, review_uid)
        item = _evidence(session, review, evidence_key)
        if item.kind is not EvidenceKind.TEXT:
            raise UserError("Quoted passages belong on a written reflection.")
        path = ctx.evidence.path_for(item.sha256)
        if path.is_file():  # (the text may be missing here; the passage is kept all the same)
            whole = path.read_text(encoding="utf-8", errors="replace")
            if whole[quote_at:quote_at + len(quote)] != quote:
                raise UserError("The passage quoted is not in the written reflection at that place.")
        row = m.Annotation(review=review, number=number or _next_number(session, review),
                           evidence_item=item, criterion=_criterion(session, review, criterion_key),
                           kind=AnnotationKind.QUOTE, quote=quote, quote_at=int(quote_at), text=text)
        if uid:
            row.uid = uid
        session.add(row)
        session.flush()
        return _to_annotation(row)


def restore_note(ctx: AppContext, review_uid: str, note: Annotation) -> Annotation:
    """Put back a deleted note with its number and uid (Undo of a deletion)."""
    again = {"uid": note.uid, "number": note.number}
    if note.kind is AnnotationKind.TIME:
        return add_time_note(ctx, review_uid, note.evidence_key, note.start_ms or 0, note.end_ms,
                             note.text, note.criterion_key, **again)
    if note.kind is AnnotationKind.REGION:
        return add_region_note(ctx, review_uid, note.evidence_key, note.region, note.text,
                               note.criterion_key, **again)
    if note.kind is AnnotationKind.QUOTE:
        return add_quote_note(ctx, review_uid, note.evidence_key, note.quote or "", note.quote_at or 0,
                              note.text, note.criterion_key, **again)
    return add_page_note(ctx, review_uid, note.evidence_key, note.page or 0, note.region,
                         note.text, note.criterion_key, **again)


def update_note(ctx: AppContext, uid: str, *, text: str | None = None,
                criterion_key: str | None | type[...] = ...) -> Annotation:
    """Change a note's text and/or its criterion (pass ``criterion_key=None`` to untie it)."""
    with ctx.transaction() as session:
        row = _load(session, uid)
        review = _review(session, row.review.uid)
        if text is not None:
            row.text = text
        if criterion_key is not ...:
            row.criterion = _criterion(session, review, criterion_key)  # type: ignore[arg-type]
        row.updated_at = utcnow()
        session.flush()
        return _to_annotation(row)


def delete_note(ctx: AppContext, uid: str) -> Annotation:
    """Delete a note; returns it as it was, so that Undo can restore it."""
    with ctx.transaction() as session:
        row = _load(session, uid)
        _review(session, row.review.uid)
        note = _to_annotation(row)
        session.delete(row)
        return note


def list_notes(ctx: AppContext, review_uid: str) -> list[Annotation]:
    with ctx.sessions() as session:
        review = session.scalars(select(m.Review).where(m.Review.uid == review_uid)).first()
        if review is None:
            raise NotFound(f"No review {review_uid}")
        check_readable(session, review.reviewer_id)
        rows = session.scalars(select(m.Annotation).where(m.Annotation.review_id == review.id)
                               .order_by(m.Annotation.number).options(
                                   selectinload(m.Annotation.evidence_item),
                                   selectinload(m.Annotation.criterion))).all()
        return [_to_annotation(r) for r in rows]
