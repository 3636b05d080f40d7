"""Reviewer: an offline-first desktop app for assessing micro-credential evidence.

The core (everything here except ``reviewer_app.gui``) imports no Qt; the CLI and the
GUI both stand on ``reviewer_app.services``.
"""

APP_NAME = "Reviewer"
APP_ID = "reviewer-app"


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up when first asked for: importlib.metadata costs about
    # 40 ms, a tenth of a command's start-up, and most commands never print it.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("reviewer-app")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        version = "0.0.0+source"
    globals()["__version__"] = version
    return version
