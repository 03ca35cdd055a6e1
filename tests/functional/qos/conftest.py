"""Guaranteed bandwidth on the shared deployment's hosts, for the tests of QoS ports.

cell1-host1 has 10000 kbit/s each way on physnet ``public``, cell2-host2 6000, the other
two hosts 2000.
The option is set and every host audited before a module's tests, and cleared (which
removes the bandwidth providers) after them: two all-in-ones in one process are not
isolated (see tests/functional/moves/test_reschedule.py), so these tests use the shared
one, and ``--dist loadfile`` keeps a module's tests together in one worker.
"""

import pytest

BANDWIDTHS = ["public:2000:2000", "cell1-host1:public:10000:10000",
              "cell2-host2:public:6000:6000"]
TOTALS = {"cell1-host1": 10000, "cell1-host2": 2000, "cell2-host1": 2000, "cell2-host2": 6000}


def audit(cloud):
    for compute in cloud.computes.values():
        compute.periodic_update_resources()


@pytest.fixture(autouse=True, scope="module")
def bandwidth(cloud):
    conf = cloud.runtime.conf
    conf.set_override("resource_provider_bandwidths", BANDWIDTHS, group="network_agent")
    audit(cloud)
    try:
        yield BANDWIDTHS
    finally:
        conf.clear_override("resource_provider_bandwidths", group="network_agent")
        audit(cloud)
