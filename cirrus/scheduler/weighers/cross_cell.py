"""CrossCellWeigher: during a move that may cross cells, prefer (or avoid) the source cell."""

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState
from cirrus.scheduler.weighers.base import BaseWeigher


class CrossCellWeigher(BaseWeigher):
    """Raw weight 1 for a host in the requested cell, -1 for any other, as in Nova.

    Only a move that may cross cells with no target host has a requested cell that is
    not binding (the API sets it to the source cell, cirrus.api.ops.cross_cell), so only
    such a move is weighed; every other request (a boot, a move kept in its cell, a move
    to a named host) weighs 0 everywhere and the weigher has no effect.

    The multiplier is ``[filter_scheduler] cross_cell_move_weight_multiplier``, default
    1000000.0, and an aggregate's metadata of that name overrides it for its hosts (see
    :meth:`BaseWeigher.weight_multiplier`). Raw weights are normalised to [0, 1] across
    the candidates, so the source cell's hosts get the whole multiplier and the others
    nothing: the default outweighs the resource weighers (each at most its multiplier)
    and a move leaves its cell only when no host there passed the filters. A negative
    multiplier pushes moves out of the source cell, which is how a cell is drained.
    """

    multiplier_option = "cross_cell_move_weight_multiplier"

    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        dest = spec.requested_destination
        if dest is None or not dest.cell_uuid or not dest.allow_cross_cell_move:
            return 0.0
        return 1.0 if host.cell_uuid == dest.cell_uuid else -1.0
