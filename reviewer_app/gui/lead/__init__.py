"""Lead assessors' windows: exports of final decisions and feedback letters."""

from reviewer_app.gui.lead.exports_dialog import (
    ExportDecisionsDialog,
    LettersDialog,
    open_exports_dialog,
    open_letters_dialog,
)

__all__ = ["ExportDecisionsDialog", "LettersDialog", "open_exports_dialog", "open_letters_dialog"]
