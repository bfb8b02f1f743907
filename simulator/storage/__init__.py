"""Persistence: SQLAlchemy Core tables and the store (SQLite by default, PostgreSQL by URL)."""
