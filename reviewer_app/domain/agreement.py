"""Inter-rater agreement between two reviewers who scored the same work.

Pure arithmetic, no I/O. Everything is computed from a *confusion table*: how many
times reviewer A gave level ``a`` while reviewer B gave level ``b`` (``counts[(a, b)]``),
with the scale's possible levels given in order (from the rubric, so that a level
nobody used still counts, as scikit-learn's ``labels=`` does). Sums are done in exact
integer arithmetic and divided once at the end, so the figures do not drift with
the number of pairs.

Definitions (for ``n`` pairs, levels at positions ``0..k-1`` of the scale):

* **exact agreement**: the share of pairs with the same level;
* **adjacent agreement**: the share of pairs whose levels are the same or next to
  each other on the scale (``|a - b| <= 1`` for the usual consecutive levels 1..k);
* **Cohen's kappa**: ``1 - sum(w*O) / sum(w*E)`` with ``w = 1`` off the diagonal,
  ``O`` the observed table and ``E`` the table expected by chance from the two
  reviewers' own level frequencies (``E[i][j] = rows[i] * cols[j] / n``): exactly
  scikit-learn's ``cohen_kappa_score``;
* **quadratic-weighted kappa**: the same with ``w[i][j] = (i - j)**2``, positions on
  the scale (scikit-learn's ``weights="quadratic"``);
* **Krippendorff's alpha**, ordinal and interval: each pair is a unit with two values;
  the coincidence matrix is ``o = table + table^T`` (``n_c`` its margins, ``2n`` values in
  all), and ``alpha = 1 - (2n - 1) * sum(o * d) / sum(n_c * n_k * d)`` with the distance
  ``d(c, k) = (c - k)**2`` on the level *values* (interval) or, ordinal,
  ``d(c, k) = (n_c + ... + n_k - (n_c + n_k) / 2)**2`` over the scale's levels from ``c``
  to ``k``: exactly the ``krippendorff`` package's ``alpha`` (``value_domain`` the scale).
  Unlike kappa, alpha does not treat the two reviewers as fixed coders with their own
  level frequencies, so it does not depend on which reviewer of a pair comes first.

Undefined cases: with no pairs (``n == 0``) every figure is ``None``. When the chance
table has no weight off the diagonal (``sum(w*E) == 0``: both reviewers gave one and
the same level every time) kappa is 0/0; scikit-learn returns ``nan`` with a warning,
and here it is ``None`` ("undefined"), shown as a dash with the reason. Agreement by
chance is then certain, so there is nothing for kappa to measure; exact agreement (1.0)
still says what happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

#: A confusion table: (reviewer A's level, reviewer B's level) -> number of pairs.
Counts = Mapping[tuple[Hashable, Hashable], int]


@dataclass(frozen=True)
class Agreement:
    """The agreement figures for one set of paired scores. ``None`` means undefined.

    ``adjacent`` and ``weighted_kappa`` are ``None`` for unordered categories
    (decisions), where "next to each other" means nothing.
    """

    n: int
    exact: float | None
    adjacent: float | None
    kappa: float | None
    weighted_kappa: float | None
    #: Krippendorff's alpha, ordinal and interval (``None`` for unordered categories).
    alpha: float | None = None
    alpha_interval: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "exact": self.exact, "adjacent": self.adjacent,
                "kappa": self.kappa, "weighted_kappa": self.weighted_kappa,
                "alpha": self.alpha, "alpha_interval": self.alpha_interval}


EMPTY = Agreement(0, None, None, None, None)


def agreement_from_counts(counts: Counts, levels: Sequence[Hashable], *,
                          ordinal: bool = True) -> Agreement:
    """The figures for a confusion table over the scale ``levels`` (in order).

    A level in ``counts`` that is not in ``levels`` is a ``ValueError``: it would mean
    the scores and the rubric disagree, and silently dropping it would hide that.
    """
    position = {level: i for i, level in enumerate(levels)}
    if len(position) != len(levels):
        raise ValueError("the scale lists a level twice")
    k = len(levels)
    table = [[0] * k for _ in range(k)]
    n = 0
    for (a, b), count in counts.items():
        if count < 0:
            raise ValueError("a negative count")
        if not count:
            continue
        try:
            i, j = position[a], position[b]
        except KeyError:
            raise ValueError(f"level {a if a not in position else b!r} is not on the scale "
                             f"{list(levels)!r}") from None
        table[i][j] += count
        n += count
    if n == 0:
        return EMPTY
    rows = [sum(r) for r in table]
    cols = [sum(table[i][j] for i in range(k)) for j in range(k)]
    same = sum(table[i][i] for i in range(k))
    exact = same / n
    # Unweighted: sum(w*O) = n - same; sum(w*E) = (n*n - sum(rows[i]*cols[i])) / n.
    chance_off = n * n - sum(rows[i] * cols[i] for i in range(k))
    kappa = _kappa(n - same, chance_off, n)
    if not ordinal:
        return Agreement(n, exact, None, kappa, None)
    near = sum(table[i][j] for i in range(k) for j in range(max(0, i - 1), min(k, i + 2)))
    observed_w = sum((i - j) ** 2 * table[i][j] for i in range(k) for j in range(k))
    chance_w = sum((i - j) ** 2 * rows[i] * cols[j] for i in range(k) for j in range(k))
    return Agreement(n, exact, near / n, kappa, _kappa(observed_w, chance_w, n),
                     *_alphas(table, levels, n))


def _alphas(table: list[list[int]], levels: Sequence[Hashable],
            n: int) -> tuple[float | None, float | None]:
    """Krippendorff's alpha, (ordinal, interval), from the confusion table, in exact
    integer sums (ordinal distances times 4, which the ratio cancels)."""
    k = len(table)
    o = [[table[i][j] + table[j][i] for j in range(k)] for i in range(k)]
    margin = [sum(row) for row in o]
    prefix = [0]
    for x in margin:
        prefix.append(prefix[-1] + x)
    numeric = all(isinstance(v, int) for v in levels)
    sums = [0, 0, 0, 0]  # observed and expected, ordinal then interval
    for i in range(k):
        oi, mi = o[i], margin[i]
        for j in range(i + 1, k):  # d is symmetric and 0 on the diagonal: twice the upper half
            d_ord = (2 * (prefix[j + 1] - prefix[i]) - mi - margin[j]) ** 2
            d_int = (levels[i] - levels[j]) ** 2 if numeric else 0  # type: ignore[operator]
            sums[0] += oi[j] * d_ord
            sums[1] += mi * margin[j] * d_ord
            sums[2] += oi[j] * d_int
            sums[3] += mi * margin[j] * d_int
    ordinal = None if sums[1] == 0 else float(1 - Fraction((2 * n - 1) * sums[0], sums[1]))
    interval = (None if sums[3] == 0 or not numeric
                else float(1 - Fraction((2 * n - 1) * sums[2], sums[3])))
    return ordinal, interval


def _kappa(observed: int, chance_times_n: int, n: int) -> float | None:
    """``1 - observed / (chance_times_n / n)``, exactly, or ``None`` when 0/0."""
    if chance_times_n == 0:
        return None
    return float(1 - Fraction(observed * n, chance_times_n))


def confusion(a: Iterable[Hashable], b: Iterable[Hashable]) -> Counter[tuple[Hashable, Hashable]]:
    """The confusion table of two equally long sequences of levels."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"paired scores of different lengths ({len(a)} and {len(b)})")
    return Counter(zip(a, b))


def agreement(a: Sequence[Hashable], b: Sequence[Hashable],
              levels: Sequence[Hashable] | None = None, *, ordinal: bool = True) -> Agreement:
    """The figures for paired levels ``a[i]``, ``b[i]``; ``levels`` defaults to the
    sorted levels present (as scikit-learn does without ``labels=``)."""
    if levels is None:
        levels = sorted(set(a) | set(b))
    return agreement_from_counts(confusion(a, b), levels, ordinal=ordinal)


# -- explanations shown in the app (one paragraph each) -------------------------------------

EXPLANATIONS: dict[str, str] = {
    "n": (
        "Pairs: how many times two different reviewers both scored the same thing. For a "
        "criterion, each submitted review of the same attempt by two reviewers gives one pair "
        "(an attempt with three reviews gives three pairs). Figures based on few pairs move a "
        "lot with each new review, so read them with care below about 30 pairs."),
    "exact": (
        "Exact agreement: the share of pairs in which both reviewers chose the same level. "
        "It is the easiest figure to read, but part of it is luck: two reviewers who mostly "
        "give the same common level agree often even when they judge independently. Kappa "
        "corrects for that."),
    "adjacent": (
        "Adjacent agreement: the share of pairs in which the two levels are the same or next "
        "to each other on the rubric's scale (for levels 1 to 4, at most one level apart). "
        "Moderation schemes often accept a one-level difference; a low figure here means "
        "reviewers disagree by two levels or more, which usually points to a criterion whose "
        "descriptors are read differently."),
    "kappa": (
        "Cohen's kappa: agreement beyond what chance alone would give, given how often each "
        "reviewer uses each level. 1 is perfect agreement, 0 is no better than chance, and "
        "below 0 is worse than chance. A common reading: under 0.2 slight, 0.2 to 0.4 fair, "
        "0.4 to 0.6 moderate, 0.6 to 0.8 substantial, above 0.8 almost perfect. Every "
        "disagreement counts the same, however far apart the levels. It is undefined (shown "
        "as a dash) when both reviewers gave one and the same level every time."),
    "weighted_kappa": (
        "Quadratic-weighted kappa: like Cohen's kappa, but a disagreement counts by the square "
        "of its distance on the scale, so levels 2 and 3 cost little while 1 and 4 cost "
        "nine times as much. It suits ordered rubric levels and is the usual figure for "
        "agreement on scored work; it is undefined when both reviewers gave one and the "
        "same level every time."),
    "alpha": (
        "Krippendorff's alpha (ordinal): agreement beyond chance like kappa, but chance is "
        "judged from the levels both reviewers gave together, and a disagreement counts by "
        "how many scores lie between the two levels (ordinal). 1 is perfect, 0 is chance; "
        "0.8 or more is commonly taken as reliable, 0.667 as the lowest for tentative "
        "conclusions. The interval alpha beside it weighs a disagreement by the square of "
        "the difference of the level values instead."),
    "decision": (
        "Decision agreement: for pairs of submitted reviews of the same attempt, how often "
        "both reviewers reached the same decision (earned or not yet), and Cohen's kappa for "
        "that decision. Reviewers can agree on the decision while differing on levels, and "
        "the other way round."),
}

#: Short names for table headers and the command line.
LABELS: dict[str, str] = {
    "n": "Pairs",
    "exact": "Exact",
    "adjacent": "Adjacent",
    "kappa": "Kappa",
    "weighted_kappa": "QWK",
    "alpha": "Alpha (ord.)",
    "alpha_interval": "Alpha (int.)",
    "decision": "Decision",
}
