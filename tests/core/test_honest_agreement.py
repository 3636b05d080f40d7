"""Agreement over independent reviewer pairs only (issue #13, item 5).

The issue's scenario, through the real services on a real SQLite database: two reviewers
score the same 15 submissions differently, the lead moderates the disputes that follow,
and a calibration submission is scored too. The statistics count 15 pairs (not one more
per moderation), report each reviewer against the moderated result apart, leave the
calibration reviews out, and do not depend on the order the reviewers were added in.
Expected figures come from scikit-learn and the ``krippendorff`` package on the levels the
test gave, never from the code under test.
"""

from __future__ import annotations

import math
import random
import shutil
import warnings
from datetime import UTC, datetime
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Role
from reviewer_app.services import calibration, moderation
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.stats import agreement_stats
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import arrive, as_lead_database
from stats_support import FA, act_as, submit

TOL = 1e-9
LEVELS = [1, 2, 3, 4]
#: Profile uids fix the canonical order of a pair (Ana before Bob before Cai).
UIDS = {"Ana": "00000000-0000-4000-8000-00000000000a",
        "Bob": "00000000-0000-4000-8000-00000000000b",
        "Cai": "00000000-0000-4000-8000-00000000000c"}


def add_attempts(ctx: AppContext, count: int) -> list[int]:
    """``count`` more attempts of the demo's first credential (same rubric)."""
    with ctx.transaction() as s:
        model = s.scalars(select(m.Attempt).join(m.Submission)
                          .where(m.Submission.key == "DEMO-1001")).first()
        ids = []
        for i in range(count):
            sub = m.Submission(key=f"AGREE-{i:02d}", credential_key=model.submission.credential_key,
                               candidate_key=f"cand-{i}")
            att = m.Attempt(submission=sub, number=1, credential_id=model.credential_id,
                            rubric_id=model.rubric_id, submitted_at=datetime(2026, 9, 1, tzinfo=UTC),
                            manifest_sha256=f"{i:064d}", manifest_json="{}")
            s.add(att)
            s.flush()
            ids.append(att.id)
        return ids


def add_reviewer(ctx: AppContext, name: str) -> None:
    with ctx.transaction() as s:
        s.add(m.Profile(uid=UIDS[name], name=name, role=Role.REVIEWER))


def plan(seed: int, names: tuple[str, ...], attempts: int) -> dict[str, list[dict[str, int]]]:
    """Each reviewer's levels per attempt: near a shared true level, often apart."""
    rng = random.Random(seed)
    out: dict[str, list[dict[str, int]]] = {n: [] for n in names}
    for _ in range(attempts):
        truth = [rng.randint(1, 4) for _ in FA]
        for n in names:
            out[n].append({c: min(4, max(1, t + rng.choice((-1, 0, 0, 1)))) for c, t in zip(FA, truth)})
    return out


def sk(a, b, weights=None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, labels=LEVELS, weights=weights))


def kr(a, b, level: str) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(krippendorff.alpha(reliability_data=[a, b], value_domain=LEVELS,
                                        level_of_measurement=level))


def same(mine: float | None, reference: float) -> bool:
    return mine is None if math.isnan(reference) else abs(mine - reference) <= TOL


@pytest.fixture
def scenario(demo_ctx: AppContext):
    """Ana and Bob score 15 attempts (and a calibration one); the lead moderates."""
    ctx = demo_ctx
    lead = current_profile(ctx).name
    ids = add_attempts(ctx, 16)
    work, calibration_id = ids[:15], ids[15]
    levels = plan(13, ("Ana", "Bob"), 16)
    act_as(ctx, lead, Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    calibration.mark_calibration(ctx, calibration_id, levels["Ana"][15])
    for name in ("Bob", "Ana"):  # Bob's profile first: not the canonical order
        add_reviewer(ctx, name)
    for name in ("Ana", "Bob"):
        act_as(ctx, name)
        for aid, given in zip(ids, levels[name], strict=True):
            submit(ctx, aid, given)
    act_as(ctx, lead, Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    arrive(ctx, work)
    disputes = moderation.list_disputes(ctx)
    moderated = {}
    for d in disputes:  # the lead settles each dispute with Ana's levels bar one
        i = work.index(d.attempt_id)
        final = dict(levels["Ana"][i], **{FA[0]: 4})
        moderation.moderate(ctx, d.uid, final, feedback="Keep the checks going.",
                            rationale="Read against the descriptors.")
        moderated[i] = final
    return ctx, levels, moderated


def test_the_moderator_is_not_a_rater_pair_and_calibration_is_left_out(scenario):
    ctx, levels, moderated = scenario
    assert moderated, "the scenario made no dispute: nothing was tested"
    report = agreement_stats(ctx)
    assert report.pairs == 15  # not 15 + one per moderation, and not the calibration pair
    assert [r.label for r in report.by_pair] == ["Ana & Bob"]
    assert report.excluded == {"moderation": len(moderated), "calibration": 2}
    a = [lv[c] for lv in levels["Ana"][:15] for c in FA]
    b = [lv[c] for lv in levels["Bob"][:15] for c in FA]
    pooled = report.by_credential[0].scores
    assert pooled.n == 60
    assert same(pooled.kappa, sk(a, b)) and same(pooled.weighted_kappa, sk(a, b, "quadratic"))
    assert same(pooled.alpha, kr(a, b, "ordinal")) and same(pooled.alpha_interval, kr(a, b, "interval"))
    for row in report.by_criterion:
        ca = [lv[row.criterion_key] for lv in levels["Ana"][:15]]
        cb = [lv[row.criterion_key] for lv in levels["Bob"][:15]]
        assert row.scores.n == 15
        assert same(row.scores.kappa, sk(ca, cb)), row.criterion_key
        assert same(row.scores.alpha, kr(ca, cb, "ordinal")), row.criterion_key
    # Each reviewer against the moderated result, apart from the pairs.
    against = {r.reviewer.name: r for r in report.against_moderation}
    assert set(against) == {"Ana", "Bob"}
    for name in ("Ana", "Bob"):
        mine = [levels[name][i][c] for i in sorted(moderated) for c in FA]
        final = [moderated[i][c] for i in sorted(moderated) for c in FA]
        row = against[name].scores
        assert row.n == 4 * len(moderated)
        assert row.exact == pytest.approx(np.mean(np.array(mine) == np.array(final)), abs=TOL)
        assert same(row.kappa, sk(mine, final)) and same(row.alpha, kr(mine, final, "ordinal"))
    # Drift: each reviewer's own level first, against the other reviewer.
    drift = {r.reviewer.name: r for r in report.drift}
    assert drift["Ana"].scores.n == drift["Bob"].scores.n == 60
    assert same(drift["Bob"].scores.kappa, sk(b, a))
    assert drift["Ana"].scores.exact == pooled.exact


def _three_reviewers(folder: Path, order: tuple[str, ...]) -> dict:
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        lead = current_profile(ctx).name
        ids = add_attempts(ctx, 8)
        levels = plan(7, ("Ana", "Bob", "Cai"), 8)
        for name in order:
            add_reviewer(ctx, name)
        for name in ("Ana", "Bob", "Cai"):
            act_as(ctx, name)
            for aid, given in zip(ids, levels[name], strict=True):
                submit(ctx, aid, given)
        act_as(ctx, lead, Role.LEAD_ASSESSOR)
        as_lead_database(ctx)
        return agreement_stats(ctx).as_dict(), levels


@pytest.mark.slow  # the whole report again for each order the reviewers are added in
def test_pooled_figures_do_not_depend_on_the_order_reviewers_were_added(
        _demo_data_template: Path, tmp_path: Path):
    reports = []
    for order in (("Ana", "Bob", "Cai"), ("Cai", "Ana", "Bob")):  # Cai-Ana flips, Ana-Bob not
        folder = tmp_path / "-".join(order)
        shutil.copytree(_demo_data_template, folder)
        reports.append(_three_reviewers(folder, order))
    first, levels = reports[0]
    assert all(r == first for r, _ in reports[1:])
    # The pooled table puts each pair in canonical order: Ana-Bob, Ana-Cai, Bob-Cai.
    a, b = [], []
    for x, y in (("Ana", "Bob"), ("Ana", "Cai"), ("Bob", "Cai")):
        a += [lv[c] for lv in levels[x] for c in FA]
        b += [lv[c] for lv in levels[y] for c in FA]
    pooled = first["by_credential"][0]["scores"]
    assert first["review_pairs"] == 24 and pooled["n"] == 96
    assert same(pooled["kappa"], sk(a, b)) and same(pooled["weighted_kappa"], sk(a, b, "quadratic"))
    assert same(pooled["alpha"], kr(a, b, "ordinal"))
    assert same(pooled["alpha_interval"], kr(a, b, "interval"))
