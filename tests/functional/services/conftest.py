"""Fixtures of the image, network and volume service tests: one SQLite services database
in the test's tmp_path, the three apps mounted as the all-in-one mounts them, tokens.
"""

from collections.abc import Callable, Iterator

import httpx
import pytest
from oslo_config import cfg

from cirrus.conf import build_config
from cirrus.db import migration
from cirrus.db.engine import EngineRegistry
from cirrus.identity import tokens
from cirrus.image import wsgi as image_wsgi
from cirrus.network import wsgi as network_wsgi
from cirrus.volume import wsgi as volume_wsgi
from cirrus.wsgi.server import Mounts, inprocess_client

SIGNING_KEY = "services-test-signing-key"
BASE_URL = "http://cirrus.test"

TokenFactory = Callable[..., str]


@pytest.fixture
def conf(tmp_path) -> cfg.ConfigOpts:
    return build_config(overrides={
        "DEFAULT": {"state_path": str(tmp_path)},
        "token": {"signing_key": SIGNING_KEY},
        "services_database": {"connection": f"sqlite:///{tmp_path / 'services.sqlite'}"},
    })


@pytest.fixture
def engines(conf) -> Iterator[EngineRegistry]:
    registry = EngineRegistry()
    migration.upgrade("services", registry.engine(conf.services_database.connection))
    yield registry
    registry.dispose()


@pytest.fixture
def mounts(conf, engines) -> Mounts:
    return Mounts({
        "/image": image_wsgi.loadapp(conf, engines),
        "/network": network_wsgi.loadapp(conf, engines),
        "/volume": volume_wsgi.loadapp(conf, engines),
    })


def _no_server_errors(response: httpx.Response) -> None:
    # I5: a client's mistake is never a 500; every test checks it on every response.
    assert response.status_code < 500, (response.request.method, response.request.url,
                                        response.read())


@pytest.fixture
def http(mounts) -> Iterator[httpx.Client]:
    client = inprocess_client(mounts, BASE_URL, event_hooks={"response": [_no_server_errors]})
    yield client
    client.close()


@pytest.fixture
def make_token() -> TokenFactory:
    def _make(project: str = "demo", roles: tuple[str, ...] = ("member",),
              user: str = "alice") -> str:
        token, _ = tokens.issue(
            SIGNING_KEY, user_id=f"{user}-id", user_name=user, project_id=project,
            project_name=project, roles=list(roles), lifetime=600,
        )
        return token
    return _make


@pytest.fixture
def user(make_token) -> dict[str, str]:
    """Headers of a member of project ``demo``."""
    return {"X-Auth-Token": make_token()}


@pytest.fixture
def other(make_token) -> dict[str, str]:
    """Headers of a member of project ``other``."""
    return {"X-Auth-Token": make_token(project="other", user="bob")}


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    """Headers of an admin of project ``admin``."""
    return {"X-Auth-Token": make_token(project="admin", roles=("admin",), user="root")}


@pytest.fixture
def service_token() -> Callable[[], str]:
    """The token provider the services hand their clients."""
    return lambda: tokens.service_token(SIGNING_KEY)
