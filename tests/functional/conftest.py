"""One all-in-one per test process; tests create their own servers and clean up."""

import pytest

from cirrus.testing import fixtures


@pytest.fixture(scope="session")
def cloud(tmp_path_factory, request):
    driver = request.config.getoption("--compute-driver")
    with fixtures.deployment(tmp_path_factory.mktemp("aio"), driver=driver) as aio:
        yield aio


@pytest.fixture(scope="session")
def member(cloud):
    conn = fixtures.sdk(cloud, "cirrus")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def admin(cloud):
    conn = fixtures.sdk(cloud, "cirrus-admin")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def notifications(cloud):
    from cirrus.testing.notifications import NotificationCollector

    urls = [c.transport_url for c in cloud.runtime.cells() if not c.is_cell0]
    collector = NotificationCollector(cloud.runtime.transports,
                                      [cloud.conf.transport_url, *urls])
    yield collector
    collector.stop()
