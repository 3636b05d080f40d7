"""Helpers for the sync tests (a module, not a test file)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from reviewer_app.domain.model import Decision, ReviewStatus, Role
from reviewer_app.services import finalize, sync
from reviewer_app.services.roles import update_self
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync import outbox
from reviewer_app.sync.engine import SyncReport, SyncSettings
from reviewer_app.sync.outbox import Backoff
from reviewer_app.sync.reference_issuer.server import IssuerServer

USER, PASSWORD = "rev-ana", "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]

#: Retries within milliseconds, so that fault tests finish quickly.
FAST = SyncSettings(batch_size=50, backoff=Backoff(base=0.005, cap=0.05), patience=5.0,
                    max_failures=12)


def add_and_login(ctx: AppContext, issuer: IssuerServer, name: str = "ref", **kwargs) -> None:
    sync.add_profile(ctx, name, "reference", issuer.url, USER, **kwargs)
    sync.login(ctx, name, PASSWORD)



def simple_rules(ctx: AppContext) -> None:
    """Every credential held: no second reading, decisions released when made (as
    ``tests/lead_support.simple_rules``; this module is also imported without ``tests/``)."""
    from reviewer_app.services.policies import set_policy

    with ctx.sessions() as s:
        keys = sorted(set(s.scalars(select(m.Credential.key))))
    for key in keys:
        set_policy(ctx, key, second_review_percent=0, near_cut_margin=None, first_reviews=0,
                   max_level_gap=0, calibration_items=1, hold_for_release=False)


def _tests_on_path() -> None:
    """``tests/`` importable (``lead_support``), also where only ``tests/sync`` is on the path."""
    import sys

    here = str(Path(__file__).resolve().parents[1])
    if here not in sys.path:
        sys.path.insert(0, here)


def make_lead(ctx: AppContext) -> AppContext:
    """Make the local profile a lead assessor: only a lead's final decisions reach the issuer.

    Reviews it submitted earlier (the demo's) become final decisions and are queued, as
    they would have been had it been a lead assessor all along.
    """
    _tests_on_path()
    from lead_support import as_lead_database

    me = update_self(ctx, role=Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    simple_rules(ctx)
    with ctx.transaction() as s:
        submitted = s.scalars(select(m.Review.attempt_id).where(
            m.Review.status == ReviewStatus.SUBMITTED)).all()
        finalize.evaluate_attempts(s, submitted, me.uid)
    return ctx


def bulk_decisions(ctx: AppContext, n: int, *, prefix: str = "BULK",
                   decision: Decision = Decision.EARNED) -> list[str]:
    """``n`` final decisions of a lead assessor (the local profile, made one) on single reviews
    (one attempt each), queued in the outbox through the same payload code as a real submit.
    Returns the submission ids."""
    _tests_on_path()
    from lead_support import as_lead_database

    me = update_self(ctx, role=Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    keys = [f"{prefix}-{i:05d}" for i in range(n)]
    now = datetime.now(UTC)
    with ctx.transaction() as s:
        reviewer_id = s.scalar(select(m.Profile.id).where(m.Profile.uid == me.uid))
        cred = m.Credential(key=f"{prefix.lower()}-cred", version="1", title=f"{prefix} credential")
        rubric = m.Rubric(key=f"{prefix.lower()}-rubric", version="1", title=f"{prefix} rubric",
                          content_sha256="0" * 64)
        for position, key in enumerate(["goals", "checks"]):
            rubric.criteria.append(m.Criterion(
                key=key, position=position, title=key.title(), guidance="", required_level=2,
                levels=[m.CriterionLevel(value=v, label=f"Level {v}", descriptor=f"Descriptor {v}")
                        for v in (1, 2, 3)]))
        s.add_all([cred, rubric])
        s.flush()
        first_sub = (s.scalar(select(m.Submission.id).order_by(m.Submission.id.desc())) or 0) + 1
        first_att = (s.scalar(select(m.Attempt.id).order_by(m.Attempt.id.desc())) or 0) + 1
        first_rev = (s.scalar(select(m.Review.id).order_by(m.Review.id.desc())) or 0) + 1
        s.execute(insert(m.Submission), [
            {"id": first_sub + i, "key": k, "credential_key": cred.key, "candidate_key": f"cand-{i}"}
            for i, k in enumerate(keys)])
        s.execute(insert(m.Attempt), [
            {"id": first_att + i, "submission_id": first_sub + i, "number": 1,
             "credential_id": cred.id, "rubric_id": rubric.id, "submitted_at": now - timedelta(days=1),
             "imported_at": now, "manifest_sha256": "0" * 64, "manifest_json": "{}",
             "recipient_type": "email", "recipient_identity": f"teacher{i}@example.org",
             "queue_status": "submitted"} for i in range(n)])
        s.execute(insert(m.Review), [
            {"id": first_rev + i, "uid": m.new_uid(), "attempt_id": first_att + i,
             "reviewer_id": reviewer_id, "status": ReviewStatus.SUBMITTED, "decision": decision,
             "feedback": "Clear goals; check every student.", "created_at": now, "updated_at": now,
             "submitted_at": now} for i in range(n)])
        crit_ids = [c.id for c in rubric.criteria]
        s.execute(insert(m.ReviewScore), [
            {"review_id": first_rev + i, "criterion_id": cid, "level": 3, "comment": "ok",
             "updated_at": now} for i in range(n) for cid in crit_ids])
        s.execute(insert(m.FinalDecision), [
            {"uid": m.new_uid(), "attempt_id": first_att + i, "review_id": first_rev + i,
             "decision": decision, "source": "single", "rationale": "", "decided_by_id": reviewer_id,
             "decided_at": now, "released_at": now} for i in range(n)])
    outbox.enqueue_missing(ctx.sessions)
    return keys


def assign_on_issuer(issuer: IssuerServer, keys: list[str], user: str = USER) -> None:
    issuer.store.assign(user, [{"submission_id": k, "attempt": 1} for k in keys])


def sync_until_done(ctx: AppContext, settings: SyncSettings = FAST, passes: int = 20,
                    **kwargs) -> list[SyncReport]:
    reports = []
    for _ in range(passes):
        reports.append(sync.sync_now(ctx, settings=settings, **kwargs))
        if reports[-1].pending == 0 and not reports[-1].problems:
            break
    return reports


def outbox_rows(ctx: AppContext) -> list[dict]:
    with ctx.engine.connect() as conn:
        from sqlalchemy import text

        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM sync_outbox"))]


def payload_of(row: dict) -> dict:
    return json.loads(row["payload_json"])


HERE = Path(__file__).resolve().parent


def cli_env(keyring_file: Path | None, **extra: str) -> dict[str, str]:
    """The environment of a ``python -m reviewer_app`` subprocess sharing the test keyring."""
    import os

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("REVIEWER_APP_ISSUER_PASSWORD", None)
    if keyring_file is not None:
        env.update({"PYTHON_KEYRING_BACKEND": "sync_test_keyring.FileTestKeyring",
                    "REVIEWER_TEST_KEYRING_FILE": str(keyring_file)})
    env.update(extra)
    return env


def cli(data_dir: Path, *args: str, env: dict[str, str], timeout: float = 120):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


class AppServer:
    """Any ASGI app on a real loopback socket (uvicorn in a thread), like the reference issuer."""

    def __init__(self, app, host: str = "127.0.0.1", **config: object) -> None:
        import socket

        import uvicorn

        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning",
                                                    access_log=False, lifespan="off", http="h11",
                                                    ws="none", **config))
        self.thread = None

    def __enter__(self) -> AppServer:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


# -- Open Badges 3.0 ------------------------------------------------------------------------

#: Attempt 2 of the demo's DEMO-1002 scored so that it is earned.
EARNED_LEVELS = {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3,
                 "adjusting-instruction": 2}
#: The issuing organisation of the tests: name and web site.
ORG = ("Springfield Public Schools", "https://schools.springfield.example")
OB3_SCHEMA = Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"


def ob3_schema_errors(credential: dict) -> list[str]:
    """What 1EdTech's current OB 3.0 JSON Schema finds wrong with ``credential``."""
    import jsonschema

    schema = json.loads(OB3_SCHEMA.read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(credential)]


def score_earned(ctx: AppContext, feedback: str | None = None) -> None:
    """Score and submit attempt 2 of DEMO-1002 so that it is earned."""
    from reviewer_app.services import reviews
    from reviewer_app.services.submissions import get_submission

    review = reviews.start_review(ctx, get_submission(ctx, "DEMO-1002", 2).attempt_id)
    for crit, level in EARNED_LEVELS.items():
        reviews.set_level(ctx, review.uid, crit, level)
    if feedback:
        reviews.set_feedback(ctx, review.uid, feedback)
    reviews.submit_review(ctx, review.uid)
