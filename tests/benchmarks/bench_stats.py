#!/usr/bin/env python3
"""Benchmark: agreement statistics over 100,000 review pairs.

    python tests/benchmarks/bench_stats.py [--pairs 100000] [--repeat 5] [--workdir DIR]
                                           [--database-url URL] [--json FILE]

A script, not a test (pytest does not collect it). Builds, once (not timed), a data
folder holding ``--pairs`` pairs of submitted reviews by 12 reviewers over the demo's two
credentials: most attempts with two reviews, some with three (three pairs each), every
criterion scored, submitted over two years; beside them attempts with one submitted
review and one draft, which must not pair. Rows go in with SQLAlchemy Core
``insert()`` executemany, not the ORM. Then it times
``reviewer_app.services.stats.agreement_stats`` (every section: per credential, per
criterion, per pair, per week, score distributions), each run in full, query included,
on a context opened once. Floor: median under 2 s (absolute).

On SQLite, a reference baseline in the same run, alternating with the app (the order
flipped each round): ``reference_stats``, the same pairs of criterion levels read with
a bare ``sqlite3`` self-join, put in the same canonical order (by the reviewers' uids),
and the figures per credential and per criterion computed by the reference libraries
the app's figures are tested against: scikit-learn's ``cohen_kappa_score`` (plain and
quadratic) and the ``krippendorff`` package's ``alpha`` (ordinal and interval). After the
first round the two sets of figures are compared (the script stops if they differ). The
baseline leaves out what the report has beyond those (decisions, pairs of reviewers,
weeks, drift, distributions), so the ratio app / reference is information.

Exit status: 0 when the floor holds, 1 when it is missed, 2 when it could not measure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.services.demo import load_demo
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

MAX_SECONDS = 2.0
REVIEWERS = 12
CHUNK = 20_000
EXIT_OK, EXIT_FLOOR_MISSED, EXIT_CANNOT_MEASURE = 0, 1, 2


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def make_pairs(ctx: AppContext, pairs: int, seed: int = 11) -> dict[str, int]:
    """Add ``pairs`` pairs of submitted reviews (and unpaired noise) to a demo database."""
    rng = random.Random(seed)
    load_demo(ctx)
    with ctx.transaction() as s:
        s.execute(update(m.Profile).values(role=Role.LEAD_ASSESSOR).where(m.Profile.is_self.is_(True)))
        creds = s.execute(select(m.Credential.id, m.Credential.key)).all()
        rubric = {c: s.scalar(select(m.Attempt.rubric_id).where(m.Attempt.credential_id == c))
                  for c, _ in creds}
        criteria = {c: s.execute(select(m.Criterion.id, m.Criterion.required_level)
                                 .where(m.Criterion.rubric_id == rubric[c])
                                 .order_by(m.Criterion.position)).all() for c, _ in creds}
        levels = {c: max(v for (v,) in s.execute(
            select(m.CriterionLevel.value).where(m.CriterionLevel.criterion_id == criteria[c][0][0])))
            for c, _ in creds}
        reviewer_ids = []
        for i in range(REVIEWERS):
            p = m.Profile(name=f"Reviewer {i + 1:02d}", role=Role.REVIEWER)
            s.add(p)
            s.flush()
            reviewer_ids.append(p.id)
        bias = {r: rng.choice((-1, 0, 0, 0, 1)) for r in reviewer_ids}
        start_sub = s.scalar(select(m.Submission.id).order_by(m.Submission.id.desc())) + 1
        start_att = s.scalar(select(m.Attempt.id).order_by(m.Attempt.id.desc())) + 1
        start_rev = s.scalar(select(m.Review.id).order_by(m.Review.id.desc())) + 1
        base = datetime(2025, 1, 1, tzinfo=UTC)
        # Reviews per attempt: two for most, three for some (three pairs each), then
        # unpaired noise: one submitted review and a draft.
        threes = pairs // 15
        twos = pairs - 3 * threes
        plan = [3] * threes + [2] * twos + [1] * (pairs // 10)
        rng.shuffle(plan)
        subs, atts, revs, scores = [], [], [], []
        made = {"pairs": 0, "criterion_pairs": 0, "reviews": 0, "scores": 0}
        rid = start_rev
        for i, count in enumerate(plan):
            cred_id, cred_key = creds[i % len(creds)]
            sid, aid = start_sub + i, start_att + i
            when = base + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            subs.append({"id": sid, "key": f"STATS-{i:07d}", "credential_key": cred_key,
                         "candidate_key": f"cand-{i}"})
            atts.append({"id": aid, "submission_id": sid, "number": 1, "credential_id": cred_id,
                         "rubric_id": rubric[cred_id], "submitted_at": when, "imported_at": when,
                         "manifest_sha256": "0" * 64, "manifest_json": "{}",
                         "queue_status": "submitted", "evidence_count": 1})
            truth = [rng.randint(1, levels[cred_id]) for _ in criteria[cred_id]]
            who = rng.sample(reviewer_ids, count + (1 if count == 1 else 0))
            for j, reviewer in enumerate(who):
                draft = count == 1 and j == 1
                scored = []
                for (crit_id, required), true_level in zip(criteria[cred_id], truth):
                    level = true_level + bias[reviewer] + rng.choice((-1, 0, 0, 0, 0, 1))
                    level = min(levels[cred_id], max(1, level))
                    scored.append(level >= required)
                    scores.append({"review_id": rid, "criterion_id": crit_id, "level": level,
                                   "comment": "", "updated_at": when})
                t = when + timedelta(hours=rng.randrange(1, 24 * 14))
                revs.append({"id": rid, "uid": f"00000000-0000-4000-8000-{rid:012d}",
                             "attempt_id": aid, "reviewer_id": reviewer,
                             "status": ReviewStatus.DRAFT if draft else ReviewStatus.SUBMITTED,
                             "decision": None if draft else
                             (Decision.EARNED if all(scored) else Decision.NOT_YET),
                             "feedback": "", "created_at": when, "updated_at": t,
                             "submitted_at": None if draft else t, "notes_issued": 0})
                rid += 1
            if count >= 2:
                made["pairs"] += count * (count - 1) // 2
                made["criterion_pairs"] += count * (count - 1) // 2 * len(criteria[cred_id])
        made["reviews"], made["scores"] = len(revs), len(scores)
        for table, rows in ((m.Submission, subs), (m.Attempt, atts), (m.Review, revs),
                            (m.ReviewScore, scores)):
            for k in range(0, len(rows), CHUNK):
                s.execute(insert(table), rows[k:k + CHUNK])
    return made


# -- the reference baseline: bare sqlite3, numpy, scikit-learn and krippendorff -------------

REFERENCE_PAIRS = """
SELECT a.credential_id, s1.criterion_id, s1.level, s2.level, p1.uid > p2.uid
FROM review r1
JOIN review r2 ON r2.attempt_id = r1.attempt_id AND r2.id > r1.id
                  AND r2.reviewer_id != r1.reviewer_id
JOIN attempt a ON a.id = r1.attempt_id
JOIN profile p1 ON p1.id = r1.reviewer_id
JOIN profile p2 ON p2.id = r2.reviewer_id
JOIN review_score s1 ON s1.review_id = r1.id
JOIN review_score s2 ON s2.review_id = r2.id AND s2.criterion_id = s1.criterion_id
WHERE r1.status = 'submitted' AND r2.status = 'submitted'
  AND r1.kind = 'review' AND r2.kind = 'review'
  AND s1.level IS NOT NULL AND s2.level IS NOT NULL
  AND r1.attempt_id NOT IN (SELECT attempt_id FROM calibration_item)
"""


def reference_stats(db: Path) -> dict[tuple[str, str | None], tuple[int, float, float, float, float]]:
    """(credential key, criterion key or None for the credential) -> (pairs of levels,
    kappa, quadratic kappa, alpha ordinal, alpha interval), by the reference libraries."""
    import warnings

    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    con = sqlite3.connect(db)
    cred_key = dict(con.execute("SELECT id, key FROM credential"))
    crit_key = dict(con.execute("SELECT id, key FROM criterion"))
    scale: dict[int, list[int]] = {}
    for cid, value in con.execute("SELECT criterion_id, value FROM criterion_level ORDER BY value"):
        scale.setdefault(cid, []).append(value)
    rows = np.array(con.execute(REFERENCE_PAIRS).fetchall(), dtype=np.int64)
    con.close()
    flip = rows[:, 4] == 1  # canonical order: the reviewer with the smaller uid first
    first = np.where(flip, rows[:, 3], rows[:, 2])
    second = np.where(flip, rows[:, 2], rows[:, 3])
    groups: dict[tuple[str, str | None], np.ndarray] = {}
    criteria_of: dict[str, set[int]] = {}
    for cred in np.unique(rows[:, 0]):
        in_cred = rows[:, 0] == cred
        groups[(cred_key[int(cred)], None)] = in_cred
        criteria_of[cred_key[int(cred)]] = {int(c) for c in np.unique(rows[in_cred, 1])}
    for crit in np.unique(rows[:, 1]):
        in_crit = rows[:, 1] == crit
        groups[(cred_key[int(rows[in_crit, 0][0])], crit_key[int(crit)])] = in_crit
    out = {}
    for (cred, crit), mask in groups.items():
        ids = criteria_of[cred] if crit is None else {k for k, v in crit_key.items() if v == crit
                                                      and k in criteria_of[cred]}
        levels = sorted({v for i in ids for v in scale[i]})
        a, b = first[mask], second[mask]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kappa = cohen_kappa_score(a, b, labels=levels)
            weighted = cohen_kappa_score(a, b, labels=levels, weights="quadratic")
        data = np.vstack([a, b])
        alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                   value_domain=levels)
        alpha_interval = krippendorff.alpha(reliability_data=data, level_of_measurement="interval",
                                            value_domain=levels)
        out[(cred, crit)] = (int(mask.sum()), float(kappa), float(weighted), float(alpha),
                             float(alpha_interval))
    return out


def same_figures(report, reference) -> str | None:
    """None when the app's report gives the reference's figures; else the first difference."""
    app = {(r.credential_key, r.criterion_key): r.scores
           for r in [*report.by_credential, *report.by_criterion]}
    if set(app) != set(reference):
        return f"rows {sorted(map(str, set(app) ^ set(reference)))[:4]}"
    for key, (n, kappa, weighted, alpha, alpha_interval) in reference.items():
        got = app[key]
        mine = (got.n, got.kappa, got.weighted_kappa, got.alpha, got.alpha_interval)
        theirs = (n, kappa, weighted, alpha, alpha_interval)
        if mine[0] != n or any(abs(x - y) > 1e-9 for x, y in zip(mine[1:], theirs[1:])):
            return f"{key}: app {mine}, reference {theirs}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="kept between runs: the data is made once")
    parser.add_argument("--database-url", help="use this database (e.g. PostgreSQL) instead "
                        "of SQLite; it must be empty the first time (filled once, like the "
                        "work folder)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from reviewer_app.services.stats import agreement_stats

    work = args.workdir or Path(tempfile.gettempdir()) / f"reviewer-bench-stats-{args.pairs}"
    marker = work / "made.json"
    # Lead actions want the lead's key from a keyring: a test keyring in a file, kept beside the data.
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync")]
    from lead_support import as_lead_database, file_keyring

    keyring_file = file_keyring(work.parent / f"{work.name}.keyring.json")
    keyring_file.__enter__()
    if not marker.exists() or json.loads(marker.read_text()).get("url") != args.database_url:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        t = time.perf_counter()
        with AppContext.open(resolve_paths(data_dir=work / "data",
                                           database_url=args.database_url)) as ctx:
            made = make_pairs(ctx, args.pairs)
            as_lead_database(ctx)  # the lead's database, bound to the key in that keyring
        print(f"made {made['pairs']:,} review pairs ({made['criterion_pairs']:,} criterion "
              f"pairs, {made['reviews']:,} reviews, {made['scores']:,} scores) "
              f"in {time.perf_counter() - t:.1f} s")
        marker.write_text(json.dumps({**made, "url": args.database_url}))
    made = json.loads(marker.read_text())

    ctx = AppContext.open(resolve_paths(data_dir=work / "data", database_url=args.database_url))
    db = ctx.paths.sqlite_path if ctx.engine.dialect.name == "sqlite" else None
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU time (SQLite runs in it): less hit by a busy machine
    ref_times: list[float] = []
    ref_cpu: list[float] = []
    load_before = _load()
    try:
        if db is not None:
            reference_stats(db)  # warm-up, not timed: imports numpy, scikit-learn, krippendorff
        for round_ in range(args.repeat):
            # The app and the reference in turn, the order flipped each round.
            for side in ("app", "ref") if round_ % 2 == 0 else ("ref", "app"):
                if side == "ref" and db is None:
                    continue
                t, c = time.perf_counter(), time.process_time()
                if side == "app":
                    report = agreement_stats(ctx)
                else:
                    reference = reference_stats(db)
                (times if side == "app" else ref_times).append(time.perf_counter() - t)
                (cpu if side == "app" else ref_cpu).append(time.process_time() - c)
            if round_ == 0 and db is not None:
                differs = same_figures(report, reference)
                if differs:
                    print(f"error: the app's figures differ from the reference's: {differs}",
                          file=sys.stderr)
                    return EXIT_CANNOT_MEASURE
    finally:
        ctx.close()
    if report.pairs != made["pairs"]:  # the demo's own reviews have no second reviewer
        print(f"error: the report counts {report.pairs:,} pairs, {made['pairs']:,} were made",
              file=sys.stderr)
        return EXIT_CANNOT_MEASURE
    n = sum(r.scores.n for r in report.by_credential)
    if n != made["criterion_pairs"]:
        print(f"error: {n:,} criterion pairs counted, {made['criterion_pairs']:,} made",
              file=sys.stderr)
        return EXIT_CANNOT_MEASURE
    median = statistics.median(times)
    load = _load()
    print(f"agreement statistics over {report.pairs:,} review pairs ({n:,} criterion pairs, "
          f"{len(report.by_pair)} reviewer-pair rows, {len(report.over_time)} weeks)")
    print("runs: " + ", ".join(f"{x:.3f} s" for x in times))
    print("CPU time of this process: " + ", ".join(f"{x:.3f} s" for x in cpu)
          + f" (median {statistics.median(cpu):.3f} s)")
    print(f"median {median:.3f} s (floor {MAX_SECONDS:.1f} s); "
          f"{ctx.engine.dialect.name}; load average {load_before:.2f} before, {load:.2f} after; "
          f"{platform.python_implementation()} {platform.python_version()}")
    ratio = cpu_ratio = None
    if ref_times:
        ref_median, ref_cpu_median = statistics.median(ref_times), statistics.median(ref_cpu)
        ratio, cpu_ratio = median / ref_median, statistics.median(cpu) / ref_cpu_median
        paired = [a / b for a, b in zip(times, ref_times)]
        print("reference (bare sqlite3 self-join + scikit-learn kappa + krippendorff alpha, per "
              "credential and criterion; same figures, checked): runs "
              + ", ".join(f"{x:.3f} s" for x in ref_times)
              + f"; median {ref_median:.3f} s, CPU {ref_cpu_median:.3f} s")
        print(f"ratio app / reference (information; the floor is the 2 s): wall {ratio:.2f} (each "
              f"round {min(paired):.2f} to {max(paired):.2f}), CPU {cpu_ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"made": made, "runs": times, "median": median, "cpu": cpu,
                                         "floor": MAX_SECONDS, "load": [load_before, load],
                                         "reference_runs": ref_times, "reference_cpu": ref_cpu,
                                         "ratio": ratio, "cpu_ratio": cpu_ratio,
                                         "dialect": ctx.engine.dialect.name}, indent=2))
    return EXIT_OK if median < MAX_SECONDS else EXIT_FLOOR_MISSED


if __name__ == "__main__":
    sys.exit(main())
