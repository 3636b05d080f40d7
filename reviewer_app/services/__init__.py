"""Use cases that the CLI and the GUI call. Each method opens one short-lived session,
commits at once, and returns plain immutable values (never live ORM objects)."""

from reviewer_app.store.context import AppContext

__all__ = ["AppContext"]
