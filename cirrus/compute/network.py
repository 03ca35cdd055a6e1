"""The compute side of networking: ports for a server, and its network info cache."""

import logging
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from cirrus import exception
from cirrus.network import resource_request as rr
from cirrus.network.client import Port
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)
ALLOCATION = "allocation"
"""The ``binding:profile`` key naming the providers of a port's resource request."""


def _vif(port: Any, network: Any, preserve: bool) -> dict[str, Any]:
    return {
        "id": port.id, "address": port.mac_address, "type": port.vif_type or "ovs",
        "vnic_type": port.vnic_type, "active": True,
        "network": {"id": network.id, "label": network.name, "mtu": network.mtu},
        "fixed_ips": [{"ip_address": ip.ip_address, "subnet_id": ip.subnet_id}
                      for ip in port.fixed_ips],
        "profile": dict(port.profile or {}),
        # As Nova's VIF: a port the user made outlives the server; ours go with it.
        "preserve_on_delete": preserve,
    }


def given_ports(requested: Iterable[Mapping[str, Any]] | None) -> set[str]:
    """The ports a boot request named (the user's, not to be deleted with the server)."""
    return {item["port_id"] for item in requested or () if item.get("port_id")}


def preserved_ports(network_info: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ports of a server's network info that outlive it."""
    return {vif["id"] for vif in network_info if vif.get("preserve_on_delete")}


def profile_with_allocation(port: Port, mapping: Mapping[str, str],
                            consumer: str) -> dict[str, Any]:
    """The port's binding profile naming the providers of its request groups.

    The ``allocation`` key is Neutron's: the provider (legacy format) or group id ->
    provider (request-groups format) its QoS guarantee is allocated from. A port that
    requests nothing keeps its profile without the key.

    Raises:
        PortResourceProviderUnknown: ``mapping`` lacks one of the port's groups.
    """
    profile = {k: v for k, v in (port.profile or {}).items() if k != ALLOCATION}
    try:
        allocation = rr.profile_allocation(port.id, port.resource_request, mapping)
    except KeyError:
        raise exception.PortResourceProviderUnknown(consumer=consumer,
                                                    port_id=port.id) from None
    if allocation is not None:
        profile[ALLOCATION] = allocation
    return profile


def allocate_for_instance(runtime: Runtime, instance_uuid: str, project_id: str, host: str,
                          zone: str, requested: list[dict[str, Any]],
                          provider_mappings: Mapping[str, list[str]] | None = None,
                          ) -> list[dict[str, Any]]:
    """Create or claim the ports a server asked for and bind them to ``host``.

    Args:
        provider_mappings: requester id -> providers, from the claim for this host.

    Returns:
        The network info (one VIF per port) to cache on the server.
    """
    client = runtime.network
    owner = f"compute:{zone}"
    mapping = {req: rps[0] for req, rps in (provider_mappings or {}).items() if rps}
    vifs = []
    for item in requested:
        if item.get("port_id"):
            given = client.get_port(item["port_id"])
            profile = (profile_with_allocation(given, mapping, instance_uuid)
                       if given.resource_request else None)
            port = client.update_port(item["port_id"], device_id=instance_uuid,
                                      device_owner=owner, host_id=host, profile=profile)
        else:
            fixed = [{"ip_address": item["fixed_ip"]}] if item.get("fixed_ip") else None
            port = client.create_port(item["network_id"], device_id=instance_uuid,
                                      device_owner=owner, host_id=host, fixed_ips=fixed,
                                      project_id=project_id)
        vifs.append(_vif(port, client.get_network(port.network_id),
                         preserve=bool(item.get("port_id"))))
    return vifs


def deallocate_for_instance(runtime: Runtime, instance_uuid: str,
                            keep: Collection[str] = ()) -> None:
    """Delete the ports made for a server; those in ``keep`` (the user's) are detached
    from it instead: no device, no host, no allocation in their profile (as Nova)."""
    client = runtime.network
    for port in client.list_ports(device_id=instance_uuid):
        try:
            if port.id in keep:
                profile = {k: v for k, v in (port.profile or {}).items() if k != ALLOCATION}
                client.update_port(port.id, device_id="", device_owner="", host_id="",
                                   profile=profile)
            else:
                client.delete_port(port.id)
        except Exception:
            LOG.exception("Could not release port %s of %s", port.id, instance_uuid)


def profiles_from_allocation(runtime: Runtime, ports: list[Port],
                             consumer: str) -> dict[str, dict[str, Any]]:
    """Port id -> binding profile naming the providers of ``consumer``'s allocation.

    A move keeps no mapping from its claim to its last step (a reschedule, a revert or
    a resumed journal may have changed the claim since), so the providers are found in
    the allocation itself, as Nova does on revert. Ports that request nothing are absent.

    Raises:
        PortResourceProviderUnknown: the allocation does not serve every request.
    """
    requesting = [p for p in ports if p.resource_request]
    if not requesting:
        return {}
    placement = runtime.placement
    groups, _ = rr.groups_of_ports(requesting)
    allocations = placement.get_allocations(consumer)[0]
    try:
        mapping = rr.map_to_providers(groups, allocations, placement.provider_traits)
    except ValueError:
        raise exception.PortResourceProviderUnknown(
            consumer=consumer, port_id=",".join(p.id for p in requesting)) from None
    return {p.id: profile_with_allocation(p, mapping, consumer) for p in requesting}


def named_allocations(runtime: Runtime, instance_uuid: str,
                      providers: set[str]) -> dict[str, dict[str, int]]:
    """Provider -> resources the server's ports request, where their active bindings'
    profiles say, for the providers among ``providers`` (a host's tree).

    The network service keeps the only record of where a port's guarantee is once an
    allocation was lost; this is what a hard reboot writes back.
    """
    out: dict[str, dict[str, int]] = {}
    for port in runtime.network.list_ports(device_id=instance_uuid):
        named = port.profile.get(ALLOCATION)
        for group in rr.request_groups(port.id, port.resource_request)[0]:
            rp = named.get(group.requester_id) if isinstance(named, dict) else named
            if rp not in providers:
                continue
            held = out.setdefault(rp, {})
            for rc, amount in group.resources.items():
                held[rc] = held.get(rc, 0) + amount
    return out


def bind_to_host(runtime: Runtime, instance_uuid: str, host: str) -> None:
    """Point the bindings of a server's ports at ``host`` (a move within a cell).

    The server's own allocation is the one on ``host`` by then, so each port's profile
    names the provider of its request there.
    """
    client = runtime.network
    ports = client.list_ports(device_id=instance_uuid)
    profiles = profiles_from_allocation(runtime, ports, instance_uuid)
    for port in ports:
        client.update_port(port.id, host_id=host, profile=profiles.get(port.id))


def port_ids(runtime: Runtime, instance_uuid: str) -> list[str]:
    """The ids of the server's ports, as the network service knows them."""
    return [p.id for p in runtime.network.list_ports(device_id=instance_uuid)]


def create_inactive_bindings(runtime: Runtime, instance_uuid: str, host: str) -> list[str]:
    """Give every port of the server a binding for ``host`` (inactive: another is active).

    The server's own allocation is the destination's claim by then: each requesting
    port's new binding names its provider there, and the active binding keeps the
    source's for a revert. Idempotent: a binding that already exists counts as created.

    Returns:
        The port ids.
    """
    client = runtime.network
    ports = client.list_ports(device_id=instance_uuid)
    profiles = profiles_from_allocation(runtime, ports, instance_uuid)
    for port in ports:
        try:
            client.create_binding(port.id, host, vnic_type=port.vnic_type,
                                  profile=profiles.get(port.id, dict(port.profile or {})))
        except exception.PortBindingAlreadyExists:
            LOG.info("Port %s already has a binding for %s", port.id, host)
    return [p.id for p in ports]


def activate_bindings(runtime: Runtime, instance_uuid: str, host: str) -> None:
    """Make the bindings for ``host`` the active ones (the others go inactive).

    Idempotent: an already active binding is left as it is.
    """
    client = runtime.network
    for pid in port_ids(runtime, instance_uuid):
        try:
            client.activate_binding(pid, host)
        except exception.PortBindingAlreadyActive:
            continue


def delete_bindings(runtime: Runtime, instance_uuid: str, host: str) -> None:
    """Remove the ports' bindings for ``host``; ones already gone are fine."""
    client = runtime.network
    for pid in port_ids(runtime, instance_uuid):
        try:
            client.delete_binding(pid, host)
        except (exception.PortBindingNotFound, exception.PortNotFound):
            continue
        except exception.Conflict:
            # An active binding cannot be deleted; someone else made it active again.
            LOG.warning("Binding of port %s for %s is active; kept", pid, host)
