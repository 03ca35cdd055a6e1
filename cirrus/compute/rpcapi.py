"""The only way to reach a compute service: its RPC client, on the cell's transport.

Version history:
    6.0 - Boot, delete and power methods.
    6.1 - Same-cell resize and cold migration: prep_resize, resize_instance, finish_resize,
          confirm_resize, revert_resize, finish_revert_resize, cleanup_move.
    6.2 - Cross-cell moves, each a call from the superconductor:
          prep_snapshot_based_resize_at_dest, prep_snapshot_based_resize_at_source,
          finish_snapshot_based_resize_at_dest, confirm_snapshot_based_resize_at_source,
          revert_snapshot_based_resize_at_dest, finish_revert_snapshot_based_resize_at_source.
    6.3 - attach_volume and detach_volume, calls from the API.
"""

from typing import Any

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.objects.cell_mapping import CellMapping
from cirrus.rpc.client import PerCellClients, RPCClient
from cirrus.runtime import Runtime

TOPIC = "compute"
BASE_VERSION = "6.0"
CROSS_CELL_VERSION = "6.2"
VOLUME_VERSION = "6.3"


class ComputeAPI:
    """Compute RPC methods; each says whether it is a call or a cast."""

    def __init__(self, runtime: Runtime) -> None:
        conf = runtime.conf
        self._clients = PerCellClients(runtime.transports, TOPIC, BASE_VERSION,
                                       conf.upgrade_levels.compute, conf.rpc_response_timeout)
        self._long_timeout = int(conf.long_rpc_timeout)

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

    # -- same-cell moves ---------------------------------------------------------------

    def prep_resize(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                    instance_uuid: str, migration_uuid: str, flavor: dict[str, Any],
                    node: str | None, alternates: list[dict[str, Any]] | None,
                    image: dict[str, Any] | None = None) -> None:
        """Cast: claim on the destination ``host``; ``alternates`` None means no reschedule."""
        self._client(cell).cast(ctx, "prep_resize", server=host, version="6.1",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid,
                                flavor=flavor, node=node, alternates=alternates,
                                image=image or {})

    def resize_instance(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                        instance_uuid: str, migration_uuid: str,
                        flavor: dict[str, Any]) -> None:
        """Cast: power off on the source ``host`` and hand the disks over."""
        self._client(cell).cast(ctx, "resize_instance", server=host, version="6.1",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid,
                                flavor=flavor)

    def finish_resize(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                      instance_uuid: str, migration_uuid: str) -> None:
        """Cast: start the server on the destination ``host`` (it becomes VERIFY_RESIZE)."""
        self._client(cell).cast(ctx, "finish_resize", server=host, version="6.1",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid)

    def confirm_resize(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                       instance_uuid: str, migration_uuid: str, cast: bool = True) -> None:
        """Cast (or call, when deleting): clean the source ``host`` of a finished move."""
        client = self._client(cell)
        if cast:
            client.cast(ctx, "confirm_resize", server=host, version="6.1",
                        instance_uuid=instance_uuid, migration_uuid=migration_uuid)
        else:
            client.call(ctx, "confirm_resize", server=host, version="6.1",
                        timeout=self._long_timeout, instance_uuid=instance_uuid,
                        migration_uuid=migration_uuid)

    def revert_resize(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                      instance_uuid: str, migration_uuid: str) -> None:
        """Cast: clean the destination ``host``; it then hands the server back to the source."""
        self._client(cell).cast(ctx, "revert_resize", server=host, version="6.1",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid)

    def finish_revert_resize(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                             instance_uuid: str, migration_uuid: str) -> None:
        """Cast: restart the server on the source ``host`` with its old flavor."""
        self._client(cell).cast(ctx, "finish_revert_resize", server=host, version="6.1",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid)

    def cleanup_move(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                     instance_uuid: str) -> None:
        """Cast: remove what a failed move left on ``host`` of a server living elsewhere."""
        self._client(cell).cast(ctx, "cleanup_move", server=host, version="6.1",
                                instance_uuid=instance_uuid)

    def attach_volume(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                      instance_uuid: str, bdm_uuid: str) -> None:
        """Call: connect a reserved volume of the server to ``host``."""
        self._client(cell).call(ctx, "attach_volume", server=host, version=VOLUME_VERSION,
                                instance_uuid=instance_uuid, bdm_uuid=bdm_uuid)

    def detach_volume(self, ctx: RequestContext, cell: CellMapping, host: str, *,
                      instance_uuid: str, bdm_uuid: str) -> None:
        """Call: disconnect a volume from the server on ``host`` and forget its mapping."""
        self._client(cell).call(ctx, "detach_volume", server=host, version=VOLUME_VERSION,
                                instance_uuid=instance_uuid, bdm_uuid=bdm_uuid)

    # -- cross-cell moves: every method is a call from the superconductor ---------------

    def cross_cell_call(self, ctx: RequestContext, cell: CellMapping, host: str,
                        method: str, **kwargs: Any) -> Any:
        """Call: one host's part of a cross-cell move, bounded by ``long_rpc_timeout``.

        Raises:
            MigrationError: the host cannot take version 6.2 calls (pinned or too old).
        """
        client = self._client(cell)
        if not client.can_send_version(CROSS_CELL_VERSION):
            raise exception.MigrationError(reason="Compute too old")
        return client.call(ctx, method, server=host, version=CROSS_CELL_VERSION,
                           timeout=self._long_timeout, **kwargs)
