"""The in-process transport delivers across cells apart and does not spin when idle."""

import resource
import time


def test_idle_deployment_uses_almost_no_cpu(cloud):
    time.sleep(0.5)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    time.sleep(3)
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # Every RPC and notification listener is waiting; polling threads would burn a core.
    assert used / (time.monotonic() - start) < 0.2
