"""CrossCellWeigher: during a move, prefer (or avoid) the server's current cell."""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState
from cirrus.scheduler.weighers.base import BaseWeigher


class CrossCellWeigher(BaseWeigher):
    """Raw weight 1 for a host in the move's source cell, 0 for any other host.

    Outside a move (``spec.source_cell_uuid`` unset) every host weighs 0, so the weigher
    has no effect on boots. The option's default multiplier, 1000000.0, outweighs the
    resource weighers (each at most their multiplier after normalisation) so a move stays
    in its cell whenever a host there passed the filters; a negative multiplier pushes
    moves out of the source cell, which is how a cell is drained.
    """

    multiplier_option = "cross_cell_move_weight_multiplier"

    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        if spec.source_cell_uuid is None:
            return 0.0
        return 1.0 if host.cell_uuid == spec.source_cell_uuid else 0.0
