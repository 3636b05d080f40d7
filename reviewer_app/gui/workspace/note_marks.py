"""The notes shown where they point: ticks and bands on the video's seek bar, rectangles on
the PDF's pages and its thumbnails. Called with the whole list whenever it changes (an
added, edited, deleted, undone or redone note), so a note gone is a mark gone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF

from reviewer_app.domain.model import Annotation, AnnotationKind, EvidenceKind
from reviewer_app.gui.media.seek_markers import SeekMarker

if TYPE_CHECKING:
    from reviewer_app.gui.workspace.window import EvidenceViewer


def label(note: Annotation) -> str:
    text = " ".join(note.text.split())
    text = text if len(text) <= 60 else text[:59] + "\u2026"
    return f"{note.citation} {note.where()}" + (f": {text}" if text else "")


def show_note_marks(viewer: EvidenceViewer, notes: list[Annotation]) -> None:
    media = viewer.media_item
    timed = [n for n in notes if media is not None and n.evidence_key == media.key
             and n.kind is AnnotationKind.TIME]
    viewer.media.seek_bar.set_markers([SeekMarker(n.start_ms or 0, n.end_ms, label(n)) for n in timed])
    if media is not None and media.kind is EvidenceKind.VIDEO:
        # Their frames are decoded ahead, so choosing a note shows its frame at once.
        viewer.media.prepare_frames([n.start_ms or 0 for n in timed])
    document = viewer.document_item
    if document is not None and document.kind is EvidenceKind.PDF:
        viewer.pdf.set_highlights([
            (n.page or 0, QRectF(n.region.x0, n.region.y0, n.region.x1 - n.region.x0,
                                 n.region.y1 - n.region.y0), n.citation)
            for n in notes if n.evidence_key == document.key and n.region is not None])
