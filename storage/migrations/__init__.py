"""Alembic migrations: snapshots of the schema changes, never edited to follow the code."""
