"""Lead assessors: score batches, double scoring, disputes, final decisions, calibration,
credential policies, database settings and the hash-chained audit log.

The audit log is append-only: triggers refuse UPDATE and DELETE on it, on SQLite and on
PostgreSQL (tampering with the file itself is what ``reviewer-app audit verify`` catches).

Columns are added to ``review`` with plain ALTER TABLE on SQLite (with their foreign key
and check inline), never by rebuilding the table: a rebuild would drop ``review`` under
the rows that point at it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:27:49.082887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_uid', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('details_json', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)

    op.create_table('credential_policy',
    sa.Column('credential_key', sa.String(length=200), nullable=False),
    sa.Column('second_review_percent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('near_cut_margin', sa.Integer(), nullable=True),
    sa.Column('first_reviews', sa.Integer(), server_default='0', nullable=False),
    sa.Column('max_level_gap', sa.Integer(), server_default='0', nullable=False),
    sa.Column('calibration_threshold', sa.Float(), server_default='0.8', nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('calibration_threshold BETWEEN 0 AND 1', name=op.f('ck_credential_policy_threshold')),
    sa.CheckConstraint('max_level_gap >= 0', name=op.f('ck_credential_policy_gap')),
    sa.CheckConstraint('second_review_percent BETWEEN 0 AND 100', name=op.f('ck_credential_policy_percent')),
    sa.PrimaryKeyConstraint('credential_key', name=op.f('pk_credential_policy'))
    )
    op.create_table('score_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('reviewer_uid', sa.String(length=36), nullable=False),
    sa.Column('reviewer_name', sa.Text(), nullable=False),
    sa.Column('exported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_batch')),
    sa.UniqueConstraint('sha256', name=op.f('uq_score_batch_sha256')),
    sa.UniqueConstraint('uid', name=op.f('uq_score_batch_uid'))
    )
    op.create_table('calibration_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('earned', 'not_yet', name='calibration_decision', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_calibration_item_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['profile.id'], name=op.f('fk_calibration_item_marked_by_id_profile')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_item')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_calibration_item_attempt_id'))
    )
    op.create_table('calibration_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['criterion.id'], name=op.f('fk_calibration_score_criterion_id_criterion')),
    sa.ForeignKeyConstraint(['item_id'], ['calibration_item.id'], name=op.f('fk_calibration_score_item_id_calibration_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_score')),
    sa.UniqueConstraint('item_id', 'criterion_id', name=op.f('uq_calibration_score_item_id_criterion_id'))
    )
    op.create_table('final_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('earned', 'not_yet', name='final_decision_decision', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('single', 'agreed', 'moderated')", name=op.f('ck_final_decision_source')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_final_decision_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['profile.id'], name=op.f('fk_final_decision_decided_by_id_profile')),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_final_decision_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_final_decision')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_final_decision_attempt_id')),
    sa.UniqueConstraint('review_id', name=op.f('uq_final_decision_review_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_final_decision_uid'))
    )
    with op.batch_alter_table('final_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_final_decision_decided_at'), ['decided_at'], unique=False)

    op.create_table('dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('final_decision_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f('ck_dispute_state')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_dispute_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['final_decision_id'], ['final_decision.id'], name=op.f('fk_dispute_final_decision_id_final_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_dispute_attempt_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_dispute_uid'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_state', ['state', 'opened_at'], unique=False)

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_review', sa.String(length=20), nullable=True))

    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE review ADD COLUMN kind VARCHAR(12) DEFAULT 'review' NOT NULL"
                   " CONSTRAINT ck_review_kind CHECK (kind IN ('review', 'moderation'))")
        op.execute("ALTER TABLE review ADD COLUMN batch_id INTEGER"
                   " CONSTRAINT fk_review_batch_id_score_batch REFERENCES score_batch (id)")
    else:
        op.add_column('review', sa.Column('kind', sa.String(length=12), server_default='review', nullable=False))
        op.add_column('review', sa.Column('batch_id', sa.Integer(), nullable=True))
        op.create_check_constraint(op.f('ck_review_kind'), 'review', "kind IN ('review', 'moderation')")
        op.create_foreign_key(op.f('fk_review_batch_id_score_batch'), 'review', 'score_batch', ['batch_id'], ['id'])
    op.create_index(op.f('ix_review_batch_id'), 'review', ['batch_id'], unique=False)

    _append_only("audit_log")


def _append_only(table: str) -> None:
    message = "the audit log can only be appended to"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
                   f" BEGIN RAISE EXCEPTION '{message}'; END $$")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                   f" FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
                       f" BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_index(op.f('ix_review_batch_id'), table_name='review')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_review_batch_id_score_batch'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_review_kind'), type_='check')
        batch_op.drop_column('batch_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_column('second_review')

    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_state')

    op.drop_table('dispute')
    with op.batch_alter_table('final_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_final_decision_decided_at'))

    op.drop_table('final_decision')
    op.drop_table('calibration_score')
    op.drop_table('calibration_item')
    op.drop_table('score_batch')
    op.drop_table('credential_policy')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    op.drop_table('audit_head')
    op.drop_table('app_setting')
