"""Fixtures for the identity service: a bootstrapped SQLite API database and the app."""

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cirrus.conf import build_config
from cirrus.db import migration
from cirrus.db.engine import EngineRegistry
from cirrus.identity import bootstrap, wsgi
from cirrus.wsgi.server import HTTPServer, Mounts, inprocess_client

ADMIN_PASSWORD = "admin-secret"
DEMO_PASSWORD = "demo-secret"
SIGNING_KEY = "k"


@dataclasses.dataclass
class IdentityDB:
    engines: EngineRegistry
    url: str
    boot: bootstrap.BootstrapResult
    demo_user_id: str
    demo_project_id: str


@pytest.fixture
def identity_db(tmp_path) -> Iterator[IdentityDB]:
    """API database with the bootstrap records plus user demo, a member of project demo."""
    url = f"sqlite:///{tmp_path}/api.db"
    engines = EngineRegistry()
    migration.upgrade("api", engines.engine(url))
    boot = bootstrap.bootstrap(engines, url, ADMIN_PASSWORD)
    user = bootstrap.create_user(engines, url, "demo", DEMO_PASSWORD)
    project = bootstrap.create_project(engines, url, "demo", description="Demo")
    bootstrap.grant_role(engines, url, "demo", "demo", "member")
    yield IdentityDB(engines, url, boot, user.id, project.id)
    engines.dispose()


def make_conf(public_endpoint: str = "http://127.0.0.1:8774") -> Any:
    # NOTE: every option the tests rely on is set explicitly: overrides made by
    # build_config currently leak between ConfigOpts instances of one process.
    return build_config(
        overrides={
            "token": {"signing_key": SIGNING_KEY, "expiration": 3600},
            "keystone": {"public_endpoint": public_endpoint, "region_name": "RegionOne"},
        }
    )


@pytest.fixture
def mounted_app(identity_db: IdentityDB) -> Mounts:
    """The identity app mounted at /identity, as in the all-in-one."""
    app = wsgi.loadapp(make_conf(), identity_db.engines, identity_db.url)
    return Mounts({"/identity": app})


@pytest.fixture
def client(mounted_app: Mounts) -> Iterator[httpx.Client]:
    """In-process client of ``mounted_app``."""
    with inprocess_client(mounted_app, "http://testserver") as c:
        yield c


class _LateApp:
    """Lets the server bind (and pick a port) before the app that needs the port exists."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def live_identity(identity_db: IdentityDB) -> Iterator[str]:
    """A real socket on loopback; yields the auth URL ``http://127.0.0.1:<port>/identity``."""
    late = _LateApp()
    server = HTTPServer(late, "127.0.0.1", 0, 4)
    base = f"http://127.0.0.1:{server.port}"
    app = wsgi.loadapp(make_conf(base), identity_db.engines, identity_db.url)
    late.app = Mounts({"/identity": app})
    server.start()
    try:
        yield f"{base}/identity"
    finally:
        server.stop()


def _password_body(
    name: str = "admin",
    password: str = ADMIN_PASSWORD,
    project: str | None = "admin",
) -> dict[str, Any]:
    """The token request OSC sends for password auth scoped by project name."""
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {"name": name, "domain": {"name": "Default"}, "password": password}
            },
        }
    }
    if project is not None:
        auth["scope"] = {"project": {"name": project, "domain": {"name": "Default"}}}
    return {"auth": auth}


@pytest.fixture
def password_body() -> Any:
    """Builds password token requests: ``password_body(name, password, project)``."""
    return _password_body


@pytest.fixture
def admin_token(client: httpx.Client) -> str:
    """A token of admin scoped to project admin."""
    resp = client.post("/identity/v3/auth/tokens", json=_password_body())
    assert resp.status_code == 201, resp.text
    return resp.headers["X-Subject-Token"]


@pytest.fixture
def demo_token(client: httpx.Client) -> str:
    """A token of demo (member) scoped to project demo."""
    body = _password_body("demo", DEMO_PASSWORD, "demo")
    resp = client.post("/identity/v3/auth/tokens", json=body)
    assert resp.status_code == 201, resp.text
    return resp.headers["X-Subject-Token"]
