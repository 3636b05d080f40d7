"""Notes on photos (a region, in the image's pixels) and on written reflections (a quoted
passage: its text and where it starts): two more kinds of anchor, and the columns a quote
needs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 01:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ANCHOR = ("(kind = 'time' AND start_ms IS NOT NULL AND start_ms >= 0 AND page IS NULL"
              " AND (end_ms IS NULL OR end_ms > start_ms))"
              " OR (kind = 'page' AND page IS NOT NULL AND page >= 0 AND start_ms IS NULL)")
# As reviewer_app.store.models.ANCHOR_CHECK (a migration keeps its own copy: models change).
NEW_ANCHOR = (
    "(kind = 'time' AND start_ms IS NOT NULL AND start_ms >= 0 AND page IS NULL"
    " AND (end_ms IS NULL OR end_ms > start_ms) AND quote IS NULL)"
    " OR (kind = 'page' AND page IS NOT NULL AND page >= 0 AND start_ms IS NULL AND quote IS NULL)"
    " OR (kind = 'region' AND page IS NULL AND start_ms IS NULL AND quote IS NULL)"
    " OR (kind = 'quote' AND quote IS NOT NULL AND quote_at IS NOT NULL AND quote_at >= 0"
    " AND page IS NULL AND start_ms IS NULL AND x0 IS NULL)")


def upgrade() -> None:
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('quote_at', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_annotation_anchor'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_annotation_annotation_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_annotation_anchor'), NEW_ANCHOR)
        batch_op.create_check_constraint(batch_op.f('ck_annotation_annotation_kind'),
                                         "kind IN ('time', 'page', 'region', 'quote')")


def downgrade() -> None:
    op.execute("DELETE FROM annotation WHERE kind IN ('region', 'quote')")
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_annotation_annotation_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_annotation_anchor'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_annotation_anchor'), OLD_ANCHOR)
        batch_op.create_check_constraint(batch_op.f('ck_annotation_annotation_kind'),
                                         "kind IN ('time', 'page')")
        batch_op.drop_column('quote_at')
        batch_op.drop_column('quote')
