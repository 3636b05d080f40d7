"""What became of each review of an imported score batch, one line each: what the lead
tells the reviewer who sent it (not only "imported 15 reviews")."""

from __future__ import annotations

from typing import Any

from reviewer_app.domain.moderation import REASON_TEXT


def review_lines(new: list[tuple[Any, tuple[int, int, int]]], result: Any) -> tuple[str, ...]:
    """What became of each review, one line each, in the batch's order."""
    if result is None:
        return tuple(f"{r.label}: imported" for r, _ in new)
    final, held, disputed = set(result.final), set(result.held), set(result.disputed)
    waiting = set(result.waiting)
    late = {review_attempt: agrees for review_attempt, _, agrees in result.late}
    lines = []
    for r, (aid, _, _) in new:
        if aid in late:
            what = ("arrived after the final decision and agrees with it" if late[aid] else
                    "arrived after the final decision and differs from it: kept, listed for the "
                    "lead's backreading; the final decision is unchanged")
        elif aid in disputed:
            what = "differs from another review: goes to moderation"
        elif aid in held:
            what = "final decision, held for the lead's backreading and release"
        elif aid in final:
            what = "final decision, queued for the issuer"
        elif aid in waiting:
            what = f"waits for a second reading ({REASON_TEXT.get(result.reasons.get(aid, ''), 'policy')})"
        else:
            what = "kept (calibration practice, or already in moderation)"
        lines.append(f"{r.label}: {what}")
    return tuple(lines)
