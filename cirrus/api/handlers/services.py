"""/os-services: list (every cell), update (enable, disable, force down), delete."""

import logging
from typing import Any

import falcon
import httpx

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import hosts
from cirrus.api.schemas import services as schemas
from cirrus.api.schemas.query import last, query_validator, strict_bool, validate_query
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import services as views
from cirrus.context import RequestContext
from cirrus.objects import compute_node as node_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.service import Service
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

LOG = logging.getLogger(__name__)

_INDEX_QUERY_V2_1 = query_validator(schemas.INDEX_QUERY_V2_1)
_INDEX_QUERY_V2_75 = query_validator(schemas.INDEX_QUERY_V2_75)
_UPDATE_V2_1 = validator(schemas.UPDATE_V2_1)
_UPDATE_V2_11 = validator(schemas.UPDATE_V2_11)
_UPDATE_V2_53 = validator(schemas.UPDATE_V2_53)


def _detail(state: APIState, svc: Service, zones: dict[str, str],
            version: Version) -> dict[str, Any]:
    conf = state.runtime.conf
    zone = hosts.zone_of(svc, zones, conf.default_availability_zone)
    return views.detail(svc, zone, svc.is_up(conf.service_down_time), version)


def list_services(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-services: every cell's services; ``host`` and ``binary`` filter exactly."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SERVICES_LIST, {})
    version = version_of(req)
    schema = _INDEX_QUERY_V2_75 if version.matches((2, 75)) else _INDEX_QUERY_V2_1
    params = validate_query(schema, req)
    host, binary = last(params, "host"), last(params, "binary")
    gathered = hosts.services(state, ctx)
    zones = hosts.host_zones(state)
    items = [_detail(state, svc, zones, version) for _, svc in gathered.items]
    if version.matches((2, 69)):
        # A cell that does not answer still has its computes in the host mappings.
        for cell in gathered.down:
            items.extend(views.down_cell(h, hosts.COMPUTE_BINARY)
                         for h in hosts.mapped_hosts(state, cell))
    resp.media = {"services": [
        item for item in items
        if (not host or item["host"] == host) and (not binary or item["binary"] == binary)]}


def _find(state: APIState, ctx: RequestContext,
          match: Any) -> list[tuple[CellMapping, Service]]:
    return [(cell, svc) for cell, svc in hosts.services(state, ctx).items if match(svc)]


def _require_compute(svc_binary: str) -> None:
    if svc_binary != hosts.COMPUTE_BINARY:
        raise exception.Invalid(
            f"Updating a {svc_binary} service is not supported. Only "
            f"{hosts.COMPUTE_BINARY} services can be updated.")


def _changes_v2_53(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.get("status") == "enabled":
        if body.get("disabled_reason"):
            raise exception.Invalid(
                "Specifying 'disabled_reason' with status 'enabled' is invalid.")
        changes.update(disabled=False, disabled_reason=None)
    elif body.get("status") == "disabled":
        changes.update(disabled=True, disabled_reason=body.get("disabled_reason"))
    if "forced_down" in body:
        changes["forced_down"] = bool(strict_bool(body["forced_down"]))
    if not changes:
        raise exception.Invalid(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified.")
    return changes


def _update_v2_53(state: APIState, req: falcon.Request, ctx: RequestContext,
                  service_id: str) -> dict[str, Any]:
    if not common.is_uuid_like(service_id):
        raise exception.Invalid(f"Invalid uuid {service_id}")
    body = read_json(req)
    validate(_UPDATE_V2_53, body)
    found = _find(state, ctx, lambda svc: svc.uuid == service_id)
    if not found:
        raise exception.ServiceNotFound(service_id=service_id)
    cell, svc = found[0]
    _require_compute(svc.binary)
    changes = _changes_v2_53(body)
    with state.runtime.cell_session(cell) as s:
        updated = service_obj.update_status(s, svc.id, **changes)
    if updated is None:
        raise exception.ServiceNotFound(service_id=service_id)
    return {"service": _detail(state, updated, hosts.host_zones(state), version_of(req))}


def _legacy_changes(action: str, body: dict[str, Any], version: Version) -> dict[str, Any]:
    if action == "enable":
        return {"disabled": False, "disabled_reason": None}
    if action == "disable":
        return {"disabled": True, "disabled_reason": None}
    if action == "disable-log-reason":
        if "disabled_reason" not in body:
            raise exception.Invalid("Missing disabled reason field")
        return {"disabled": True, "disabled_reason": body["disabled_reason"]}
    if action == "force-down" and version.matches((2, 11)):
        if "forced_down" not in body:
            raise exception.Invalid("Missing forced_down field")
        # Nova reads this one leniently: anything but a true word is False.
        return {"forced_down": bool(strict_bool(body["forced_down"]))}
    raise exception.NotFound("Unknown action")


def _legacy_body(action: str, host: str, binary: str,
                 changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"host": host, "binary": binary}
    if action == "force-down":
        out["forced_down"] = changes["forced_down"]
        return {"service": out}
    out["status"] = "disabled" if changes["disabled"] else "enabled"
    if changes.get("disabled_reason"):
        out["disabled_reason"] = changes["disabled_reason"]
    return {"service": out}


def _update_legacy(state: APIState, req: falcon.Request, ctx: RequestContext,
                   action: str) -> dict[str, Any]:
    version = version_of(req)
    body = read_json(req)
    validate(_UPDATE_V2_11 if version.matches((2, 11)) else _UPDATE_V2_1, body)
    changes = _legacy_changes(action, body, version)
    host, binary = body["host"], body["binary"]
    _require_compute(binary)
    found = _find(state, ctx, lambda svc: svc.host == host and svc.binary == binary)
    if not found:
        raise exception.HostBinaryNotFound(host=host, binary=binary)
    for cell, svc in found:
        with state.runtime.cell_session(cell) as s:
            service_obj.update_status(s, svc.id, **changes)
    return _legacy_body(action, host, binary, changes)


def update_service(state: APIState, req: falcon.Request, resp: falcon.Response,
                   service_id: str) -> None:
    """PUT /os-services/{id} (2.53+, a uuid) or /os-services/{action} (below 2.53).

    2.53+ returns the full service; older versions echo what changed.
    """
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SERVICES_UPDATE, {})
    if version_of(req).matches((2, 53)):
        resp.media = _update_v2_53(state, req, ctx, service_id)
    else:
        resp.media = _update_legacy(state, req, ctx, service_id)


def _check_id(service_id: str, version: Version) -> None:
    if version.matches((2, 53)):
        if not common.is_uuid_like(service_id):
            raise exception.Invalid(f"Invalid uuid {service_id}")
    elif not service_id.lstrip("-").isdigit():
        raise exception.Invalid("Invalid input received: id must be an integer")


def _forget_compute(state: APIState, cell: CellMapping, svc: Service) -> None:
    """Remove what a compute service leaves behind: its nodes and their providers."""
    with state.runtime.cell_session(cell) as s:
        if instance_obj.uuids_on_hosts(s, [svc.host]).get(svc.host):
            raise exception.Conflict(
                "Unable to delete compute service that is hosting instances. Migrate or "
                "delete the instances first.")
        nodes = [n for n in node_obj.get_all(s) if n.host == svc.host]
        for node in nodes:
            # NOTE: the objects layer has no node delete yet; deleted = id is its soft
            # delete, which every node query already filters on.
            node_obj.update_usage(s, node.id, deleted=node.id)
    for node in nodes:
        try:
            state.runtime.placement.delete_provider(node.uuid)
        except (exception.CirrusException, httpx.HTTPError) as exc:
            # Nova carries on too: the service row must go even if Placement is away.
            LOG.error("Failed to delete resource provider %s of compute node %s: %s",
                      node.uuid, node.hypervisor_hostname, exc)


def delete_service(state: APIState, req: falcon.Request, resp: falcon.Response,
                   service_id: str) -> None:
    """DELETE /os-services/{id}: 204; a compute still hosting servers is 409."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SERVICES_DELETE, {})
    version = version_of(req)
    _check_id(service_id, version)
    if version.matches((2, 53)):
        found = _find(state, ctx, lambda svc: svc.uuid == service_id)
    else:
        found = _find(state, ctx, lambda svc: str(svc.id) == service_id)
    if not found:
        raise exception.NotFound(f"Service {service_id} not found.")
    if len(found) > 1:
        raise exception.Invalid(f"Service id {service_id} refers to multiple services.")
    cell, svc = found[0]
    if svc.binary == hosts.COMPUTE_BINARY:
        _forget_compute(state, cell, svc)
    with state.runtime.cell_session(cell) as s:
        # NOTE: soft delete (deleted = id), so a restarted service can register again.
        service_obj.update_status(s, svc.id, deleted=svc.id)
    resp.status = falcon.HTTP_204
