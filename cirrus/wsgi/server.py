"""Serving: mount WSGI apps under path prefixes, in-process or on a cheroot socket."""

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
from cheroot import wsgi as cheroot_wsgi

LOG = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Mounts:
    """A WSGI app that routes by path prefix (``/compute``, ``/placement``, ...)."""

    def __init__(self, apps: Mapping[str, WSGIApp]) -> None:
        self._apps = sorted(apps.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Dispatch to the app whose prefix matches, with SCRIPT_NAME set as WSGI expects."""
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in self._apps:
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"itemNotFound": {"code": 404, "message": "The resource could not be found."}}']


KEEPALIVE_SECONDS = 60


class HTTPServer:
    """A threaded cheroot server on one address; ``stop()`` must be called."""

    def __init__(self, app: WSGIApp, host: str, port: int, threads: int) -> None:
        # Idle keep-alive connections stay open a minute (cheroot closes them after 10 s):
        # a client reusing one just as the server closes it gets "Remote end closed
        # connection without response", which keystoneauth does not retry.
        self._server = cheroot_wsgi.Server((host, port), app, numthreads=threads,
                                           timeout=KEEPALIVE_SECONDS)
        self._server.prepare()
        self.port: int = self._server.bind_addr[1]
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and join the worker threads."""
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def inprocess_client(app: WSGIApp, base_url: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client that calls ``app`` directly: the same code path, no socket."""
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url, **kwargs)
