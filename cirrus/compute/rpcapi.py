"""The only way to reach a compute service: its RPC client, on the cell's transport.

Version history:
    6.0 - Boot, delete and power methods.
"""

from typing import Any

from cirrus.context import RequestContext
from cirrus.objects.cell_mapping import CellMapping
from cirrus.rpc.client import PerCellClients, RPCClient
from cirrus.runtime import Runtime

TOPIC = "compute"
BASE_VERSION = "6.0"


class ComputeAPI:
    """Compute RPC methods; each says whether it is a call or a cast."""

    def __init__(self, runtime: Runtime) -> None:
        conf = runtime.conf
        self._clients = PerCellClients(runtime.transports, TOPIC, BASE_VERSION,
                                       conf.upgrade_levels.compute, conf.rpc_response_timeout)

    def _client(self, cell: CellMapping) -> RPCClient:
        return self._clients.get(cell)

    def build_and_run_instance(self, ctx: RequestContext, cell: CellMapping, host: str,
                               **kwargs: Any) -> None:
        """Cast: spawn a scheduled server on ``host``."""
        self._client(cell).cast(ctx, "build_and_run_instance", server=host, **kwargs)

    def terminate_instance(self, ctx: RequestContext, cell: CellMapping, host: str,
                           instance_uuid: str) -> None:
        """Cast: destroy a server and free what it holds."""
        self._client(cell).cast(ctx, "terminate_instance", server=host,
                                instance_uuid=instance_uuid)

    def stop_instance(self, ctx: RequestContext, cell: CellMapping, host: str,
                      instance_uuid: str) -> None:
        """Cast: power a server off."""
        self._client(cell).cast(ctx, "stop_instance", server=host, instance_uuid=instance_uuid)

    def start_instance(self, ctx: RequestContext, cell: CellMapping, host: str,
                       instance_uuid: str) -> None:
        """Cast: power a server on."""
        self._client(cell).cast(ctx, "start_instance", server=host,
                                instance_uuid=instance_uuid)

    def reboot_instance(self, ctx: RequestContext, cell: CellMapping, host: str,
                        instance_uuid: str, reboot_type: str) -> None:
        """Cast: reboot a server."""
        self._client(cell).cast(ctx, "reboot_instance", server=host,
                                instance_uuid=instance_uuid, reboot_type=reboot_type)
