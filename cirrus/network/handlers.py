"""HTTP handlers of the network API (Neutron v2.0 shapes): versions, extensions, networks,
ports and extended port bindings.
"""

import urllib.parse
from typing import Any

import falcon

from cirrus.db.services import models
from cirrus.network import bindings, filters, networks, ports, schemas
from cirrus.wsgi import service_app
from cirrus.wsgi.auth import request_context
from cirrus.wsgi.body import read_json

_UPDATED = "2026-01-01T00:00:00-00:00"
EXTENSIONS = (
    ("binding", "Port Binding", "Ports carry the host they are bound to and its VIF."),
    ("binding-extended", "Port Bindings Extended",
     "A port may hold inactive bindings to other hosts, activated during a move."),
    ("port-resource-request", "Port Resource Request",
     "Ports expose the placement resources their QoS policy needs."),
    ("net-mtu", "Network MTU", "Networks report their MTU."),
    ("provider", "Provider Network", "Networks may name the physical network they are on."),
    ("filter-validation", "Filter parameters validation", "Unknown list filters are refused."),
    ("pagination", "Pagination support", "Lists take limit and marker."),
    ("sorting", "Sorting support", "Lists take sort_key and sort_dir."),
)


Services = service_app.Services
_session = service_app.session_of




def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _serialize_network(row: models.Network, is_admin: bool) -> dict[str, Any]:
    body = {
        "id": row.id, "name": row.name, "description": row.description,
        "tenant_id": row.project_id, "project_id": row.project_id, "status": row.status,
        "admin_state_up": row.admin_state_up, "shared": row.shared, "mtu": row.mtu,
        "subnets": [], "router:external": False, "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at or row.created_at),
    }
    # As Neutron's default policy (get_network:provider:*): how the cloud is wired is the
    # operators' business; other callers do not see these keys at all.
    if is_admin:
        body.update({"provider:physical_network": row.physical_network,
                     "provider:network_type": "flat" if row.physical_network else "local",
                     "provider:segmentation_id": None})
    return body


def _serialize_binding(row: models.PortBinding) -> dict[str, Any]:
    return {
        "host": row.host, "vif_type": row.vif_type, "vnic_type": row.vnic_type,
        "status": row.status, "profile": row.profile, "vif_details": row.vif_details,
    }


def _serialize_port(row: models.Port) -> dict[str, Any]:
    active = bindings.active_binding(row)
    return {
        "id": row.id, "name": row.name, "description": row.description,
        "network_id": row.network_id, "tenant_id": row.project_id,
        "project_id": row.project_id, "mac_address": row.mac_address,
        "admin_state_up": row.admin_state_up, "status": "ACTIVE" if active else "DOWN",
        "device_id": row.device_id, "device_owner": row.device_owner,
        "fixed_ips": [
            {"subnet_id": ip.subnet_id, "ip_address": ip.ip_address} for ip in row.fixed_ips
        ],
        "binding:host_id": active.host if active else "",
        "binding:profile": active.profile if active else {},
        "binding:vif_type": active.vif_type if active else bindings.UNBOUND,
        "binding:vif_details": active.vif_details if active else {},
        "binding:vnic_type": row.vnic_type, "resource_request": row.resource_request,
        "security_groups": [], "allowed_address_pairs": [],
        "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at or row.created_at),
    }


def _links(req: falcon.Request, collection: str, query: filters.ListQuery,
           rows: list[Any]) -> list[dict[str, str]]:
    if query.limit is None or len(rows) < query.limit:
        return []
    params = [(k, v) for k, v in req.params.items() if k != "marker"]
    params.append(("marker", rows[-1].id))
    href = f"{req.forwarded_prefix}/v2.0/{collection}?{urllib.parse.urlencode(params, doseq=True)}"
    return [{"rel": "next", "href": href}]


def get_versions(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /``: the version document, no token needed."""
    link = {"rel": "self", "href": f"{req.forwarded_prefix}/v2.0/"}
    resp.media = {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [link]}]}


def get_resources(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2.0``: the collections this version serves."""
    base = f"{req.forwarded_prefix}/v2.0"
    resp.media = {"resources": [
        {"name": name, "collection": f"{name}s",
         "links": [{"rel": "self", "href": f"{base}/{name}s"}]}
        for name in ("network", "port")
    ]}


def _serialize_extension(alias: str, name: str, description: str) -> dict[str, Any]:
    return {
        "alias": alias, "name": name, "description": description, "updated": _UPDATED,
        "links": [],
    }


def list_extensions(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2.0/extensions``: the API extensions, ``binding-extended`` among them."""
    request_context(req)
    resp.media = {"extensions": [_serialize_extension(*e) for e in EXTENSIONS]}


def get_extension(req: falcon.Request, resp: falcon.Response, alias: str) -> None:
    """``GET /v2.0/extensions/{alias}``: 200, or 404 for an extension not offered."""
    request_context(req)
    for extension in EXTENSIONS:
        if extension[0] == alias:
            resp.media = {"extension": _serialize_extension(*extension)}
            return
    raise falcon.HTTPNotFound(description=f"Extension with alias {alias} does not exist")


def list_networks(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2.0/networks``: the caller's and shared networks (all, for an admin).

    Filters: id, name, description, status, shared, admin_state_up, mtu, project_id,
    tenant_id; plus fields, limit/marker and sort_key/sort_dir. 400 for others.
    """
    ctx = request_context(req)
    query = filters.parse(req.params, networks.FILTERS, networks.SORT_KEYS)
    with _session(req) as session:
        rows = networks.list_networks(session, ctx, query)
        admin = bool(ctx.is_admin)
        body: dict[str, Any] = {"networks": [
            filters.select_fields(_serialize_network(r, admin), query.fields) for r in rows
        ]}
    links = _links(req, "networks", query, rows)
    if links:
        body["networks_links"] = links
    resp.media = body


def create_network(req: falcon.Request, resp: falcon.Response) -> None:
    """``POST /v2.0/networks``: 201; 400 for a bad body, 403 for shared by a non-admin."""
    ctx = request_context(req)
    body = read_json(req)
    with _session(req) as session:
        row = networks.create_network(session, ctx, body)
        resp.media = {"network": _serialize_network(row, bool(ctx.is_admin))}
    resp.status = falcon.HTTP_201


def get_network(req: falcon.Request, resp: falcon.Response, network_id: str) -> None:
    """``GET /v2.0/networks/{id}``: 200, or 404 (names and invisible networks included)."""
    ctx = request_context(req)
    fields = tuple(filters.values(req.params, "fields"))
    with _session(req) as session:
        row = networks.get_network(session, ctx, network_id)
        resp.media = {"network": filters.select_fields(_serialize_network(row, bool(ctx.is_admin)),
                                                      fields)}


def delete_network(req: falcon.Request, resp: falcon.Response, network_id: str) -> None:
    """``DELETE /v2.0/networks/{id}``: 204; 404 when not visible, 409 while ports remain."""
    ctx = request_context(req)
    with _session(req) as session:
        networks.delete_network(session, ctx, network_id)
    resp.status = falcon.HTTP_204


def list_ports(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2.0/ports``: the caller's ports (all, for an admin).

    Filters: id, name, network_id, device_id, device_owner, mac_address, project_id,
    tenant_id, status, admin_state_up, binding:host_id, binding:vnic_type and
    fixed_ips=ip_address=...; plus fields, limit/marker and sort_key/sort_dir.
    """
    ctx = request_context(req)
    query = filters.parse(req.params, ports.FILTERS, ports.SORT_KEYS)
    with _session(req) as session:
        rows = ports.list_ports(session, ctx, query)
        body: dict[str, Any] = {"ports": [
            filters.select_fields(_serialize_port(r), query.fields) for r in rows
        ]}
    links = _links(req, "ports", query, rows)
    if links:
        body["ports_links"] = links
    resp.media = body


def create_port(req: falcon.Request, resp: falcon.Response) -> None:
    """``POST /v2.0/ports``: 201 with addresses and MAC assigned.

    400 for a bad body, 403 for binding attributes from a non-admin, 404 for an unseen
    network, 409 for a taken address.
    """
    ctx = request_context(req)
    body = read_json(req)
    with _session(req) as session:
        resp.media = {"port": _serialize_port(ports.create_port(session, ctx, body))}
    resp.status = falcon.HTTP_201


def get_port(req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
    """``GET /v2.0/ports/{id}``: 200, or 404."""
    ctx = request_context(req)
    fields = tuple(filters.values(req.params, "fields"))
    with _session(req) as session:
        row = ports.get_port(session, ctx, port_id)
        resp.media = {"port": filters.select_fields(_serialize_port(row), fields)}


def update_port(req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
    """``PUT /v2.0/ports/{id}``: 200; moving ``binding:host_id`` moves the active binding.

    400 for a bad body or read-only attribute, 403 for binding attributes from a
    non-admin, 404, 409 when the new host already has an inactive binding.
    """
    ctx = request_context(req)
    body = read_json(req)
    with _session(req) as session:
        resp.media = {"port": _serialize_port(ports.update_port(session, ctx, port_id, body))}


def delete_port(req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
    """``DELETE /v2.0/ports/{id}``: 204, bindings and addresses included; or 404."""
    ctx = request_context(req)
    with _session(req) as session:
        ports.delete_port(session, ctx, port_id)
    resp.status = falcon.HTTP_204


def list_bindings(req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
    """``GET /v2.0/ports/{id}/bindings``: every binding; filters host, status, vif_type,
    vnic_type. 403 for a non-admin, 404 for an unseen port.
    """
    ctx = request_context(req)
    wanted = {
        key: set(filters.values(req.params, key))
        for key in ("host", "status", "vif_type", "vnic_type") if key in req.params
    }
    with _session(req) as session:
        port = ports.get_port_for_binding(session, ctx, port_id)
        found = [
            _serialize_binding(b) for b in port.bindings
            if all(getattr(b, k) in v for k, v in wanted.items())
        ]
    resp.media = {"bindings": found}


def create_binding(req: falcon.Request, resp: falcon.Response, port_id: str) -> None:
    """``POST /v2.0/ports/{id}/bindings``: 201; INACTIVE unless the port had no binding.

    400 for a bad body or a non-compute port, 403, 404, 409 when the host has a binding.
    """
    ctx = request_context(req)
    body = read_json(req)
    schemas.validate(schemas.CREATE_BINDING_VALIDATOR, body)
    attrs = body["binding"]
    with _session(req) as session:
        port = ports.get_port_for_binding(session, ctx, port_id)
        binding = bindings.create_binding(
            port, attrs["host"], vnic_type=attrs.get("vnic_type"), profile=attrs.get("profile"),
        )
        session.flush()
        resp.media = {"binding": _serialize_binding(binding)}
    resp.status = falcon.HTTP_201


def get_binding(req: falcon.Request, resp: falcon.Response, port_id: str, host: str) -> None:
    """``GET /v2.0/ports/{id}/bindings/{host}``: 200, or 404 for no such binding."""
    ctx = request_context(req)
    with _session(req) as session:
        port = ports.get_port_for_binding(session, ctx, port_id)
        resp.media = {"binding": _serialize_binding(bindings.find_binding(port, host))}


def activate_binding(
    req: falcon.Request, resp: falcon.Response, port_id: str, host: str
) -> None:
    """``PUT /v2.0/ports/{id}/bindings/{host}/activate``: 200 with the now ACTIVE binding.

    The previously active binding becomes INACTIVE and ``binding:host_id`` moves. 404
    for no such binding, 409 when it is already active.
    """
    ctx = request_context(req)
    with _session(req) as session:
        port = ports.get_port_for_binding(session, ctx, port_id)
        binding = bindings.activate_binding(port, host)
        session.flush()
        resp.media = {"binding": _serialize_binding(binding)}


def delete_binding(req: falcon.Request, resp: falcon.Response, port_id: str, host: str) -> None:
    """``DELETE /v2.0/ports/{id}/bindings/{host}``: 204; 404 unless an inactive binding."""
    ctx = request_context(req)
    with _session(req) as session:
        port = ports.get_port_for_binding(session, ctx, port_id)
        bindings.delete_binding(port, host)
        session.flush()
    resp.status = falcon.HTTP_204
