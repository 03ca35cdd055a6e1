"""Per-process time accounting for bench/distributed.py, loaded by every service process.

bench/distributed.py puts this directory on PYTHONPATH and names a directory in
CIRRUS_BENCH_PROBE; Python then imports this module at start-up in each process it
spawns (gunicorn's workers inherit it through fork). Without the variable it does
nothing. The probe counts, per process and outside the services' background loops:

- SQL: cursor time and statements, apart for those run inside a Placement request;
- Placement: the time callers wait for Placement's HTTP requests (its SQL included);
- RPC: the time callers wait in call and cast, and the time the servers spend in the
  handlers of calls (so the bench can take the remote work out of the callers' wait).

Totals go to ``<dir>/<pid>.json`` every half second and at exit. Nothing under cirrus/
knows about it.
"""

import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

_DIR = os.environ.get("CIRRUS_BENCH_PROBE")
# Service._loop names its heartbeat and periodic threads "<binary>:<host>:<function>".
_BACKGROUND = re.compile(r"^cirrus-[\w-]+:[^:]+:\w+$")
_FIELDS = ("sql_s", "sql_n", "placement_sql_s", "placement_sql_n", "placement_s",
           "placement_n", "call_s", "call_n", "cast_s", "cast_n", "handler_s", "handler_n")


class _Probe:
    def __init__(self) -> None:
        self.totals = dict.fromkeys(_FIELDS, 0.0)
        self.lock = threading.Lock()
        self.local = threading.local()
        # Placement's own process: all its SQL is Placement's (its callers' wait has it).
        self.placement_process = Path(sys.argv[0] if sys.argv else "").name == (
            "cirrus-placement")

    def background(self) -> bool:
        return bool(_BACKGROUND.match(threading.current_thread().name))

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.totals[kind + "_s"] += seconds
            self.totals[kind + "_n"] += 1

    def timed(self, kind: str, fn: Any) -> Any:
        probe = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if probe.background():
                return fn(*args, **kwargs)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                probe.add(kind, time.perf_counter() - start)
        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        return wrapper

    def dump(self, directory: str) -> None:
        with self.lock:
            body = {"pid": os.getpid(), "argv": sys.argv, **self.totals}
        path = Path(directory) / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.replace(path)


PROBE = _Probe()


def _install_sql() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def before(conn: Any, cursor: Any, statement: Any, params: Any, context: Any,
               many: Any) -> None:
        PROBE.local.sql_start = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: Any, params: Any, context: Any,
              many: Any) -> None:
        start = getattr(PROBE.local, "sql_start", None)
        if start is None or PROBE.background():
            return
        inside = PROBE.placement_process or getattr(PROBE.local, "in_placement", 0) > 0
        PROBE.add("placement_sql" if inside else "sql", time.perf_counter() - start)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)


def _install_placement() -> None:
    from cirrus.placement_client import client

    real = client.PlacementClient.request

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        PROBE.local.in_placement = getattr(PROBE.local, "in_placement", 0) + 1
        try:
            return real(self, *args, **kwargs)
        finally:
            PROBE.local.in_placement -= 1

    client.PlacementClient.request = PROBE.timed("placement", request)


def _install_rpc() -> None:
    from oslo_messaging.rpc import client, dispatcher

    context = client._BaseCallContext
    context.call = PROBE.timed("call", context.call)
    context.cast = PROBE.timed("cast", context.cast)
    real = dispatcher.RPCDispatcher.dispatch

    def dispatch(self: Any, incoming: Any) -> Any:
        # Casts have no reply queue; only a call's handler is part of a caller's wait.
        if not getattr(incoming, "orig_msg_id", getattr(incoming, "msg_id", None)):
            return real(self, incoming)
        start = time.perf_counter()
        try:
            return real(self, incoming)
        finally:
            PROBE.add("handler", time.perf_counter() - start)

    dispatcher.RPCDispatcher.dispatch = dispatch


def _dumper(directory: str) -> None:
    def loop() -> None:
        while True:
            time.sleep(0.5)
            PROBE.dump(directory)

    threading.Thread(target=loop, name="bench-probe", daemon=True).start()


def install(directory: str | None) -> None:
    """Install the hooks; with a directory, write the totals there (and after forks)."""
    _install_sql()
    _install_placement()
    _install_rpc()
    if directory:
        import atexit

        _dumper(directory)
        atexit.register(PROBE.dump, directory)
        os.register_at_fork(after_in_child=lambda: _after_fork(directory))


def _after_fork(directory: str) -> None:
    # The parent's dumper may have held the lock at the fork; the child starts afresh.
    PROBE.lock = threading.Lock()
    _dumper(directory)


if _DIR and "cirrus" in Path(sys.argv[0] if sys.argv else "").name:
    install(_DIR)
