"""Serving a WSGI app from gunicorn worker processes, each building the app itself.

A worker builds its app after the fork (gunicorn's ``preload_app`` stays off): database
engines, RabbitMQ connections and Placement's engine are not safe to share across a
fork, so the master process only binds the socket and supervises.
"""

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from cirrus.wsgi.server import KEEPALIVE_SECONDS, WSGIApp

LOG = logging.getLogger(__name__)

# What a worker builds: its app, and what to call when the worker exits.
Build = Callable[[], tuple[WSGIApp, Callable[[], None]]]


@dataclasses.dataclass(frozen=True)
class Serving:
    """Where and how a forked server listens."""

    host: str
    port: int
    workers: int
    """Worker processes; each serves ``threads`` requests at once."""
    threads: int
    name: str
    """The process title gunicorn gives the master and its workers."""


class _Application(BaseApplication):  # type: ignore[misc]
    def __init__(self, build: Build, serving: Serving) -> None:
        self._build = build
        self._serving = serving
        self._close: Callable[[], None] | None = None
        super().__init__()

    def load_config(self) -> None:
        s = self._serving
        settings: dict[str, Any] = {
            "bind": [f"{s.host}:{s.port}"],
            "workers": s.workers,
            # Threads, not sync workers: a request can wait on another service (an
            # image upload streams to the store) without taking a whole process.
            "worker_class": "gthread",
            "threads": s.threads,
            # Idle keep-alive connections stay open as long as with the built-in server
            # (see cirrus.wsgi.server.KEEPALIVE_SECONDS).
            "keepalive": KEEPALIVE_SECONDS,
            "proc_name": s.name,
            # The control socket defaults to one path per user: two servers on a
            # machine would fight over it, and nothing here uses it.
            "control_socket_disable": True,
            "worker_exit": self._worker_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        app, self._close = self._build()
        return app

    def _worker_exit(self, server: Any, worker: Any) -> None:
        del server, worker
        if self._close is not None:
            try:
                self._close()
            except Exception:
                LOG.exception("Closing the app of a %s worker failed", self._serving.name)


def serve(build: Build, serving: Serving) -> None:
    """Run gunicorn's master loop until SIGTERM or SIGINT stops it (then it exits).

    Raises:
        SystemExit: always, when the master stops (gunicorn's own way to end).
    """
    _Application(build, serving).run()
