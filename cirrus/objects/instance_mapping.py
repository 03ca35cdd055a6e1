"""Instance mappings: the single authority on which cell holds a server."""

import dataclasses
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models
from cirrus.db.base import utcnow


@dataclasses.dataclass(frozen=True)
class InstanceMapping:
    """Where a server lives; ``cell_id`` None while it waits in a build request."""

    instance_uuid: str
    cell_id: int | None
    project_id: str
    user_id: str | None
    queued_for_delete: bool


def _from_row(row: models.InstanceMapping) -> InstanceMapping:
    return InstanceMapping(row.instance_uuid, row.cell_id, row.project_id, row.user_id,
                           row.queued_for_delete)


_TABLE = cast(Table, models.InstanceMapping.__table__)
# NOTE: pre-built on the table: every boot and cross-cell move flips a mapping, and an
# ORM-enabled UPDATE also pays for synchronizing the session. Every boot maps its server:
# a plain insert skips the unit of work's flush (the column defaults apply alike).
_SET_CELL = update(_TABLE).where(_TABLE.c.instance_uuid == bindparam("b_uuid")).values(
    cell_id=bindparam("b_cell"), updated_at=bindparam("b_now"))
_INSERT = insert(_TABLE)


def create(session: Session, instance_uuid: str, project_id: str, user_id: str | None,
           cell_id: int | None = None) -> InstanceMapping:
    """Map a new server (usually before it has a cell)."""
    session.execute(_INSERT, {"instance_uuid": instance_uuid, "project_id": project_id,
                              "user_id": user_id, "cell_id": cell_id})
    return InstanceMapping(instance_uuid, cell_id, project_id, user_id, False)


def get(session: Session, instance_uuid: str) -> InstanceMapping:
    """The mapping of a server; raises InstanceMappingNotFound."""
    row = session.scalar(select(models.InstanceMapping).filter_by(instance_uuid=instance_uuid))
    if row is None:
        raise exception.InstanceMappingNotFound(uuid=instance_uuid)
    return _from_row(row)


def get_many(session: Session, instance_uuids: Iterable[str]) -> list[InstanceMapping]:
    """The mappings of those of ``instance_uuids`` that have one."""
    uuids = list(instance_uuids)
    if not uuids:
        return []
    query = select(models.InstanceMapping).where(
        models.InstanceMapping.instance_uuid.in_(uuids))
    return [_from_row(r) for r in session.scalars(query)]


def set_cell(session: Session, instance_uuid: str, cell_id: int) -> None:
    """Point a server's mapping at a cell: the moment the server becomes visible there."""
    session.execute(_SET_CELL, {"b_uuid": instance_uuid, "b_cell": cell_id, "b_now": utcnow()})


def mark_deleted(session: Session, instance_uuid: str) -> None:
    """Queue a mapping for archival once its server is deleted."""
    session.execute(update(models.InstanceMapping)
                    .where(models.InstanceMapping.instance_uuid == instance_uuid)
                    .values(queued_for_delete=True, updated_at=utcnow()))


def by_project(session: Session, project_id: str | None) -> list[InstanceMapping]:
    """Live mappings of a project (all projects when None)."""
    query = select(models.InstanceMapping).filter_by(queued_for_delete=False)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    return [_from_row(r) for r in session.scalars(query)]


def delete(session: Session, instance_uuid: str) -> None:
    """Remove a mapping outright (a build request deleted before scheduling)."""
    row = session.scalar(select(models.InstanceMapping).filter_by(instance_uuid=instance_uuid))
    if row is not None:
        session.delete(row)
