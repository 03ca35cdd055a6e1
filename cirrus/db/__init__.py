"""Persistence: SQLAlchemy models and engines. Only cirrus.db and cirrus.objects import it."""
