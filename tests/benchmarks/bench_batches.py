#!/usr/bin/env python3
"""Benchmark: a lead assessor imports 100 score batches holding 100,000 reviews.

    python tests/benchmarks/bench_batches.py [--batches 100] [--per-batch 1000]
                                             [--repeat 3] [--json FILE] [--keep]

A script, not a test (pytest does not collect it). Untimed set-up: a lead assessor's data
folder holding ``batches x per-batch`` submission attempts (one credential, a rubric of
four criteria, two evidence items each), made with bulk inserts; then the batch files,
written by ``reviewer_app.exports.batches.write_batch`` as ``batch export`` writes them:
each from one of 20 reviewers (each enrolled in the lead's database, each batch signed with
its reviewer's Ed25519 key), every review with four levels and comments, feedback, and
one in five with a note on the video. Timed: ``services.batches.import_batches`` over all
the files, on a fresh copy of the data folder each run (the copy is not timed), with
everything an import does: the checks (signatures and enrolments too: their time is
reported apart), the rows, the audit entries, and the lead's rules
(the credential's policy set to no second reading and no hold, so each attempt's single
review becomes its final decision, queued in the outbox, the batch's final decisions
logged in one audit entry: the heaviest path). Checked after each run: every review,
score and note stored, one final decision and outbox entry per attempt, the audit chain
intact.

A baseline of its own, in the same run, on its own fresh copy, alternating with the app
(the order flipped each round): ``bare_import``, the bare work with no app code -- each
file read by orjson, its SHA-256 and its Ed25519 signature checked, and the same review,
score, note and batch rows inserted with sqlite3 ``executemany``, one transaction per batch
(WAL, ``synchronous=FULL``, as the app). After the first round the two databases' reviews,
scores, notes and batches are compared row for row (the script stops if they differ). The
baseline does none of the app's checks against the database, audit entries, queue status
or lead's rules, so the ratio app / baseline (wall and CPU, with each round's own ratio)
is information: it says what the app's work beyond storing the rows costs.

Floor (from the issue): under 20 s, median of the runs (absolute). Exit status: 0 when
it holds, 1 when missed, 2 when it could not measure.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
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
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, insert, select

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import EvidenceKind, Role
from reviewer_app.exports.batches import Reviewer, iso, write_batch
from reviewer_app.services.roles import update_self
from reviewer_app.signatures import fingerprint, public_key_text
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

MAX_SECONDS = 20.0
REVIEWERS = 20
EXIT_OK, EXIT_FLOOR_MISSED, EXIT_CANNOT_MEASURE = 0, 1, 2
CRITERIA = [("goals", 3), ("checks", 3), ("feedback", 3), ("adjusting", 2)]
COMMENTS = ["Goals are on the board and revisited at the end.",
            "Only volunteers answer; try mini whiteboards at the hinge point.",
            "Specific written comments on the worksheet (see the photo).",
            "The reflection describes regrouping after the exit ticket."]
FEEDBACK = ("Your goals and written feedback are strong. Next time, check every student's "
            "understanding at the hinge point and resubmit a video showing how you act on it.")


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def reviewer_keys(seed: int = 11) -> list[tuple[Reviewer, Ed25519PrivateKey]]:
    rng = random.Random(seed)
    return [(Reviewer(f"00000000-0000-4000-a000-{r:012d}", f"Reviewer {r:02d}", "reviewer"),
             Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))) for r in range(REVIEWERS)]


def make_lead_database(data_dir: Path, attempts: int) -> dict:
    """A lead assessor's data folder holding ``attempts`` attempts, the reviewers enrolled;
    returns what the batches need."""
    with AppContext.open(resolve_paths(data_dir=data_dir)) as ctx:
        update_self(ctx, name="Lead Assessor", role=Role.LEAD_ASSESSOR)
        now = datetime(2026, 1, 5, tzinfo=UTC)
        with ctx.transaction() as s:
            cred = m.Credential(key="bench-cred", version="1", title="Benchmark credential")
            rubric = m.Rubric(key="bench-rubric", version="1", title="Benchmark rubric",
                              content_sha256="ab" * 32)
            for position, (key, required) in enumerate(CRITERIA):
                rubric.criteria.append(m.Criterion(
                    key=key, position=position, title=key.title(), guidance="",
                    required_level=required,
                    levels=[m.CriterionLevel(value=v, label=f"Level {v}", descriptor="")
                            for v in (1, 2, 3, 4)]))
            s.add_all([cred, rubric])
            s.flush()
            subs, atts, evs = [], [], []
            for i in range(attempts):
                subs.append({"id": i + 1, "key": f"BATCH-{i:06d}", "credential_key": cred.key,
                             "candidate_key": f"cand-{i}"})
                atts.append({"id": i + 1, "submission_id": i + 1, "number": 1, "credential_id": cred.id,
                             "rubric_id": rubric.id, "submitted_at": now - timedelta(days=3),
                             "imported_at": now, "manifest_sha256": "0" * 64, "manifest_json": "{}",
                             "evidence_count": 2, "recipient_type": "email",
                             "recipient_identity": f"teacher{i}@example.org"})
                evs.append({"attempt_id": i + 1, "key": "video", "position": 0, "kind": EvidenceKind.VIDEO,
                            "title": "Lesson video", "path": "x", "sha256": "0" * 64, "size": 1,
                            "criteria_keys": "checks feedback"})
                evs.append({"attempt_id": i + 1, "key": "plan", "position": 1, "kind": EvidenceKind.PDF,
                            "title": "Lesson plan", "path": "y", "sha256": "0" * 64, "size": 1,
                            "criteria_keys": "goals"})
            for table, rows in ((m.Submission, subs), (m.Attempt, atts), (m.EvidenceItem, evs)):
                for k in range(0, len(rows), 20_000):
                    s.execute(insert(table), rows[k:k + 20_000])
            s.add_all([  # as the enrolment service writes them (their rows audited)
                m.Enrolment(reviewer_uid=r.uid, name=r.name, public_key=public_key_text(key),
                            fingerprint=fingerprint(key), enrolled_at=now) for r, key in reviewer_keys()])
            # The heaviest path: every single review final and queued at once (no second
            # reading, no hold), as before the scoring-centre defaults.
            s.add(m.CredentialPolicy(credential_key=cred.key, second_review_percent=0, near_cut_margin=None,
                                     first_reviews=0, max_level_gap=0, calibration_threshold=0.8,
                                     calibration_items=3, hold_for_release=False, backread_percent=5,
                                     seed="bench", updated_at=now))
            return {"credential": {"key": cred.key, "version": cred.version},
                    "rubric": {"key": rubric.key, "version": rubric.version,
                               "content_sha256": rubric.content_sha256}}


def make_batches(folder: Path, batches: int, per_batch: int, info: dict, seed: int = 11) -> list[Path]:
    rng = random.Random(seed)
    reviewers = reviewer_keys()
    base = datetime(2026, 1, 6, 9, tzinfo=UTC)
    paths = []
    for b in range(batches):
        reviewer, key = reviewers[b % REVIEWERS]
        reviews = []
        for j in range(per_batch):
            i = b * per_batch + j
            levels = [rng.choice((2, 3, 3, 4)) for _ in CRITERIA]
            earned = all(level >= req for level, (_, req) in zip(levels, CRITERIA))
            when = base + timedelta(minutes=i)
            notes = []
            if i % 5 == 0:
                notes.append({"uid": f"00000000-0000-4000-b000-{i:012d}", "number": 1,
                              "evidence": "video", "criterion": "checks", "kind": "time",
                              "start_ms": 130_000, "end_ms": 142_500, "page": None, "region": None,
                              "text": "Hinge question: only three hands go up.",
                              "created_at": iso(when), "updated_at": iso(when)})
            reviews.append({
                "uid": f"00000000-0000-4000-c000-{i:012d}", "submission": f"BATCH-{i:06d}",
                "attempt": 1, "credential": info["credential"], "rubric": info["rubric"],
                "reviewer_uid": reviewer.uid, "status": "submitted",
                "decision": "earned" if earned else "not_yet", "feedback": FEEDBACK,
                "created_at": iso(when - timedelta(minutes=20)), "updated_at": iso(when),
                "submitted_at": iso(when),
                "scores": [{"criterion": key, "level": level, "comment": COMMENTS[c]}
                           for c, ((key, _), level) in enumerate(zip(CRITERIA, levels))],
                "annotations": notes})
        batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        paths.append(write_batch(folder, batch_id, reviewer, reviews, key=key,
                                 exported_at=base + timedelta(days=1, minutes=b)).json_path)
    return paths


# -- the baseline: the same work with nothing but orjson, hashlib, cryptography and sqlite3 ----

def _sqlite_time(text: str | None) -> str | None:
    """An ISO 8601 time from a batch as SQLAlchemy stores a UTC time in SQLite."""
    if text is None:
        return None
    return (datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
            .isoformat(sep=" ", timespec="microseconds"))


def bare_import(db: Path, files: list[Path]) -> int:
    """Each file read (orjson), its SHA-256 and Ed25519 signature checked, its reviews,
    scores and notes inserted with ``executemany``, one transaction per batch: no app code.
    Not done here (the app does it): the enrolment and database checks, the audit entries,
    the queue status, the lead's rules. Returns the number of reviews inserted."""
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}")
    attempts = dict(con.execute("SELECT s.key, a.id FROM attempt a JOIN submission s "
                                "ON s.id = a.submission_id WHERE a.number = 1"))
    videos = dict(con.execute("SELECT attempt_id, id FROM evidence_item WHERE key = 'video'"))
    criteria = dict(con.execute("SELECT key, id FROM criterion"))
    n = 0
    for path in files:
        raw = path.read_bytes()
        data = orjson.loads(raw)
        header, reviews = data["header"], data["reviews"]
        reviews_json = orjson.dumps(reviews, option=orjson.OPT_SORT_KEYS)
        if hashlib.sha256(reviews_json).hexdigest() != header["content_sha256"]:
            raise RuntimeError(f"{path.name}: SHA-256 differs")
        signed = (b'{"format":' + orjson.dumps(data["format"]) + b',"header":'
                  + orjson.dumps(header, option=orjson.OPT_SORT_KEYS) + b',"reviews":'
                  + reviews_json + b"}")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(header["reviewer"]["public_key"]))
        key.verify(base64.b64decode(data["signature"]), signed)  # InvalidSignature if not
        who = header["reviewer"]
        now = _sqlite_time(datetime.now(UTC).isoformat())
        con.execute("BEGIN")
        row = con.execute("SELECT id FROM profile WHERE uid = ?", (who["uid"],)).fetchone()
        reviewer_id = row[0] if row else con.execute(
            "INSERT INTO profile (uid, name, role, is_self, created_at) VALUES (?, ?, ?, 0, ?) "
            "RETURNING id", (who["uid"], who["name"], who["role"], now)).fetchone()[0]
        batch_id = con.execute(
            "INSERT INTO score_batch (uid, sha256, reviewer_uid, reviewer_name, exported_at, "
            "review_count, imported_at, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (header["batch_id"], header["content_sha256"], who["uid"], who["name"],
             _sqlite_time(header["exported_at"]), header["count"], now, path.name)).fetchone()[0]
        con.executemany(
            "INSERT INTO review (uid, attempt_id, reviewer_id, status, decision, feedback, "
            "created_at, updated_at, submitted_at, notes_issued, kind, batch_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'review', ?)",
            [(r["uid"], attempts[r["submission"]], reviewer_id, r["status"], r["decision"],
              r["feedback"], _sqlite_time(r["created_at"]), _sqlite_time(r["updated_at"]),
              _sqlite_time(r["submitted_at"]), max((a["number"] for a in r["annotations"]), default=0),
              batch_id) for r in reviews])
        ids = dict(con.execute("SELECT uid, id FROM review WHERE batch_id = ?", (batch_id,)))
        con.executemany(
            "INSERT INTO review_score (review_id, criterion_id, level, comment, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(ids[r["uid"]], criteria[sc["criterion"]], sc["level"], sc["comment"],
              _sqlite_time(r["updated_at"])) for r in reviews for sc in r["scores"]])
        con.executemany(
            "INSERT INTO annotation (uid, review_id, number, evidence_item_id, criterion_id, kind, "
            "start_ms, end_ms, page, x0, y0, x1, y1, text, created_at, updated_at, quote, quote_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(a["uid"], ids[r["uid"]], a["number"], videos[attempts[r["submission"]]],
              criteria[a["criterion"]] if a["criterion"] else None, a["kind"], a["start_ms"],
              a["end_ms"], a["page"], *(a["region"] or (None,) * 4), a["text"],
              _sqlite_time(a["created_at"]), _sqlite_time(a["updated_at"]), None, None)
             for r in reviews for a in r["annotations"]])
        con.execute("COMMIT")
        n += len(reviews)
    con.close()
    return n


_SAME_ROWS = (  # what both sides wrote, compared after the first round
    "SELECT r.uid, r.attempt_id, p.uid, r.status, r.decision, r.feedback, r.created_at, "
    "r.updated_at, r.submitted_at, r.notes_issued, r.kind FROM review r "
    "JOIN profile p ON p.id = r.reviewer_id ORDER BY r.uid",
    "SELECT r.uid, s.criterion_id, s.level, s.comment, s.updated_at FROM review_score s "
    "JOIN review r ON r.id = s.review_id ORDER BY r.uid, s.criterion_id",
    "SELECT a.uid, r.uid, a.number, a.evidence_item_id, a.criterion_id, a.kind, a.start_ms, "
    "a.end_ms, a.page, a.x0, a.y0, a.x1, a.y1, a.text, a.created_at, a.updated_at FROM annotation a "
    "JOIN review r ON r.id = a.review_id ORDER BY a.uid",
    "SELECT uid, sha256, reviewer_uid, reviewer_name, exported_at, review_count, file_name "
    "FROM score_batch ORDER BY uid")


def same_rows(a: Path, b: Path) -> str | None:
    """None when the two databases hold the same reviews, scores, notes and batches; else
    which differ."""
    for query in _SAME_ROWS:
        rows = []
        for db in (a, b):
            con = sqlite3.connect(db)
            rows.append(con.execute(query).fetchall())
            con.close()
        if rows[0] != rows[1]:
            table = query.split(" FROM ")[1].split()[0]
            return f"{table}: {len(rows[0])} rows against {len(rows[1])}, or their values differ"
    return None


def bare_once(template: Path, work: Path, files: list[Path], expected: int) -> dict:
    data = work / "bare"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    db = resolve_paths(data_dir=data).sqlite_path
    started, cpu = time.perf_counter(), time.process_time()
    n = bare_import(db, files)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": round(elapsed, 3), "cpu_seconds": round(cpu, 3), "checked": n == expected}


def run_once(template: Path, work: Path, files: list[Path], expected: int) -> dict:
    from reviewer_app.exports import batches as batch_files
    from reviewer_app.services import batches

    data = work / "run"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    # How much of the time the lead's rules take (services.finalize, called per batch).
    rules = [0.0]
    finalize = batches._finalize

    def timed_finalize(*args):
        t = time.perf_counter()
        try:
            return finalize(*args)
        finally:
            rules[0] += time.perf_counter() - t

    # How much the signatures cost: the verification, and the canonical bytes it covers.
    signing = [0.0]
    verify, signed_bytes = batch_files.verify, batch_files.signed_bytes

    def timed(function):
        def call(*args):
            t = time.perf_counter()
            try:
                return function(*args)
            finally:
                signing[0] += time.perf_counter() - t
        return call

    batches._finalize = timed_finalize
    batch_files.verify, batch_files.signed_bytes = timed(verify), timed(signed_bytes)
    try:
        with AppContext.open(resolve_paths(data_dir=data)) as ctx:
            started, cpu = time.perf_counter(), time.process_time()
            outcomes = batches.import_batches(ctx, files)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        batches._finalize = finalize
        batch_files.verify, batch_files.signed_bytes = verify, signed_bytes
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        with ctx.sessions() as s:
            counts = {name: s.scalar(select(func.count()).select_from(model)) for name, model in (
                ("reviews", m.Review), ("scores", m.ReviewScore), ("notes", m.Annotation),
                ("final_decisions", m.FinalDecision), ("outbox", m.OutboxEntry),
                ("batches", m.ScoreBatch), ("audit", m.AuditEntry))}
        chain = audit.verify(ctx)
    refused = [o.message for o in outcomes if o.refused]
    ok = (not refused and counts["reviews"] == expected and counts["scores"] == expected * len(CRITERIA)
          and counts["notes"] == (expected + 4) // 5 and counts["batches"] == len(files)
          and counts["final_decisions"] == counts["outbox"] == expected and chain.ok)
    return {"seconds": round(elapsed, 3), "cpu_seconds": round(cpu, 3),
            "rules_seconds": round(rules[0], 3), "signature_seconds": round(signing[0], 3),
            "counts": counts,
            "refused": refused[:3], "checked": ok,
            "reviews_per_second": round(expected / elapsed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--per-batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reviewer-bench-batches-"))
    # Lead actions want the lead's key from a keyring: a test keyring in a file, in the work folder.
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync")]
    from lead_support import file_keyring

    keyring_file = file_keyring(work / "keyring.json")
    keyring_file.__enter__()
    try:
        t = time.perf_counter()
        total = args.batches * args.per_batch
        info = make_lead_database(work / "template", total)
        files = make_batches(work / "batches", args.batches, args.per_batch, info)
        setup = time.perf_counter() - t
        size = sum(p.stat().st_size for p in files)
        runs, bare_runs = [], []
        load_before = _load()
        for round_ in range(args.repeat):
            # The app and the baseline in turn, the order flipped each round.
            for side in ("app", "bare") if round_ % 2 == 0 else ("bare", "app"):
                if side == "app":
                    runs.append(run_once(work / "template", work, files, total))
                    r = runs[-1]
                    print(f"  round {round_ + 1} app : {r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s; "
                          f"the lead's rules {r['rules_seconds']:.2f} s, signatures "
                          f"{r['signature_seconds']:.2f} s of it), checked: {r['checked']}, "
                          f"{r['counts']} (load {_load():.2f})", flush=True)
                else:
                    bare_runs.append(bare_once(work / "template", work, files, total))
                    r = bare_runs[-1]
                    print(f"  round {round_ + 1} bare: {r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s), "
                          f"checked: {r['checked']} (load {_load():.2f})", flush=True)
            if round_ == 0:
                paths = [resolve_paths(data_dir=work / d).sqlite_path for d in ("run", "bare")]
                differs = same_rows(*paths)
                if differs:
                    print(f"could not measure: the app and the baseline wrote different rows "
                          f"({differs})", file=sys.stderr)
                    return EXIT_CANNOT_MEASURE
                print("  the app and the baseline wrote the same reviews, scores, notes and batches",
                      flush=True)
    except Exception as exc:  # noqa: BLE001
        print(f"could not measure: {exc!r}", file=sys.stderr)
        return EXIT_CANNOT_MEASURE
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    median = statistics.median(r["seconds"] for r in runs)
    ok = (median < MAX_SECONDS and all(r["checked"] for r in runs)
          and all(r["checked"] for r in bare_runs))
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(),
               "load": [load_before, _load()]}
    listed = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"import of {args.batches} batches, {total:,} reviews ({size / 1e6:.0f} MB of JSON): "
          f"median {median:.2f} s of {len(runs)} ({round(total / median):,} reviews/s; runs "
          f"{listed} s; the lead's rules {statistics.median(r['rules_seconds'] for r in runs):.2f} s "
          f"of it; set-up {setup:.1f} s) -- floor "
          f"{MAX_SECONDS:.0f} s: {'OK' if ok else 'MISSED'}")
    bare = statistics.median(r["seconds"] for r in bare_runs)
    app_cpu = statistics.median(r["cpu_seconds"] for r in runs)
    bare_cpu = statistics.median(r["cpu_seconds"] for r in bare_runs)
    paired = [a["seconds"] / b["seconds"] for a, b in zip(runs, bare_runs)]
    paired_cpu = [a["cpu_seconds"] / b["cpu_seconds"] for a, b in zip(runs, bare_runs)]
    bare_listed = ", ".join(f"{r['seconds']:.2f}" for r in bare_runs)
    print(f"baseline (orjson + hashlib + Ed25519 + sqlite3 executemany, one transaction a batch; "
          f"no rules, audit or database checks): median {bare:.2f} s (runs "
          f"{bare_listed} s), CPU {bare_cpu:.2f} s")
    print(f"ratio app / baseline (information; the floor is the 20 s): wall {median / bare:.2f} "
          f"(each round {min(paired):.2f} to {max(paired):.2f}), CPU {app_cpu / bare_cpu:.2f} "
          f"(each round {min(paired_cpu):.2f} to {max(paired_cpu):.2f})")
    print(f"machine: Python {machine['python']}, {machine['cpus']} CPUs, load average "
          f"{load_before:.2f} before, {machine['load'][1]:.2f} after")
    if args.json:
        args.json.write_text(json.dumps({
            "runs": runs, "median_seconds": median, "bare_runs": bare_runs, "bare_median_seconds": bare,
            "ratio": median / bare, "ratio_per_round": paired, "cpu_ratio": app_cpu / bare_cpu,
            "cpu_ratio_per_round": paired_cpu, "batches": args.batches,
            "per_batch": args.per_batch, "machine": machine}, indent=2))
    return EXIT_OK if ok else EXIT_FLOOR_MISSED


if __name__ == "__main__":
    sys.exit(main())
