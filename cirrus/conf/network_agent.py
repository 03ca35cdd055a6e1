"""Options of the [network_agent] group: what a compute host reports for the network.

In OpenStack, Neutron's agents (``[ovs]`` / ``[sriov_nic] resource_provider_bandwidths``)
report each host's guaranteed bandwidth to Placement as child providers of the compute
node. Cirrus runs no network agents: the compute service's resource tracker already owns
the compute node's provider and audits it periodically, so it reports these children too,
from this group. The option keeps Neutron's name so an operator finds it.
"""

from oslo_config import cfg, types

NETWORK_AGENT = cfg.OptGroup(
    "network_agent", title="Network agent",
    help="What the compute service reports to Placement in place of Neutron's agents.")

NETWORK_AGENT_OPTS = [
    cfg.ListOpt(
        "resource_provider_bandwidths",
        default=[],
        item_type=types.String(regex=r"^([^:\s]+:)?[^:\s]+:\d+:\d+$"),
        help="Guaranteed bandwidth of the hosts this configuration serves, one entry per "
        "physical network: ``physnet:egress_kbps:ingress_kbps`` applies to every host; "
        "``host:physnet:egress_kbps:ingress_kbps`` to that host only, and replaces the "
        "host-wide entries for it (an all-in-one serves many hosts from one file). Each "
        "physnet becomes a child provider of the compute node with "
        "NET_BW_EGR_KILOBIT_PER_SEC and NET_BW_IGR_KILOBIT_PER_SEC inventory and the "
        "traits CUSTOM_PHYSNET_<PHYSNET> and CUSTOM_VNIC_TYPE_NORMAL, which ports with a "
        "minimum-bandwidth resource request on a network of that physnet are placed on.",
    ),
]
