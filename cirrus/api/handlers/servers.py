"""/servers: list, detail, show, create, update, delete."""

import datetime
from typing import Any

import falcon

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.ops import create as create_ops
from cirrus.api.ops import delete as delete_ops
from cirrus.api.ops import listing, server_groups
from cirrus.api.schemas import servers as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import servers as views
from cirrus.api.views.timeutils import isotime
from cirrus.context import RequestContext
from cirrus.objects import instance as instance_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.states import states_from_status
from cirrus.policy.rules import servers as rules
from cirrus.wsgi.body import read_json

_CREATE = [((2, 90), validator(schemas.CREATE_V2_90)), ((2, 74), validator(schemas.CREATE_V2_74)),
           ((2, 57), validator(schemas.CREATE_V2_57)), ((2, 52), validator(schemas.CREATE_V2_52)),
           ((2, 37), validator(schemas.CREATE_V2_37)), ((2, 19), validator(schemas.CREATE_V2_19)),
           ((2, 1), validator(schemas.CREATE_V2_1))]
_UPDATE = [((2, 90), validator(schemas.UPDATE_V2_90)), ((2, 19), validator(schemas.UPDATE_V2_19)),
           ((2, 1), validator(schemas.UPDATE_V2_1))]


def _pick(table: list[Any], req: falcon.Request) -> Any:
    version = version_of(req)
    return next(v for lo, v in table if version.matches(lo))


def _own(ctx: RequestContext) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def _target(inst: Instance) -> dict[str, Any]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


def view_options(state: APIState, req: falcon.Request, ctx: RequestContext,
                 target: dict[str, Any]) -> views.ViewOptions:
    """What this caller may see in server bodies."""
    return views.ViewOptions(
        version=version_of(req),
        extended_attributes=state.policy.check(ctx, rules.EXTENDED_ATTRIBUTES, target),
        host_status=state.policy.check(ctx, rules.SHOW_HOST_STATUS, target),
        flavor_extra_specs=state.policy.check(ctx, rules.SHOW_FLAVOR_EXTRA_SPECS, target),
        is_admin=bool(ctx.is_admin),
        instance_name_template=state.runtime.conf.instance_name_template,
    )


class _HostStatus:
    """host_status values, with one service lookup per cell per request."""

    def __init__(self, state: APIState) -> None:
        self._state = state
        self._cache: dict[str, dict[str, service_obj.Service]] = {}

    def __call__(self, cell: CellMapping | None, inst: Instance) -> str:
        if cell is None or not inst.host:
            return ""
        if cell.uuid not in self._cache:
            with self._state.runtime.cell_reader(cell) as s:
                self._cache[cell.uuid] = {
                    sv.host: sv for sv in service_obj.get_all(s, "cirrus-compute")}
        svc = self._cache[cell.uuid].get(inst.host)
        if svc is None:
            return "UNKNOWN"
        if svc.forced_down:
            return "DOWN"
        if not svc.is_up(self._state.runtime.conf.service_down_time):
            return "UNKNOWN"
        return "MAINTENANCE" if svc.disabled else "UP"


def get_server(state: APIState, req: falcon.Request, resp: falcon.Response,
               server_id: str) -> None:
    """GET /servers/{id}."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SHOW, _own(ctx))
    loc = common.find_server(state, ctx, server_id)
    if loc.build_request is not None:
        inst = listing.build_request_instance(loc.build_request)
    else:
        assert loc.instance is not None
        inst = loc.instance
    state.policy.authorize(ctx, rules.SHOW, _target(inst))
    opts = view_options(state, req, ctx, _target(inst))
    host_status = _HostStatus(state)(loc.cell, inst) if opts.host_status else ""
    resp.media = {"server": views.show(req, inst, opts, host_status=host_status,
                                       server_groups=_server_groups(state, req, inst.uuid),
                                       is_build_request=loc.build_request is not None)}


def _server_groups(state: APIState, req: falcon.Request, uuid: str) -> list[str] | None:
    """The groups a shown server is in, looked up only when the version shows them."""
    if not version_of(req).matches((2, 71)):
        return None
    return server_groups.groups_of(state, uuid)


def _parse_time(value: str, name: str) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise exception.Invalid(f"Invalid filter field: {name}.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed


def _limit(req: falcon.Request, max_limit: int) -> int:
    raw = req.get_param("limit")
    if raw is None:
        return max_limit
    try:
        limit = int(raw)
    except ValueError:
        raise exception.Invalid("limit param must be an integer") from None
    if limit < 0:
        raise exception.Invalid("limit param must be positive")
    return min(limit, max_limit)


def _list_query(state: APIState, req: falcon.Request, ctx: RequestContext,
                detail: bool) -> listing.ListQuery:
    all_rule = rules.DETAIL_ALL_TENANTS if detail else rules.INDEX_ALL_TENANTS
    project: str | None = ctx.project_id
    admin_filters = state.policy.check(ctx, all_rule, _own(ctx))
    all_tenants = req.get_param("all_tenants")
    if all_tenants is not None and all_tenants.lower() not in ("0", "false", "f", "no"):
        state.policy.authorize(ctx, all_rule, _own(ctx))
        project = req.get_param("project_id") or req.get_param("tenant_id")
    elif admin_filters and (req.get_param("project_id") or req.get_param("tenant_id")):
        project = req.get_param("project_id") or req.get_param("tenant_id")
    status = req.get_param("status")
    states = tuple(states_from_status(status)) if status else None
    if status and not states:
        states = (("__none__", None),)
    deleted_raw = (req.get_param("deleted") or "false").lower()
    exact: dict[str, Any] = {}
    image = req.get_param("image")
    if image:
        exact["image_ref"] = image.rsplit("/", 1)[-1]
    if req.get_param("availability_zone"):
        exact["availability_zone"] = req.get_param("availability_zone")
    since = req.get_param("changes-since")
    before = req.get_param("changes-before") if version_of(req).matches((2, 66)) else None
    return listing.ListQuery(
        project_id=project, name=req.get_param("name"), status_states=states,
        host=req.get_param("host") if admin_filters else None,
        changes_since=_parse_time(since, "changes-since") if since else None,
        changes_before=_parse_time(before, "changes-before") if before else None,
        deleted=admin_filters and deleted_raw in ("true", "1", "yes"),
        limit=_limit(req, state.runtime.conf.api.max_limit), marker=req.get_param("marker"),
        exact=exact,
    )


def _list(state: APIState, req: falcon.Request, resp: falcon.Response, detail: bool) -> None:
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.DETAIL if detail else rules.INDEX, _own(ctx))
    query = _list_query(state, req, ctx, detail)
    result = listing.list_servers(state, ctx, query)
    version = version_of(req)
    if detail:
        opts = view_options(state, req, ctx, _own(ctx))
        status = _HostStatus(state)
        items = [views.show(req, inst, opts, in_list=True, is_build_request=is_br,
                            host_status=status(cell, inst) if opts.host_status else "")
                 for cell, inst, is_br in result.servers]
    else:
        items = [views.basic(req, inst) for _, inst, _ in result.servers]
    if version.matches((2, 69)):
        items.extend(_down_item(req, m, detail) for m in result.down)
    body: dict[str, Any] = {"servers": items}
    if result.servers and len(result.servers) == query.limit:
        last = result.servers[-1][1].uuid
        collection = "servers/detail" if detail else "servers"
        body["servers_links"] = [{"rel": "next", "href": _next_href(req, collection, last)}]
    resp.media = body


def _down_item(req: falcon.Request, mapping: Any, detail: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": mapping.instance_uuid, "status": "UNKNOWN",
                            "links": common.links(req, "servers", mapping.instance_uuid)}
    if detail:
        item["tenant_id"] = mapping.project_id
        item["created"] = isotime(None)
    return item


def _next_href(req: falcon.Request, collection: str, marker: str) -> str:
    params = {k: v for k, v in req.params.items() if k != "marker"}
    params["marker"] = marker
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"{common.base_url(req)}/v2.1/{collection}?{query}"


def list_servers(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /servers."""
    _list(state, req, resp, detail=False)


def list_servers_detail(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /servers/detail."""
    _list(state, req, resp, detail=True)


def _create_request(body: dict[str, Any], req: falcon.Request) -> create_ops.CreateRequest:
    server = body["server"]
    version = version_of(req)
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    min_count = int(server.get("min_count", 1))
    max_count = int(server.get("max_count", min_count))
    if max_count < min_count:
        raise exception.Invalid("min_count must be <= max_count")
    description = server.get("description")
    if not version.matches((2, 19)):
        description = server["name"]
    return create_ops.CreateRequest(
        name=server["name"], flavor_ref=str(server["flavorRef"]),
        image_ref=server.get("imageRef") or None,
        networks=server.get("networks", "auto" if not version.matches((2, 37)) else None),
        availability_zone=server.get("availability_zone"),
        metadata=server.get("metadata") or {}, key_name=server.get("key_name"),
        user_data=server.get("user_data"), description=description,
        tags=tuple(server.get("tags") or ()),
        config_drive=str(server.get("config_drive", "")).lower() in ("true", "1", "yes"),
        access_ip_v4=server.get("accessIPv4"), access_ip_v6=server.get("accessIPv6"),
        min_count=min_count, max_count=max_count,
        block_devices=tuple(server.get("block_device_mapping_v2") or ()), hints=hints,
        admin_pass=server.get("adminPass"),
        disk_config=server.get("OS-DCF:diskConfig", "MANUAL"),
        personality=tuple((str(f.get("path", "")), str(f.get("contents", "")))
                          for f in server.get("personality") or ()),
        port_resource_requests=version.matches((2, 72)),
    )


def create_server(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """POST /servers: 202 once the server is accepted; building goes on asynchronously."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.CREATE, _own(ctx))
    body = read_json(req)
    validate(_pick(_CREATE, req), body)
    request = _create_request(body, req)
    if request.networks not in (None, "none", []):
        state.policy.authorize(ctx, rules.CREATE_ATTACH_NETWORK, _own(ctx))
    created = create_ops.create_servers(state, ctx, request)
    if str(body["server"].get("return_reservation_id", "")).lower() in ("true", "1"):
        resp.status = falcon.HTTP_202
        resp.media = {"reservation_id": "r-" + created[0][0][:8]}
        return
    uuid, password = created[0]
    resp.status = falcon.HTTP_202
    groups = body["server"].get("security_groups") or []
    resp.media = views.create_response(req, uuid, password, request.disk_config, groups)
    resp.set_header("Location", resp.media["server"]["links"][0]["href"])


def update_server(state: APIState, req: falcon.Request, resp: falcon.Response,
                  server_id: str) -> None:
    """PUT /servers/{id}: name, description, access IPs."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.UPDATE, _own(ctx))
    body = read_json(req)
    validate(_pick(_UPDATE, req), body)
    loc = common.find_server(state, ctx, server_id)
    cell, inst = common.require_instance(loc)
    state.policy.authorize(ctx, rules.UPDATE, _target(inst))
    fields = body["server"]
    changes = {column: fields[key] for key, column in _UPDATABLE.items() if key in fields}
    if "OS-DCF:diskConfig" in fields:
        changes["auto_disk_config"] = fields["OS-DCF:diskConfig"] == "AUTO"
    with state.runtime.cell_session(cell) as s:
        inst = instance_obj.update_instance(s, server_id, **changes)
    opts = view_options(state, req, ctx, _target(inst))
    full = views.show(req, inst, opts, server_groups=_server_groups(state, req, server_id))
    if not version_of(req).matches((2, 75)):
        full = _reduced(full)
    resp.media = {"server": full}


_UPDATABLE = {"name": "display_name", "description": "display_description",
              "accessIPv4": "access_ip_v4", "accessIPv6": "access_ip_v6", "hostname": "hostname"}

_REDUCED_KEYS = ("id", "name", "status", "tenant_id", "user_id", "metadata", "hostId", "image",
                 "flavor", "created", "updated", "addresses", "accessIPv4", "accessIPv6",
                 "links", "OS-DCF:diskConfig", "fault", "progress", "locked", "description",
                 "tags", "trusted_image_certificates", "server_groups", "locked_reason")


def _reduced(full: dict[str, Any]) -> dict[str, Any]:
    out = {k: full[k] for k in _REDUCED_KEYS if k in full}
    out["addresses"] = {net: [{"addr": a["addr"], "version": a["version"]} for a in addrs]
                        for net, addrs in full["addresses"].items()}
    return out


def delete_server(state: APIState, req: falcon.Request, resp: falcon.Response,
                  server_id: str) -> None:
    """DELETE /servers/{id}: 204; works in every state."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.DELETE, _own(ctx))
    loc = common.find_server(state, ctx, server_id)
    target = ({"project_id": loc.mapping.project_id, "user_id": loc.mapping.user_id})
    state.policy.authorize(ctx, rules.DELETE, target)
    if loc.instance is not None and loc.instance.locked and not ctx.is_admin:
        raise exception.InstanceIsLocked(instance_uuid=server_id)
    delete_ops.delete_server(state, ctx, loc)
    resp.status = falcon.HTTP_204
