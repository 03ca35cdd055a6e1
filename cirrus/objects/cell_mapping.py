"""Cell mappings: where each cell's database and transport are."""

import dataclasses
import uuid as uuidlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models

CELL0_UUID = "00000000-0000-0000-0000-000000000000"


@dataclasses.dataclass(frozen=True)
class CellMapping:
    """A cell: name, database URL and message transport URL."""

    id: int
    uuid: str
    name: str | None
    transport_url: str
    database_connection: str
    disabled: bool = False

    @property
    def is_cell0(self) -> bool:
        """cell0 holds servers that were never scheduled; it has no transport."""
        return self.uuid == CELL0_UUID


def _from_row(row: models.CellMapping) -> CellMapping:
    return CellMapping(
        id=row.id, uuid=row.uuid, name=row.name, transport_url=row.transport_url,
        database_connection=row.database_connection, disabled=row.disabled,
    )


def get_all(session: Session) -> list[CellMapping]:
    """Every cell, cell0 first."""
    rows = session.scalars(select(models.CellMapping).order_by(models.CellMapping.id))
    return sorted((_from_row(r) for r in rows), key=lambda c: (not c.is_cell0, c.id))


def get_by_uuid(session: Session, uuid: str) -> CellMapping:
    """The cell with ``uuid``; raises CellMappingNotFound."""
    row = session.scalar(select(models.CellMapping).filter_by(uuid=uuid))
    if row is None:
        raise exception.CellMappingNotFound(uuid=uuid)
    return _from_row(row)


def get_by_id(session: Session, cell_id: int) -> CellMapping:
    """The cell with database id ``cell_id``; raises CellMappingNotFound."""
    row = session.get(models.CellMapping, cell_id)
    if row is None:
        raise exception.CellMappingNotFound(uuid=str(cell_id))
    return _from_row(row)


def get_by_name(session: Session, name: str) -> CellMapping | None:
    """The cell called ``name``, or None."""
    row = session.scalar(select(models.CellMapping).filter_by(name=name))
    return _from_row(row) if row else None


def create(
    session: Session,
    name: str,
    transport_url: str,
    database_connection: str,
    uuid: str | None = None,
) -> CellMapping:
    """Record a new cell."""
    row = models.CellMapping(
        uuid=uuid or str(uuidlib.uuid4()), name=name, transport_url=transport_url,
        database_connection=database_connection,
    )
    session.add(row)
    session.flush()
    return _from_row(row)
