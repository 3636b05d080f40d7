"""Dispute ids people can type, and word that the disputes changed (no Qt).

Every dispute has its own id (``Dispute.uid``, a UUID). People see its **short form**,
the first ``SHORT`` characters, longer only where two disputes listed together would
otherwise share it; any unique start of an id (``MIN_PREFIX`` characters or more) names
the dispute, and a start shared by several disputes is refused with the candidates listed.

**Changes.** ``version`` is a cheap change counter (how many disputes, how many resolved,
the latest time one was opened or resolved): a window compares it when it is activated
and reloads when it differs, which catches a dispute resolved by another process (the
command line, another window). Within this process the services also call ``notify``
after a dispute is resolved; a window subscribes with ``subscribe`` and relays the call
to its own thread (a Qt signal does that), so it refreshes at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from reviewer_app.errors import UserError
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

log = logging.getLogger(__name__)

SHORT = 8
MIN_PREFIX = 4
LISTED = 10  # candidates named in an "ambiguous" message


class AmbiguousDispute(UserError):
    """A short id that starts more than one dispute's id."""

    def __init__(self, ref: str, candidates: list[tuple[str, str, int]], more: bool) -> None:
        self.candidates = candidates
        names = "; ".join(f"{uid[:max(SHORT, len(ref) + 1)]} ({key} attempt {n})"
                          for uid, key, n in candidates)
        super().__init__(f"Dispute id {ref!r} is ambiguous: it starts the ids of "
                         f"{'more than ' if more else ''}{len(candidates)} disputes: {names}. "
                         "Give more of the id.")


def short_ids(uids: Iterable[str]) -> dict[str, str]:
    """Each uid's short form: ``SHORT`` characters, or as many more as keep it unique
    among ``uids``."""
    uids = sorted(set(uids))
    out = {}
    for i, uid in enumerate(uids):
        length = SHORT
        for other in (uids[i - 1] if i else None, uids[i + 1] if i + 1 < len(uids) else None):
            if other is not None:
                common = next((k for k, (a, b) in enumerate(zip(uid, other)) if a != b),
                              min(len(uid), len(other)))
                length = max(length, common + 1)
        out[uid] = uid[:length]
    return out


def by_prefix(session: Session, ref: str) -> str | None:
    """The uid of the one dispute whose id starts with ``ref`` (``MIN_PREFIX`` characters
    or more, case ignored); None when none does; ``AmbiguousDispute`` when several do."""
    ref = ref.strip().lower()
    if len(ref) < MIN_PREFIX:
        return None
    rows = session.execute(
        select(m.Dispute.uid, m.Submission.key, m.Attempt.number)
        .join(m.Attempt, m.Dispute.attempt_id == m.Attempt.id)
        .join(m.Submission, m.Attempt.submission_id == m.Submission.id)
        .where(m.Dispute.uid.startswith(ref, autoescape=True))
        .order_by(m.Dispute.uid).limit(LISTED + 1)).all()
    if len(rows) > 1:
        raise AmbiguousDispute(ref, [tuple(r) for r in rows[:LISTED]], len(rows) > LISTED)
    return rows[0][0] if rows else None


def version(ctx: AppContext) -> tuple:
    """A value that changes whenever a dispute is opened or resolved (one short read)."""
    d = m.Dispute
    with ctx.sessions() as session:
        row = session.execute(select(
        func.count(), func.coalesce(func.sum(case((d.state == "resolved", 1), else_=0)), 0),
            func.max(d.opened_at), func.max(d.resolved_at))).one()
    return tuple(str(v) if v is not None else None for v in row)


_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def subscribe(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` (on the notifying thread) after disputes change; returns the
    function that unsubscribes it."""
    with _lock:
        _listeners.append(callback)

    def unsubscribe() -> None:
        with _lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return unsubscribe


def notify() -> None:
    """Tell every subscriber that disputes changed (after the change is committed)."""
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        try:
            callback()
        except Exception:  # a listener's failure must not undo a committed change
            log.exception("a dispute listener failed")
