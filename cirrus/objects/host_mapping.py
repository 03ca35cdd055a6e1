"""Host mappings and aggregates (API database): which cell and zone a host is in."""

import dataclasses
import uuid as uuidlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models


def get_cell_id(session: Session, host: str) -> int:
    """The cell id of a compute host; raises ComputeHostNotFound."""
    row = session.scalar(select(models.HostMapping).filter_by(host=host))
    if row is None:
        raise exception.ComputeHostNotFound(host=host)
    return row.cell_id


def all_hosts(session: Session) -> dict[str, int]:
    """Host -> cell id for every mapped host."""
    return {r.host: r.cell_id for r in session.scalars(select(models.HostMapping))}


def ensure(session: Session, host: str, cell_id: int) -> bool:
    """Map a host to a cell; True when the mapping is new."""
    row = session.scalar(select(models.HostMapping).filter_by(host=host))
    if row is not None:
        return False
    session.add(models.HostMapping(host=host, cell_id=cell_id))
    session.flush()
    return True


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """A host aggregate."""

    id: int
    uuid: str
    name: str
    hosts: tuple[str, ...]
    metadata: dict[str, str]

    @property
    def availability_zone(self) -> str | None:
        """The zone this aggregate defines, if any."""
        return self.metadata.get("availability_zone")


def aggregates(session: Session) -> list[Aggregate]:
    """Every aggregate with its hosts and metadata."""
    return [
        Aggregate(r.id, r.uuid, r.name, tuple(h.host for h in r.hosts),
                  {m.key: m.value for m in r.metadata_items})
        for r in session.scalars(select(models.Aggregate).order_by(models.Aggregate.id))
    ]


def ensure_aggregate(session: Session, name: str, metadata: dict[str, str],
                     hosts: list[str]) -> Aggregate:
    """Create or extend an aggregate with ``metadata`` and ``hosts``."""
    row = session.scalar(select(models.Aggregate).filter_by(name=name))
    if row is None:
        row = models.Aggregate(uuid=str(uuidlib.uuid4()), name=name)
        session.add(row)
    have_meta = {m.key: m for m in row.metadata_items}
    for key, value in metadata.items():
        if key in have_meta:
            have_meta[key].value = value
        else:
            row.metadata_items.append(models.AggregateMetadata(key=key, value=value))
    have_hosts = {h.host for h in row.hosts}
    for host in hosts:
        if host not in have_hosts:
            row.hosts.append(models.AggregateHost(host=host))
    session.flush()
    return Aggregate(row.id, row.uuid, row.name, tuple(h.host for h in row.hosts),
                     {m.key: m.value for m in row.metadata_items})


def zone_of(aggs: list[Aggregate], host: str, default: str) -> str:
    """The availability zone of ``host`` given the aggregates."""
    for agg in aggs:
        if host in agg.hosts and agg.availability_zone:
            return agg.availability_zone
    return default
