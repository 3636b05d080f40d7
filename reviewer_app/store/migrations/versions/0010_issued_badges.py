"""Issued badges: where the issuer serves the Open Badge of a delivered decision, and the
badge itself once the lead fetched it.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 05:00:00

Plain ADD COLUMNs (no table copy), so the outbox's immutability trigger stays as it is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('sync_outbox', sa.Column('badge_url', sa.String(length=500), nullable=True))
    op.add_column('sync_outbox', sa.Column('badge_json', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('sync_outbox', 'badge_json')
    op.drop_column('sync_outbox', 'badge_url')
