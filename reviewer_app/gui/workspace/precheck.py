"""The pre-check when a submission opens: can each evidence item be played or read?

Runs on worker threads (never the GUI thread). PDFs are checked by the out-of-process
renderer, because PyMuPDF holds the interpreter even on a worker thread.
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.domain.model import EvidenceItem, EvidenceKind


def precheck_item(item: EvidenceItem, path: Path) -> str:
    """'' when the item looks usable, else what is wrong in plain words."""
    if not path.is_file():
        return "The file is missing from this computer's evidence store."
    if item.kind in (EvidenceKind.VIDEO, EvidenceKind.AUDIO):
        from reviewer_app.gui.media.probe import probe_media

        result = probe_media(path)
        if not result.ok:
            return result.message
        if item.kind is EvidenceKind.VIDEO and not result.has_video:
            return "This file has no picture, only sound."
        return ""
    if item.kind is EvidenceKind.IMAGE:
        from reviewer_app.gui.workspace.viewers import read_image

        try:
            read_image(path)
        except ValueError as exc:
            return str(exc)
        return ""
    if item.kind is EvidenceKind.PDF:
        from reviewer_app.gui.pdf.render_client import check_pdf

        return check_pdf(path)
    return ""
