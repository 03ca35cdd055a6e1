"""Server groups (Nova's instance groups) and their members, in the API database.

A group's policy and rules are fixed when it is created; only its members change: a
server joins when the API records its build request and leaves when it is deleted.
Where the members run is not stored here; the scheduler works it out for each request.
"""

import dataclasses
import datetime
import json
import uuid as uuidlib
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"
SOFT_AFFINITY = "soft-affinity"
SOFT_ANTI_AFFINITY = "soft-anti-affinity"
MAX_SERVER_PER_HOST = "max_server_per_host"


@dataclasses.dataclass(frozen=True)
class ServerGroup:
    """A server group with its members in the order they joined."""

    id: int
    uuid: str
    name: str | None
    user_id: str | None
    project_id: str | None
    policy: str
    rules: dict[str, Any]
    members: tuple[str, ...]
    created_at: datetime.datetime


def _from_row(row: models.InstanceGroup) -> ServerGroup:
    members = tuple(m.instance_uuid for m in sorted(row.members, key=lambda m: m.id))
    return ServerGroup(row.id, row.uuid, row.name, row.user_id, row.project_id, row.policy,
                       json.loads(row.rules) if row.rules else {}, members, row.created_at)


def _row(session: Session, uuid: str) -> models.InstanceGroup:
    row = session.scalar(select(models.InstanceGroup).filter_by(uuid=uuid))
    if row is None:
        raise exception.InstanceGroupNotFound(group_uuid=uuid)
    return row


def create(session: Session, *, name: str, project_id: str | None, user_id: str | None,
           policy: str, rules: dict[str, Any]) -> ServerGroup:
    """Store a new, empty group."""
    row = models.InstanceGroup(uuid=str(uuidlib.uuid4()), name=name, project_id=project_id,
                               user_id=user_id, policy=policy,
                               rules=json.dumps(rules) if rules else None)
    session.add(row)
    session.flush()
    return _from_row(row)


def get(session: Session, uuid: str) -> ServerGroup:
    """The group ``uuid``; raises InstanceGroupNotFound."""
    return _from_row(_row(session, uuid))


def get_all(session: Session, project_id: str | None, *, limit: int | None = None,
            offset: int = 0) -> list[ServerGroup]:
    """A project's groups (every project's when None), oldest first."""
    query = select(models.InstanceGroup)
    if project_id is not None:
        query = query.filter_by(project_id=project_id)
    query = query.order_by(models.InstanceGroup.id.asc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_from_row(r) for r in session.scalars(query)]


def delete(session: Session, uuid: str) -> None:
    """Remove a group and its member records; raises InstanceGroupNotFound."""
    session.delete(_row(session, uuid))


def count_by_project(session: Session, project_id: str) -> int:
    """How many groups ``project_id`` has (the server_groups quota)."""
    return int(session.scalar(select(func.count(models.InstanceGroup.id)).filter_by(
        project_id=project_id)) or 0)


def add_members(session: Session, uuid: str, instance_uuids: Iterable[str]) -> None:
    """Add servers to the group ``uuid``; raises InstanceGroupNotFound."""
    row = _row(session, uuid)
    known = {m.instance_uuid for m in row.members}
    for instance_uuid in instance_uuids:
        if instance_uuid not in known:
            row.members.append(models.InstanceGroupMember(instance_uuid=instance_uuid))
            known.add(instance_uuid)
    session.flush()


def remove_member(session: Session, instance_uuid: str) -> None:
    """Take a (deleted) server out of every group it is in."""
    session.execute(sql_delete(models.InstanceGroupMember).where(
        models.InstanceGroupMember.instance_uuid == instance_uuid))


# NOTE: built once: every build on a host checks the server's group with it.
# On the tables: the columns of the mapped classes would take the ORM's execution path.
_GROUPS: Any = models.InstanceGroup.__table__
_MEMBERS: Any = models.InstanceGroupMember.__table__
_GROUPS_OF = (select(_GROUPS.c.uuid)
              .join(_MEMBERS, _MEMBERS.c.group_id == _GROUPS.c.id)
              .where(_MEMBERS.c.instance_uuid == bindparam("uuid"))
              .order_by(_GROUPS.c.id))


def uuids_of(session: Session, instance_uuid: str) -> list[str]:
    """The uuids of the groups a server is in (at most one when created by the API)."""
    return list(session.scalars(_GROUPS_OF, {"uuid": instance_uuid}))


def live_members(session: Session, members: Collection[str]) -> set[str]:
    """Those of ``members`` whose mapping is not queued for delete.

    A deleted server leaves its group when the API deletes it; this also hides one whose
    record outlived it (removed by hand, or deleted before it was a member).
    """
    if not members:
        return set()
    m = models.InstanceMapping
    query = select(m.instance_uuid).where(m.instance_uuid.in_(list(members)),
                                          m.queued_for_delete.is_(False))
    return set(session.scalars(query))


def count_members_by_user(session: Session, uuid: str, user_id: str | None) -> int:
    """Live members of group ``uuid`` that ``user_id`` created (server_group_members quota)."""
    g, gm, im = models.InstanceGroup, models.InstanceGroupMember, models.InstanceMapping
    query = (select(func.count(gm.id)).join(g, gm.group_id == g.id)
             .join(im, im.instance_uuid == gm.instance_uuid)
             .where(g.uuid == uuid, im.user_id == user_id, im.queued_for_delete.is_(False)))
    return int(session.scalar(query) or 0)
