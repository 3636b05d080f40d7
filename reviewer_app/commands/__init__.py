"""Command-line commands beyond the basics in ``reviewer_app.cli``, one module per area.

Each module listed in ``COMMANDS`` defines ``add_commands(sub)``, which adds its
subparsers to ``reviewer-app``'s and sets ``func`` on each to a function
``(args, paths) -> exit status``. Modules import the services they need inside the
command functions, and a command line imports only the module of the command it names
(``add_for``), so ``reviewer-app import`` and ``list`` start fast; ``--help``, no command
or an unknown one imports them all. ``tests/cli/test_startup.py`` checks ``COMMANDS``
against what the modules add.
"""

from __future__ import annotations

import argparse
from importlib import import_module

# Module -> the top-level commands it adds, in the order they appear in ``--help``.
COMMANDS: dict[str, tuple[str, ...]] = {
    "issuer": ("issuer", "issuer-serve"),
    "profile": ("profile",),
    "exports": ("decisions", "letters"),
    "stats": ("stats",),
    "batches": ("batch",),
    "identity": ("identity", "enrol", "enrolled", "revoke"),
    "audit": ("audit",),
    "moderation": ("disputes", "moderate", "policy", "blind", "calibration"),
    "storage": ("restore-backup",),
    "release": ("second-reads", "assignments", "late", "held", "backread", "overturn", "release"),
}


def module_of(command: str | None) -> str | None:
    return next((module for module, names in COMMANDS.items() if command in names), None)


def add_all(sub: argparse._SubParsersAction) -> None:
    for module in COMMANDS:
        import_module(f"reviewer_app.commands.{module}").add_commands(sub)


def add_for(sub: argparse._SubParsersAction, command: str) -> None:
    """Add the commands of the one module that defines ``command``."""
    module = module_of(command)
    assert module is not None, command
    import_module(f"reviewer_app.commands.{module}").add_commands(sub)
