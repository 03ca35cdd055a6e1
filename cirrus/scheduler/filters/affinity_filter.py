"""SameHostFilter and DifferentHostFilter: placement relative to named servers.

Both read a scheduler hint holding server uuids (``same_host`` / ``different_host``),
compared with the servers already on the host.
"""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState


def _hinted_uuids(spec: RequestSpec, hint: str) -> frozenset[str]:
    values: list[str] | str = spec.scheduler_hints.get(hint) or []
    # The API accepts one uuid as a bare string as well as a list of them.
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(values)


class SameHostFilter(BaseFilter):
    """Passes a host running any of the ``same_host`` servers; every host without the hint."""

    # The servers named in the hint do not move during the request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True without the hint, else when the host runs any hinted server."""
        wanted = _hinted_uuids(spec, "same_host")
        return not wanted or not wanted.isdisjoint(host.instances)


class DifferentHostFilter(BaseFilter):
    """Passes a host running none of the ``different_host`` servers."""

    # The servers named in the hint do not move during the request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True when the host runs no hinted server (always, without the hint)."""
        return _hinted_uuids(spec, "different_host").isdisjoint(host.instances)
