"""What every service of one process shares: config, engines, transports, HTTP clients.

The runtime is built once in each ``main()`` and passed to constructors; nothing reads
configuration globally.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from oslo_config import cfg
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.engine import EngineRegistry
from cirrus.identity import tokens
from cirrus.objects import cell_mapping
from cirrus.objects.cell_mapping import CellMapping
from cirrus.placement_client.client import PlacementClient
from cirrus.rpc.transport import TransportRegistry
from cirrus.wsgi.server import WSGIApp, inprocess_client

_CELL_CACHE_SECONDS = 30.0


class Runtime:
    """Shared resources of one service process.

    Args:
        conf: the parsed configuration.
        inprocess_app: the mounted WSGI apps when the global services run in this process;
            services without an ``endpoint_override`` are then reached through it.
    """

    def __init__(self, conf: cfg.ConfigOpts, inprocess_app: WSGIApp | None = None) -> None:
        self.conf = conf
        self.engines = EngineRegistry()
        self.transports = TransportRegistry(conf)
        self.inprocess_app = inprocess_app
        # Re-entrant: building a client asks for its HTTP client under the same lock.
        self._lock = threading.RLock()
        self._cells: list[CellMapping] = []
        self._cells_at = 0.0
        self._token: tuple[str, float] | None = None
        self._http: dict[str, httpx.Client] = {}
        self._placement: PlacementClient | None = None
        self._clients: dict[str, Any] = {}
        self._aggregates: tuple[float, list[Any]] | None = None

    # -- databases ---------------------------------------------------------------------

    @property
    def api_db_url(self) -> str:
        """The API database URL; raises when unset."""
        url = self.conf.api_database.connection
        if not url:
            raise exception.CirrusException("[api_database] connection is not set")
        return str(url)

    @contextmanager
    def api_session(self) -> Iterator[Session]:
        """A transaction on the API database."""
        with self.engines.session(self.api_db_url) as session:
            yield session

    @contextmanager
    def cell_session(self, cell: CellMapping) -> Iterator[Session]:
        """A transaction on ``cell``'s database."""
        with self.engines.session(cell.database_connection) as session:
            yield session

    @contextmanager
    def cell_reader(self, cell: CellMapping) -> Iterator[Session]:
        """A read-only transaction on ``cell``'s database."""
        with self.engines.reader(cell.database_connection) as session:
            yield session

    @contextmanager
    def api_reader(self) -> Iterator[Session]:
        """A read-only transaction on the API database."""
        with self.engines.reader(self.api_db_url) as session:
            yield session

    def cells(self, *, refresh: bool = False) -> list[CellMapping]:
        """All cells (cell0 first), cached briefly: they change only by operator action."""
        with self._lock:
            fresh = time.monotonic() - self._cells_at < _CELL_CACHE_SECONDS
            if self._cells and fresh and not refresh:
                return list(self._cells)
        with self.api_session() as s:
            cells = cell_mapping.get_all(s)
        with self._lock:
            self._cells, self._cells_at = cells, time.monotonic()
        return list(cells)

    def aggregates(self, *, refresh: bool = False) -> list[Any]:
        """Host aggregates (zones), cached briefly: they change only by operator action."""
        from cirrus.objects import host_mapping

        with self._lock:
            cached = self._aggregates
            if (not refresh and cached is not None
                    and time.monotonic() - cached[0] < _CELL_CACHE_SECONDS / 6):
                return list(cached[1])
        with self.api_reader() as s:
            aggs = host_mapping.aggregates(s)
        with self._lock:
            self._aggregates = (time.monotonic(), aggs)
        return list(aggs)

    def cell_by_id(self, cell_id: int) -> CellMapping:
        """The cell with database id ``cell_id``."""
        for cell in self.cells():
            if cell.id == cell_id:
                return cell
        for cell in self.cells(refresh=True):
            if cell.id == cell_id:
                return cell
        raise exception.CellMappingNotFound(uuid=str(cell_id))

    def cell0(self) -> CellMapping:
        """The cell of servers that were never scheduled."""
        for cell in self.cells():
            if cell.is_cell0:
                return cell
        raise exception.CellMappingNotFound(uuid=cell_mapping.CELL0_UUID)

    # -- identity and HTTP clients ----------------------------------------------------

    def service_token(self) -> str:
        """A token for calls between services, renewed well before it expires."""
        with self._lock:
            if self._token is None or self._token[1] < time.monotonic():
                key = self.conf.token.signing_key
                self._token = (tokens.service_token(key, 3600), time.monotonic() + 1800)
            return self._token[0]

    def http(self, service: str, prefix: str) -> httpx.Client:
        """The HTTP client for a global service (``glance``, ``neutron``, ``cinder``...)."""
        with self._lock:
            if service not in self._http:
                endpoint = getattr(self.conf, service).endpoint_override
                timeout = httpx.Timeout(float(self.conf.rpc_response_timeout))
                if endpoint:
                    self._http[service] = httpx.Client(base_url=endpoint, timeout=timeout)
                elif self.inprocess_app is not None:
                    self._http[service] = inprocess_client(
                        self.inprocess_app, f"http://cirrus.internal{prefix}", timeout=timeout)
                else:
                    raise exception.CirrusException(
                        f"[{service}] endpoint_override is required outside the all-in-one")
            return self._http[service]

    @property
    def placement(self) -> PlacementClient:
        """The Placement client."""
        if self._placement is None:
            self._placement = PlacementClient(
                self.http("placement", "/placement"), self.service_token,
                retries=self.conf.placement.conflict_retries)
        return self._placement

    @property
    def image(self) -> Any:
        """The image service client."""
        from cirrus.image.client import ImageClient

        return self._client("image", lambda: ImageClient(
            self.http("glance", "/image"), self.service_token,
            timeout=float(self.conf.long_rpc_timeout)))

    @property
    def network(self) -> Any:
        """The network service client."""
        from cirrus.network.client import NetworkClient

        return self._client("network", lambda: NetworkClient(
            self.http("neutron", "/network"), self.service_token))

    @property
    def volume(self) -> Any:
        """The volume service client."""
        from cirrus.volume.client import VolumeClient

        return self._client("volume", lambda: VolumeClient(
            self.http("cinder", "/volume"), self.service_token))

    def volume_for(self, project_id: str) -> Any:
        """A volume client whose URLs name ``project_id`` (volumes are created there)."""
        from cirrus.volume.client import VolumeClient

        return self._client(f"volume:{project_id}", lambda: VolumeClient(
            self.http("cinder", "/volume"), self.service_token, project_id=project_id))

    def _client(self, name: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._clients:
                self._clients[name] = build()
            return self._clients[name]

    def close(self) -> None:
        """Release connections and transports."""
        for client in self._http.values():
            client.close()
        self.transports.cleanup()
        self.engines.dispose()
