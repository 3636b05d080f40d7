"""Two processes writing to one database at once: every write lands, none fails.

Each write takes SQLite's write lock up front (``BEGIN IMMEDIATE``), so the other process
waits its turn within the busy timeout; a deferred transaction that read first could not
be made to wait and failed with "database is locked" (369 of 800 did, before).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services import annotations, reviews
from reviewer_app.services.submissions import get_submission
from reviewer_app.store.context import AppContext

ROOT = Path(__file__).resolve().parents[2]
EDITS = 400

# Adds EDITS notes to one review (each numbered from the review's counter: a read, then a
# write, in one transaction) and prints how many failed.
WRITER = r"""
import sys
from reviewer_app.config import resolve_paths
from reviewer_app.services import annotations
from reviewer_app.store.context import AppContext
name, uid, edits = sys.argv[2], sys.argv[3], int(sys.argv[4])
errors = 0
with AppContext.open(resolve_paths(data_dir=sys.argv[1])) as ctx:
    print("READY", flush=True)
    sys.stdin.readline()  # both start together
    for i in range(edits):
        try:
            annotations.add_time_note(ctx, uid, "group", start_ms=i, text=f"{name}-{i}")
        except Exception as exc:
            errors += 1
            print("ERROR", exc, file=sys.stderr)
print("ERRORS", errors, flush=True)
"""


@pytest.mark.slow  # two processes writing at once
def test_two_processes_writing_at_once_lose_nothing(demo_data_dir: Path):
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        detail = get_submission(ctx, "DEMO-2001")
        uid = reviews.start_review(ctx, detail.attempt_id).uid
        before = len(annotations.list_notes(ctx, uid))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(demo_data_dir), name, uid,
                                 str(EDITS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
               for name in ("a", "b")]
    for w in writers:
        assert w.stdout.readline().strip() == "READY", w.stderr.read()
    for w in writers:
        w.stdin.write("go\n")
        w.stdin.flush()
    outs = [w.communicate(timeout=120) for w in writers]
    assert [o.strip() for o, _ in outs] == ["ERRORS 0", "ERRORS 0"], [e[-2000:] for _, e in outs]

    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        notes = annotations.list_notes(ctx, uid)
    assert len(notes) - before == 2 * EDITS
    texts = {n.text for n in notes}
    assert all(f"{p}-{i}" in texts for p in "ab" for i in range(EDITS))
    numbers = [n.number for n in notes]
    assert len(set(numbers)) == len(numbers), "two notes got the same number"
