"""AvailabilityZoneFilter: only hosts in the availability zone the server asked for."""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState


class AvailabilityZoneFilter(BaseFilter):
    """Passes a host in ``spec.availability_zone``; every host when no zone was asked for."""

    # A host's zone and the requested zone are fixed for the whole request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True when no zone was requested or the host is in it (exact, case-sensitive)."""
        if not spec.availability_zone:
            return True
        return host.availability_zone == spec.availability_zone
