"""The queue's search index: FTS5 trigrams over submission ids, kept by triggers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:40:00

Built from the existing rows on upgrade (a million ids take a few seconds). On PostgreSQL,
or an SQLite without FTS5's trigram tokenizer, nothing is created and search uses LIKE.
"""

from collections.abc import Sequence

from alembic import op

from reviewer_app.store import search_index

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search_index.create(op.get_bind())


def downgrade() -> None:
    search_index.drop(op.get_bind())
