"""Port records: addresses, visibility, list filters, updates and binding changes."""

import ipaddress
import secrets
import uuid
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.db.services import models
from cirrus.db.services.query import fetch_page, get_by_uuid
from cirrus.network import bindings, filters, networks, schemas
from cirrus.network.resource_request import with_network_traits

_P = models.Port
# Every network hands out addresses from this range; networks are separate L2 domains.
ADDRESS_RANGE = ipaddress.IPv4Network("10.0.0.0/16")
MAC_PREFIX = "fa:16:3e"
_COLUMNS: dict[str, Any] = {
    "id": _P.id,
    "name": _P.name,
    "description": _P.description,
    "network_id": _P.network_id,
    "device_id": _P.device_id,
    "device_owner": _P.device_owner,
    "mac_address": _P.mac_address,
    "tenant_id": _P.project_id,
    "project_id": _P.project_id,
    "binding:vnic_type": _P.vnic_type,
}
FILTERS = frozenset(_COLUMNS) | {"binding:host_id", "admin_state_up", "status", "fixed_ips"}
SORT_KEYS = frozenset({"id", "name", "network_id", "device_id", "mac_address", "created_at"})
_BINDING_FIELDS = ("binding:host_id", "binding:profile")


def get_port(
    session: Session, ctx: RequestContext, port_id: str, *, for_update: bool = False
) -> models.Port:
    """The port as the caller sees it.

    Raises:
        PortNotFound: no such port, or another project's port for a non-admin.
    """
    row = get_by_uuid(session, models.Port, port_id, for_update=for_update)
    if row is None or not (ctx.is_admin or row.project_id == ctx.project_id):
        raise exception.PortNotFound(port_id=port_id)
    return row


def get_port_for_binding(session: Session, ctx: RequestContext, port_id: str) -> models.Port:
    """The port, locked, for a change to its bindings (an admin operation in Neutron).

    Raises:
        PortNotFound: the caller does not see the port.
        PolicyNotAuthorized: the caller is not an admin.
    """
    port = get_port(session, ctx, port_id, for_update=True)
    if not ctx.is_admin:
        raise exception.PolicyNotAuthorized("(rule:create_port_binding) is disallowed by policy")
    return port


def _check_binding_rights(ctx: RequestContext, attrs: dict[str, Any], action: str) -> None:
    for field in _BINDING_FIELDS:
        if field in attrs and not ctx.is_admin:
            raise exception.PolicyNotAuthorized(
                f"(rule:{action}_port:{field}) is disallowed by policy"
            )


def _random_mac(session: Session, network_id: str) -> str:
    for _attempt in range(16):
        tail = ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
        mac = f"{MAC_PREFIX}:{tail}"
        taken = session.scalar(select(_P.id).filter_by(network_id=network_id, mac_address=mac))
        if taken is None:
            return mac
    raise exception.Conflict(f"Unable to generate a unique mac on network {network_id}.")


def _allocate_ips(
    session: Session, network: models.Network, requested: list[dict[str, Any]] | None
) -> list[models.IPAllocation]:
    used = set(session.scalars(
        select(models.IPAllocation.ip_address).filter_by(network_id=network.id)
    ))
    if requested is None:
        requested = [{}]
    allocations = []
    for item in requested:
        address = item.get("ip_address")
        if address is None:
            address = _next_free(network, used)
        else:
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                raise exception.Invalid(
                    f"Invalid input for ip_address. Reason: '{address}' is not a valid IP address."
                ) from None
            if address in used:
                raise exception.IpAddressAlreadyAllocated(ip=address, network_id=network.id)
        used.add(address)
        allocations.append(models.IPAllocation(
            network_id=network.id, ip_address=address, subnet_id=item.get("subnet_id"),
        ))
    return allocations


def _next_free(network: models.Network, used: set[str]) -> str:
    # Host numbers run from .2 (.1 is the gateway) to the last before broadcast.
    last = ADDRESS_RANGE.num_addresses - 2
    while network.next_host <= last:
        address = str(ADDRESS_RANGE.network_address + network.next_host)
        network.next_host += 1
        if address not in used:
            return address
    raise exception.IpAddressGenerationFailure(network_id=network.id)


def create_port(session: Session, ctx: RequestContext, body: Any) -> models.Port:
    """Record a port from a ``POST /v2.0/ports`` body, with addresses and a MAC.

    A ``binding:host_id`` makes the port bound to that host (an ACTIVE binding).

    Raises:
        Invalid: the body breaks the schema or an address is malformed.
        NetworkNotFound: the caller does not see the network.
        PolicyNotAuthorized: a non-admin sets binding attributes or another project.
        IpAddressAlreadyAllocated, MacAddressInUse: a requested address is taken.
    """
    schemas.validate(schemas.CREATE_PORT_VALIDATOR, body)
    attrs = body["port"]
    _check_binding_rights(ctx, attrs, "create")
    network = networks.get_network(session, ctx, attrs["network_id"])
    # Lock the network so concurrent creations do not hand out the same address.
    session.refresh(network, with_for_update=True)
    mac = attrs.get("mac_address", "").lower().replace("-", ":") or _random_mac(session, network.id)
    if session.scalar(select(_P.id).filter_by(network_id=network.id, mac_address=mac)):
        raise exception.MacAddressInUse(network_id=network.id, mac=mac)
    vnic_type = attrs.get("binding:vnic_type", "normal")
    request = attrs.get("resource_request")
    if request:
        request = with_network_traits(request, network.physical_network, vnic_type)
    port = models.Port(
        id=str(uuid.uuid4()), network_id=network.id, project_id=networks.owner_of(ctx, attrs),
        name=attrs.get("name", ""), description=attrs.get("description", ""),
        mac_address=mac, admin_state_up=attrs.get("admin_state_up", True),
        device_id=attrs.get("device_id", ""), device_owner=attrs.get("device_owner", ""),
        vnic_type=vnic_type, resource_request=request,
        fixed_ips=_allocate_ips(session, network, attrs.get("fixed_ips")), bindings=[],
    )
    if attrs.get("binding:host_id"):
        bindings.set_host(port, attrs["binding:host_id"])
    if attrs.get("binding:profile"):
        bindings.set_profile(port, attrs["binding:profile"])
    session.add(port)
    session.flush()
    return port


def update_port(session: Session, ctx: RequestContext, port_id: str, body: Any) -> models.Port:
    """Apply a ``PUT /v2.0/ports/{id}`` body.

    Raises:
        Invalid: the body breaks the schema (read-only attributes included).
        PortNotFound: the caller does not see the port.
        PolicyNotAuthorized: a non-admin changes binding attributes.
        PortBindingAlreadyExists: the new host already has an inactive binding.
    """
    if isinstance(body, dict) and isinstance(body.get("port"), dict):
        for read_only in ("network_id", "tenant_id", "project_id", "id", "fixed_ips"):
            if read_only in body["port"]:
                raise exception.Invalid(f"Cannot update read-only attribute {read_only}")
    schemas.validate(schemas.UPDATE_PORT_VALIDATOR, body)
    attrs = body["port"]
    _check_binding_rights(ctx, attrs, "update")
    port = get_port(session, ctx, port_id, for_update=True)
    for field in ("name", "description", "admin_state_up", "device_id", "device_owner"):
        if field in attrs:
            setattr(port, field, attrs[field])
    if "binding:vnic_type" in attrs:
        port.vnic_type = attrs["binding:vnic_type"]
        current = bindings.active_binding(port)
        if current is not None:
            current.vnic_type = port.vnic_type
    if "binding:host_id" in attrs:
        bindings.set_host(port, attrs["binding:host_id"] or "")
    if "binding:profile" in attrs:
        bindings.set_profile(port, attrs["binding:profile"] or {})
    session.flush()
    return port


def _fixed_ip_conditions(wanted: tuple[str, ...]) -> list[ColumnElement[bool]]:
    conds = []
    for item in wanted:
        key, _, value = item.partition("=")
        if key == "ip_address":
            conds.append(_P.fixed_ips.any(models.IPAllocation.ip_address == value))
        elif key == "subnet_id":
            conds.append(_P.fixed_ips.any(models.IPAllocation.subnet_id == value))
        else:
            raise exception.Invalid(f"Invalid fixed_ips filter {item!r}")
    return conds


def _conditions(query: filters.ListQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    bound = _P.bindings.any(models.PortBinding.status == bindings.ACTIVE)
    for key, wanted in query.filters.items():
        if key == "binding:host_id":
            hosts = [h for h in wanted if h]
            on_host = _P.bindings.any(
                (models.PortBinding.status == bindings.ACTIVE)
                & models.PortBinding.host.in_(hosts)
            )
            conds.append(on_host | ~bound if "" in wanted else on_host)
        elif key == "status":
            conds.append(bound if "ACTIVE" in wanted else ~bound)
        elif key == "admin_state_up":
            conds.append(_P.admin_state_up.in_([filters.to_bool(key, v) for v in wanted]))
        elif key == "fixed_ips":
            conds.extend(_fixed_ip_conditions(wanted))
        else:
            conds.append(_COLUMNS[key].in_(wanted))
    return conds


def list_ports(
    session: Session, ctx: RequestContext, query: filters.ListQuery
) -> list[models.Port]:
    """The ports the caller sees that match ``query``, in its order and page.

    Raises:
        Invalid: a malformed filter, or a marker that is not a port the caller sees.
    """
    if query.marker is not None:
        try:
            get_port(session, ctx, query.marker)
        except exception.PortNotFound:
            raise exception.Invalid(f"Marker {query.marker} could not be found.") from None
    conds = [] if ctx.is_admin else [_P.project_id == ctx.project_id]
    order: list[UnaryExpression[Any]] = [
        getattr(_P, k).asc() if d == "asc" else getattr(_P, k).desc() for k, d in query.sort
    ]
    order.append(_P.id.desc() if query.sort and query.sort[-1][1] == "desc" else _P.id.asc())
    return fetch_page(
        session, _P, _P.id, conds=conds + _conditions(query), order=order,
        marker=query.marker, limit=query.limit,
    )


def delete_port(session: Session, ctx: RequestContext, port_id: str) -> None:
    """Delete a port with its addresses and bindings.

    Raises:
        PortNotFound: the caller does not see the port.
    """
    session.delete(get_port(session, ctx, port_id, for_update=True))
    session.flush()
