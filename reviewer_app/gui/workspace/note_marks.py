"""The notes shown where they point: ticks and bands on the video's seek bar, rectangles on
the PDF's pages and its thumbnails and on photos, highlighted passages in a written
reflection; and going to a note's place. Called with the whole list whenever it changes (an
added, edited, deleted, undone or redone note), so a note gone is a mark gone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF

from reviewer_app.domain.model import Annotation, AnnotationKind, EvidenceKind
from reviewer_app.gui.media.seek_markers import SeekMarker

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.evidence_viewer import EvidenceViewer


def label(note: Annotation) -> str:
    text = " ".join(note.text.split())
    text = text if len(text) <= 60 else text[:59] + "\u2026"
    return f"{note.citation} {note.where()}" + (f": {text}" if text else "")


def show_note_marks(viewer: EvidenceViewer, notes: list[Annotation]) -> None:
    media = viewer.media_item
    timed = [n for n in notes if media is not None and n.evidence_key == media.key
             and n.kind is AnnotationKind.TIME]
    viewer.media.seek_bar.marks.set([SeekMarker(n.start_ms or 0, n.end_ms, label(n)) for n in timed])
    if media is not None and media.kind is EvidenceKind.VIDEO:
        # Their frames are decoded ahead, so choosing a note shows its frame at once.
        viewer.media.prepare_frames([n.start_ms or 0 for n in timed])
    document = viewer.document_item
    mine = [n for n in notes if document is not None and n.evidence_key == document.key]
    if document is not None and document.kind is EvidenceKind.PDF:
        viewer.pdf.set_highlights([(n.page or 0, rect(n), n.citation) for n in mine if n.region is not None])
    elif document is not None and document.kind is EvidenceKind.IMAGE:
        viewer.image.set_note_regions([(rect(n), label(n)) for n in mine if n.region is not None])
    elif document is not None and document.kind is EvidenceKind.TEXT:
        viewer.text.set_quotes([(n.quote_at or 0, len(n.quote or "")) for n in mine
                                if n.kind is AnnotationKind.QUOTE])


def rect(note: Annotation) -> QRectF:
    r = note.region
    assert r is not None
    return QRectF(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0)


def go_to_place(viewer: EvidenceViewer, note: Annotation) -> None:
    """Take the note's viewer (already showing its item) to the note's moment or place."""
    if note.kind is AnnotationKind.TIME:
        viewer.media.seek(note.start_ms or 0, exact=True)  # the very frame
    elif note.kind is AnnotationKind.PAGE:
        viewer.pdf.go_to_page(note.page or 0, rect(note) if note.region is not None else None)
    elif note.kind is AnnotationKind.REGION:
        viewer.image.show_region(rect(note) if note.region is not None else None)
    elif note.kind is AnnotationKind.QUOTE:
        viewer.text.show_passage(note.quote_at or 0, len(note.quote or ""))
