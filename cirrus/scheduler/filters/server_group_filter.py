"""ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter: hard server-group policies.

Only ``affinity`` and ``anti-affinity`` are enforced here; ``soft-affinity`` and
``soft-anti-affinity`` are preferences, which belong to weighers, so both filters pass
every host for them.

Both read where the group's members are from the request's ``instance_group``, which
the scheduler fills for each request (``hosts``, ``member_hosts``) from the members'
mappings and cells, and updates as it places the servers of a batch.
"""

from typing import Any

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"
MAX_SERVER_PER_HOST = "max_server_per_host"


def max_server_per_host(rules: dict[str, Any]) -> int:
    """The anti-affinity rule's limit; 1 when absent.

    The API validates the rule, so a value that is not a positive integer can only come
    from an old or hand-edited record; it falls back to 1, the strictest reading.
    """
    raw = rules.get(MAX_SERVER_PER_HOST, 1)
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(limit, 1)


class ServerGroupAffinityFilter(BaseFilter):
    """Under ``affinity``, passes only the hosts the group's other members are on.

    The first member of a group to be placed (no hosts yet) may go anywhere.
    """

    # Runs for every server of a request: each placed server adds to the group's hosts.
    run_filter_once_per_request = False

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True unless the group is ``affinity`` with hosts and this is not one of them."""
        group = spec.instance_group
        if group is None or group.policy != AFFINITY or not group.hosts:
            return True
        return host.host in group.hosts


class ServerGroupAntiAffinityFilter(BaseFilter):
    """Under ``anti-affinity``, passes hosts with fewer than ``max_server_per_host`` members.

    The host the server is already on always passes: a move may check its own source
    (for example a resize to the same host), and the server does not count against
    itself.
    """

    # Runs for every server of a request: each placed server adds to the group's members.
    run_filter_once_per_request = False

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True unless the group is ``anti-affinity`` and the host has reached the limit."""
        group = spec.instance_group
        if group is None or group.policy != ANTI_AFFINITY:
            return True
        members_here = [uuid for uuid, on in group.member_hosts.items() if on == host.host]
        if spec.instance_uuid in members_here:
            return True
        return len(members_here) < max_server_per_host(group.rules)
