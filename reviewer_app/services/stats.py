"""Agreement statistics between reviewers, for lead assessors.

A *pair* is two submitted reviews of the same attempt by different reviewers (an attempt
with three submitted reviews gives three pairs). For every pair, each criterion both
reviews scored gives one pair of levels, and the two decisions give one pair of
decisions. The figures themselves (exact and adjacent agreement, Cohen's kappa,
quadratic-weighted kappa) come from ``reviewer_app.domain.agreement``.

The pairing is done by the database: a self-join of ``review`` on the attempt (with
``r1.reviewer_id < r2.reviewer_id``, so each unordered pair once), streamed as plain rows
(no ORM objects), each carrying both reviews' levels; Python matches the levels
criterion by criterion and counts them into confusion tables (how many times levels
``a`` and ``b`` met). 100,000 pairs take about a second on SQLite
(``tests/benchmarks/bench_stats.py``). Times are the later review's ``submitted_at``,
in UTC.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

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
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import aliased

from reviewer_app.domain.agreement import EMPTY, Agreement, agreement_from_counts
from reviewer_app.domain.model import Decision, ReviewStatus
from reviewer_app.errors import NotFound
from reviewer_app.jobs import Job
from reviewer_app.services.context import AppContext
from reviewer_app.services.roles import require_lead
from reviewer_app.store import models as m

PERIODS = ("week", "month")
DECISIONS: tuple[str, ...] = (Decision.EARNED.value, Decision.NOT_YET.value)


@dataclass(frozen=True)
class StatsQuery:
    credential_key: str | None = None
    #: Pairs whose later review was submitted at or after ``since`` and before ``until``.
    since: datetime | None = None
    until: datetime | None = None
    #: How agreement over time is grouped: ISO weeks ("2026-W37") or months ("2026-09").
    period: str = "week"


@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str  # unique within a report (a uid prefix is added to a repeated name)


@dataclass(frozen=True)
class AgreementRow:
    """One line of figures: a credential, one of its criteria, or one pair of reviewers."""

    credential_key: str
    credential_title: str
    criterion_key: str | None  # None: every criterion of the credential, pooled
    criterion_title: str | None
    reviewers: tuple[Reviewer, Reviewer] | None  # None: every pair of reviewers
    levels: tuple[int, ...]  # the scale the figures use (from the rubric)
    scores: Agreement  # agreement on criterion levels
    decisions: Agreement | None  # agreement on the decision (credential and pair rows)

    @property
    def label(self) -> str:
        if self.reviewers is not None:
            return f"{self.reviewers[0].name} & {self.reviewers[1].name}"
        return self.criterion_title if self.criterion_title is not None else "All criteria"


@dataclass(frozen=True)
class PeriodRow:
    period: str  # "2026-W37" or "2026-09"
    start: date
    scores: Agreement  # every criterion of every credential in the query, pooled


@dataclass(frozen=True)
class Distribution:
    """How often one reviewer gave each level of one criterion (submitted reviews)."""

    reviewer: Reviewer
    credential_key: str
    criterion_key: str
    criterion_title: str
    levels: tuple[int, ...]
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class StatsReport:
    query: StatsQuery
    pairs: int  # pairs of submitted reviews
    by_credential: list[AgreementRow]
    by_criterion: list[AgreementRow]
    by_pair: list[AgreementRow]
    over_time: list[PeriodRow]
    distributions: list[Distribution]
    reviewers: list[Reviewer] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain data (for ``--json``)."""
        def row(r: AgreementRow) -> dict:
            return {"credential": r.credential_key, "credential_title": r.credential_title,
                    "criterion": r.criterion_key, "criterion_title": r.criterion_title,
                    "reviewers": [p.name for p in r.reviewers] if r.reviewers else None,
                    "levels": list(r.levels), "scores": r.scores.as_dict(),
                    "decisions": r.decisions.as_dict() if r.decisions else None}

        q = self.query
        return {
            "query": {"credential": q.credential_key, "period": q.period,
                      "since": q.since.isoformat() if q.since else None,
                      "until": q.until.isoformat() if q.until else None},
            "review_pairs": self.pairs,
            "by_credential": [row(r) for r in self.by_credential],
            "by_criterion": [row(r) for r in self.by_criterion],
            "by_pair": [row(r) for r in self.by_pair],
            "over_time": [{"period": p.period, "start": p.start.isoformat(),
                           "scores": p.scores.as_dict()} for p in self.over_time],
            "distributions": [{"reviewer": d.reviewer.name, "credential": d.credential_key,
                               "criterion": d.criterion_key, "levels": list(d.levels),
                               "counts": {str(k): d.counts.get(k, 0) for k in d.levels}}
                              for d in self.distributions],
        }


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

PAIR, DISTRIBUTION = 0, 1
#: Levels are within +-1,000,000 (the package format's limit), so a level plus the offset
#: fits below the span, and criterion ids up to 2**41 keep the code a 64-bit integer.
LEVEL_OFFSET = 1 << 21
LEVEL_SPAN = 1 << 22


def _later(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return type_coerce(case((a >= b, a), else_=b), m.Review.submitted_at.type)


def _day(dialect: str, when: ColumnElement) -> ColumnElement:
    """'YYYY-MM-DD' of a stored time, in UTC, computed by the database."""
    if dialect == "sqlite":  # stored as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        return func.substr(type_coerce(when, String), 1, 10)
    return func.to_char(func.timezone("UTC", when), "YYYY-MM-DD")


def _statement(query: StatsQuery, dialect: str) -> Select:
    s = m.ReviewScore
    cell = s.criterion_id * LEVEL_SPAN + s.level + LEVEL_OFFSET
    joined = (func.group_concat(cell, literal_column("','")) if dialect == "sqlite"
              else func.string_agg(cast(cell, String), literal_column("','")))
    # An unscored criterion's code is NULL, which both aggregates skip.
    rs = select(s.review_id.label("review_id"), joined.label("v")).group_by(s.review_id).cte("rs")

    r1, r2, a = aliased(m.Review, name="r1"), aliased(m.Review, name="r2"), aliased(m.Attempt, name="a")
    v1, v2 = rs.alias("v1"), rs.alias("v2")
    later = _later(r1.submitted_at, r2.submitted_at)
    pairs = (select(literal_column(str(PAIR)).label("kind"), a.credential_id.label("credential"),
                    r1.reviewer_id.label("p1"), r2.reviewer_id.label("p2"),
                    _day(dialect, later).label("day"),
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
             .where(r1.status == ReviewStatus.SUBMITTED, r2.status == ReviewStatus.SUBMITTED))

    r, ra = aliased(m.Review, name="r"), aliased(m.Attempt, name="ra")
    dist = (select(literal_column(str(DISTRIBUTION)), ra.credential_id, r.reviewer_id,
                   func.count(), null(), null(), null(), rs.c.v, null())
            .select_from(r).join(ra, ra.id == r.attempt_id).join(rs, rs.c.review_id == r.id)
            .where(r.status == ReviewStatus.SUBMITTED)
            .group_by(ra.credential_id, r.reviewer_id, rs.c.v))

    if query.credential_key is not None:
        for_key = select(m.Credential.id).where(m.Credential.key == query.credential_key)
        pairs = pairs.where(a.credential_id.in_(for_key))
        dist = dist.where(ra.credential_id.in_(for_key))
    if query.since is not None:
        pairs = pairs.where(later >= query.since)
        dist = dist.where(r.submitted_at >= query.since)
    if query.until is not None:
        pairs = pairs.where(later < query.until)
        dist = dist.where(r.submitted_at < query.until)
    return union_all(pairs, dist)


def _raw_rows(result: CursorResult) -> Generator[tuple, None, None]:
    """The statement's rows as the driver gives them: every column is an integer or
    text needing no conversion, and skipping SQLAlchemy's row objects halves the time."""
    cursor = result.cursor
    try:
        while chunk := cursor.fetchmany(5000):
            yield from chunk
    finally:
        result.close()


def _parse(v: str | None) -> dict[int, int]:
    """A review's levels from ``rs.v``: criterion id -> level."""
    if not v:
        return {}
    out = {}
    for code in v.split(","):
        criterion, level = divmod(int(code), LEVEL_SPAN)
        out[criterion] = level - LEVEL_OFFSET
    return out


@dataclass
class _Counts:
    """What the statement's rows add up to, keyed by database ids."""

    #: (credential id, reviewer id, reviewer id) -> confusion table per criterion id
    levels: dict[tuple[int, int, int], dict[int, Counter]] = field(default_factory=dict)
    #: (period, its first day) -> confusion table per criterion id
    periods: dict[tuple[str, date], dict[int, Counter]] = field(default_factory=dict)
    #: (credential id, reviewer id, reviewer id) -> decision confusion table
    decisions: dict[tuple[int, int, int], Counter] = field(default_factory=dict)
    #: (credential id, reviewer id, criterion id) -> level -> count
    distributions: dict[tuple[int, int, int], Counter] = field(default_factory=dict)
    pairs: int = 0


def _count(rows: Iterable, period: str, job: Job) -> _Counts:  # noqa: C901 - one tight loop, kept flat
    """Fold the rows into confusion tables. Hot loop: 100,000 pairs in a few tenths of a
    second, by collecting small integer keys, counting them in C (``Counter``) and
    expanding each distinct key once at the end."""
    shift = 1 << 32
    groups: dict[tuple[int, int, int], int] = {}  # (credential, p1, p2) -> code * shift
    days: dict[str, int] = {}  # day -> its period's code * shift
    periods: dict[tuple[str, date], int] = {}  # (period, its first day) -> code * shift
    cells: dict[tuple[int, int, int], int] = {}  # (criterion, l1, l2) -> code
    matched: dict[tuple[str | None, str | None], tuple[int, ...]] = {}
    parsed: dict[str | None, dict[int, int]] = {}
    level_keys: list[int] = []
    day_keys: list[int] = []
    decision_keys: list[tuple[int, str | None, str | None]] = []
    dist_rows = []
    # Bound once: this loop runs once per pair.
    groups_get, days_get, matched_get = groups.get, days.get, matched.get
    add_decision = decision_keys.append
    for kind, cred, p1, p2, day, d1, d2, v1, v2 in rows:
        if kind == DISTRIBUTION:
            dist_rows.append((cred, p1, p2, v1))  # p2 holds the count
            continue
        group = groups_get((cred, p1, p2))
        if group is None:
            group = groups[(cred, p1, p2)] = len(groups) * shift
            job.check()
        day_code = days_get(day)
        if day_code is None:
            p = _period(date.fromisoformat(day), period)
            day_code = days[day] = periods.setdefault(p, len(periods) * shift)
        both = matched_get((v1, v2))
        if both is None:
            a = parsed.get(v1)
            if a is None:
                a = parsed[v1] = _parse(v1)
            b = parsed.get(v2)
            if b is None:
                b = parsed[v2] = _parse(v2)
            codes = []
            for criterion, l1 in a.items():
                l2 = b.get(criterion)
                if l2 is not None:
                    code = cells.get((criterion, l1, l2))
                    if code is None:
                        code = cells[(criterion, l1, l2)] = len(cells)
                    codes.append(code)
            both = matched[(v1, v2)] = tuple(codes)
        level_keys += [group + c for c in both]
        day_keys += [day_code + c for c in both]
        add_decision((group, d1, d2))
    job.check()

    cell_of = list(cells)
    group_of = {code // shift: key for key, code in groups.items()}
    period_of = {code // shift: key for key, code in periods.items()}
    out = _Counts(pairs=len(decision_keys))

    def add(target: dict, outer: object, key: int, n: int) -> None:
        criterion, l1, l2 = cell_of[key % shift]
        per_criterion = target.get(outer)
        if per_criterion is None:
            per_criterion = target[outer] = {}
        table = per_criterion.get(criterion)
        if table is None:
            table = per_criterion[criterion] = Counter()
        table[(l1, l2)] += n

    for key, n in Counter(level_keys).items():
        add(out.levels, group_of[key // shift], key, n)
    for key, n in Counter(day_keys).items():
        add(out.periods, period_of[key // shift], key, n)
    for (group, d1, d2), n in Counter(decision_keys).items():
        table = out.decisions.setdefault(group_of[group // shift], Counter())
        if d1 is not None and d2 is not None:
            table[(Decision(d1).value, Decision(d2).value)] += n
    dist = out.distributions
    for cred, reviewer, n, v in dist_rows:
        for criterion, level in (parsed.get(v) or _parse(v)).items():
            table = dist.get((cred, reviewer, criterion))
            if table is None:
                table = dist[(cred, reviewer, criterion)] = Counter()
            table[level] += n
    return out


@dataclass
class _Catalog:
    """Credentials, criteria and their scales, and reviewer names: the labels of a report."""

    credential_key: dict[int, str]
    credential_title: dict[str, str]
    criterion: dict[int, tuple[str, str]]  # id -> (key, title)
    position: dict[int, int]  # criterion id -> its place in its rubric
    scale: dict[int, tuple[int, ...]]  # criterion id -> its level values, ascending
    reviewers: dict[int, Reviewer]


def _catalog(session, reviewer_ids: Iterable[int]) -> _Catalog:  # noqa: ANN001 - Session
    creds = session.execute(select(m.Credential.id, m.Credential.key, m.Credential.title)
                            .order_by(m.Credential.id)).all()
    titles = {key: title for _, key, title in creds}  # the newest title of a key wins
    criteria, position = {}, {}
    for cid, key, title, pos in session.execute(
            select(m.Criterion.id, m.Criterion.key, m.Criterion.title, m.Criterion.position)):
        criteria[cid], position[cid] = (key, title), pos
    scale: dict[int, list[int]] = defaultdict(list)
    for cid, value in session.execute(select(m.CriterionLevel.criterion_id, m.CriterionLevel.value)
                                      .order_by(m.CriterionLevel.value)):
        scale[cid].append(value)
    ids = sorted(set(reviewer_ids))
    rows = session.execute(select(m.Profile.id, m.Profile.name, m.Profile.uid)
                           .where(m.Profile.id.in_(ids))).all() if ids else []
    seen = Counter(name for _, name, _ in rows)
    reviewers = {pid: Reviewer(pid, name if seen[name] == 1 else f"{name} ({uid[:8]})")
                 for pid, name, uid in rows}
    return _Catalog({cid: key for cid, key, _ in creds}, titles, criteria, position,
                    {cid: tuple(v) for cid, v in scale.items()}, reviewers)


def _union(scales: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sorted({v for s in scales for v in s}))


def _period(day: date, period: str) -> tuple[str, date]:
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}", day.replace(day=1)
    year, week, weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}", day - timedelta(days=weekday - 1)


def agreement_stats(ctx: AppContext, query: StatsQuery | None = None,
                    job: Job | None = None) -> StatsReport:
    """Agreement between reviewers, for a lead assessor only (``NotAllowed`` otherwise)."""
    require_lead(ctx, "see agreement statistics")
    query = query or StatsQuery()
    if query.period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    job = job or Job()
    job.start(3, "Pairing reviews\u2026")
    with ctx.sessions() as session, session.begin():
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # One large read: JIT compilation costs more than it saves here, and the
            # hash joins and aggregates fit in memory instead of spilling to disk.
            session.execute(text("SET LOCAL jit = off"))
            session.execute(text("SET LOCAL work_mem = '64MB'"))
        if query.credential_key is not None and session.scalar(
                select(m.Credential.id).where(m.Credential.key == query.credential_key)
                .limit(1)) is None:
            raise NotFound(f"No credential {query.credential_key!r} in this database.")
        stmt = _statement(query, dialect)
        result = session.execute(stmt)
        job.advance(1, "Counting\u2026")
        rows = _raw_rows(result)
        try:
            counts = _count(rows, query.period, job)
        finally:
            rows.close()  # cancelled half way: the cursor is closed too
        job.advance(1, "Agreement\u2026")
        catalog = _catalog(session, [i for _, p1, p2 in counts.levels for i in (p1, p2)]
                           + [i for _, p1, p2 in counts.decisions for i in (p1, p2)]
                           + [r for _, r, _ in counts.distributions])
    report = _report(query, catalog, counts)
    job.advance(1, "Done")
    return report


def _report(query: StatsQuery, cat: _Catalog, counts: _Counts) -> StatsReport:  # noqa: C901
    credential: dict[str, Counter] = defaultdict(Counter)
    criterion: dict[tuple[str, str], Counter] = defaultdict(Counter)
    pair: dict[tuple[str, int, int], Counter] = defaultdict(Counter)
    cred_criteria: dict[str, set[int]] = defaultdict(set)
    crit_ids: dict[tuple[str, str], set[int]] = defaultdict(set)
    for (cred_id, p1, p2), per_criterion in counts.levels.items():
        key = cat.credential_key[cred_id]
        for crit_id, table in per_criterion.items():
            ckey = cat.criterion[crit_id][0]
            credential[key].update(table)
            criterion[(key, ckey)].update(table)
            pair[(key, p1, p2)].update(table)
            cred_criteria[key].add(crit_id)
            crit_ids[(key, ckey)].add(crit_id)
    cred_decisions: dict[str, Counter] = defaultdict(Counter)
    pair_decisions: dict[tuple[str, int, int], Counter] = {}
    for (cred_id, p1, p2), table in counts.decisions.items():
        key = cat.credential_key[cred_id]
        cred_decisions[key].update(table)
        pair_decisions.setdefault((key, p1, p2), Counter()).update(table)

    def scale(ids: Iterable[int]) -> tuple[int, ...]:
        return _union(cat.scale.get(i, ()) for i in ids)

    def decided(table: Counter | None) -> Agreement:
        return agreement_from_counts(table, DECISIONS, ordinal=False) if table else EMPTY

    by_credential = []
    for key in sorted(set(credential) | set(cred_decisions)):
        levels = scale(cred_criteria[key])
        by_credential.append(AgreementRow(
            key, cat.credential_title.get(key, key), None, None, None, levels,
            agreement_from_counts(credential.get(key, {}), levels),
            decided(cred_decisions.get(key))))

    order = _rubric_order(cat, crit_ids)
    by_criterion = []
    for (key, ckey), table in criterion.items():
        ids = crit_ids[(key, ckey)]
        levels = scale(ids)
        by_criterion.append(AgreementRow(
            key, cat.credential_title.get(key, key), ckey, cat.criterion[max(ids)][1], None,
            levels, agreement_from_counts(table, levels), None))
    by_criterion.sort(key=lambda r: (r.credential_key, order[(r.credential_key, r.criterion_key)]))

    by_pair = []
    for key, p1, p2 in set(pair) | set(pair_decisions):
        levels = scale(cred_criteria[key])
        who = tuple(sorted((cat.reviewers[p1], cat.reviewers[p2]), key=lambda r: r.name))
        by_pair.append(AgreementRow(
            key, cat.credential_title.get(key, key), None, None, who, levels,
            agreement_from_counts(pair.get((key, p1, p2), {}), levels),
            decided(pair_decisions.get((key, p1, p2)))))
    by_pair.sort(key=lambda r: (r.credential_key, r.reviewers[0].name, r.reviewers[1].name))

    periods: dict[str, Counter] = defaultdict(Counter)
    starts: dict[str, date] = {}
    used: set[int] = set()
    for (label, start), per_criterion in counts.periods.items():
        starts[label] = start
        for crit_id, table in per_criterion.items():
            periods[label].update(table)
            used.add(crit_id)
    all_levels = scale(used)
    over_time = [PeriodRow(label, starts[label], agreement_from_counts(periods[label], all_levels))
                 for label in sorted(periods, key=starts.__getitem__)]

    dist: dict[tuple[int, str, str], Counter] = defaultdict(Counter)
    dist_ids: dict[tuple[int, str, str], set[int]] = defaultdict(set)
    for (cred_id, reviewer_id, crit_id), table in counts.distributions.items():
        k = (reviewer_id, cat.credential_key[cred_id], cat.criterion[crit_id][0])
        dist[k].update(table)
        dist_ids[k].add(crit_id)
        crit_ids[(k[1], k[2])].add(crit_id)
    order = _rubric_order(cat, crit_ids)
    distributions = [
        Distribution(cat.reviewers[rid], ckey, crit, cat.criterion[max(dist_ids[(rid, ckey, crit)])][1],
                     scale(dist_ids[(rid, ckey, crit)]), dict(table))
        for (rid, ckey, crit), table in dist.items()]
    distributions.sort(key=lambda d: (d.credential_key, order[(d.credential_key, d.criterion_key)],
                                      d.reviewer.name))
    reviewers = sorted({d.reviewer for d in distributions}
                       | {r for row in by_pair for r in row.reviewers or ()},
                       key=lambda r: r.name)
    return StatsReport(query, counts.pairs, by_credential, by_criterion, by_pair, over_time,
                       distributions, reviewers)


def _rubric_order(cat: _Catalog, crit_ids: dict[tuple[str, str], set[int]]) -> dict[tuple[str, str], int]:
    """A sort key per (credential, criterion key): the criterion's place in its rubric."""
    return {k: min(cat.position[i] for i in ids) for k, ids in crit_ids.items()}


def day_start(d: date) -> datetime:
    """Midnight UTC at the start of a day (for ``since``/``until`` from dates)."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)
