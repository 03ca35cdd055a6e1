"""Start and stop every service of the all-in-one in this process."""

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

import yaml

from cirrus.allinone import bootstrap
from cirrus.allinone.config import Options, build
from cirrus.api import deploy as api_deploy
from cirrus.compute.drivers import load_driver
from cirrus.compute.manager import BINARY as COMPUTE_BINARY
from cirrus.compute.manager import ComputeManager
from cirrus.conductor.cell_manager import CellConductorManager
from cirrus.conductor.manager import BINARY as CONDUCTOR_BINARY
from cirrus.conductor.manager import ComputeTaskManager
from cirrus.identity import wsgi as identity_wsgi
from cirrus.image import wsgi as image_wsgi
from cirrus.manage import setup
from cirrus.network import wsgi as network_wsgi
from cirrus.placement_client import inprocess
from cirrus.runtime import Runtime
from cirrus.scheduler.manager import SchedulerManager
from cirrus.service import Service
from cirrus.volume import wsgi as volume_wsgi
from cirrus.wsgi.server import HTTPServer, Mounts

LOG = logging.getLogger(__name__)
CIRROS_BYTES = 1 << 20


class AllInOne:
    """A whole cloud in one process: API tier, two cells of fake hosts, global services.

    Args:
        options: what to run and where to keep state.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.conf = build(options)
        self.runtime: Runtime | None = None
        self.services: list[Service] = []
        self.computes: dict[str, ComputeManager] = {}
        self.superconductor: ComputeTaskManager | None = None
        self.http: HTTPServer | None = None
        self.port = options.port
        self._stopped = threading.Event()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.options.bind_host}:{self.port}"

    def _apps(self, runtime: Runtime) -> Mounts:
        conf = self.conf
        placement = inprocess.protected_app(conf.placement_database.connection,
                                            conf.token.signing_key)
        return Mounts({
            "/compute": api_deploy.loadapp(runtime),
            "/identity": identity_wsgi.loadapp(conf, runtime.engines, runtime.api_db_url),
            "/image": image_wsgi.loadapp(conf, runtime.engines),
            "/network": network_wsgi.loadapp(conf, runtime.engines),
            "/volume": volume_wsgi.loadapp(conf, runtime.engines),
            "/placement": placement,
        })

    def start(self) -> None:
        """Bootstrap what is missing, then start every service and the HTTP server."""
        mounts_holder: dict[str, Mounts] = {}

        def _dispatch(environ: dict[str, Any], start_response: Any) -> Any:
            return mounts_holder["app"](environ, start_response)

        # Bind first: with port 0 the real port must be known before the catalog is built.
        self.http = HTTPServer(_dispatch, self.options.bind_host, self.options.port,
                               self.conf.wsgi.threads)
        self.port = self.http.port
        self.conf = build(self.options, port=self.port)

        runtime = Runtime(self.conf, inprocess_app=_dispatch)
        self.runtime = runtime
        bootstrap.run(runtime, self.options)
        mounts_holder["app"] = self._apps(runtime)
        self._start_services(runtime)
        setup.discover_hosts(runtime.engines, runtime.api_db_url)
        self._seed_globals(runtime)
        self.http.start()
        assert self.superconductor is not None
        self.superconductor.start_recovery()
        self.write_clouds_yaml()
        LOG.info("All-in-one ready at %s", self.base_url)

    def _start_services(self, runtime: Runtime) -> None:
        conf = self.conf
        top = conf.transport_url
        cell0 = runtime.cell0()
        self._add(Service(runtime, "cirrus-scheduler", "aio", "scheduler", top, cell0,
                          [SchedulerManager(runtime)]))
        superconductor = self.superconductor = ComputeTaskManager(runtime, "aio")
        self._add(Service(runtime, CONDUCTOR_BINARY, "aio", "conductor", top, cell0,
                          [superconductor], periodic=superconductor.periodic_tasks()))
        cells = {c.name: c for c in runtime.cells() if not c.is_cell0}
        for cell_name, hosts in bootstrap.host_names(self.options).items():
            cell = cells[cell_name]
            self._add(Service(runtime, CONDUCTOR_BINARY, f"{cell_name}-conductor",
                              "conductor", cell.transport_url, cell,
                              [CellConductorManager(runtime, cell)]))
            for host in hosts:
                driver = load_driver(conf, runtime.image)
                manager = ComputeManager(runtime, cell, host, driver)
                manager.init_host()
                service = Service(runtime, COMPUTE_BINARY, host, "compute", cell.transport_url,
                                  cell, manager.endpoints(), periodic=[
                                      (float(conf.update_resources_interval),
                                       manager.periodic_update_resources)])
                manager.service_id = service.register()
                manager.periodic_update_resources()
                self._add(service)
                self.computes[host] = manager

    def _add(self, service: Service) -> None:
        service.start()
        self.services.append(service)

    def _seed_globals(self, runtime: Runtime) -> None:
        image = runtime.image
        if not image.list_images(name="cirros"):
            created = image.create_image(name="cirros", disk_format="raw",
                                         container_format="bare", visibility="public")
            image.upload_data(created.id, _cirros_bytes())
        network = runtime.network
        if not network.list_networks(name="private"):
            network.create_network(name="private", shared=True, project_id="admin")

    def write_clouds_yaml(self) -> Path:
        """Write clouds.yaml with clouds ``cirrus`` (demo member) and ``cirrus-admin``."""
        pw = bootstrap.passwords(self.options.state_dir)
        auth_url = f"{self.base_url}/identity"

        def _cloud(user: str, project: str) -> dict[str, Any]:
            return {"auth": {"auth_url": auth_url, "username": user, "password": pw[user],
                             "project_name": project, "user_domain_name": "Default",
                             "project_domain_name": "Default"},
                    "region_name": self.conf.keystone.region_name, "interface": "public",
                    "identity_api_version": 3}

        path = self.options.state_dir / "clouds.yaml"
        clouds = {"clouds": {"cirrus": _cloud("demo", bootstrap.DEMO_PROJECT),
                             "cirrus-admin": _cloud("admin", "admin")}}
        path.write_text(yaml.safe_dump(clouds, sort_keys=False))
        path.chmod(0o600)
        return path

    def stop(self) -> None:
        """Stop the HTTP server and every service."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.http is not None:
            self.http.stop()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                LOG.exception("Stopping %s failed", service.binary)
        if self.runtime is not None:
            self.runtime.close()


def _cirros_bytes() -> bytes:
    # A deterministic stand-in for the CirrOS image, so checksums are stable across runs.
    block = hashlib.sha256(b"cirros").digest() * 32
    return (block * (CIRROS_BYTES // len(block) + 1))[:CIRROS_BYTES]
