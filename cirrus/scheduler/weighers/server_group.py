"""ServerGroupSoftAffinityWeigher and ServerGroupSoftAntiAffinityWeigher: soft policies.

``soft-affinity`` and ``soft-anti-affinity`` groups are preferences: the filters pass
every host for them, and these weighers order the hosts by how many of the group's other
members each runs, from the ``member_hosts`` the scheduler fills for each request.
"""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState
from cirrus.scheduler.weighers.base import BaseWeigher

SOFT_AFFINITY = "soft-affinity"
SOFT_ANTI_AFFINITY = "soft-anti-affinity"


def _members_on(host: HostState, spec: RequestSpec, policy: str) -> int:
    """Members of ``spec``'s group on ``host``, the server itself left out; 0 if not ``policy``."""
    group = spec.instance_group
    if group is None or group.policy != policy:
        return 0
    return sum(1 for uuid, on in group.member_hosts.items()
               if on == host.host and uuid != spec.instance_uuid)


class ServerGroupSoftAffinityWeigher(BaseWeigher):
    """Raw weight is the number of members on the host: a positive multiplier packs."""

    multiplier_option = "soft_affinity_weight_multiplier"

    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        return float(_members_on(host, spec, SOFT_AFFINITY))


class ServerGroupSoftAntiAffinityWeigher(BaseWeigher):
    """Raw weight is minus the number of members on the host: a positive multiplier spreads."""

    multiplier_option = "soft_anti_affinity_weight_multiplier"

    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        return -float(_members_on(host, spec, SOFT_ANTI_AFFINITY))
