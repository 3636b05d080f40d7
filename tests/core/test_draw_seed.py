"""Each lead database draws its second readings and its backreading sample with a random
seed of its own: made when the database becomes a lead assessor's, kept with its policies
(the same draw every time, in that database), audited without revealing it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import delete, select

from reviewer_app.config import resolve_paths
from reviewer_app.domain.moderation import picked_at_random
from reviewer_app.services import draw_seed, policies
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.audit_rows import text_digest
from reviewer_app.store.context import AppContext

from lead_support import FA_EARNED, add_profile, arrive, attempt_id, make_lead, score_as

KEYS = [f"SUB-{i:04d}" for i in range(400)]


def _seed(ctx: AppContext) -> str:
    with ctx.sessions() as s:
        return draw_seed.database_seed(s)


def _seed_entries(ctx: AppContext) -> list[dict]:
    return [json.loads(e.details_json) for e in audit.recent(ctx) if e.subject == "draw seed"]


def test_each_lead_database_draws_with_its_own_audited_seed(demo_data_dir: Path, tmp_path: Path):
    other_dir = tmp_path / "other"
    shutil.copytree(demo_data_dir, other_dir)
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as one, \
            AppContext.open(resolve_paths(data_dir=other_dir)) as two:
        assert _seed(one) == ""  # a reviewer's database draws nothing
        make_lead(one, defaults=True)
        make_lead(two, defaults=True)
        a, b = _seed(one), _seed(two)
        assert len(a) == len(b) == 32 and a != b
        assert policies.get_policy(one, "fa-math").seed == a  # no policy stored: the database's
        # the draw is not one anyone can compute: the two databases pick different submissions
        picks = [{k for k in KEYS if picked_at_random(s, k, 10)} for s in (a, b, "")]
        assert picks[0] != picks[1] and picks[0] != picks[2] and 20 < len(picks[0]) < 70

        # audited once, with a digest of the seed and never the seed itself
        [entry] = _seed_entries(one)
        assert entry["seed_sha256_16"] == text_digest(a) and a not in json.dumps(entry)
        assert audit.verify(one).ok
        make_lead(one, name="Lena L.")  # renaming keeps the seed
        assert _seed(one) == a and len(_seed_entries(one)) == 1

        # storing a policy keeps the database's draw; only an explicit new seed changes it
        stored = policies.set_policy(one, "fa-math", second_review_percent=20)
        assert stored.stored and stored.seed == a
        assert policies.get_policy(one, "cl-discussion").seed == a
        renewed = policies.set_policy(one, "fa-math", new_seed=True)
        assert renewed.seed not in (a, "")
    with AppContext.open(resolve_paths(data_dir=demo_data_dir)) as again:  # kept: reproducible
        assert _seed(again) == a and policies.get_policy(again, "cl-discussion").seed == a


def test_a_lead_database_from_before_seeds_gets_one_when_reviews_arrive(demo_ctx: AppContext):
    make_lead(demo_ctx, defaults=True)
    with demo_ctx.transaction() as s:  # as a lead database made before this release was
        s.execute(delete(m.AppSetting).where(m.AppSetting.key == draw_seed.SETTING))
    assert policies.get_policy(demo_ctx, "fa-math").seed == ""
    ana = add_profile(demo_ctx, "Ana Silva")
    score_as(demo_ctx, ana, "DEMO-1001", 1, FA_EARNED)
    arrive(demo_ctx, [attempt_id(demo_ctx, "DEMO-1001", 1)])
    seed = _seed(demo_ctx)
    assert len(seed) == 32 and policies.get_policy(demo_ctx, "fa-math").seed == seed
    assert len(_seed_entries(demo_ctx)) == 2 and audit.verify(demo_ctx).ok
    with demo_ctx.sessions() as s:
        assert s.scalar(select(m.AppSetting.value).where(m.AppSetting.key == draw_seed.SETTING)) == seed
