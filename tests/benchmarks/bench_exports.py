#!/usr/bin/env python3
"""Benchmark: 100,000 final decisions exported to CSV, against a bare sqlite3 + csv script.

    python tests/benchmarks/bench_exports.py [--count 100000] [--repeat 5]
                                             [--workdir DIR] [--keep] [--json FILE]

A script, not a test (pytest does not collect it). It builds a data folder (demo data,
then ``--count`` final decisions with their reviews, per-criterion scores and outbox
entries, inserted in bulk with SQLAlchemy Core; not timed), then times, interleaved and
``--repeat`` times each, in this one process:

* **bare**: a plain ``sqlite3`` + ``csv`` script (``bare_export`` below) writing the same
  rows: the same joins, the same columns and criterion columns, the same cell rules
  (dates as ISO 8601 UTC, spreadsheet formulas neutralised), to a plain file;
* **app**: ``reviewer_app.services.final_exports.export_final_decisions`` in CSV (the
  lead-assessor check, the plan and count, Core streaming with ``yield_per``, progress
  and cancel checks).

Both sides write the same way: to a temporary file beside the target, flushed, fsynced
and renamed into place (the app through ``store.atomic_files``, the bare script with
``tempfile.mkstemp``, ``os.fsync`` and ``os.replace`` of its own). The two sides
alternate, the order flipped each round (app, bare, bare, app, ...), so a slow spell on a
shared machine falls on both. Both outputs are compared byte for byte after the untimed
first round: the figures are for the same file. The ratio is median(app) / median(bare)
of wall time; the CPU-time ratio and each round's own ratio (min to max) are printed
beside it. Floor (from issue #5): **1.5**.

Exit status: 0 when the floor holds, 1 when it is missed, 2 when it could not measure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # final_decisions_support: the bulk builder

MAX_RATIO = 1.5
EXIT_OK, EXIT_FLOOR_MISSED, EXIT_CANNOT_MEASURE = 0, 1, 2

def build(data_dir: Path, count: int, seed: int = 5) -> None:
    """A data folder with the demo data and ``count`` final decisions (not timed)."""
    from reviewer_app.config import resolve_paths
    from reviewer_app.domain.model import Role
    from reviewer_app.services.demo import load_demo
    from reviewer_app.services.roles import update_self
    from reviewer_app.store.context import AppContext

    from final_decisions_support import add_bulk_final_decisions

    with AppContext.open(resolve_paths(data_dir=data_dir)) as ctx:
        load_demo(ctx)
        update_self(ctx, name="Bench Lead", role=Role.LEAD_ASSESSOR)
        from lead_support import as_lead_database

        as_lead_database(ctx)  # the demo was loaded first: made the lead's as in the tests
        add_bulk_final_decisions(ctx, count, seed)
        db = ctx.paths.sqlite_path
    if db is not None:
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()


# -- (a) the bare script ---------------------------------------------------------------------

BARE_ROWS = """
SELECT fd.id, fd.uid, s.key, a.number, c.key, c.version, s.candidate_key,
       a.candidate_display_name, a.recipient_type, a.recipient_identity, fd.decision,
       fd.source, fd.rationale, p.name, fd.decided_at, o.state, r.feedback
FROM final_decision fd
JOIN attempt a ON a.id = fd.attempt_id
JOIN credential c ON c.id = a.credential_id
JOIN submission s ON s.id = a.submission_id
JOIN review r ON r.id = fd.review_id
JOIN profile p ON p.id = fd.decided_by_id
LEFT JOIN sync_outbox o ON o.review_id = fd.review_id
ORDER BY fd.decided_at, fd.id
"""
BARE_SCORES = """
SELECT fd.id, rs.criterion_id, rs.level, rs.comment
FROM final_decision fd JOIN review_score rs ON rs.review_id = fd.review_id
ORDER BY fd.decided_at, fd.id
"""
BARE_RUBRICS = """
SELECT DISTINCT c.key, rb.version, rb.id
FROM final_decision fd JOIN attempt a ON a.id = fd.attempt_id
JOIN credential c ON c.id = a.credential_id JOIN rubric rb ON rb.id = a.rubric_id
"""
FIXED = ["final_decision_id", "submission_id", "attempt", "credential_id", "credential_version",
         "candidate_id", "candidate_name", "recipient_type", "recipient", "decision", "source",
         "rationale", "decided_by", "decided_at", "sync_state", "feedback"]


def bare_export(db: Path, out: Path) -> int:
    """Final decisions to CSV with nothing but sqlite3 and csv."""
    def safe(v):
        if v is None:
            return ""
        return "'" + v if v.startswith(("=", "+", "-", "@", "\t", "\r")) else v

    con = sqlite3.connect(db)
    keys, slot = [], {}
    for _, _, rid in sorted(con.execute(BARE_RUBRICS).fetchall()):
        for cid, key in con.execute("SELECT id, key FROM criterion WHERE rubric_id = ? "
                                    "ORDER BY position", (rid,)):
            if key not in keys:
                keys.append(key)
            slot[cid] = 2 * keys.index(key)
    header = FIXED + [f"{kind}:{k}" for k in keys for kind in ("level", "comment")]
    scores = con.execute(BARE_SCORES)
    pending = scores.fetchone()
    n = 0
    # Written as the app writes: a temporary file beside the target, fsynced, renamed.
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for (fid, uid, sub, att, cred, cver, cand, name, rtype, recip, dec, src, why, by, at,
             state, feedback) in con.execute(BARE_ROWS):
            crit = [""] * (2 * len(keys))
            while pending is not None and pending[0] == fid:
                i = slot[pending[1]]
                crit[i] = "" if pending[2] is None else pending[2]
                crit[i + 1] = safe(pending[3])
                pending = scores.fetchone()
            at = datetime.fromisoformat(at).replace(tzinfo=UTC).isoformat(timespec="seconds")
            w.writerow([uid, safe(sub), att, safe(cred), safe(cver), safe(cand), safe(name),
                        rtype or "", safe(recip), dec, src, safe(why), safe(by), at,
                        state or "not_queued", safe(feedback), *crit])
            n += 1
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    con.close()
    return n


# -- (b) the app -----------------------------------------------------------------------------

def app_export(ctx, out: Path) -> int:
    from reviewer_app.services.final_exports import export_final_decisions

    return export_final_decisions(ctx, "csv", out).count


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _timed(fn, *args):
    t = time.perf_counter()
    c = time.process_time()
    n = fn(*args)
    return time.perf_counter() - t, time.process_time() - c, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    from reviewer_app.config import resolve_paths
    from reviewer_app.store.context import AppContext

    work = Path(tempfile.mkdtemp(prefix="bench-exports-", dir=args.workdir))
    # Lead actions want the lead's key from a keyring: a test keyring in a file, kept beside the data.
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync")]
    from lead_support import file_keyring

    keyring_file = file_keyring(work / "keyring.json")
    keyring_file.__enter__()
    try:
        data = work / "data"
        t = time.perf_counter()
        build(data, args.count)
        ctx = AppContext.open(resolve_paths(data_dir=data))
        db = ctx.paths.sqlite_path
        if db is None:
            print("error: the benchmark needs the SQLite database", file=sys.stderr)
            return EXIT_CANNOT_MEASURE
        print(f"built {args.count:,} final decisions in {time.perf_counter() - t:.1f} s "
              f"({db.stat().st_size / 1e6:.0f} MB database)")
        bare_out, app_out = work / "bare.csv", work / "app.csv"
        # Warm-up (not timed): page cache, imports, SQLAlchemy's statement cache.
        bare_export(db, bare_out)
        app_export(ctx, app_out)
        if bare_out.read_bytes() != app_out.read_bytes():
            print("error: the app's CSV differs from the bare script's", file=sys.stderr)
            return EXIT_CANNOT_MEASURE
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "app": []}
        sides = {"bare": (bare_export, db, bare_out), "app": (app_export, ctx, app_out)}
        load_before = _load()
        for round_ in range(args.repeat):
            # Alternate, the order flipped each round: app, bare | bare, app | app, bare ...
            for name in ("app", "bare") if round_ % 2 == 0 else ("bare", "app"):
                fn, arg, out = sides[name]
                out.unlink(missing_ok=True)
                wall, cpu, n = _timed(fn, arg, out)
                if n != args.count:
                    print(f"error: {name} wrote {n} rows, expected {args.count}", file=sys.stderr)
                    return EXIT_CANNOT_MEASURE
                runs[name].append((wall, cpu))
                print(f"  round {round_ + 1} {name:4}  {wall:6.2f} s wall  {cpu:6.2f} s CPU  "
                      f"(load {_load():.2f})", flush=True)
        ctx.close()
        load_after = _load()
        med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        cpu_med = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
        ratio = med["app"] / med["bare"]
        cpu_ratio = cpu_med["app"] / cpu_med["bare"]
        paired = [a[0] / b[0] for a, b in zip(runs["app"], runs["bare"])]
        paired_cpu = [a[1] / b[1] for a, b in zip(runs["app"], runs["bare"])]
        size = app_out.stat().st_size / 1e6

        def spread(values):
            return f"{min(values):.2f} to {max(values):.2f}"

        print(f"\n{args.count:,} final decisions, {size:.1f} MB of CSV, both sides fsynced and "
              f"renamed; median of {args.repeat} (range):")
        for k, label in (("bare", "bare sqlite3 + csv"), ("app", "app export (CSV)  ")):
            print(f"  {label} : {med[k]:.2f} s ({spread([w for w, _ in runs[k]])}), "
                  f"CPU {cpu_med[k]:.2f} s ({spread([c for _, c in runs[k]])})")
        print(f"  ratio, wall        : {ratio:.2f} (each round {spread(paired)}; floor {MAX_RATIO})  "
              f"{'OK' if ratio <= MAX_RATIO else 'MISSED'}")
        print(f"  ratio, CPU         : {cpu_ratio:.2f} (each round {spread(paired_cpu)}; less "
              f"sensitive to other load on the machine)")
        print(f"  Python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
              f"load average {load_before:.2f} before, {load_after:.2f} after")
        if args.json:
            args.json.write_text(json.dumps({
                "count": args.count, "repeat": args.repeat, "csv_mb": size, "fsync": True,
                "bare_runs": runs["bare"], "app_runs": runs["app"], "bare_median": med["bare"],
                "app_median": med["app"], "ratio": ratio, "ratio_per_round": paired,
                "bare_cpu_median": cpu_med["bare"], "app_cpu_median": cpu_med["app"],
                "cpu_ratio": cpu_ratio, "cpu_ratio_per_round": paired_cpu, "floor": MAX_RATIO,
                "load_average": [load_before, load_after],
                "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}, indent=2))
        return EXIT_OK if ratio <= MAX_RATIO else EXIT_FLOOR_MISSED
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
