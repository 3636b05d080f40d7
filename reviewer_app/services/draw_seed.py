"""This lead database's own seed for the reproducible random draws (no Qt).

Which submissions are second-read at random, and which held final decisions are backread,
is a hash of a seed and the submission id. With one seed known to all (an empty one), anyone
could tell in advance which submissions escape a second reading. So each lead database gets
a random seed (128 bits from ``secrets``) when it becomes a lead assessor's: stored in
``app_setting`` (``draw_seed``), used by every credential whose policy was never set and
copied into a credential's policy when the lead first stores one, so the draw stays the same
for that database. It is made once and never changed by itself (``set_policy(new_seed=True)``
gives one credential a new one); its making is audited with a digest of it, not the seed,
which reviewers must not learn. A lead database older than this (no seed yet) gets one on
its next write that draws (a review arriving, a policy set).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.audit_rows import text_digest

SETTING = "draw_seed"


def database_seed(session: Session) -> str:
    """The seed of this database ("" when it has none yet: a reviewer's database)."""
    row = session.get(m.AppSetting, SETTING)
    return row.value if row is not None else ""


def ensure_seed(session: Session, actor_uid: str | None) -> str:
    """This database's seed, made (and audited) in the caller's transaction if it has none."""
    row = session.get(m.AppSetting, SETTING)
    if row is not None:
        return row.value
    seed = secrets.token_hex(16)
    session.add(m.AppSetting(key=SETTING, value=seed))
    session.flush()
    audit.append(session, audit.POLICY, "draw seed",
                 {"seed": "new", "seed_sha256_16": text_digest(seed)}, actor_uid=actor_uid)
    return seed
