"""An in-process compute API over SQLite: cell0 and two cells, services, nodes and zones.

Layout seeded by ``deployment``:

* cell0: the API-tier services (conductor and scheduler on host ``api-host``);
* cell1: computes ``host1`` (default zone) and ``host2`` (aggregate zone ``zone-b``),
  plus the cell conductor;
* cell2: compute ``host3``.
"""

import dataclasses
import uuid as uuidlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cirrus.api.common import APIState
from cirrus.api.deploy import deploy
from cirrus.conf import build_config
from cirrus.db import migration
from cirrus.identity import tokens
from cirrus.objects import cell_mapping, compute_node, host_mapping, instance_mapping
from cirrus.objects import instance as instance_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.runtime import Runtime
from cirrus.wsgi.server import Mounts

KEY = "k"
ADMIN = {"user_id": "admin-user", "project_id": "admin-proj", "roles": ["admin"]}
MEMBER = {"user_id": "u1", "project_id": "p1", "roles": ["member"]}
OTHER = {"user_id": "u2", "project_id": "p2", "roles": ["member"]}

_NODE = {"hypervisor_type": "fake", "hypervisor_version": 1000, "host_ip": "192.0.2.1",
         "vcpus": 8, "memory_mb": 16384, "local_gb": 200, "vcpus_used": 2,
         "memory_mb_used": 2560, "local_gb_used": 20, "running_vms": 1}


@dataclasses.dataclass
class Deployment:
    """The app, its state and shortcuts for calling it."""

    runtime: Runtime
    state: APIState
    client: httpx.Client
    cells: dict[str, CellMapping]

    def token(self, who: dict[str, Any]) -> str:
        token, _ = tokens.issue(KEY, user_id=who["user_id"], user_name=who["user_id"],
                                project_id=who["project_id"], project_name=who["project_id"],
                                roles=list(who["roles"]), lifetime=3600)
        return token

    def call(self, method: str, path: str, *, who: dict[str, Any] | None = None,
             version: str | None = None, json: Any = None,
             params: Any = None) -> httpx.Response:
        headers = {"X-Auth-Token": self.token(who or ADMIN)}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return self.client.request(method, f"/compute/v2.1{path}", headers=headers, json=json,
                                   params=params)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def add_server(self, cell: str, *, project: str = "p1", user: str = "u1",
                   host: str | None = "host1", deleted: bool = False) -> str:
        """A server row in ``cell`` with its mapping; returns its uuid."""
        uuid = str(uuidlib.uuid4())
        flavor = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1,
                            root_gb=1, ephemeral_gb=0, swap=0)
        target = self.cells[cell]
        with self.runtime.cell_session(target) as s:
            instance_obj.create(s, {
                "uuid": uuid, "project_id": project, "user_id": user, "display_name": "vm",
                "host": host, "node": host, "vm_state": "active", "power_state": 1,
                "vcpus": 1, "memory_mb": 512, "root_gb": 1}, flavor)
            if deleted:
                instance_obj.soft_delete(s, uuid)
        with self.runtime.api_session() as s:
            instance_mapping.create(s, uuid, project, user, cell_id=target.id)
            if deleted:
                instance_mapping.mark_deleted(s, uuid)
        return uuid


def _seed(runtime: Runtime, cells: dict[str, CellMapping]) -> None:
    with runtime.cell_session(cells["cell0"]) as s:
        service_obj.register(s, "api-host", "cirrus-conductor", "conductor")
        service_obj.register(s, "api-host", "cirrus-scheduler", "scheduler")
    for cell, host in (("cell1", "host1"), ("cell1", "host2"), ("cell2", "host3")):
        with runtime.cell_session(cells[cell]) as s:
            svc = service_obj.register(s, host, "cirrus-compute", "compute")
            compute_node.ensure(s, host, f"{host}.example", {**_NODE, "service_id": svc.id})
        with runtime.api_session() as s:
            host_mapping.ensure(s, host, cells[cell].id)
    with runtime.cell_session(cells["cell1"]) as s:
        service_obj.register(s, "cell1-conductor", "cirrus-conductor", "conductor")
    with runtime.api_session() as s:
        host_mapping.ensure_aggregate(s, "agg-b", {"availability_zone": "zone-b"}, ["host2"])


def build(tmp_path: Path, **api: Any) -> Deployment:
    """A deployment under ``tmp_path``; ``api`` overrides [api] options."""
    conf = build_config(overrides={
        "api_database": {"connection": f"sqlite:///{tmp_path}/api.db"},
        "token": {"signing_key": KEY},
        "DEFAULT": {"transport_url": "kombu+memory:///", "service_down_time": 60},
        "api": {"max_limit": 1000, **api},
    })
    runtime = Runtime(conf)
    migration.upgrade("api", runtime.engines.engine(runtime.api_db_url))
    cells = {}
    with runtime.api_session() as s:
        cells["cell0"] = cell_mapping.create(s, "cell0", "none:///",
                                             f"sqlite:///{tmp_path}/cell0.db",
                                             uuid=cell_mapping.CELL0_UUID)
        for name in ("cell1", "cell2"):
            cells[name] = cell_mapping.create(s, name, f"kombu+memory:///{name}",
                                              f"sqlite:///{tmp_path}/{name}.db")
    for cell in cells.values():
        migration.upgrade("cell", runtime.engines.engine(cell.database_connection))
    _seed(runtime, cells)
    app, state = deploy(runtime)
    client = httpx.Client(transport=httpx.WSGITransport(app=Mounts({"/compute": app})),
                          base_url="http://h")
    return Deployment(runtime, state, client, cells)


@pytest.fixture
def make_deployment(tmp_path: Path) -> Iterator[Callable[..., Deployment]]:
    """Build deployments with [api] overrides; each is closed afterwards."""
    built: list[Deployment] = []

    def _make(**api: Any) -> Deployment:
        dep = build(tmp_path / f"d{len(built)}", **api)
        built.append(dep)
        return dep

    for directory in range(4):
        (tmp_path / f"d{directory}").mkdir()
    yield _make
    for dep in built:
        dep.client.close()
        dep.state.pool.shutdown(wait=False)
        dep.runtime.close()


@pytest.fixture
def dep(make_deployment: Callable[..., Deployment]) -> Deployment:
    """The default deployment."""
    return make_deployment()
