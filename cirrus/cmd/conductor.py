"""``cirrus-conductor``: the superconductor, or with ``--cell`` the conductor of one cell.

The superconductor needs ``[api_database] connection`` and the top-level transport; a
cell conductor needs only its cell's ``[database] connection`` and ``transport_url``.
"""

import sys

from cirrus.cmd.common import parse, wait_for_signal
from cirrus.conductor.cell_manager import CellConductorManager
from cirrus.conductor.manager import BINARY, ComputeTaskManager
from cirrus.objects.cell_mapping import CellMapping
from cirrus.pause_points import PausePoints
from cirrus.runtime import Runtime
from cirrus.service import Service


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM."""
    args, conf = parse("cirrus-conductor", sys.argv[1:] if argv is None else argv,
                       [("--cell", {"help": "run as the conductor of this cell"})])
    runtime = Runtime(conf)
    if args.cell:
        cell = CellMapping(id=0, uuid="", name=args.cell, transport_url=conf.transport_url,
                           database_connection=conf.database.connection)
        service = Service(runtime, BINARY, conf.host, "conductor", conf.transport_url, cell,
                          [CellConductorManager(runtime, cell)])
    else:
        manager = ComputeTaskManager(runtime, conf.host)
        points = PausePoints.from_conf(conf)
        if points is not None:
            manager.cross_cell.before_step = points.reach
        service = Service(runtime, BINARY, conf.host, "conductor", conf.transport_url,
                          runtime.cell0(), [manager], periodic=manager.periodic_tasks())
    service.start()
    if not args.cell:
        manager.start_recovery()
    try:
        wait_for_signal()
    finally:
        service.stop()
        runtime.close()
    return 0
