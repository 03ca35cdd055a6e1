"""The compute side of networking: ports for a server, and its network info cache."""

import logging
from typing import Any

from cirrus import exception
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


def _vif(port: Any, network: Any) -> dict[str, Any]:
    return {
        "id": port.id, "address": port.mac_address, "type": port.vif_type or "ovs",
        "vnic_type": port.vnic_type, "active": True,
        "network": {"id": network.id, "label": network.name, "mtu": network.mtu},
        "fixed_ips": [{"ip_address": ip.ip_address, "subnet_id": ip.subnet_id}
                      for ip in port.fixed_ips],
        "profile": dict(port.profile or {}),
    }


def allocate_for_instance(runtime: Runtime, instance_uuid: str, project_id: str, host: str,
                          zone: str, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create or claim the ports a server asked for and bind them to ``host``.

    Returns:
        The network info (one VIF per port) to cache on the server.
    """
    client = runtime.network
    owner = f"compute:{zone}"
    vifs = []
    for item in requested:
        if item.get("port_id"):
            port = client.update_port(item["port_id"], device_id=instance_uuid,
                                      device_owner=owner, host_id=host)
        else:
            fixed = [{"ip_address": item["fixed_ip"]}] if item.get("fixed_ip") else None
            port = client.create_port(item["network_id"], device_id=instance_uuid,
                                      device_owner=owner, host_id=host, fixed_ips=fixed,
                                      project_id=project_id)
        vifs.append(_vif(port, client.get_network(port.network_id)))
    return vifs


def deallocate_for_instance(runtime: Runtime, instance_uuid: str) -> None:
    """Delete the ports of a deleted server (ports it was given are only unbound)."""
    client = runtime.network
    for port in client.list_ports(device_id=instance_uuid):
        try:
            client.delete_port(port.id)
        except Exception:
            LOG.exception("Could not delete port %s of %s", port.id, instance_uuid)


def bind_to_host(runtime: Runtime, instance_uuid: str, host: str) -> None:
    """Point the bindings of a server's ports at ``host`` (a move within a cell)."""
    client = runtime.network
    for port in client.list_ports(device_id=instance_uuid):
        client.update_port(port.id, host_id=host)


def port_ids(runtime: Runtime, instance_uuid: str) -> list[str]:
    """The ids of the server's ports, as the network service knows them."""
    return [p.id for p in runtime.network.list_ports(device_id=instance_uuid)]


def create_inactive_bindings(runtime: Runtime, instance_uuid: str, host: str) -> list[str]:
    """Give every port of the server a binding for ``host`` (inactive: another is active).

    Idempotent: a binding that already exists counts as created. Returns the port ids.
    """
    client = runtime.network
    ports = client.list_ports(device_id=instance_uuid)
    for port in ports:
        try:
            client.create_binding(port.id, host, vnic_type=port.vnic_type,
                                  profile=dict(port.profile or {}))
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
