"""The review store: SQLAlchemy 2 on SQLite (embedded default) or PostgreSQL, Alembic migrations."""
