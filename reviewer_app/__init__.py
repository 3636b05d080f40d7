"""Reviewer: an offline-first desktop app for assessing micro-credential evidence.

The core (everything here except ``reviewer_app.gui``) imports no Qt; the CLI and the
GUI both stand on ``reviewer_app.services``.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("reviewer-app")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

APP_NAME = "Reviewer"
APP_ID = "reviewer-app"
