"""Reviewer enrolment: the public keys a lead assessor accepts score batches from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reviewer_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_uid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolled_by', sa.String(length=36), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_enrolment')),
    sa.UniqueConstraint('public_key', name=op.f('uq_reviewer_enrolment_public_key'))
    )
    with op.batch_alter_table('reviewer_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_enrolment_reviewer_uid'), ['reviewer_uid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reviewer_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_enrolment_reviewer_uid'))
    op.drop_table('reviewer_enrolment')
