"""The conductor's RPC client: the superconductor on the top-level transport.

Version history:
    1.0 - schedule_and_build_instances (super); build_instances (cell, reschedules).
"""

from typing import Any

from cirrus.context import RequestContext
from cirrus.objects.cell_mapping import CellMapping
from cirrus.rpc.client import PerCellClients, RPCClient
from cirrus.runtime import Runtime

TOPIC = "conductor"
BASE_VERSION = "1.0"


class ComputeTaskAPI:
    """Superconductor RPC methods."""

    def __init__(self, runtime: Runtime) -> None:
        conf = runtime.conf
        self._client = RPCClient(runtime.transports, conf.transport_url, TOPIC, BASE_VERSION,
                                 conf.upgrade_levels.conductor, conf.rpc_response_timeout)

    def schedule_and_build_instances(self, ctx: RequestContext, **kwargs: Any) -> None:
        """Cast: schedule servers held in build requests and start them in their cells."""
        self._client.cast(ctx, "schedule_and_build_instances", **kwargs)


class CellTaskAPI:
    """A cell conductor's RPC methods, on the cell's transport."""

    def __init__(self, runtime: Runtime) -> None:
        conf = runtime.conf
        self._clients = PerCellClients(runtime.transports, TOPIC, BASE_VERSION,
                                       conf.upgrade_levels.conductor,
                                       conf.rpc_response_timeout)

    def build_instances(self, ctx: RequestContext, cell: CellMapping, **kwargs: Any) -> None:
        """Cast: retry a failed build on the next alternate host of the cell."""
        self._clients.get(cell).cast(ctx, "build_instances", **kwargs)
