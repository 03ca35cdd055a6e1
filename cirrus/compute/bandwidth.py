"""A host's guaranteed bandwidth, reported as child providers of its compute node.

What Neutron's agents do in OpenStack (see cirrus.conf.network_agent): one child
provider per physnet, with egress and ingress inventory and the traits a port's
resource request names.
"""

import dataclasses
import logging
import uuid
from collections.abc import Iterable

from cirrus.network import resource_request as rr
from cirrus.placement_client.client import PlacementClient

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Bandwidth:
    """The guaranteed bandwidth of one physnet of a host, in kbit/s."""

    physnet: str
    egress_kbps: int
    ingress_kbps: int


def for_host(entries: Iterable[str], host: str) -> list[Bandwidth]:
    """The bandwidths ``[network_agent] resource_provider_bandwidths`` gives ``host``.

    Entries naming this host replace the host-wide ones; other hosts' entries are ignored.
    """
    common: dict[str, Bandwidth] = {}
    own: dict[str, Bandwidth] = {}
    for entry in entries:
        parts = entry.split(":")
        target = common
        if len(parts) == 4:
            if parts[0] != host:
                continue
            target = own
            parts = parts[1:]
        physnet, egress, ingress = parts
        target[physnet] = Bandwidth(physnet, int(egress), int(ingress))
    return sorted((own or common).values(), key=lambda b: b.physnet)


def provider_uuid(node_uuid: str, physnet: str) -> str:
    """A stable uuid for the physnet's provider, so every audit finds the same one."""
    return str(uuid.uuid5(uuid.UUID(node_uuid), f"bandwidth:{physnet}"))


def report(placement: PlacementClient, node_uuid: str, nodename: str,
           bandwidths: Iterable[Bandwidth]) -> None:
    """Make the node's bandwidth children match ``bandwidths``.

    A child whose physnet is no longer configured is removed; Placement refuses that
    while allocations use it, and it is retried at the next audit.
    """
    wanted = {provider_uuid(node_uuid, b.physnet): b for b in bandwidths}
    for rp_uuid, bw in wanted.items():
        placement.ensure_provider(rp_uuid, f"{nodename}:{bw.physnet}", parent=node_uuid)
        placement.set_inventory(rp_uuid, {
            rc: {"total": total, "reserved": 0, "min_unit": 1, "max_unit": total,
                 "step_size": 1, "allocation_ratio": 1.0}
            for rc, total in ((rr.NET_BW_EGR, bw.egress_kbps), (rr.NET_BW_IGR, bw.ingress_kbps))
            if total > 0})
        placement.set_traits(rp_uuid, [rr.physnet_trait(bw.physnet),
                                       rr.vnic_type_trait("normal")])
    for rp in placement.providers_in_tree(node_uuid):
        if rp["uuid"] in wanted or rp["uuid"] == node_uuid:
            continue
        if rp.get("parent_provider_uuid") == node_uuid and rp["name"].startswith(f"{nodename}:"):
            try:
                placement.delete_provider(rp["uuid"])
            except Exception as exc:
                LOG.warning("Bandwidth provider %s kept: %s", rp["name"], exc)
