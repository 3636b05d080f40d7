"""Two or more profiles in one database, for the lead assessor tests (a module, not tests).

The local profile (``is_self``) is who the services act for. ``become`` switches it, so a
test can score as a reviewer and then look as the lead. ``arrive`` hands reviews to
``finalize.evaluate_attempts`` as a batch import does in a lead's database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, update

from reviewer_app.domain.model import Role
from reviewer_app.services import finalize, reviews
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

# Demo rubrics (reviewer_app/services/demo.py): required levels 3, 3, 3, 2 and 2, 2, 3.
FA_EARNED = {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3, "adjusting-instruction": 2}
FA_NOT_YET = {"learning-goals": 2, "checks-for-understanding": 2, "feedback": 3, "adjusting-instruction": 2}
CL_EARNED = {"group-structures": 3, "discourse-moves": 3, "equitable-participation": 3}


def enrol(lead: AppContext, reviewer: AppContext, folder: Path) -> str:
    """The reviewer (their own database) exports an enrolment file and the lead enrols it with
    the fingerprint the reviewer reads out, as the people do; returns the fingerprint."""
    from reviewer_app.services import enrolment, identity

    path, me = identity.export_enrolment(reviewer, Path(folder))
    enrolment.enrol(lead, path, me.fingerprint)
    return me.fingerprint


def resign(document: dict, ctx: AppContext, *, count: int | None = None) -> dict:
    """A batch document (parsed JSON) with its content hash and count made right (or the
    count given) and signed again with the key of ``ctx``'s profile: what only the key's
    holder can do."""
    from reviewer_app.exports.batches import canonical, content_sha256, signed_bytes
    from reviewer_app.services.identity import signing_key
    from reviewer_app.signatures import public_key_text, sign

    _, key = signing_key(ctx)
    header = document["header"]
    header["count"] = len(document["reviews"]) if count is None else count
    header["content_sha256"] = content_sha256(document["reviews"])
    header["reviewer"]["public_key"] = public_key_text(key)
    document["signature"] = sign(key, signed_bytes(header, canonical(document["reviews"]).encode("utf-8")))
    return document


def make_lead(ctx: AppContext, name: str = "Lena Lead", *, defaults: bool = False) -> str:
    """The local profile becomes a lead assessor; returns its uid.

    Unless ``defaults``, every credential held gets the simple rules these tests were written
    for (``simple_rules``); with it, the scoring centre's defaults (second reading, holds).
    """
    uid = update_self(ctx, name=name, role=Role.LEAD_ASSESSOR).uid
    as_lead_database(ctx)
    if not defaults:
        simple_rules(ctx)
    return uid


@contextmanager
def file_keyring(path: Path) -> Iterator[dict[str, str]]:
    """This process's keyring is the test file ``path`` while inside (a module-scoped fixture
    runs before the per-test memory keyring); yields the environment that gives a
    ``python -m reviewer_app`` subprocess the same keyring, the lead's key in it."""
    import os

    import keyring

    from sync_test_keyring import ENV, FileTestKeyring

    here = Path(__file__).resolve().parent
    previous = keyring.get_keyring()
    keyring.set_keyring(FileTestKeyring(path))
    try:
        yield {**os.environ, "PYTHONPATH": os.pathsep.join([str(here / "sync"), str(here.parent)]),
               "PYTHON_KEYRING_BACKEND": "sync_test_keyring.FileTestKeyring", ENV: str(path)}
    finally:
        keyring.set_keyring(previous)


_LEAD_COPIES: list[Path] = []


def lead_copies() -> list[Path]:
    """The demo packages as the lead receives them (the candidates named), built once."""
    if not _LEAD_COPIES:
        import atexit
        import shutil
        import tempfile

        from reviewer_app.services.demo import build_demo_packages

        folder = Path(tempfile.mkdtemp(prefix="lead-copies-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _LEAD_COPIES.extend(build_demo_packages(folder, identify=True))
    return _LEAD_COPIES


def as_lead_database(ctx: AppContext) -> None:
    """These tests play the lead's and the reviewers' laptops in one database, usually the
    demo's, which a reviewer's blind import made (``services.lead_database``). The lead's own
    database holds the same submissions: here it is made the lead's as ``profile --role lead``
    makes a new data folder the lead's (the lead's key recorded, the reviewer-copy mark
    gone), and the lead's copies of the demo packages, which name the candidates, are
    imported over it (the importer then fills in the names it held without)."""
    from sqlalchemy import delete

    from reviewer_app.services import identity, lead_database
    from reviewer_app.services.imports import import_package

    key = identity.identity(ctx).public_key
    with ctx.transaction() as s:
        s.execute(delete(m.AppSetting).where(m.AppSetting.key == lead_database.REVIEWER_COPY))
        s.merge(m.AppSetting(key=lead_database.LEAD_KEY, value=key))  # the acting lead's
        demo = s.scalar(select(m.Submission.id).where(m.Submission.key.like("DEMO-%")))
    if demo is not None:
        for package in lead_copies():
            import_package(ctx, package)


def simple_rules(ctx: AppContext) -> None:
    """Every credential held: no second reading, any difference a dispute, final decisions
    released when made, one calibration item enough to qualify."""
    from reviewer_app.services.policies import set_policy

    with ctx.sessions() as s:
        keys = sorted(set(s.scalars(select(m.Credential.key))))
    for key in keys:
        set_policy(ctx, key, second_review_percent=0, near_cut_margin=None, first_reviews=0,
                   max_level_gap=0, calibration_items=1, hold_for_release=False)


def add_profile(ctx: AppContext, name: str, role: Role = Role.REVIEWER) -> str:
    with ctx.transaction() as s:
        row = m.Profile(name=name, role=role, is_self=False)
        s.add(row)
        s.flush()
        return row.uid


def become(ctx: AppContext, uid: str) -> None:
    current_profile(ctx)
    with ctx.transaction() as s:
        s.execute(update(m.Profile).values(is_self=m.Profile.uid == uid))


def attempt_id(ctx: AppContext, key: str, attempt: int | None = None) -> int:
    return get_submission(ctx, key, attempt).attempt_id


def score(ctx: AppContext, key: str, attempt: int, levels: Mapping[str, int], *,
          feedback: str = "Next, check every student's understanding.",
          comments: Mapping[str, str] | None = None, submit: bool = True) -> str:
    """The local profile scores (and submits) an attempt; returns the review uid."""
    review = reviews.start_review(ctx, attempt_id(ctx, key, attempt))
    for crit, level in levels.items():
        reviews.set_level(ctx, review.uid, crit, level)
    for crit, text in (comments or {}).items():
        reviews.set_comment(ctx, review.uid, crit, text)
    reviews.set_feedback(ctx, review.uid, feedback)
    if submit:
        reviews.submit_review(ctx, review.uid)
    return review.uid


def score_as(ctx: AppContext, reviewer_uid: str, key: str, attempt: int,
             levels: Mapping[str, int], **kwargs) -> str:
    """Score as another profile (it scores on its own laptop), then switch back."""
    me = current_profile(ctx).uid
    become(ctx, reviewer_uid)
    try:
        return score(ctx, key, attempt, levels, **kwargs)
    finally:
        become(ctx, me)


def arrive(ctx: AppContext, attempt_ids: Iterable[int]) -> finalize.Evaluated:
    """The reviews of these attempts arrive in the lead's database (as a batch import)."""
    me = current_profile(ctx).uid
    with ctx.transaction() as s:
        return finalize.evaluate_attempts(s, list(attempt_ids), me)


def rows(ctx: AppContext, model: type, *where) -> list:
    with ctx.sessions() as s:
        return list(s.scalars(select(model).where(*where)))
