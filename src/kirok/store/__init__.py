"""Storage: one port (``RecordStore``) over SQLite and PostgreSQL (SQLAlchemy 2, Alembic)."""
