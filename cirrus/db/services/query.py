"""Lookups by id and paged, ordered reads shared by the services."""

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, UnaryExpression, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cirrus.db.base import ServicesBase

T = TypeVar("T", bound=ServicesBase)


def get_by_uuid(
    session: Session, model: type[T], ident: str, *,
    for_update: bool | dict[str, Any] = False, options: Sequence[Any] = (),
) -> T | None:
    """The row of ``model`` whose UUID primary key is ``ident``, or None.

    Anything that is not a UUID finds nothing without reaching the database, so a name
    or a stray byte in a URL is a plain "not found" on every engine. ``for_update`` is
    True or ``Session.get``'s dict of FOR UPDATE flags; ``options`` are loader options
    (for example to load collections in the same statement).
    """
    try:
        canonical = str(uuid.UUID(ident))
    except ValueError:
        return None
    return session.get(model, canonical, with_for_update=for_update, options=options)


def fetch_page(
    session: Session,
    model: type[T],
    id_column: InstrumentedAttribute[str],
    *,
    conds: Sequence[ColumnElement[bool]],
    order: Sequence[UnaryExpression[Any]],
    marker: str | None,
    limit: int | None,
) -> list[T]:
    """The rows after ``marker`` in ``order`` that match ``conds``, at most ``limit``.

    The caller checks beforehand that ``marker`` names a row the requester may see. The
    ordering should end with the id column so that it is total.
    """
    if marker is None:
        # Without a marker the page is the first ``limit`` rows in order: one statement.
        first = select(model).where(*conds).order_by(*order)
        return list(session.scalars(first if limit is None else first.limit(limit)))
    stmt = select(id_column)
    if conds:
        # NOTE: the marker row joins the ordered ids even when the filters exclude it, so
        # the page starts where the marker sorts: keyset semantics without keyset SQL.
        stmt = stmt.where(or_(and_(*conds), id_column == marker))
    ids = list(session.scalars(stmt.order_by(*order)))
    start = ids.index(marker) + 1 if marker in ids else 0
    page = ids[start:] if limit is None else ids[start : start + limit]
    if not page:
        return []
    rows = {
        getattr(r, id_column.key): r
        for r in session.scalars(select(model).where(id_column.in_(page)))
    }
    return [rows[i] for i in page]
