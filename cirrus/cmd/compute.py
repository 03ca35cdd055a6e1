"""``cirrus-compute --host H``: the compute service of one host in its cell."""

import sys

from cirrus.cmd.common import parse, wait_for_signal
from cirrus.compute.drivers import load_driver
from cirrus.compute.manager import BINARY, ComputeManager
from cirrus.objects.cell_mapping import CellMapping
from cirrus.runtime import Runtime
from cirrus.service import Service


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM."""
    args, conf = parse("cirrus-compute", sys.argv[1:] if argv is None else argv,
                       [("--host", {"help": "host name (default: [DEFAULT] host)"})])
    host = args.host or conf.host
    runtime = Runtime(conf)
    cell = CellMapping(id=0, uuid="", name=None, transport_url=conf.transport_url,
                       database_connection=conf.database.connection)
    manager = ComputeManager(runtime, cell, host, load_driver(conf, runtime.image))
    manager.init_host()
    service = Service(runtime, BINARY, host, "compute", conf.transport_url, cell,
                      manager.endpoints(),
                      periodic=[(float(conf.update_resources_interval),
                                 manager.periodic_update_resources)])
    manager.service_id = service.register()
    # The node is reported before the host listens: a move's call right after a restart
    # must find it.
    manager.periodic_update_resources()
    service.start()
    try:
        wait_for_signal()
    finally:
        service.stop()
        runtime.close()
    return 0
