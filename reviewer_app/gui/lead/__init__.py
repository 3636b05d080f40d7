"""Lead assessors' windows: the Lead menu and profile (menus), moderation, score batches,
credential policies, calibration (and a reviewer's calibration result), the audit log,
and the exports of final decisions and feedback letters."""

from reviewer_app.gui.lead.exports_dialog import (
    ExportDecisionsDialog,
    LettersDialog,
    open_exports_dialog,
    open_letters_dialog,
)

__all__ = ["ExportDecisionsDialog", "LettersDialog", "open_exports_dialog", "open_letters_dialog"]
