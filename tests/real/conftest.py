"""Real-services tier: RabbitMQ and PostgreSQL/MariaDB on loopback, services as processes.

Nothing here skips: when a service cannot be reached the tests fail, so CI never counts a
missing broker or database as a pass.
"""

import socket

import pytest

from tests.real.deployment import BACKENDS, RealDeployment

pytestmark = pytest.mark.real


def _off_mariadb(item):
    params = getattr(item, "callspec", None)
    if params is None or params.params.get("real") != "mariadb":
        return False
    subset = item.get_closest_marker("mariadb_subset")
    return bool(item.get_closest_marker("postgresql_only")) or (
        subset is not None and params.params.get("step") not in subset.args[0])


def pytest_collection_modifyitems(config, items):
    """A test marked ``mariadb_subset(values)`` runs on MariaDB only for those values of its
    ``step`` parameter (all of them run on PostgreSQL), one marked ``postgresql_only``
    not at all: deselected, never skipped."""
    keep, drop = [], []
    for item in items:
        (drop if _off_mariadb(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _reachable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except OSError:
        return False


# One deployment per backend for the whole run (pytest groups the tests by backend): a
# deployment takes about a minute to build. Tests that kill a process start it again.
@pytest.fixture(scope="session", params=sorted(BACKENDS))
def real(request, tmp_path_factory):
    needed = {"RabbitMQ": 5672, "PostgreSQL" if request.param == "postgresql" else "MariaDB":
              5432 if request.param == "postgresql" else 3306}
    down = [name for name, port in needed.items() if not _reachable(port)]
    if down:
        pytest.fail(f"real services unreachable: {', '.join(down)} (run tools/ensure-services.sh)")
    dep = RealDeployment(request.param, tmp_path_factory.mktemp(f"real-{request.param}"))
    dep.create_infra()
    try:
        dep.write_config()
        dep.setup_databases()
        dep.start()
        yield dep
    except Exception:
        print(dep.logs())
        raise
    finally:
        dep.stop()
        dep.drop_infra()
