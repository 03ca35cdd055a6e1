"""DiskWeigher: spread (or, with a negative multiplier, stack) servers by free disk (MB)."""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState
from cirrus.scheduler.weighers.base import BaseWeigher


class DiskWeigher(BaseWeigher):
    """Raw weight is the host's free disk (MB).

    A positive multiplier prefers the emptiest host (spreading); a negative one the
    fullest (stacking).
    """

    multiplier_option = "disk_weight_multiplier"

    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_disk_mb)
