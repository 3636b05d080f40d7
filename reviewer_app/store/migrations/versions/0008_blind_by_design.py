"""Blind by design: a reviewer's database keeps no candidate's identity.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:40:00

A database whose own profile is a lead assessor is a lead database from before this rule:
``lead_key`` is set to ``pending`` and bound to the lead's key at the first lead action
(``services.lead_database``). Any other database holding submissions is a reviewer's: it
is marked ``reviewer_copy``, and the candidates' names and badge recipients are erased
from its attempts and their stored manifests (SQLite's ``secure_delete`` zeroes the old
bytes). The backup made before the upgrade still holds them.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IDENTITY = ("display_name", "recipient")


def _scrub(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    candidate = data.get("candidate") if isinstance(data, dict) else None
    if not isinstance(candidate, dict):
        return text
    data["candidate"] = {k: v for k, v in candidate.items() if k not in _IDENTITY}
    return json.dumps(data, ensure_ascii=False)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    setting = sa.table('app_setting', sa.column('key', sa.String), sa.column('value', sa.String))
    held = {row[0] for row in conn.execute(sa.select(setting.c.key))}
    lead = conn.execute(sa.text(
        "SELECT 1 FROM profile WHERE is_self AND role = 'lead_assessor'")).first() is not None
    if lead:
        if 'lead_key' not in held:
            conn.execute(setting.insert().values(key='lead_key', value='pending'))
        return
    if conn.execute(sa.text("SELECT 1 FROM attempt")).first() is None:
        return
    if 'reviewer_copy' not in held:
        conn.execute(setting.insert().values(key='reviewer_copy', value='1'))
    attempt = sa.table('attempt', sa.column('id', sa.Integer), sa.column('manifest_json', sa.String),
                       sa.column('candidate_display_name', sa.String),
                       sa.column('recipient_type', sa.String),
                       sa.column('recipient_identity', sa.String))
    rows = conn.execute(sa.select(attempt.c.id, attempt.c.manifest_json)).all()
    for attempt_id, text in rows:
        conn.execute(attempt.update().where(attempt.c.id == attempt_id).values(
            manifest_json=_scrub(text), candidate_display_name=None, recipient_type=None,
            recipient_identity=None))


def downgrade() -> None:
    op.execute("DELETE FROM app_setting WHERE key IN ('lead_key', 'reviewer_copy')")
