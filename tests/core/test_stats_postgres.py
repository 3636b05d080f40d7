"""Agreement statistics on PostgreSQL give the same figures as on SQLite
(runs when REVIEWER_APP_TEST_DATABASE_URL names a server, as in ``.ci/run``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reviewer_app.config import AppPaths
from reviewer_app.domain.stats_report import StatsQuery
from reviewer_app.services.demo import load_demo
from reviewer_app.services.stats import agreement_stats
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database
from postgres_support import needs_postgres
from stats_support import two_reviewers_over_demo

pytestmark = needs_postgres


def test_the_same_report_as_on_sqlite(pg_paths: AppPaths, demo_ctx: AppContext):
    two_reviewers_over_demo(demo_ctx)
    as_lead_database(demo_ctx)
    with AppContext.open(pg_paths) as ctx:
        assert ctx.engine.dialect.name == "postgresql"
        load_demo(ctx)
        two_reviewers_over_demo(ctx)
        as_lead_database(ctx)
        on_pg = agreement_stats(ctx).as_dict()
        week = datetime.now(UTC).isocalendar()
        assert on_pg["over_time"][0]["period"] == f"{week.year}-W{week.week:02d}"
        since = agreement_stats(ctx, StatsQuery(credential_key="fa-math",
                                                since=datetime.now(UTC) - timedelta(hours=1)))
        assert since.pairs == 3
        later = agreement_stats(ctx, StatsQuery(since=datetime.now(UTC) + timedelta(hours=1)))
        assert later.pairs == 0
    on_sqlite = agreement_stats(demo_ctx).as_dict()
    assert on_pg["review_pairs"] == 4
    assert on_pg == on_sqlite
