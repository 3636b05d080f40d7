"""Command-line commands beyond the basics in ``reviewer_app.cli``, one module per area.

Each module listed in ``MODULES`` defines ``add_commands(sub)``, which adds its
subparsers to ``reviewer-app``'s and sets ``func`` on each to a function
``(args, paths) -> exit status``. Modules import the services they need inside the
command functions, so ``reviewer-app --help`` stays fast.
"""

from __future__ import annotations

import argparse

from reviewer_app.commands import (
    audit,
    batches,
    exports,
    identity,
    issuer,
    moderation,
    profile,
    release,
    stats,
    storage,
)

# In the order their commands appear in ``reviewer-app --help``.
MODULES = (issuer, profile, exports, stats, batches, identity, audit, moderation, storage, release)


def add_all(sub: argparse._SubParsersAction) -> None:
    for module in MODULES:
        module.add_commands(sub)
