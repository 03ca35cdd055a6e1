"""A deployment whose hosts report guaranteed bandwidth, for the tests of QoS ports.

cell1-host1 has 10000 kbit/s each way on physnet ``public``; every other host has 2000.
The tests of this package share it, one package per xdist worker (``--dist loadfile``
keeps a file together; the deployment is per module so files never share one).
"""

import pytest

from cirrus.testing import fixtures

BANDWIDTH_CONF = """
[network_agent]
resource_provider_bandwidths = public:2000:2000,cell1-host1:public:10000:10000
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, request):
    state = tmp_path_factory.mktemp("qos")
    extra = state / "bandwidth.conf"
    extra.write_text(BANDWIDTH_CONF)
    driver = request.config.getoption("--compute-driver")
    with fixtures.deployment(state, driver=driver, config_files=(str(extra),)) as aio:
        yield aio


@pytest.fixture(scope="module")
def member(cloud):
    conn = fixtures.sdk(cloud, "cirrus")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def admin(cloud):
    conn = fixtures.sdk(cloud, "cirrus-admin")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def notifications(cloud):
    from cirrus.testing.notifications import NotificationCollector

    urls = [c.transport_url for c in cloud.runtime.cells() if not c.is_cell0]
    collector = NotificationCollector(cloud.runtime.transports,
                                      [cloud.conf.transport_url, *urls])
    yield collector
    collector.stop()
