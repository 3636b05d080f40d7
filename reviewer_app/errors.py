"""The one way errors reach a user.

A ``UserError`` carries a message in plain words (one line, says what and where) and
optional details that can be copied. The CLI prints the message on stderr and exits
with status 2; the GUI shows it in a dialog with the details behind a button. Anything
that is not a ``UserError`` is a bug: it is logged with its traceback and reported as
"unexpected", with the log file's location.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can understand and act on."""

    exit_status = 2

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class PackageError(UserError):
    """A submission package was refused; nothing from it was stored."""

    def __init__(self, source: str, message: str, details: str = "") -> None:
        super().__init__(f"{source}: {message}", details)
        self.source = source
        self.reason = message


class NotFound(UserError):
    """A submission, review or profile that the user named does not exist."""


class StoreError(UserError):
    """The database cannot be opened or upgraded."""


class Cancelled(Exception):
    """Long work stopped because the user asked; not an error, so it is never shown as one."""
