"""Agreement statistics from reviews made through the real services.

Reviews by a second and third reviewer are recorded the way the app records any review
(start, score, submit), by handing the database's "self" profile to that reviewer
(``stats_support.act_as``). Expected figures come from scikit-learn on the levels the
test itself gave, not from the code under test.
"""

from __future__ import annotations

import shutil
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select, update

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Role
from reviewer_app.domain.stats_report import StatsQuery
from reviewer_app.errors import NotFound
from reviewer_app.services import reviews
from reviewer_app.services.profiles import current_profile
from reviewer_app.services.roles import NotAllowed, update_self
from reviewer_app.services.stats import agreement_stats
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database
from stats_support import CL, FA, act_as, attempt_ids, submit, two_reviewers_over_demo

FA_LEVELS = [1, 2, 3, 4]


def kappa(a, b, labels, weights=None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohen_kappa_score(a, b, labels=labels, weights=weights)


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-9)


@pytest.fixture(scope="module")
def _two_template(tmp_path_factory: pytest.TempPathFactory, _demo_data_template: Path):
    """The demo reviewed by two reviewers, made once for this module."""
    folder = tmp_path_factory.mktemp("stats-two") / "data"
    shutil.copytree(_demo_data_template, folder)
    with AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        me = current_profile(ctx).name
        plan = two_reviewers_over_demo(ctx)
    return folder, me, plan


@pytest.fixture
def two_ctx(_two_template, tmp_path: Path):
    """An app on a private copy of the two-reviewer data; the profile is a lead assessor."""
    folder, _, _ = _two_template
    shutil.copytree(folder, tmp_path / "data")
    with AppContext.open(resolve_paths(data_dir=tmp_path / "data")) as ctx:
        as_lead_database(ctx)  # bound to the lead's key in this test's keyring
        yield ctx


@pytest.fixture
def two(_two_template):
    """(my name, each reviewer's levels) in ``two_ctx``."""
    return _two_template[1], _two_template[2]


def test_a_reviewer_is_refused(demo_ctx: AppContext):
    assert current_profile(demo_ctx).role is Role.REVIEWER
    with pytest.raises(NotAllowed, match="Only a lead assessor may see agreement statistics"):
        agreement_stats(demo_ctx)


def test_per_criterion_figures_match_sklearn_on_the_levels_given(two_ctx: AppContext, two):
    me, plan = two
    report = agreement_stats(two_ctx)
    assert report.pairs == 4  # four attempts, each reviewed by both
    rows = {(r.credential_key, r.criterion_key): r for r in report.by_criterion}
    assert list(rows) == [("cl-discussion", k) for k in CL] + [("fa-math", k) for k in FA]
    fa_attempts = [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2)]
    for key in FA:
        a = [plan[me][at][key] for at in fa_attempts]
        b = [plan["Blake Okafor"][at][key] for at in fa_attempts]
        row = rows[("fa-math", key)]
        assert row.scores.n == 3 and row.levels == (1, 2, 3, 4)
        assert row.scores.exact == approx(sum(x == y for x, y in zip(a, b)) / 3)
        assert row.scores.adjacent == approx(sum(abs(x - y) <= 1 for x, y in zip(a, b)) / 3)
        assert row.scores.kappa == approx(kappa(a, b, FA_LEVELS))
        assert row.scores.weighted_kappa == approx(kappa(a, b, FA_LEVELS, "quadratic"))
    # By hand: both gave 4, 3, 3 for clear learning goals.
    assert rows[("fa-math", "learning-goals")].scores.exact == 1.0
    assert rows[("fa-math", "learning-goals")].criterion_title == "Clear learning goals"
    # One pair, same level: kappa is undefined, exact agreement is 1.
    discourse = rows[("cl-discussion", "discourse-moves")].scores
    assert (discourse.n, discourse.exact, discourse.kappa) == (1, 1.0, None)


def test_per_credential_and_per_pair_pool_every_criterion(two_ctx: AppContext, two):
    me, plan = two
    report = agreement_stats(two_ctx)
    fa = next(r for r in report.by_credential if r.credential_key == "fa-math")
    a = [lv for at in [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2)]
         for lv in plan[me][at].values()]
    b = [lv for at in [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2)]
         for lv in plan["Blake Okafor"][at].values()]
    assert fa.scores.n == 12
    assert fa.scores.weighted_kappa == approx(kappa(a, b, FA_LEVELS, "quadratic"))
    assert fa.credential_title == "Formative Assessment in Mathematics"
    pairs = [r for r in report.by_pair if r.credential_key == "fa-math"]
    assert len(pairs) == 1
    assert {p.name for p in pairs[0].reviewers} == {me, "Blake Okafor"}
    assert pairs[0].scores == fa.scores  # only one pair of reviewers


def test_decisions_agreement(two_ctx: AppContext, two):
    me, plan = two
    report = agreement_stats(two_ctx)
    fa = next(r for r in report.by_credential if r.credential_key == "fa-math")
    required = {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3,
                "adjusting-instruction": 2}

    def decision(levels: dict[str, int]) -> str:
        return "earned" if all(levels[k] >= r for k, r in required.items()) else "not_yet"

    ats = [("DEMO-1001", 1), ("DEMO-1002", 1), ("DEMO-1002", 2)]
    a = [decision(plan[me][at]) for at in ats]
    b = [decision(plan["Blake Okafor"][at]) for at in ats]
    assert fa.decisions.n == 3
    assert fa.decisions.exact == approx(sum(x == y for x, y in zip(a, b)) / 3)
    assert fa.decisions.kappa == approx(kappa(a, b, ["earned", "not_yet"]))
    assert fa.decisions.adjacent is None and fa.decisions.weighted_kappa is None


def test_three_reviewers_give_three_pairs_and_drafts_do_not_pair(two_ctx: AppContext, two):
    me, _ = two
    ids = attempt_ids(two_ctx)
    act_as(two_ctx, "Casey Ng")
    submit(two_ctx, ids[("DEMO-2001", 1)], dict(zip(CL, (3, 2, 1))))
    act_as(two_ctx, "Dana Wu")
    draft = reviews.start_review(two_ctx, ids[("DEMO-2001", 1)])  # never submitted
    reviews.set_level(two_ctx, draft.uid, CL[0], 1)
    act_as(two_ctx, me, Role.LEAD_ASSESSOR)

    report = agreement_stats(two_ctx, StatsQuery(credential_key="cl-discussion"))
    assert report.pairs == 3
    assert [p.label for p in report.by_pair] == sorted(p.label for p in report.by_pair)
    labels = {frozenset(r.name for r in p.reviewers) for p in report.by_pair}
    assert labels == {frozenset({me, "Blake Okafor"}), frozenset({me, "Casey Ng"}),
                      frozenset({"Blake Okafor", "Casey Ng"})}
    blake_casey = next(p for p in report.by_pair
                       if {r.name for r in p.reviewers} == {"Blake Okafor", "Casey Ng"})
    assert blake_casey.scores.exact == 1.0 and blake_casey.scores.n == 3  # same 3, 2, 1
    assert "Dana Wu" not in {r.name for r in report.reviewers}
    assert [r.credential_key for r in report.by_credential] == ["cl-discussion"]
    assert report.by_credential[0].scores.n == 9


def test_score_distribution_per_reviewer(two_ctx: AppContext, two):
    me, plan = two
    report = agreement_stats(two_ctx, StatsQuery(credential_key="fa-math"))
    for who in (me, "Blake Okafor"):
        for key in FA:
            d = next(d for d in report.distributions
                     if d.reviewer.name == who and d.criterion_key == key)
            given = [levels[key] for levels in plan[who].values() if key in levels]
            assert d.levels == (1, 2, 3, 4)
            assert {lv: d.counts.get(lv, 0) for lv in d.levels} == {
                lv: given.count(lv) for lv in FA_LEVELS}


def test_over_time_uses_the_later_reviews_iso_week(two_ctx: AppContext, two):
    me, _ = two
    # Move the submissions: DEMO-1001's pair straddles Sunday 1 March / Monday 2 March 2026
    # (ISO weeks 9 and 10); DEMO-1002 attempt 1's pair is in week 12.
    when = {("DEMO-1001", 1): (datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
                               datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
            ("DEMO-1002", 1): (datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 17, tzinfo=UTC)),
            ("DEMO-1002", 2): (datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC)),
            ("DEMO-2001", 1): (datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 3, tzinfo=UTC))}
    ids = attempt_ids(two_ctx)
    with two_ctx.transaction() as s:
        blake = s.scalar(select(m.Profile.id).where(m.Profile.name == "Blake Okafor"))
        for attempt, (mine, theirs) in when.items():
            for reviewer_is_blake, t in ((False, mine), (True, theirs)):
                cond = m.Review.reviewer_id == blake if reviewer_is_blake else m.Review.reviewer_id != blake
                s.execute(update(m.Review).where(m.Review.attempt_id == ids[attempt], cond)
                          .values(submitted_at=t))
    weeks = agreement_stats(two_ctx).over_time
    assert [(p.period, p.start.isoformat(), p.scores.n) for p in weeks] == [
        ("2026-W06", "2026-02-02", 4 + 3), ("2026-W10", "2026-03-02", 4), ("2026-W12", "2026-03-16", 4)]
    # DEMO-1001: 4, 3, 3, 2 against 4, 2, 3, 3: two of four the same.
    assert weeks[1].scores.exact == 0.5
    months = agreement_stats(two_ctx, StatsQuery(period="month")).over_time
    assert [(p.period, p.scores.n) for p in months] == [("2026-02", 7), ("2026-03", 8)]
    # A date range on the later review: only March's first week.
    march = agreement_stats(two_ctx, StatsQuery(since=datetime(2026, 3, 2, tzinfo=UTC),
                                                 until=datetime(2026, 3, 9, tzinfo=UTC)))
    assert march.pairs == 1 and [p.period for p in march.over_time] == ["2026-W10"]
    none = agreement_stats(two_ctx, StatsQuery(since=datetime(2026, 3, 17, 0, 0, 1, tzinfo=UTC)))
    assert none.pairs == 0 and none.by_credential == [] and none.over_time == []


def test_a_credential_that_does_not_exist_is_named(two_ctx: AppContext, two):
    with pytest.raises(NotFound, match="No credential 'nope'"):
        agreement_stats(two_ctx, StatsQuery(credential_key="nope"))


def test_no_pairs_yet(demo_ctx: AppContext):
    update_self(demo_ctx, role=Role.LEAD_ASSESSOR)
    as_lead_database(demo_ctx)
    report = agreement_stats(demo_ctx)
    assert report.pairs == 0 and report.by_pair == [] and report.by_criterion == []
    # The demo's one submitted review still shows in its reviewer's distribution.
    assert {d.reviewer.name for d in report.distributions} == {current_profile(demo_ctx).name}
    assert sum(d.total for d in report.distributions) == 4


def test_the_result_is_the_same_after_a_later_date_filter_that_keeps_everything(two_ctx, two):
    everything = agreement_stats(two_ctx)
    since = agreement_stats(two_ctx, StatsQuery(since=datetime.now(UTC) - timedelta(days=1)))
    assert since.by_criterion == everything.by_criterion and since.pairs == 4


def test_extreme_and_gapped_level_values(ctx: AppContext, tmp_path: Path):
    """Levels at the package format's limits, with a gap: the scale is the rubric's, by
    position, and negative levels come back intact."""
    from reviewer_app.services.imports import import_package

    from packages import make_package

    scale = [-1_000_000, 0, 7, 1_000_000]

    def rubric(doc: dict) -> None:
        for c in doc["criteria"]:
            c["levels"] = [{"value": v, "label": f"L{v}", "descriptor": ""} for v in scale]
            c["required_level"] = 0

    given = {"Ana": [(-1_000_000, 0, 7), (1_000_000, -1_000_000, 0)],
             "Ben": [(-1_000_000, 7, 7), (7, -1_000_000, 1_000_000)]}
    for i in range(2):
        package = make_package(tmp_path / "p", name=f"s{i}", submission_id=f"SUB-{i}",
                               mutate_rubric=rubric)
        assert import_package(ctx, package.path).status == "imported"
    ids = attempt_ids(ctx)
    for who, levels in given.items():
        act_as(ctx, who)
        for i, row in enumerate(levels):
            submit(ctx, ids[(f"SUB-{i}", 1)], dict(zip(("planning", "practice", "reflection"), row)))
    act_as(ctx, "Ana", Role.LEAD_ASSESSOR)
    as_lead_database(ctx)
    report = agreement_stats(ctx)
    (cred,) = report.by_credential
    a = [v for row in given["Ana"] for v in row]
    b = [v for row in given["Ben"] for v in row]
    assert cred.levels == tuple(scale) and cred.scores.n == 6
    assert cred.scores.exact == approx(3 / 6)  # -1,000,000 twice and 7 once
    assert cred.scores.adjacent == approx(5 / 6)  # next on the scale: 0 and 7, 7 and 1,000,000
    assert cred.scores.kappa == approx(kappa(a, b, scale))
    assert cred.scores.weighted_kappa == approx(kappa(a, b, scale, "quadratic"))
    ana = {d.criterion_key: d.counts for d in report.distributions if d.reviewer.name == "Ana"}
    assert ana["planning"] == {-1_000_000: 1, 1_000_000: 1}
