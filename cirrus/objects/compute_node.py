"""Compute nodes of a cell: resources and usage as the resource tracker reports them."""

import dataclasses
import datetime
import uuid as uuidlib
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from cirrus.db.base import utcnow
from cirrus.db.cell import models


@dataclasses.dataclass(frozen=True)
class ComputeNode:
    """One hypervisor node."""

    id: int
    uuid: str
    service_id: int | None
    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    host_ip: str | None
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    running_vms: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    reserved_host_memory_mb: int
    reserved_host_disk_mb: int
    reserved_host_cpus: int
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


_FIELDS = [f.name for f in dataclasses.fields(ComputeNode)]


def _from_row(r: Any) -> ComputeNode:
    return ComputeNode(**{k: getattr(r, k) for k in _FIELDS})


def ensure(session: Session, host: str, nodename: str, values: dict[str, Any]) -> ComputeNode:
    """Create or update the node of ``host``; its uuid is stable across restarts."""
    row = session.scalar(select(models.ComputeNode).filter_by(
        host=host, hypervisor_hostname=nodename, deleted=0))
    if row is None:
        row = models.ComputeNode(uuid=str(uuidlib.uuid4()), host=host,
                                 hypervisor_hostname=nodename, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
    session.flush()
    return _from_row(row)


_TABLE = cast(Table, models.ComputeNode.__table__)
_UPDATES: dict[tuple[str, ...], Any] = {}


def update_usage(session: Session, node_id: int, **usage: int) -> None:
    """Store the tracker's usage totals."""
    # NOTE: one UPDATE built once per set of totals, not the ORM's read of the row and
    # flush: the tracker stores its totals after builds and deletes on the host.
    names = tuple(sorted(usage))
    stmt = _UPDATES.get(names)
    if stmt is None:
        stmt = _UPDATES[names] = update(_TABLE).where(
            _TABLE.c.id == bindparam("b_id")).values(
                {name: bindparam(f"b_{name}") for name in (*names, "updated_at")})
    session.execute(stmt, {"b_id": node_id, "b_updated_at": utcnow(),
                           **{f"b_{name}": value for name, value in usage.items()}})


# NOTE: pre-built on the table: the scheduler reads every node of a cell per request.
_ALL = select(_TABLE).where(_TABLE.c.deleted == 0).order_by(_TABLE.c.id)


def get_all(session: Session) -> list[ComputeNode]:
    """Every live node of the cell."""
    return [_from_row(r) for r in session.execute(_ALL)]


def get_by_id(session: Session, node_id: int) -> ComputeNode | None:
    """One node by database id."""
    row = session.get(models.ComputeNode, node_id)
    return _from_row(row) if row and not row.deleted else None
