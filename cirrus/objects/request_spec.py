"""What a server asks of the scheduler. Stored in the API DB; travels over RPC as a dict."""

import dataclasses
import json
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from cirrus.db.api import models
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.plain import as_dict


@dataclasses.dataclass(frozen=True)
class ImageMeta:
    """The image properties scheduling looks at."""

    id: str | None = None
    name: str | None = None
    min_ram: int = 0
    min_disk: int = 0
    size: int = 0
    status: str = "active"
    properties: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Destination:
    """A host, node or cell a request is restricted to (per request; never persisted)."""

    host: str | None = None
    node: str | None = None
    cell_uuid: str | None = None
    allow_cross_cell_move: bool = False


@dataclasses.dataclass(frozen=True)
class RequestGroup:
    """Resources that one provider must give, for one requester (a port's QoS request).

    Placement sees it as a granular group whose suffix is ``requester_id``; the
    provider it was satisfied from is filled in after scheduling (per request, as Nova's
    ``RequestGroup.provider_uuids``).
    """

    requester_id: str
    """The port id (Neutron's legacy format) or the request group's id (the
    ``port-resource-request-groups`` format)."""
    resources: dict[str, int]
    required_traits: tuple[str, ...] = ()
    forbidden_traits: tuple[str, ...] = ()
    provider_uuids: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RequestGroup":
        """Inverse of ``dataclasses.asdict``."""
        return cls(requester_id=values["requester_id"],
                   resources={k: int(v) for k, v in values["resources"].items()},
                   required_traits=tuple(values.get("required_traits") or ()),
                   forbidden_traits=tuple(values.get("forbidden_traits") or ()),
                   provider_uuids=tuple(values.get("provider_uuids") or ()))


@dataclasses.dataclass(frozen=True)
class GroupInfo:
    """The server group a server belongs to.

    The API records the group's uuid, policy, rules and members. The scheduler re-reads
    them for every request, and fills ``hosts`` and ``member_hosts`` from where the
    members are at that moment; those two are never stored, since they go stale.
    """

    uuid: str
    policy: str
    hosts: tuple[str, ...] = ()
    """Hosts of the members other than the server being scheduled (affinity)."""
    members: tuple[str, ...] = ()
    rules: dict[str, Any] = dataclasses.field(default_factory=dict)
    member_hosts: dict[str, str] = dataclasses.field(default_factory=dict)
    """Member uuid -> the host it is on, for the members on a host (anti-affinity)."""

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "GroupInfo":
        """Inverse of ``dataclasses.asdict``."""
        return cls(uuid=values["uuid"], policy=values["policy"],
                   hosts=tuple(values.get("hosts") or ()),
                   members=tuple(values.get("members") or ()),
                   rules=dict(values.get("rules") or {}),
                   member_hosts=dict(values.get("member_hosts") or {}))


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """One scheduling request for one or more identical servers."""

    instance_uuid: str
    project_id: str
    user_id: str
    flavor: FlavorSpec
    image: ImageMeta = dataclasses.field(default_factory=ImageMeta)
    num_instances: int = 1
    availability_zone: str | None = None
    scheduler_hints: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    instance_group: GroupInfo | None = None
    is_bfv: bool = False
    # Per-request fields: set for one scheduling call and never persisted.
    ignore_hosts: tuple[str, ...] = ()
    force_hosts: tuple[str, ...] = ()
    requested_destination: Destination | None = None
    source_cell_uuid: str | None = None
    requested_resources: tuple[RequestGroup, ...] = ()
    """The request groups of the server's ports, read afresh for each boot or move (the
    port's request can change between two), as Nova's ``requested_resources``."""
    same_subtree: tuple[tuple[str, ...], ...] = ()
    """Requester ids whose providers must share a subtree (Nova's request-level params)."""

    PER_REQUEST = ("ignore_hosts", "force_hosts", "requested_destination", "source_cell_uuid",
                   "requested_resources", "same_subtree")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (RPC and the request_specs table)."""
        return as_dict(self)

    def persistent_dict(self) -> dict[str, Any]:
        """The form stored in the API DB: per-request fields and group hosts dropped."""
        values = self.to_dict()
        for name in self.PER_REQUEST:
            values.pop(name, None)
        if values.get("instance_group"):
            values["instance_group"].update(hosts=[], member_hosts={})
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RequestSpec":
        """Inverse of to_dict."""
        v = dict(values)
        v["flavor"] = FlavorSpec.from_dict(v["flavor"])
        v["image"] = ImageMeta(**(v.get("image") or {}))
        group = v.get("instance_group")
        v["instance_group"] = GroupInfo.from_dict(group) if group else None
        dest = v.get("requested_destination")
        v["requested_destination"] = Destination(**dest) if dest else None
        for name in ("ignore_hosts", "force_hosts"):
            v[name] = tuple(v.get(name) or ())
        v["requested_resources"] = tuple(
            RequestGroup.from_dict(g) for g in v.get("requested_resources") or ())
        v["same_subtree"] = tuple(tuple(ids) for ids in v.get("same_subtree") or ())
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: val for k, val in v.items() if k in names})

    def replace(self, **changes: Any) -> "RequestSpec":
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def with_provider_mappings(self, mappings: dict[str, list[str]]) -> "RequestSpec":
        """A copy whose request groups name the providers Placement chose for them.

        Args:
            mappings: requester id -> provider uuids, from the chosen allocation
                request (the selection's ``provider_mappings``).
        """
        groups = tuple(dataclasses.replace(g, provider_uuids=tuple(
            mappings.get(g.requester_id) or ())) for g in self.requested_resources)
        return self.replace(requested_resources=groups)


# NOTE: every boot stores a spec: pre-built statements on the table skip the ORM's unit of
# work (the column defaults and updated_at's onupdate apply all the same).
_TABLE = cast(Table, models.RequestSpec.__table__)
_REPLACE = update(_TABLE).where(_TABLE.c.instance_uuid == bindparam("b_uuid")).values(
    spec=bindparam("b_spec"))
_INSERT = insert(_TABLE)


def create(session: Session, spec: RequestSpec) -> None:
    """Store the persistent part of the request spec of a new server (one insert)."""
    session.execute(_INSERT, {"instance_uuid": spec.instance_uuid,
                              "spec": json.dumps(spec.persistent_dict())})


def save(session: Session, spec: RequestSpec) -> None:
    """Store the persistent part of a request spec (insert or replace)."""
    text = json.dumps(spec.persistent_dict())
    params = {"b_uuid": spec.instance_uuid, "b_spec": text}
    replaced: Any = session.execute(_REPLACE, params)
    if not replaced.rowcount:
        session.execute(_INSERT, {"instance_uuid": spec.instance_uuid, "spec": text})


def load(session: Session, instance_uuid: str) -> RequestSpec | None:
    """The stored request spec of a server, or None."""
    row = session.scalar(select(models.RequestSpec).filter_by(instance_uuid=instance_uuid))
    return RequestSpec.from_dict(json.loads(row.spec)) if row else None


def delete(session: Session, instance_uuid: str) -> None:
    """Remove the request spec of a deleted server."""
    session.execute(sql_delete(models.RequestSpec).where(
        models.RequestSpec.instance_uuid == instance_uuid))
