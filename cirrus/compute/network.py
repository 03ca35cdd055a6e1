"""The compute side of networking: ports for a server, and its network info cache."""

import logging
from typing import Any

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
