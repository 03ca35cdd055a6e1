"""ComputeFilter: only hosts whose compute service is up and enabled."""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState


class ComputeFilter(BaseFilter):
    """Passes a host when its compute service is up and not disabled by an operator."""

    # Service status is read once when the host states are built for the request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True unless the service is down or disabled."""
        return host.service_up and not host.service_disabled
