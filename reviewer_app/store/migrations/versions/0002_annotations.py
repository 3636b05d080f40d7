"""Annotations (time-coded and page-anchored notes); the queue's stored status and indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:29:15.462807
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('annotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('evidence_item_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('time', 'page', name='annotation_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('start_ms', sa.Integer(), nullable=True),
    sa.Column('end_ms', sa.Integer(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('x0', sa.Float(), nullable=True),
    sa.Column('y0', sa.Float(), nullable=True),
    sa.Column('x1', sa.Float(), nullable=True),
    sa.Column('y1', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'time' AND start_ms IS NOT NULL AND start_ms >= 0 AND page IS NULL AND (end_ms IS NULL OR end_ms > start_ms)) OR (kind = 'page' AND page IS NOT NULL AND page >= 0 AND start_ms IS NULL)", name=op.f('ck_annotation_anchor')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criterion.id'], name=op.f('fk_annotation_criterion_id_criterion')),
    sa.ForeignKeyConstraint(['evidence_item_id'], ['evidence_item.id'], name=op.f('fk_annotation_evidence_item_id_evidence_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_annotation_review_id_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation')),
    sa.UniqueConstraint('review_id', 'number', name=op.f('uq_annotation_review_id_number')),
    sa.UniqueConstraint('uid', name=op.f('uq_annotation_uid'))
    )
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_review_id'), ['review_id'], unique=False)

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_status', sa.String(length=20), server_default='new', nullable=False))
        batch_op.add_column(sa.Column('has_draft', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('evidence_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_attempt_submitted_at', ['submitted_at'], unique=False)
        batch_op.create_index('ix_attempt_queue_status', ['queue_status', 'submitted_at'], unique=False)
        batch_op.create_index('ix_attempt_has_draft', ['has_draft', 'submitted_at'], unique=False)
        # Filtering by credential walks this in date order instead of sorting half the queue.
        batch_op.create_index('ix_attempt_credential_sort', ['credential_id', 'submitted_at'], unique=False)
        batch_op.drop_index('ix_attempt_credential_id')
    # Existing attempts get the status their reviews give them (as services/queue_state.py derives it).
    op.execute("UPDATE attempt SET queue_status = CASE"
               " WHEN EXISTS (SELECT 1 FROM review r WHERE r.attempt_id = attempt.id AND r.status = 'submitted') THEN 'submitted'"
               " WHEN EXISTS (SELECT 1 FROM review r WHERE r.attempt_id = attempt.id) THEN 'in progress'"
               " ELSE 'new' END,"
               " has_draft = EXISTS (SELECT 1 FROM review r WHERE r.attempt_id = attempt.id AND r.status = 'draft'),"
               " evidence_count = (SELECT count(*) FROM evidence_item e WHERE e.attempt_id = attempt.id)")

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes_issued', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('notes_issued')

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_credential_id', ['credential_id'], unique=False)
        batch_op.drop_index('ix_attempt_credential_sort')
        batch_op.drop_index('ix_attempt_has_draft')
        batch_op.drop_index('ix_attempt_queue_status')
        batch_op.drop_index('ix_attempt_submitted_at')
        batch_op.drop_column('evidence_count')
        batch_op.drop_column('has_draft')
        batch_op.drop_column('queue_status')

    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_review_id'))

    op.drop_table('annotation')
