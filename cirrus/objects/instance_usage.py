"""What servers use: per host for the resource tracker, per project for quotas."""

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from cirrus.db.cell import models
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import MIGRATION_DONE, MigrationStatus


def _table(model: Any) -> Any:
    return model.__table__


def _spec(value: dict[str, Any] | None) -> FlavorSpec | None:
    return FlavorSpec.from_dict(value) if value else None


def _usage_statements() -> dict[str, Any]:
    host: Any = bindparam("host")
    # The tables' columns: those of the mapped classes would take the ORM's execution path.
    instances = _table(models.Instance)
    mig, m, ex = _table(models.Migration).c, instances.c, _table(models.InstanceExtra).c
    return {
        "moving": select(mig.instance_uuid, mig.source_compute, mig.dest_compute, mig.status)
        .where(or_(mig.source_compute == host, mig.dest_compute == host), mig.deleted == 0,
               mig.status.notin_([s.value for s in MIGRATION_DONE])),
        "totals": select(func.count(m.id), func.coalesce(func.sum(m.vcpus), 0),
                         func.coalesce(func.sum(m.memory_mb), 0),
                         func.coalesce(func.sum(m.root_gb + m.ephemeral_gb), 0))
        .where(m.host == host, m.deleted == 0,
               m.uuid.notin_(bindparam("moving", expanding=True))),
        "flavors": select(ex.instance_uuid, ex.flavor, m.host).join(
            instances, m.uuid == ex.instance_uuid).where(
                ex.instance_uuid.in_(bindparam("uuids", expanding=True)), m.deleted == 0),
    }


_USAGE: dict[str, Any] = {}


def _usage_stmt(name: str) -> Any:
    # NOTE: built once: the tracker runs these after every change on its host.
    if not _USAGE:
        _USAGE.update(_usage_statements())
    return _USAGE[name]


def usage_on_host(session: Session, host: str) -> tuple[int, int, int, int]:
    """(servers, vcpus, memory_mb, disk_gb) that ``host`` accounts, hidden servers included.

    A server being moved counts on both ends, as Nova's resource tracker does: its old
    flavor on the source and its new one on the destination, until the migration is
    confirmed, reverted or fails (so a server in VERIFY_RESIZE uses both hosts).
    """
    moving = session.execute(_usage_stmt("moving"), {"host": host}).all()
    moving_uuids = {r.instance_uuid for r in moving}
    row = session.execute(_usage_stmt("totals"),
                          {"host": host, "moving": list(moving_uuids)}).one()
    totals = [int(row[0]), int(row[1]), int(row[2]), int(row[3])]
    counted: set[str] = set()
    flavors = _live_flavors(session, moving_uuids) if moving_uuids else {}
    for r in moving:
        if r.instance_uuid not in flavors:
            continue
        cur, old, new, where = flavors[r.instance_uuid]
        sides = [old or cur] if r.source_compute == host else []
        # A revert whose destination is already clean has sent the server back.
        left = r.status == MigrationStatus.REVERTING and where != r.dest_compute
        if r.dest_compute == host and not left:
            sides.append(new or cur)
        for flavor in sides:
            if flavor is not None:
                totals[1] += flavor.vcpus
                totals[2] += flavor.memory_mb
                totals[3] += flavor.root_gb + flavor.ephemeral_gb
        if r.instance_uuid not in counted:
            counted.add(r.instance_uuid)
            totals[0] += 1
    return totals[0], totals[1], totals[2], totals[3]


def _live_flavors(session: Session, uuids: Iterable[str]) -> dict[
        str, tuple[FlavorSpec | None, FlavorSpec | None, FlavorSpec | None, str | None]]:
    """(current, old, new flavor, host) of each live server among ``uuids``."""
    out = {}
    for row in session.execute(_usage_stmt("flavors"), {"uuids": list(uuids)}):
        values = json.loads(row.flavor or "{}")
        out[row.instance_uuid] = (_spec(values.get("cur")), _spec(values.get("old")),
                                  _spec(values.get("new")), row.host)
    return out


_INSTANCES: Any = models.Instance.__table__
# On the table's columns: those of the mapped class would take the ORM's execution path.
_BY_PROJECT = select(
    func.count(_INSTANCES.c.id), func.coalesce(func.sum(_INSTANCES.c.vcpus), 0),
    func.coalesce(func.sum(_INSTANCES.c.memory_mb), 0)).where(
        _INSTANCES.c.project_id == bindparam("project_id"), _INSTANCES.c.deleted == 0,
        _INSTANCES.c.hidden.is_(False))


def count_by_project(session: Session, project_id: str) -> tuple[int, int, int]:
    """(instances, vcpus, memory_mb) used by a project's live servers in this cell.

    The hidden copy a cross-cell move keeps in the other cell is not counted: the server
    uses the project's quota once. The statement is built once: every create and resize
    runs it in every cell.
    """
    row = session.execute(_BY_PROJECT, {"project_id": project_id}).one()
    return int(row[0]), int(row[1]), int(row[2])
