"""Command-line commands beyond the basics in ``reviewer_app.cli``, one module per area.

Each module listed in ``MODULES`` defines ``add_commands(sub)``, which adds its
subparsers to ``reviewer-app``'s and sets ``func`` on each to a function
``(args, paths) -> exit status``. Modules import the services they need inside the
command functions, so ``reviewer-app --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib

MODULES: tuple[str, ...] = (
    "reviewer_app.commands.issuer",
    "reviewer_app.commands.profile",
    "reviewer_app.commands.exports",
    "reviewer_app.commands.stats",
    "reviewer_app.commands.batches",
    "reviewer_app.commands.identity",
    "reviewer_app.commands.audit",
    "reviewer_app.commands.moderation",
    "reviewer_app.commands.storage",
    "reviewer_app.commands.release",
)


def add_all(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001 - argparse's own type
    for name in MODULES:
        importlib.import_module(name).add_commands(sub)
