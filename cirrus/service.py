"""A running service: its RPC server, its heartbeat and its periodic tasks."""

import logging
import threading
from collections.abc import Callable, Sequence

from cirrus import pause_points
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.rpc import inproc
from cirrus.rpc import server as rpc_server
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)

Periodic = tuple[float, Callable[[], None]]


class Service:
    """One service binary on one host.

    Args:
        runtime: shared resources of the process.
        binary: ``cirrus-compute``, ``cirrus-conductor``, ``cirrus-scheduler``.
        host: the host name the service answers as.
        topic: its RPC topic.
        transport_url: where it listens.
        cell: the cell whose database holds its service record and heartbeat.
        endpoints: the RPC endpoint objects.
        periodic: (interval seconds, function) pairs run in the background.
    """

    def __init__(
        self,
        runtime: Runtime,
        binary: str,
        host: str,
        topic: str,
        transport_url: str,
        cell: CellMapping,
        endpoints: Sequence[object],
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.runtime = runtime
        self.binary = binary
        self.host = host
        self.cell = cell
        self.service_id: int | None = None
        self._rpc = rpc_server.get_server(runtime.transports, transport_url, topic, host,
                                          pause_points.wrap_endpoints(runtime.conf, endpoints))
        self._periodic = list(periodic)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._topic = topic

    def register(self) -> int:
        """Create or refresh the service record, once; returns its id.

        Called before ``start`` by a service that must be ready before its first RPC
        (a compute reports its node first: a call arriving earlier would find none).
        """
        if self.service_id is None:
            with self.runtime.cell_session(self.cell) as s:
                self.service_id = service_obj.register(s, self.host, self.binary,
                                                       self._topic).id
        return self.service_id

    def start(self) -> None:
        """Register (unless done), start listening and start the background loops."""
        self.register()
        self._rpc.start()
        loops: list[Periodic] = [(float(self.runtime.conf.report_interval), self._heartbeat)]
        for interval, fn in [*loops, *self._periodic]:
            thread = threading.Thread(target=self._loop, args=(interval, fn), daemon=True,
                                      name=f"{self.binary}:{self.host}:{fn.__name__}")
            thread.start()
            self._threads.append(thread)
        LOG.info("%s started on %s", self.binary, self.host)

    def _heartbeat(self) -> None:
        if self.service_id is not None:
            with self.runtime.cell_session(self.cell) as s:
                service_obj.heartbeat(s, self.service_id)

    def _loop(self, interval: float, fn: Callable[[], None]) -> None:
        while not self._stop.wait(interval):
            try:
                fn()
            except Exception:
                LOG.exception("Periodic task %s of %s failed", fn.__name__, self.binary)

    def stop(self) -> None:
        """Stop listening and end the loops."""
        self._stop.set()
        with inproc.hurry():
            self._rpc.stop()
            self._rpc.wait()
        for thread in self._threads:
            thread.join(timeout=5)
