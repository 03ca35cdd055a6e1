"""Build requests: servers the API accepted that no cell holds yet."""

import dataclasses
import datetime
import json
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from cirrus.db.api import models


@dataclasses.dataclass(frozen=True)
class BuildRequest:
    """A pending server; ``instance`` holds the values its cell row will get."""

    instance_uuid: str
    project_id: str
    instance: dict[str, Any]
    block_device_mappings: list[dict[str, Any]]
    tags: list[str]
    created_at: datetime.datetime


def _from_row(row: Any) -> BuildRequest:
    return BuildRequest(
        instance_uuid=row.instance_uuid, project_id=row.project_id,
        instance=json.loads(row.instance),
        block_device_mappings=json.loads(row.block_device_mappings or "[]"),
        tags=json.loads(row.tags or "[]"), created_at=row.created_at,
    )


# NOTE: the API writes, and the superconductor reads and removes, a build request on every
# boot; plain rows from pre-built statements skip the ORM's unit of work, statement
# building and entity loading (the column defaults apply alike).
_TABLE = cast(Table, models.BuildRequest.__table__)
_INSERT = insert(_TABLE)
_GET = select(_TABLE).where(_TABLE.c.instance_uuid == bindparam("uuid"))
_DELETE = sql_delete(_TABLE).where(_TABLE.c.instance_uuid == bindparam("uuid"))


def create(session: Session, instance_uuid: str, project_id: str, instance: dict[str, Any],
           block_device_mappings: list[dict[str, Any]], tags: list[str]) -> None:
    """Record a pending server."""
    session.execute(_INSERT, {
        "instance_uuid": instance_uuid, "project_id": project_id,
        "instance": json.dumps(instance, default=str),
        "block_device_mappings": json.dumps(block_device_mappings), "tags": json.dumps(tags),
    })


def get(session: Session, instance_uuid: str) -> BuildRequest | None:
    """The build request of a server, or None once it was placed or deleted."""
    row = session.execute(_GET, {"uuid": instance_uuid}).first()
    return _from_row(row) if row else None


def get_all(session: Session, project_id: str | None) -> list[BuildRequest]:
    """Pending servers of a project (all when None)."""
    query = select(models.BuildRequest)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    return [_from_row(r) for r in session.scalars(query)]


_PENDING = select(models.BuildRequest.instance).where(
    models.BuildRequest.project_id == bindparam("project_id"))


def usage(session: Session, project_id: str) -> tuple[int, int, int]:
    """(servers, vcpus, memory_mb) of a project's pending servers, for quota checks."""
    count = vcpus = ram = 0
    for (blob,) in session.execute(_PENDING, {"project_id": project_id}):
        values = json.loads(blob)
        count += 1
        vcpus += int(values.get("vcpus") or 0)
        ram += int(values.get("memory_mb") or 0)
    return count, vcpus, ram


def delete(session: Session, instance_uuid: str) -> bool:
    """Remove a build request; False when it was already gone (the server was placed)."""
    result: Any = session.execute(_DELETE, {"uuid": instance_uuid})
    return bool(result.rowcount)
