"""Second reading by default, late reviews, backreading and release, calibration that counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:40:00

Final decisions made before this revision were already queued for the issuer: they are
marked released (and backread) when they were decided.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('credential_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibration_items', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('hold_for_release', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('backread_percent', sa.Integer(), server_default='5', nullable=False))
    with op.batch_alter_table('final_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('backread_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_final_decision_released_at'), ['released_at'], unique=False)
        batch_op.drop_constraint('source', type_='check')
        batch_op.create_check_constraint(
            'source', "source IN ('single', 'agreed', 'moderated', 'overturned')")
    op.execute("UPDATE final_decision SET released_at = decided_at, backread_at = decided_at")
    op.create_table('late_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('final_decision_id', sa.Integer(), nullable=False),
    sa.Column('agrees', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_late_review_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['final_decision_id'], ['final_decision.id'],
                            name=op.f('fk_late_review_final_decision_id_final_decision')),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_late_review_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_review')),
    sa.UniqueConstraint('review_id', name=op.f('uq_late_review_review_id'))
    )
    with op.batch_alter_table('late_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_review_attempt_id'), ['attempt_id'], unique=False)
    op.create_table('second_read_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_uid', sa.String(length=36), nullable=False),
    sa.Column('reviewer_name', sa.Text(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'],
                            name=op.f('fk_second_read_assignment_attempt_id_attempt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_read_assignment')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_second_read_assignment_attempt_id'))
    )
    with op.batch_alter_table('second_read_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_read_assignment_reviewer_uid'), ['reviewer_uid'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('second_read_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_read_assignment_reviewer_uid'))
    op.drop_table('second_read_assignment')
    with op.batch_alter_table('late_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_review_attempt_id'))
    op.drop_table('late_review')
    op.execute("UPDATE final_decision SET source = 'moderated' WHERE source = 'overturned'")
    with op.batch_alter_table('final_decision', schema=None) as batch_op:
        batch_op.drop_constraint('source', type_='check')
        batch_op.create_check_constraint('source', "source IN ('single', 'agreed', 'moderated')")
        batch_op.drop_index(batch_op.f('ix_final_decision_released_at'))
        batch_op.drop_column('backread_at')
        batch_op.drop_column('released_at')
    with op.batch_alter_table('credential_policy', schema=None) as batch_op:
        batch_op.drop_column('backread_percent')
        batch_op.drop_column('hold_for_release')
        batch_op.drop_column('calibration_items')
