"""Make a data folder holding N submission attempts (for the queue benchmark)."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import EvidenceKind, ReviewStatus, Role
from reviewer_app.services.demo import load_demo
from reviewer_app.store import models as m
from reviewer_app.store import queue_state
from reviewer_app.store.context import AppContext


def make_big_queue(data_dir: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with AppContext.open(resolve_paths(data_dir=data_dir)) as ctx:
        load_demo(ctx)
        with ctx.transaction() as s:
            creds = s.execute(select(m.Credential.id, m.Credential.key)).all()
            rubric_of = {c: s.scalar(select(m.Attempt.rubric_id).where(m.Attempt.credential_id == c))
                         for c, _ in creds}
            me = s.scalar(select(m.Profile.id).where(m.Profile.is_self.is_(True)))
            other = m.Profile(name="Other reviewer", role=Role.REVIEWER)
            s.add(other)
            s.flush()
            base = datetime(2025, 1, 1, tzinfo=UTC)
            start_sub = s.scalar(select(m.Submission.id).order_by(m.Submission.id.desc())) + 1
            start_att = s.scalar(select(m.Attempt.id).order_by(m.Attempt.id.desc())) + 1
            subs, atts, evs, revs = [], [], [], []
            for i in range(n):
                cred_id, cred_key = creds[i % len(creds)]
                sid, aid = start_sub + i, start_att + i
                subs.append({"id": sid, "key": f"BULK-{i:06d}", "credential_key": cred_key,
                             "candidate_key": f"cand-{i}"})
                atts.append({"id": aid, "submission_id": sid, "number": 1, "credential_id": cred_id,
                             "rubric_id": rubric_of[cred_id],
                             "submitted_at": base + timedelta(minutes=rng.randrange(600_000)),
                             "imported_at": base, "manifest_sha256": "0" * 64, "manifest_json": "{}"})
                atts[-1]["evidence_count"] = count = rng.randrange(1, 6)
                for j in range(count):
                    evs.append({"attempt_id": aid, "key": f"e{j}", "position": j,
                                "kind": EvidenceKind.VIDEO, "title": "Evidence", "path": "x",
                                "sha256": "0" * 64, "size": 1, "criteria_keys": ""})
                r = rng.random()
                if r < 0.3:
                    status = ReviewStatus.SUBMITTED if r < 0.15 else ReviewStatus.DRAFT
                    revs.append({"uid": f"00000000-0000-4000-8000-{i:012d}", "attempt_id": aid,
                                 "reviewer_id": me if r < 0.25 else other.id, "status": status,
                                 "feedback": "", "created_at": base, "updated_at": base,
                                 "submitted_at": base if status is ReviewStatus.SUBMITTED else None,
                                 "notes_issued": 0})
            for table, rows in ((m.Submission, subs), (m.Attempt, atts), (m.EvidenceItem, evs),
                                (m.Review, revs)):
                for k in range(0, len(rows), 20_000):
                    s.execute(insert(table), rows[k:k + 20_000])
            queue_state.refresh(s)


if __name__ == "__main__":
    t = time.perf_counter()
    make_big_queue(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
    print(f"made in {time.perf_counter() - t:.1f} s")
