"""Reading the reviews for the agreement statistics: one statement, one tight loop.

``stats`` builds the report from what ``count_rows`` returns; see its docstring for what a
pair is. This module holds the SQL and the counting, kept apart so that each stays short.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import aliased

from reviewer_app.domain.model import Decision, ReviewStatus
from reviewer_app.jobs import Job
from reviewer_app.store import models as m

if TYPE_CHECKING:
    from reviewer_app.domain.stats_report import StatsQuery


# -- the query -------------------------------------------------------------------------------
#
# One statement does all the reading, so the scores are read once:
#
# * ``rs``: every review's levels as one string of integers, one per criterion,
#   ``criterion_id * LEVEL_SPAN + level + LEVEL_OFFSET``, comma-separated (one row per
#   review, from the review_score index in order; integers are cheaper to join than
#   "id=level" text);
# * rows of kind 0: the review pairs, from the self-join of ``review`` on the attempt
#   with ``r1.reviewer_id < r2.reviewer_id``, each with both reviews' level strings, the
#   decisions and the UTC day of the later submission;
# * rows of kind 1: how many submitted reviews by each reviewer had each level string.
#
# Python then pairs up the levels criterion by criterion, once per distinct pair of
# strings (rubrics have few), and counts with integer keys.

PAIR, DISTRIBUTION, MODERATED = 0, 1, 2
#: Only reviewers' own reviews pair up: a lead's moderation review is compared with each
#: reviewer apart (kind 2 rows), and calibration submissions are left out altogether.
INDEPENDENT = "review"
#: Levels are within +-1,000,000 (the package format's limit), so a level plus the offset
#: fits below the span, and criterion ids up to 2**41 keep the code a 64-bit integer.
LEVEL_OFFSET = 1 << 21
LEVEL_SPAN = 1 << 22


def later_of(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return type_coerce(case((a >= b, a), else_=b), m.Review.submitted_at.type)


def day_of(dialect: str, when: ColumnElement) -> ColumnElement:
    """'YYYY-MM-DD' of a stored time, in UTC, computed by the database."""
    if dialect == "sqlite":  # stored as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        return func.substr(type_coerce(when, String), 1, 10)
    return func.to_char(func.timezone("UTC", when), "YYYY-MM-DD")


def statement(query: StatsQuery, dialect: str) -> Select:
    s = m.ReviewScore
    cell = s.criterion_id * LEVEL_SPAN + s.level + LEVEL_OFFSET
    joined = (func.group_concat(cell, literal_column("','")) if dialect == "sqlite"
              else func.string_agg(cast(cell, String), literal_column("','")))
    # An unscored criterion's code is NULL, which both aggregates skip.
    rs = select(s.review_id.label("review_id"), joined.label("v")).group_by(s.review_id).cte("rs")
    calibration = select(m.CalibrationItem.attempt_id)

    r1, r2, a = aliased(m.Review, name="r1"), aliased(m.Review, name="r2"), aliased(m.Attempt, name="a")
    v1, v2 = rs.alias("v1"), rs.alias("v2")
    later = later_of(r1.submitted_at, r2.submitted_at)
    pairs = (select(literal_column(str(PAIR)).label("kind"), a.credential_id.label("credential"),
                    r1.reviewer_id.label("p1"), r2.reviewer_id.label("p2"),
                    day_of(dialect, later).label("day"),
                    # plain text: no enum conversion on every row
                    type_coerce(r1.decision, String).label("d1"),
                    type_coerce(r2.decision, String).label("d2"), v1.c.v.label("v1"), v2.c.v.label("v2"))
             .select_from(r1)
             .join(r2, and_(r2.attempt_id == r1.attempt_id, r2.reviewer_id > r1.reviewer_id))
             .join(a, a.id == r1.attempt_id)
             # A submitted review always has its scores (submitting needs every criterion
             # scored), so an inner join loses no pair; it lets SQLite drive the join from
             # ``rs`` in review order, without building an index on it (measured: faster).
             .join(v1, v1.c.review_id == r1.id)
             .outerjoin(v2, v2.c.review_id == r2.id)
             .where(r1.status == ReviewStatus.SUBMITTED, r2.status == ReviewStatus.SUBMITTED,
                    r1.kind == INDEPENDENT, r2.kind == INDEPENDENT,
                    r1.attempt_id.not_in(calibration)))

    # Each reviewer's review against the lead's moderation review of the same attempt.
    r3, r4, a2 = aliased(m.Review, name="r3"), aliased(m.Review, name="r4"), aliased(m.Attempt, name="a2")
    v3, v4 = rs.alias("v3"), rs.alias("v4")
    moderated = (select(literal_column(str(MODERATED)), a2.credential_id, r3.reviewer_id,
                        r4.reviewer_id, day_of(dialect, r4.submitted_at),
                        type_coerce(r3.decision, String), type_coerce(r4.decision, String),
                        v3.c.v, v4.c.v)
                 .select_from(r4)
                 .join(r3, and_(r3.attempt_id == r4.attempt_id, r3.reviewer_id != r4.reviewer_id))
                 .join(a2, a2.id == r4.attempt_id)
                 .join(v3, v3.c.review_id == r3.id).join(v4, v4.c.review_id == r4.id)
                 .where(r4.kind == "moderation", r4.status == ReviewStatus.SUBMITTED,
                        r3.kind == INDEPENDENT, r3.status == ReviewStatus.SUBMITTED))

    r, ra = aliased(m.Review, name="r"), aliased(m.Attempt, name="ra")
    dist = (select(literal_column(str(DISTRIBUTION)), ra.credential_id, r.reviewer_id,
                   func.count(), null(), null(), null(), rs.c.v, null())
            .select_from(r).join(ra, ra.id == r.attempt_id).join(rs, rs.c.review_id == r.id)
            .where(r.status == ReviewStatus.SUBMITTED, r.kind == INDEPENDENT,
                   r.attempt_id.not_in(calibration))
            .group_by(ra.credential_id, r.reviewer_id, rs.c.v))

    if query.credential_key is not None:
        for_key = select(m.Credential.id).where(m.Credential.key == query.credential_key)
        pairs = pairs.where(a.credential_id.in_(for_key))
        dist = dist.where(ra.credential_id.in_(for_key))
        moderated = moderated.where(a2.credential_id.in_(for_key))
    if query.since is not None:
        pairs = pairs.where(later >= query.since)
        dist = dist.where(r.submitted_at >= query.since)
        moderated = moderated.where(r4.submitted_at >= query.since)
    if query.until is not None:
        pairs = pairs.where(later < query.until)
        dist = dist.where(r.submitted_at < query.until)
        moderated = moderated.where(r4.submitted_at < query.until)
    return union_all(pairs, dist, moderated)


def raw_rows(result: CursorResult) -> Generator[tuple, None, None]:
    """The statement's rows as the driver gives them: every column is an integer or
    text needing no conversion, and skipping SQLAlchemy's row objects halves the time."""
    cursor = result.cursor
    try:
        while chunk := cursor.fetchmany(5000):
            yield from chunk
    finally:
        result.close()


def parse_levels(v: str | None) -> dict[int, int]:
    """A review's levels from ``rs.v``: criterion id -> level."""
    if not v:
        return {}
    out = {}
    for code in v.split(","):
        criterion, level = divmod(int(code), LEVEL_SPAN)
        out[criterion] = level - LEVEL_OFFSET
    return out


@dataclass
class Counts:
    """What the statement's rows add up to, keyed by database ids. Reviewer pairs are in
    canonical order (by profile uid), whatever order the reviewers were added in."""

    #: (credential id, reviewer id, reviewer id) -> confusion table per criterion id
    levels: dict[tuple[int, int, int], dict[int, Counter]] = field(default_factory=dict)
    #: (period, its first day) -> confusion table per criterion id
    periods: dict[tuple[str, date], dict[int, Counter]] = field(default_factory=dict)
    #: (credential id, reviewer id, month, its first day) -> table of (the reviewer's
    #: level, the other reviewer's level), every criterion pooled: each reviewer's drift
    drift: dict[tuple[int, int, str, date], Counter] = field(default_factory=dict)
    #: (credential id, reviewer id, reviewer id) -> decision confusion table
    decisions: dict[tuple[int, int, int], Counter] = field(default_factory=dict)
    #: (credential id, reviewer id) -> (criterion id -> table, decision table): the
    #: reviewer's levels against the lead's moderation review of the same attempt
    moderated: dict[tuple[int, int], tuple[dict[int, Counter], Counter]] = field(default_factory=dict)
    #: (credential id, reviewer id, criterion id) -> level -> count
    distributions: dict[tuple[int, int, int], Counter] = field(default_factory=dict)
    pairs: int = 0


def count_rows(rows: Iterable, period: str, rank: dict[int, int],
           job: Job) -> Counts:
    """Fold the rows into confusion tables. Hot loop: 100,000 pairs in a few tenths of a
    second, by collecting small integer keys, counting them in C (``Counter``) and
    expanding each distinct key once at the end. ``rank`` orders reviewers canonically
    (profile id -> place by uid): a pair whose rows come the other way round is flipped."""
    gshift, pshift = 1 << 48, 1 << 32
    groups: dict[tuple[int, int, int], tuple[int, bool]] = {}  # -> (code * gshift, flip)
    days: dict[str, tuple[int, int]] = {}  # day -> its period's code, its month's * pshift
    periods: dict[tuple[str, date], int] = {}  # (period, its first day) -> code * pshift
    months: dict[tuple[str, date], int] = {}  # (month, its first day) -> code * pshift
    cells: dict[tuple[int, int, int], int] = {}  # (criterion, l1, l2) -> code
    matched: dict[tuple[str | None, str | None], tuple[tuple[int, ...], tuple[int, ...]]] = {}
    parsed: dict[str | None, dict[int, int]] = {}
    level_keys: list[int] = []
    period_keys: list[int] = []
    drift_keys: list[int] = []
    decision_keys: list[tuple[int, str | None, str | None]] = []
    dist_rows, moderated_rows = [], []

    def match(v1: str | None, v2: str | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Cell codes with and without the criterion (``-criterion - 1`` marks the latter)."""
        a = parsed.get(v1)
        if a is None:
            a = parsed[v1] = parse_levels(v1)
        b = parsed.get(v2)
        if b is None:
            b = parsed[v2] = parse_levels(v2)
        codes, pooled = [], []
        for criterion, l1 in a.items():
            l2 = b.get(criterion)
            if l2 is not None:
                code = cells.get((criterion, l1, l2))
                if code is None:
                    code = cells[(criterion, l1, l2)] = len(cells)
                codes.append(code)
                code = cells.get((-1, l1, l2))
                if code is None:
                    code = cells[(-1, l1, l2)] = len(cells)
                pooled.append(code)
        return tuple(codes), tuple(pooled)

    # Bound once: this loop runs once per pair.
    groups_get, days_get, matched_get = groups.get, days.get, matched.get
    add_decision = decision_keys.append
    for kind, cred, p1, p2, day, d1, d2, v1, v2 in rows:
        if kind != PAIR:
            (dist_rows if kind == DISTRIBUTION else moderated_rows).append((cred, p1, p2, d1, d2, v1, v2))
            continue
        group = groups_get((cred, p1, p2))
        if group is None:
            flip = rank[p1] > rank[p2]
            group = groups[(cred, p1, p2)] = (len(groups) * gshift, flip)
            job.check()
        group, flip = group
        if flip:
            v1, v2, d1, d2 = v2, v1, d2, d1
        day_codes = days_get(day)
        if day_codes is None:
            when = date.fromisoformat(day)
            day_codes = days[day] = (
                periods.setdefault(period_of(when, period), len(periods) * pshift),
                months.setdefault(period_of(when, "month"), len(months) * pshift))
        both = matched_get((v1, v2))
        if both is None:
            both = matched[(v1, v2)] = match(v1, v2)
        level_keys += [group + c for c in both[0]]
        pooled = both[1]
        base = day_codes[0]
        period_keys += [base + c for c in pooled]
        base = group + day_codes[1]
        drift_keys += [base + c for c in pooled]
        add_decision((group, d1, d2))
    job.check()

    cell_of = list(cells)
    group_of = {code // gshift: (cred, p2, p1) if flip else (cred, p1, p2)
                for (cred, p1, p2), (code, flip) in groups.items()}
    when_of = {code // pshift: key for key, code in periods.items()}
    month_of = {code // pshift: key for key, code in months.items()}
    out = Counts(pairs=len(decision_keys))

    def add(target: dict, outer: object, criterion: int, l1: int, l2: int, n: int) -> None:
        per_criterion = target.get(outer)
        if per_criterion is None:
            per_criterion = target[outer] = {}
        table = per_criterion.get(criterion)
        if table is None:
            table = per_criterion[criterion] = Counter()
        table[(l1, l2)] += n

    for key, n in Counter(level_keys).items():
        add(out.levels, group_of[key // gshift], *cell_of[key % pshift], n)
    # Periods pool every pair (criterion -1: every criterion of every credential); each
    # reviewer's drift, month by month, has their own level first.
    for key, n in Counter(period_keys).items():
        _, l1, l2 = cell_of[key % pshift]
        out.periods.setdefault(when_of[key // pshift], {}).setdefault(-1, Counter())[(l1, l2)] += n
    buckets: dict[int, dict[int, int]] = {}
    for key, n in Counter(drift_keys).items():
        bucket = buckets.get(key // pshift)
        if bucket is None:
            bucket = buckets[key // pshift] = {}
        bucket[key % pshift] = n
    span = gshift // pshift
    for gm, bucket in buckets.items():
        cred, p1, p2 = group_of[gm // span]
        when = month_of[gm % span]
        first = out.drift.setdefault((cred, p1, *when), Counter())
        second = out.drift.setdefault((cred, p2, *when), Counter())
        for c, n in bucket.items():
            _, l1, l2 = cell_of[c]
            first[(l1, l2)] += n
            second[(l2, l1)] += n
    for (group, d1, d2), n in Counter(decision_keys).items():
        table = out.decisions.setdefault(group_of[group // gshift], Counter())
        if d1 is not None and d2 is not None:
            table[(Decision(d1).value, Decision(d2).value)] += n
    for cred, reviewer, _lead, d1, d2, v1, v2 in moderated_rows:
        tables, decisions = out.moderated.setdefault((cred, reviewer), ({}, Counter()))
        for criterion, l1 in (parsed.get(v1) or parse_levels(v1)).items():
            l2 = (parsed.get(v2) or parse_levels(v2)).get(criterion)
            if l2 is not None:
                tables.setdefault(criterion, Counter())[(l1, l2)] += 1
        if d1 is not None and d2 is not None:
            decisions[(Decision(d1).value, Decision(d2).value)] += 1
    dist = out.distributions
    for cred, reviewer, n, _d1, _d2, v, _v2 in dist_rows:
        for criterion, level in (parsed.get(v) or parse_levels(v)).items():
            table = dist.get((cred, reviewer, criterion))
            if table is None:
                table = dist[(cred, reviewer, criterion)] = Counter()
            table[level] += n
    return out



def period_of(day: date, period: str) -> tuple[str, date]:
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}", day.replace(day=1)
    year, week, weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}", day - timedelta(days=weekday - 1)
