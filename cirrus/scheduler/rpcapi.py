"""The scheduler's RPC client, on the top-level transport.

Version history:
    4.5 - select_destinations with alternates and allocation requests.
"""

from typing import Any

from cirrus.context import RequestContext
from cirrus.objects.request_spec import RequestSpec
from cirrus.rpc.client import RPCClient
from cirrus.runtime import Runtime

TOPIC = "scheduler"
BASE_VERSION = "4.5"


class SchedulerAPI:
    """Scheduler RPC methods."""

    def __init__(self, runtime: Runtime) -> None:
        conf = runtime.conf
        self._client = RPCClient(runtime.transports, conf.transport_url, TOPIC, BASE_VERSION,
                                 conf.upgrade_levels.scheduler, conf.rpc_response_timeout)

    def select_destinations(
        self, ctx: RequestContext, spec: RequestSpec, instance_uuids: list[str],
        *, return_alternates: bool = True,
    ) -> list[list[dict[str, Any]]]:
        """Call: pick and claim a host (plus alternates) for each server.

        Raises:
            NoValidHost: no host passed the filters or could be claimed.
        """
        result: list[list[dict[str, Any]]] = self._client.call(
            ctx, "select_destinations", spec=spec.to_dict(), instance_uuids=instance_uuids,
            return_alternates=return_alternates)
        return result
