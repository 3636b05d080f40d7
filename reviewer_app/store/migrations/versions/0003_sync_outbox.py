"""Sync with the issuer: issuer profiles and the outbox of submitted decisions.

An outbox entry's key (``uid``) and decision (``payload_json`` and the columns copied
from it) never change once written: a trigger refuses such an update, on SQLite and on
PostgreSQL. (A later migration that rebuilds ``sync_outbox`` in batch mode must create
the trigger again.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:44:30.381496
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROZEN = ("uid", "review_id", "kind", "submission_key", "attempt_number", "decision",
           "payload_json", "created_at")
_MESSAGE = "an outbox entry's key and decision never change"


def upgrade() -> None:
    op.create_table('issuer_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('base_url', sa.Text(), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('allow_http', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('settings_json', sa.Text(), server_default='{}', nullable=False),
    sa.Column('pull_cursor', sa.Text(), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('reference', 'badgr')", name=op.f('ck_issuer_profile_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer_profile')),
    sa.UniqueConstraint('name', name=op.f('uq_issuer_profile_name'))
    )
    op.create_table('sync_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('submission_key', sa.String(length=200), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_id', sa.String(length=36), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.String(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('issuer', sa.String(length=100), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sending', 'accepted', 'rejected')", name=op.f('ck_sync_outbox_state')),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_sync_outbox_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('review_id', name=op.f('uq_sync_outbox_review_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_sync_outbox_uid'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sync_outbox_due', ['state', 'next_attempt_at'], unique=False)

    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION sync_outbox_immutable() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF {changed} THEN RAISE EXCEPTION '{_MESSAGE.replace(chr(39), chr(39) * 2)}';"
            " END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER sync_outbox_immutable BEFORE UPDATE ON sync_outbox"
                   " FOR EACH ROW EXECUTE FUNCTION sync_outbox_immutable()")
    else:
        op.execute(
            "CREATE TRIGGER sync_outbox_immutable BEFORE UPDATE ON sync_outbox"
            f" WHEN {changed.replace('IS DISTINCT FROM', 'IS NOT')}"
            f" BEGIN SELECT RAISE(ABORT, '{_MESSAGE.replace(chr(39), chr(39) * 2)}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS sync_outbox_immutable ON sync_outbox")
        op.execute("DROP FUNCTION IF EXISTS sync_outbox_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS sync_outbox_immutable")
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_outbox_due')

    op.drop_table('sync_outbox')
    op.drop_table('issuer_profile')
