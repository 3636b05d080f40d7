"""Local storage: typed SQLAlchemy models, sessions, Alembic migrations, evidence files."""
