"""A deployment whose hosts run the local disk driver (real disk files in a temp dir).

Every fixture that depends on the deployment is declared again here, so that none of
them is shared with the fake-driver deployment of the other functional tests.
"""

import pytest

from cirrus.testing import fixtures


@pytest.fixture(scope="session")
def cloud():
    # No state dir given: the deployment lives in a temporary directory removed at the
    # end, with every disk file in it.
    with fixtures.deployment(driver="local") as aio:
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
