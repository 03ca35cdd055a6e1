"""/os-hypervisors: list, detail, show and (below 2.88) statistics, across every cell."""

from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import hosts
from cirrus.api.schemas import hypervisors as schemas
from cirrus.api.schemas.query import last, query_validator, strict_bool, validate_query
from cirrus.api.views import hypervisors as views
from cirrus.api.views import paging
from cirrus.context import RequestContext
from cirrus.objects import instance as instance_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.compute_node import ComputeNode
from cirrus.objects.service import Service
from cirrus.policy.rules import compute as rules

_INDEX_QUERY = [((2, 53), query_validator(schemas.INDEX_QUERY_V2_53)),
                ((2, 33), query_validator(schemas.INDEX_QUERY_V2_33)),
                ((2, 1), query_validator(schemas.INDEX_QUERY_V2_1))]
_SHOW_QUERY = [((2, 53), query_validator(schemas.SHOW_QUERY_V2_53)),
               ((2, 1), query_validator(schemas.SHOW_QUERY_V2_1))]

Located = tuple[CellMapping, ComputeNode]


def _pick(table: list[tuple[tuple[int, int], jsonschema.Draft4Validator]],
          version: Version) -> jsonschema.Draft4Validator:
    return next(v for lo, v in table if version.matches(lo))


def _compute_services(state: APIState, ctx: RequestContext) -> dict[tuple[str, str], Service]:
    return {(cell.uuid, svc.host): svc for cell, svc in hosts.services(state, ctx).items
            if svc.binary == hosts.COMPUTE_BINARY}


def _hypervisor(state: APIState, cell: CellMapping, node: ComputeNode, svc: Service,
                with_servers: bool) -> views.Hypervisor:
    conf = state.runtime.conf
    servers = None
    if with_servers:
        with state.runtime.cell_session(cell) as s:
            found = instance_obj.get_all(s, instance_obj.Filters(host=node.host),
                                         sort_keys=("id",), descending=False)
        servers = [(conf.instance_name_template % inst.id, inst.uuid) for inst in found]
    return views.Hypervisor(node, svc, svc.is_up(conf.service_down_time), servers)


def _with_servers(params: dict[str, list[str]], version: Version) -> bool:
    return version.matches((2, 53)) and bool(strict_bool(last(params, "with_servers") or False))


def _by_pattern(nodes: list[Located], params: dict[str, list[str]],
                pattern: str) -> list[Located]:
    if "limit" in params or last(params, "marker"):
        raise exception.Invalid(
            "Paging over hypervisors with the hypervisor_hostname_pattern query parameter "
            "is not supported.")
    # A substring match, case-insensitive as the SQL LIKE Nova uses.
    matched = [(c, n) for c, n in nodes if pattern.lower() in n.hypervisor_hostname.lower()]
    if not matched:
        raise exception.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return matched


def _list(state: APIState, req: falcon.Request, resp: falcon.Response, detail: bool) -> None:
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.HYPERVISORS_LIST_DETAIL if detail else
                           rules.HYPERVISORS_LIST, {})
    version = version_of(req)
    params = validate_query(_pick(_INDEX_QUERY, version), req)
    max_limit = state.runtime.conf.api.max_limit
    pattern = last(params, "hypervisor_hostname_pattern") if version.matches((2, 53)) else None
    paged = version.matches((2, 33)) and pattern is None
    nodes = hosts.compute_nodes(state, ctx).items
    if pattern is not None:
        nodes = _by_pattern(nodes, params, pattern)
    elif paged:
        marker = last(params, "marker")
        uuids = version.matches((2, 53))
        nodes = paging.paginate(nodes, lambda cn: cn[1].uuid if uuids else str(cn[1].id),
                                marker, paging.page_size(req, max_limit),
                                f"marker [{marker}] not found")
    services = _compute_services(state, ctx)
    with_servers = _with_servers(params, version)
    items = []
    for cell, node in nodes:
        svc = services.get((cell.uuid, node.host))
        if svc is None:
            # A deleted service leaves its node rows behind until they are cleaned up.
            continue
        hyp = _hypervisor(state, cell, node, svc, with_servers)
        items.append(views.hypervisor(hyp, version, detail=detail, with_servers=with_servers))
    body: dict[str, Any] = {"hypervisors": items}
    if paged:
        collection = "os-hypervisors/detail" if detail else "os-hypervisors"
        last_id = str(items[-1]["id"]) if items else None
        links = paging.next_links(req, len(items), last_id, collection, max_limit)
        if links:
            body["hypervisors_links"] = links
    resp.media = body


def list_hypervisors(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-hypervisors: id, hostname, state, status (+servers with with_servers)."""
    _list(state, req, resp, detail=False)


def list_hypervisors_detail(state: APIState, req: falcon.Request,
                            resp: falcon.Response) -> None:
    """GET /os-hypervisors/detail."""
    _list(state, req, resp, detail=True)


def _find(state: APIState, ctx: RequestContext, hypervisor_id: str,
          version: Version) -> Located:
    uuids = version.matches((2, 53))
    if uuids and not common.is_uuid_like(hypervisor_id):
        raise exception.Invalid(f"Invalid uuid {hypervisor_id}")
    if not uuids and not hypervisor_id.isdigit():
        raise exception.HypervisorNotFound(hypervisor_id=hypervisor_id)
    for cell, node in hosts.compute_nodes(state, ctx).items:
        if node.uuid == hypervisor_id if uuids else node.id == int(hypervisor_id):
            return cell, node
    raise exception.HypervisorNotFound(hypervisor_id=hypervisor_id)


def get_hypervisor(state: APIState, req: falcon.Request, resp: falcon.Response,
                   hypervisor_id: str) -> None:
    """GET /os-hypervisors/{id}: an integer id below 2.53, the node uuid from 2.53."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.HYPERVISORS_SHOW, {})
    version = version_of(req)
    params = validate_query(_pick(_SHOW_QUERY, version), req)
    cell, node = _find(state, ctx, hypervisor_id, version)
    svc = _compute_services(state, ctx).get((cell.uuid, node.host))
    if svc is None:
        raise exception.HypervisorNotFound(hypervisor_id=hypervisor_id)
    with_servers = _with_servers(params, version)
    hyp = _hypervisor(state, cell, node, svc, with_servers)
    resp.media = {"hypervisor": views.hypervisor(hyp, version, detail=True,
                                                 with_servers=with_servers)}


def get_statistics(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-hypervisors/statistics (below 2.88; 404 from 2.88): sums over enabled nodes."""
    if version_of(req).matches((2, 88)):
        raise falcon.HTTPNotFound()
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.HYPERVISORS_STATISTICS, {})
    services = _compute_services(state, ctx)
    totals: dict[str, int] = {"count": 0, **dict.fromkeys(views.STAT_KEYS, 0)}
    for cell, node in hosts.compute_nodes(state, ctx).items:
        svc = services.get((cell.uuid, node.host))
        if svc is None or svc.disabled:
            continue
        totals["count"] += 1
        for key, value in views.statistics(node).items():
            totals[key] += value
    resp.media = {"hypervisor_statistics": totals}
