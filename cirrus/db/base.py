"""Declarative bases and column helpers shared by the API, cell and services schemas."""

import datetime

from sqlalchemy import DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints keep Alembic migrations identical on SQLite, PostgreSQL and MariaDB.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime.datetime:
    """Naive UTC now: stored and compared the same way on every engine."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class TimestampMixin:
    """created_at/updated_at as Nova keeps them."""

    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, default=None, onupdate=utcnow
    )


class SoftDeleteMixin:
    """Rows kept after delete (deleted = id), so history stays readable."""

    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, default=None)
    deleted: Mapped[int] = mapped_column(Integer, default=0)


class APIBase(DeclarativeBase):
    """Base of the global API database schema."""

    metadata = MetaData(naming_convention=NAMING)


class CellBase(DeclarativeBase):
    """Base of the per-cell database schema (cell0 included)."""

    metadata = MetaData(naming_convention=NAMING)


class ServicesBase(DeclarativeBase):
    """Base of the global image, network and volume services' schema."""

    metadata = MetaData(naming_convention=NAMING)
