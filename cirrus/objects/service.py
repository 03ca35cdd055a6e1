"""Services of a cell and their heartbeats."""

import dataclasses
import datetime
import functools
import uuid as uuidlib
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from cirrus.db.base import utcnow
from cirrus.db.cell import models

# Bumped when a compute learns a new RPC method; the API compares the minimum across cells.
SERVICE_VERSION = 71
# The first compute version that runs the cross-cell move methods (compute RPC 6.2).
MIN_COMPUTE_CROSS_CELL_RESIZE = 71
COMPUTE_BINARY = "cirrus-compute"


@dataclasses.dataclass(frozen=True)
class Service:
    """A service binary on a host."""

    id: int
    uuid: str
    host: str
    binary: str
    topic: str | None
    disabled: bool
    disabled_reason: str | None
    forced_down: bool
    last_seen_up: datetime.datetime | None
    updated_at: datetime.datetime | None
    created_at: datetime.datetime
    version: int

    def is_up(self, down_time: int, now: datetime.datetime | None = None) -> bool:
        """Whether its heartbeat is fresher than ``down_time`` seconds."""
        if self.forced_down or self.last_seen_up is None:
            return False
        now = now or utcnow()
        return (now - self.last_seen_up).total_seconds() <= down_time


def _from_row(r: Any) -> Service:
    return Service(r.id, r.uuid, r.host, r.binary, r.topic, r.disabled, r.disabled_reason,
                   r.forced_down, r.last_seen_up, r.updated_at, r.created_at, r.version)


def register(session: Session, host: str, binary: str, topic: str | None) -> Service:
    """Create or refresh the service row at start-up."""
    row = session.scalar(select(models.Service).filter_by(host=host, binary=binary, deleted=0))
    now = utcnow()
    if row is None:
        row = models.Service(uuid=str(uuidlib.uuid4()), host=host, binary=binary, topic=topic,
                             version=SERVICE_VERSION, last_seen_up=now)
        session.add(row)
    else:
        row.version = SERVICE_VERSION
        row.last_seen_up = now
    session.flush()
    return _from_row(row)


# NOTE: pre-built on the table: every move checks its hosts' services, the scheduler
# reads them all for each request, and a statement with ORM attributes in it also goes
# through the ORM's execution path.
_T: Table = models.Service.__table__  # type: ignore[assignment]
_BY_HOST_BINARY = select(_T).where(
    _T.c.host == bindparam("b_host"), _T.c.binary == bindparam("b_binary"), _T.c.deleted == 0)
_HEARTBEAT = update(_T).where(_T.c.id == bindparam("b_id")).values(
    last_seen_up=bindparam("b_now"), updated_at=bindparam("b_now"),
    report_count=_T.c.report_count + 1)


def heartbeat(session: Session, service_id: int) -> None:
    """Record that a service is alive."""
    session.execute(_HEARTBEAT, {"b_id": service_id, "b_now": utcnow()})


@functools.cache
def _all_statement(by_binary: bool, by_host: bool) -> Any:
    query = select(_T).where(_T.c.deleted == 0)
    if by_binary:
        query = query.where(_T.c.binary == bindparam("b_binary"))
    if by_host:
        query = query.where(_T.c.host == bindparam("b_host"))
    return query.order_by(_T.c.id)


def get_all(session: Session, binary: str | None = None, host: str | None = None) -> list[Service]:
    """Live service rows, optionally filtered."""
    query = _all_statement(bool(binary), bool(host))
    return [_from_row(r) for r in session.execute(query, {"b_binary": binary, "b_host": host})]


def get_by_host_binary(session: Session, host: str, binary: str) -> Service | None:
    """One service, or None."""
    row = session.execute(_BY_HOST_BINARY, {"b_host": host, "b_binary": binary}).first()
    return _from_row(row) if row else None


def compute_is_up(session: Session, host: str, down_time: int) -> bool:
    """Whether ``host`` has a compute service with a fresh heartbeat (unknown is down)."""
    svc = get_by_host_binary(session, host, COMPUTE_BINARY) if host else None
    return svc is not None and svc.is_up(down_time)


def update_status(session: Session, service_id: int, **changes: object) -> Service | None:
    """Change disabled / disabled_reason / forced_down."""
    row = session.get(models.Service, service_id)
    if row is None or row.deleted:
        return None
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return _from_row(row)
