"""Build requests: servers the API accepted that no cell holds yet."""

import dataclasses
import datetime
import json
from typing import Any, cast

from sqlalchemy import JSON, Select, Table, bindparam, func, insert, select, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy import delete as sql_delete
from sqlalchemy.dialects.postgresql import JSON as PG_JSON
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


def _pending_statement(postgresql: bool) -> Select[Any]:
    # PostgreSQL reads JSON out of a text column only once it is cast to JSON; SQLite,
    # MySQL and MariaDB extract from the text as it is.
    blob: Any = (sql_cast(_TABLE.c.instance, PG_JSON) if postgresql
                 else type_coerce(_TABLE.c.instance, JSON))
    return select(func.count(_TABLE.c.id),
                  func.coalesce(func.sum(blob["vcpus"].as_integer()), 0),
                  func.coalesce(func.sum(blob["memory_mb"].as_integer()), 0)).where(
        _TABLE.c.project_id == bindparam("project_id"))


# NOTE: every create with a limited quota counts the project's pending servers (dozens
# while many boots are in flight): summed in the database, not parsed row by row here.
_PENDING = {flag: _pending_statement(flag) for flag in (False, True)}


def usage(session: Session, project_id: str) -> tuple[int, int, int]:
    """(servers, vcpus, memory_mb) of a project's pending servers, for quota checks."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    count, vcpus, ram = session.execute(_PENDING[postgresql],
                                        {"project_id": project_id}).one()
    return int(count), int(vcpus), int(ram)


def delete(session: Session, instance_uuid: str) -> bool:
    """Remove a build request; False when it was already gone (the server was placed)."""
    result: Any = session.execute(_DELETE, {"uuid": instance_uuid})
    return bool(result.rowcount)
