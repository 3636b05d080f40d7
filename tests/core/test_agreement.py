"""Agreement figures against references: scikit-learn's cohen_kappa_score, the
``krippendorff`` package's alpha, and numpy.

Every figure (exact, adjacent, Cohen's kappa, quadratic-weighted kappa, Krippendorff's
alpha ordinal and interval) is compared to 1e-9 on many seeded random arrays: scales of 2
to 7 levels, scales with gaps, data that uses only some of the levels, raters who agree
often and raters who do not.
"""

from __future__ import annotations

import math
import random
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from reviewer_app.domain.agreement import (
    EMPTY,
    EXPLANATIONS,
    LABELS,
    agreement,
    agreement_from_counts,
)

TOL = 1e-9

SCALES = [
    (1, 2),
    (1, 2, 3),
    (1, 2, 3, 4),
    (0, 1, 2, 3, 4, 5),
    (1, 2, 3, 4, 5, 6, 7),
    (0, 2, 5, 10),  # a scale with gaps: positions, not values, count
    (-1, 0, 1),
]


def sk_kappa(a, b, levels, weights=None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns when kappa is undefined (nan)
        return cohen_kappa_score(a, b, labels=list(levels), weights=weights)


def kr_alpha(a, b, levels, level: str) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return float(krippendorff.alpha(reliability_data=[list(a), list(b)],
                                            value_domain=list(levels),
                                            level_of_measurement=level))
        except ValueError:  # "There has to be more than one value in the domain."
            return math.nan


def assert_same(mine: float | None, reference: float) -> None:
    if math.isnan(reference):
        assert mine is None, f"reference is undefined (nan), got {mine}"
    else:
        assert mine is not None and abs(mine - reference) <= TOL, (mine, reference)


def random_case(rng: random.Random):
    levels = rng.choice(SCALES)
    used = rng.sample(levels, rng.randint(1, len(levels)))  # some levels never used
    n = rng.choice((1, 2, 3, 5, 10, 40, 200))
    agree = rng.random()
    a = [rng.choice(used) for _ in range(n)]
    b = []
    for x in a:
        if rng.random() < agree:
            i = levels.index(x) + rng.choice((-1, 0, 0, 1))  # near agreement
            b.append(levels[min(len(levels) - 1, max(0, i))])
        else:
            b.append(rng.choice(used))
    return levels, a, b


@pytest.mark.parametrize("seed", range(10))
def test_every_figure_matches_the_reference_on_random_data(seed: int):
    rng = random.Random(seed)
    undefined = undefined_alpha = 0
    for _ in range(100):
        levels, a, b = random_case(rng)
        got = agreement(a, b, levels)
        pos = {v: i for i, v in enumerate(levels)}
        ia, ib = np.array([pos[x] for x in a]), np.array([pos[x] for x in b])
        assert got.n == len(a)
        assert abs(got.exact - float(np.mean(np.array(a) == np.array(b)))) <= TOL
        assert abs(got.adjacent - float(np.mean(np.abs(ia - ib) <= 1))) <= TOL
        if levels == tuple(range(levels[0], levels[-1] + 1)):  # consecutive: |a - b| <= 1
            assert abs(got.adjacent - float(np.mean(np.abs(np.array(a) - np.array(b)) <= 1))) <= TOL
        assert_same(got.kappa, sk_kappa(a, b, levels))
        assert_same(got.weighted_kappa, sk_kappa(a, b, levels, "quadratic"))
        assert_same(got.alpha, kr_alpha(a, b, levels, "ordinal"))
        assert_same(got.alpha_interval, kr_alpha(a, b, levels, "interval"))
        # alpha does not depend on which reviewer of the pair comes first; kappa neither
        swapped = agreement(b, a, levels)
        assert (swapped.alpha, swapped.kappa) == (got.alpha, got.kappa)
        undefined += got.kappa is None
        undefined_alpha += got.alpha is None
    assert undefined < 100 and undefined_alpha < 100  # the comparison covered defined values, not only dashes


def test_counts_give_the_same_figures_as_arrays_weighted_in_sklearn():
    """Confusion tables with large counts (as the database gives them) against
    sklearn's sample_weight: exact integer sums, no drift."""
    rng = random.Random(99)
    for _ in range(100):
        levels = rng.choice(SCALES)
        counts = {(x, y): rng.choice((0, 0, 1, 7, 1000, 123_457))
                  for x in levels for y in levels}
        if not any(counts.values()):
            continue
        cells = [(x, y, w) for (x, y), w in counts.items() if w]
        a, b, w = zip(*cells)
        got = agreement_from_counts(counts, levels)
        n = sum(w)
        assert got.n == n
        assert abs(got.exact - sum(c for x, y, c in cells if x == y) / n) <= TOL
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = cohen_kappa_score(a, b, labels=list(levels), sample_weight=w)
            ref_w = cohen_kappa_score(a, b, labels=list(levels), sample_weight=w, weights="quadratic")
        assert_same(got.kappa, ref)
        assert_same(got.weighted_kappa, ref_w)
        if n < 20_000:  # the reference wants one column per pair
            a_rep = [x for x, _, c in cells for _ in range(c)]
            b_rep = [y for _, y, c in cells for _ in range(c)]
            assert_same(got.alpha, kr_alpha(a_rep, b_rep, levels, "ordinal"))
            assert_same(got.alpha_interval, kr_alpha(a_rep, b_rep, levels, "interval"))


def test_levels_missing_from_the_data_count_like_sklearn_labels():
    """On the scale 1..3, levels 1 and 3 are two steps apart even if nobody gave a 2."""
    a, b = [1, 1, 3, 3, 1, 3], [1, 3, 3, 1, 1, 3]
    with_scale = agreement(a, b, levels=(1, 2, 3))
    from_data = agreement(a, b)  # scale taken from the data: 1 and 3 look adjacent
    assert_same(with_scale.weighted_kappa, sk_kappa(a, b, (1, 2, 3), "quadratic"))
    assert_same(from_data.weighted_kappa, sk_kappa(a, b, (1, 3), "quadratic"))
    assert with_scale.adjacent == pytest.approx(4 / 6)
    assert from_data.adjacent == 1.0
    # Unweighted kappa does not depend on levels nobody used.
    assert with_scale.kappa == pytest.approx(from_data.kappa, abs=TOL)


def test_no_pairs_gives_no_figures():
    assert agreement([], [], (1, 2, 3)) == EMPTY
    assert agreement_from_counts({(1, 2): 0}, (1, 2, 3)) == EMPTY
    assert EMPTY.n == 0 and EMPTY.exact is None and EMPTY.kappa is None


def test_kappa_is_undefined_when_both_gave_one_same_level_every_time():
    """sklearn returns nan (with a warning); here it is None, and exact agreement still 1."""
    got = agreement([2, 2, 2], [2, 2, 2], (1, 2, 3, 4))
    assert math.isnan(sk_kappa([2, 2, 2], [2, 2, 2], (1, 2, 3, 4)))
    assert got.kappa is None and got.weighted_kappa is None
    assert got.alpha is None and got.alpha_interval is None
    assert math.isnan(kr_alpha([2, 2, 2], [2, 2, 2], (1, 2, 3, 4), "ordinal"))
    assert got.exact == 1.0 and got.adjacent == 1.0 and got.n == 3


def test_alpha_on_krippendorffs_own_example():
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability", two observers,
    ten units, binary values: alpha (nominal = interval for 0/1) is 0.095."""
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(agreement(a, b, (0, 1)).alpha_interval, 3) == 0.095


def test_one_level_each_but_different_levels_is_chance_not_undefined():
    got = agreement([2, 2], [3, 3], (1, 2, 3, 4))
    assert got.kappa == 0.0 == sk_kappa([2, 2], [3, 3], (1, 2, 3, 4))
    assert got.weighted_kappa == 0.0
    assert got.exact == 0.0 and got.adjacent == 1.0


def test_perfect_and_opposite_agreement():
    perfect = agreement([1, 2, 3, 4], [1, 2, 3, 4], (1, 2, 3, 4))
    assert perfect.kappa == 1.0 and perfect.weighted_kappa == 1.0 and perfect.exact == 1.0
    opposite = agreement([1, 4, 1, 4], [4, 1, 4, 1], (1, 2, 3, 4))
    assert opposite.kappa < 0 and opposite.weighted_kappa < 0 and opposite.adjacent == 0.0


def test_decisions_are_unordered_categories():
    a = ["earned", "not_yet", "earned", "earned", "not_yet"]
    b = ["earned", "earned", "earned", "not_yet", "not_yet"]
    got = agreement(a, b, ("earned", "not_yet"), ordinal=False)
    assert got.adjacent is None and got.weighted_kappa is None
    assert got.exact == pytest.approx(3 / 5)
    assert_same(got.kappa, sk_kappa(a, b, ("earned", "not_yet")))


def test_a_level_off_the_scale_is_refused():
    with pytest.raises(ValueError, match="level 5 is not on the scale"):
        agreement([1, 5], [1, 2], (1, 2, 3, 4))
    with pytest.raises(ValueError, match="different lengths"):
        agreement([1, 2], [1], (1, 2))


def test_every_figure_has_a_one_paragraph_explanation_and_a_label():
    for key in ("n", "exact", "adjacent", "kappa", "weighted_kappa", "alpha", "decision"):
        text = EXPLANATIONS[key]
        assert len(text) > 120 and "\n" not in text, key
        assert LABELS[key]
    assert "chance" in EXPLANATIONS["kappa"] and "square" in EXPLANATIONS["weighted_kappa"]
