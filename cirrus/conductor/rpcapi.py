"""The conductor's RPC client: the superconductor on the top-level transport.

Version history:
    1.0 - schedule_and_build_instances (super); build_instances (cell, reschedules).
    1.1 - migrate_server (super); reschedule_resize (cell).
    1.2 - confirm_snapshot_based_resize, revert_snapshot_based_resize (super, cross-cell).
"""

from typing import Any

from cirrus import exception
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
        self._long_timeout = int(conf.long_rpc_timeout)

    def schedule_and_build_instances(self, ctx: RequestContext, **kwargs: Any) -> None:
        """Cast: schedule servers held in build requests and start them in their cells."""
        self._client.cast(ctx, "schedule_and_build_instances", **kwargs)

    def migrate_server(self, ctx: RequestContext, *, instance_uuid: str, cell_uuid: str,
                       flavor: dict[str, Any], request_spec: dict[str, Any],
                       host: str | None = None) -> None:
        """Cast: resize or cold migrate a server (``flavor`` is the new or current one).

        ``request_spec`` carries the per-request restrictions (``ignore_hosts``,
        ``requested_destination``); ``host`` is the admin's target, never rescheduled.
        """
        self._client.cast(ctx, "migrate_server", version="1.1", instance_uuid=instance_uuid,
                          cell_uuid=cell_uuid, flavor=flavor, request_spec=request_spec,
                          host=host)

    def confirm_snapshot_based_resize(self, ctx: RequestContext, *, cast: bool = True,
                                      **kwargs: Any) -> None:
        """Cast (call when deleting): confirm a cross-cell resize.

        Raises:
            ServiceTooOld: the superconductor cannot take version 1.2 messages.
        """
        if not self._client.can_send_version("1.2"):
            raise exception.ServiceTooOld(thing="cirrus-conductor")
        if cast:
            self._client.cast(ctx, "confirm_snapshot_based_resize", version="1.2", **kwargs)
        else:
            self._client.call(ctx, "confirm_snapshot_based_resize", version="1.2",
                              timeout=self._long_timeout, **kwargs)

    def revert_snapshot_based_resize(self, ctx: RequestContext, **kwargs: Any) -> None:
        """Cast: revert a cross-cell resize.

        Raises:
            ServiceTooOld: the superconductor cannot take version 1.2 messages.
        """
        if not self._client.can_send_version("1.2"):
            raise exception.ServiceTooOld(thing="cirrus-conductor")
        self._client.cast(ctx, "revert_snapshot_based_resize", version="1.2", **kwargs)


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

    def reschedule_resize(self, ctx: RequestContext, cell: CellMapping, **kwargs: Any) -> None:
        """Cast: retry a failed resize claim on the next alternate host of the cell."""
        self._clients.get(cell).cast(ctx, "reschedule_resize", version="1.1", **kwargs)
