"""Agreement statistics between reviewers, for lead assessors.

A *pair* is two **independent** submitted reviews of the same attempt by different
reviewers (an attempt with three gives three pairs): a lead's moderation review is never
one side of a pair (each reviewer is compared with it apart, ``against_moderation``), and
reviews of calibration submissions are left out (``excluded`` counts both). For every
pair, each criterion both reviews scored gives one pair of levels, and the two decisions
one pair of decisions. The figures (exact and adjacent agreement, Cohen's kappa,
quadratic-weighted kappa, Krippendorff's alpha ordinal and interval) come from
``reviewer_app.domain.agreement``.

The pairing is done by the database (``stats_counts``): a self-join of ``review`` on the
attempt, each unordered pair once, streamed as plain rows carrying both reviews' levels;
Python matches the levels criterion by criterion and counts them into confusion tables.
Each pair is then put in **canonical order**, by the reviewers' profile uids (the same in
every database), so pooled tables, and kappa on them, do not depend on the order in which
reviewers or batches arrived. 100,000 pairs take about 1.5 s of CPU on SQLite
(``tests/benchmarks/bench_stats.py``). Times are the later review's ``submitted_at``, in
UTC; each reviewer's drift is by calendar month.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import (
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from reviewer_app.domain.agreement import EMPTY, Agreement, agreement_from_counts
from reviewer_app.domain.model import Decision, ReviewStatus
from reviewer_app.domain.stats_report import (
    AgreementRow,
    Distribution,
    PeriodRow,
    Reviewer,
    ReviewerRow,
    StatsQuery,
    StatsReport,
)
from reviewer_app.errors import NotFound
from reviewer_app.jobs import Job
from reviewer_app.services.roles import require_lead
from reviewer_app.services.stats_counts import (
    INDEPENDENT,
    Counts,
    count_rows,
    raw_rows,
    statement,
)
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

PERIODS = ("week", "month")
DECISIONS: tuple[str, ...] = (Decision.EARNED.value, Decision.NOT_YET.value)


@dataclass
class _Catalog:
    """Credentials, criteria and their scales, and reviewer names: the labels of a report."""

    credential_key: dict[int, str]
    credential_title: dict[str, str]
    criterion: dict[int, tuple[str, str]]  # id -> (key, title)
    position: dict[int, int]  # criterion id -> its place in its rubric
    scale: dict[int, tuple[int, ...]]  # criterion id -> its level values, ascending
    reviewers: dict[int, Reviewer]


def _catalog(session: Session, reviewer_ids: Iterable[int]) -> _Catalog:
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
        rank = {pid: i for i, pid in enumerate(session.scalars(
            select(m.Profile.id).order_by(m.Profile.uid)))}
        excluded = _excluded(session, query)
        stmt = statement(query, dialect)
        result = session.execute(stmt)
        job.advance(1, "Counting\u2026")
        rows = raw_rows(result)
        try:
            counts = count_rows(rows, query.period, rank, job)
        finally:
            rows.close()  # cancelled half way: the cursor is closed too
        job.advance(1, "Agreement\u2026")
        catalog = _catalog(session, [i for _, p1, p2 in counts.levels for i in (p1, p2)]
                           + [i for _, p1, p2 in counts.decisions for i in (p1, p2)]
                           + [r for _, r, _ in counts.distributions]
                           + [r for _, r in counts.moderated])
    report = _report(query, catalog, counts, excluded)
    job.advance(1, "Done")
    return report


def _excluded(session: Session, query: StatsQuery) -> dict[str, int]:
    """How many submitted reviews the pairs leave out, and why."""
    r = m.Review
    base = (select(func.count()).select_from(r).join(m.Attempt, m.Attempt.id == r.attempt_id)
            .where(r.status == ReviewStatus.SUBMITTED))
    if query.credential_key is not None:
        base = base.where(m.Attempt.credential_id.in_(
            select(m.Credential.id).where(m.Credential.key == query.credential_key)))
    if query.since is not None:
        base = base.where(r.submitted_at >= query.since)
    if query.until is not None:
        base = base.where(r.submitted_at < query.until)
    calibration = select(m.CalibrationItem.attempt_id)
    return {"moderation": session.scalar(base.where(r.kind != INDEPENDENT)) or 0,
            "calibration": session.scalar(base.where(r.kind == INDEPENDENT,
                                                     r.attempt_id.in_(calibration))) or 0}


def _report(query: StatsQuery, cat: _Catalog, counts: Counts,
            excluded: dict[str, int]) -> StatsReport:
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
            levels, agreement_from_counts(table, levels), None,
            tuple(tuple(table.get((a, b), 0) for b in levels) for a in levels)))
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
    for (label, start), per_criterion in counts.periods.items():
        starts[label] = start
        for table in per_criterion.values():  # one pooled table (every criterion)
            periods[label].update(table)
    used = {crit_id for per_criterion in counts.levels.values() for crit_id in per_criterion}
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
    drift = []
    for (cred_id, rid, label, start), table in counts.drift.items():
        key = cat.credential_key[cred_id]
        levels = scale(cred_criteria[key])
        drift.append(ReviewerRow(key, cat.credential_title.get(key, key), cat.reviewers[rid],
                                 label, start, levels, agreement_from_counts(table, levels)))
    drift.sort(key=lambda r: (r.credential_key, r.reviewer.name, r.start))
    against = []
    for (cred_id, rid), (tables, decisions) in counts.moderated.items():
        key = cat.credential_key[cred_id]
        levels = scale(tables)
        pooled = Counter()
        for table in tables.values():
            pooled.update(table)
        against.append(ReviewerRow(key, cat.credential_title.get(key, key), cat.reviewers[rid],
                                   None, None, levels, agreement_from_counts(pooled, levels),
                                   decided(decisions)))
    against.sort(key=lambda r: (r.credential_key, r.reviewer.name))
    reviewers = sorted(set(reviewers) | {r.reviewer for r in against}, key=lambda r: r.name)
    return StatsReport(query, counts.pairs, by_credential, by_criterion, by_pair, over_time,
                       distributions, reviewers, drift, against, excluded)


def _rubric_order(cat: _Catalog, crit_ids: dict[tuple[str, str], set[int]]) -> dict[tuple[str, str], int]:
    """A sort key per (credential, criterion key): the criterion's place in its rubric."""
    return {k: min(cat.position[i] for i in ids) for k, ids in crit_ids.items()}


def day_start(d: date) -> datetime:
    """Midnight UTC at the start of a day (for ``since``/``until`` from dates)."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)
