"""``cirrus-scheduler``: answers select_destinations on the top-level transport."""

import sys

from cirrus.cmd.common import parse, wait_for_signal
from cirrus.runtime import Runtime
from cirrus.scheduler.manager import SchedulerManager
from cirrus.service import Service


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM."""
    _, conf = parse("cirrus-scheduler", sys.argv[1:] if argv is None else argv)
    runtime = Runtime(conf)
    service = Service(runtime, "cirrus-scheduler", conf.host, "scheduler", conf.transport_url,
                      runtime.cell0(), [SchedulerManager(runtime)])
    service.start()
    try:
        wait_for_signal()
    finally:
        service.stop()
        runtime.close()
    return 0
