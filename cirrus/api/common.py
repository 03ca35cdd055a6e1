"""What every compute handler needs: its collaborators, the context, links, lookups."""

import dataclasses
import uuid as uuidlib
from concurrent import futures
from typing import Any

import falcon

from cirrus import exception
from cirrus.api.microversion import Version
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.context import RequestContext
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.policy.enforcer import Enforcer
from cirrus.runtime import Runtime
from cirrus.wsgi.auth import request_context


@dataclasses.dataclass
class APIState:
    """The collaborators of the compute API handlers (built once by ``loadapp``)."""

    runtime: Runtime
    policy: Enforcer
    compute_rpc: ComputeAPI
    conductor_rpc: ComputeTaskAPI
    pool: futures.ThreadPoolExecutor
    clients: dict[str, Any] = dataclasses.field(default_factory=dict)


def ctx_of(req: falcon.Request) -> RequestContext:
    """The authenticated request context."""
    return request_context(req)


def version_of(req: falcon.Request) -> Version:
    """The request's microversion."""
    version = req.context["version"]
    assert isinstance(version, Version)
    return version


def base_url(req: falcon.Request) -> str:
    """``scheme://host[:port]/compute`` as the client reached us."""
    forwarded = req.get_header("X-Forwarded-Host")
    host = forwarded or req.netloc
    scheme = req.get_header("X-Forwarded-Proto") or req.scheme
    return f"{scheme}://{host}{req.root_path or ''}"


def links(req: falcon.Request, collection: str, item_id: str) -> list[dict[str, str]]:
    """The ``self`` and ``bookmark`` links of an item."""
    base = base_url(req)
    return [
        {"rel": "self", "href": f"{base}/v2.1/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{base}/{collection}/{item_id}"},
    ]


def is_uuid_like(value: str) -> bool:
    """Whether ``value`` parses as a UUID."""
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class Located:
    """A server found through its mapping: in a cell, or still a build request."""

    mapping: im_obj.InstanceMapping
    cell: CellMapping | None
    instance: Instance | None
    build_request: br_obj.BuildRequest | None


def find_server(state: APIState, ctx: RequestContext, server_id: str, *,
                read_deleted: bool = False) -> Located:
    """Look a server up by its mapping; another project's server is not found.

    Raises:
        InstanceNotFound: unknown, not visible to this project, or deleted.
    """
    if not is_uuid_like(server_id):
        raise exception.InstanceNotFound(instance_id=server_id)
    runtime = state.runtime
    with runtime.api_reader() as s:
        try:
            mapping = im_obj.get(s, server_id)
        except exception.InstanceMappingNotFound:
            raise exception.InstanceNotFound(instance_id=server_id) from None
        build_req = br_obj.get(s, server_id) if mapping.cell_id is None else None
    if not ctx.is_admin and mapping.project_id != ctx.project_id:
        raise exception.InstanceNotFound(instance_id=server_id)
    if mapping.cell_id is None:
        if build_req is None:
            raise exception.InstanceNotFound(instance_id=server_id)
        return Located(mapping, None, None, build_req)
    # A mapping queued for delete still leads to its cell: the server stays visible, in
    # task_state deleting, until its compute has finished.
    cell = runtime.cell_by_id(mapping.cell_id)
    with runtime.cell_reader(cell) as s:
        inst = instance_obj.get_by_uuid(s, server_id, read_deleted=read_deleted)
    return Located(mapping, cell, inst, None)


def require_instance(loc: Located) -> tuple[CellMapping, Instance]:
    """The cell and instance of a located server; a build request cannot be acted on yet."""
    if loc.cell is None or loc.instance is None:
        raise exception.InstanceInvalidState(
            method="action", instance_uuid=loc.mapping.instance_uuid, attr="vm_state",
            state="building")
    return loc.cell, loc.instance
