"""Cross-cell migrate → VERIFY_RESIZE → confirm throughput of the all-in-one (fake driver).

Two cells of ``--hosts-per-cell`` hosts; the policy ``compute:servers:resize:cross_cell``
is allowed by policy.yaml in the state dir before the all-in-one starts. Every move is
pushed into the other cell by naming its destination, ``{"migrate": {"host": ...}}`` at
microversion 2.56 as the admin: ``cellA-hostN`` goes to ``cellB-hostN`` and back on the
next cycle. A named host (rather than draining the source cell) keeps the 8 parallel
servers independent: disabling hosts would change where every other server may go.

1. baseline: the same cycle inside the server's cell (migrate to the cell's next host,
   same API call, same flavor, same Placement moves), sequential;
2. cross-cell, sequential, rotating over ``--servers`` servers, then ``--parallel`` at once;
3. one fresh server moved ``--history`` times, confirming each time: SQL statements of
   move 1 and of the last move, resize and confirm apart, by statement shape;
4. where a cycle's time goes: steps from the notifications, the superconductor's journaled
   steps, and the time spent in Placement, the databases and RPC, measured in-process.

    python bench/cross_cell.py [--cycles 8] [--parallel 8] [--history 40] [--keep-going]

Only this script is instrumented (monkeypatched at start); nothing under cirrus/ changes.
"""

import argparse
import dataclasses
import logging
import math
import re
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import DefaultDialect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from oslo_messaging.rpc.dispatcher import RPCDispatcher

from boot import _token  # bench/boot.py: unlimited quota for the demo project, image id
from resize import Events, _pct  # bench/resize.py: notification waiter, percentiles

from cirrus import log
from cirrus.conductor.cross_cell import CrossCellMover
from cirrus.conductor.tasks import cross_cell as cc_tasks
from cirrus.db import engine as db_engine
from cirrus.notifications.notifier import Notifier
from cirrus.placement_client.client import PlacementClient
from cirrus.rpc.client import RPCClient
from cirrus.testing import fixtures

TARGET_RATE = 11.0  # cross-cell cycles/s sequential
TARGET_SQL = 150  # SQL statements per cross-cell resize, flat with history
NOVA_SQL = (454, 1666)  # Nova: statements of a cross-cell resize, first move / after 40
FLAT = 0.02  # "flat": the last move costs at most 2 % more statements than the first
TIMEOUT = 120.0
POLICY = '"compute:servers:resize:cross_cell": "@"\n'
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
# Nothing but the bench's own requests should be counted: Service._loop names its
# heartbeat and periodic threads "<binary>:<host>:<function>".
BACKGROUND = re.compile(r"^cirrus-[\w-]+:[^:]+:\w+$")

# Points of one cross-cell cycle, in order: (name, where its time comes from, key).
# "client": this script's clock; "handled": the end of the RPC handler named by the Kind;
# "notification": the send time stamped on the notification; "step": the start of a
# journaled step of the superconductor (it splits scheduling from the first step, and the
# mapping switch from the destination's work).
MARKS = (
    ("migrate POST sent", "client", ""),
    ("migrate 202 received", "client", ""),
    ("TargetDBSetup begins (scheduled)", "step", "TargetDBSetup"),
    ("resize_prep.start", "notification", "instance.resize_prep.start"),
    ("resize_prep.end", "notification", "instance.resize_prep.end"),
    ("resize.start", "notification", "instance.resize.start"),
    ("resize.end", "notification", "instance.resize.end"),
    ("resize_finish.start", "notification", "instance.resize_finish.start"),
    ("resize_finish.end", "notification", "instance.resize_finish.end"),
    ("SwitchMapping begins", "step", "SwitchMapping"),
    ("superconductor done: VERIFY_RESIZE", "handled", "resize"),
    ("confirmResize POST sent", "client", ""),
    ("confirmResize 204 received", "client", ""),
    ("resize_confirm.start", "notification", "instance.resize_confirm.start"),
    ("DeleteSourceCopy begins", "step", "DeleteSourceCopy"),
    ("resize_confirm.end", "notification", "instance.resize_confirm.end"),
    ("superconductor done: ACTIVE", "handled", "confirm"),
)


# -- in-process accounting -----------------------------------------------------------------

@dataclasses.dataclass
class Totals:
    """Process-wide counters (background loops left out), summed over threads.

    The time categories do not overlap: Placement includes its own SQL; ``sql_s`` and
    ``commit_s`` are the other SQL; ``rpc_call_s`` includes the remote handler of the call,
    so ``handler_s`` (the handlers of calls) is subtracted from it; ``service_s`` is the
    in-process image and network requests without their SQL.
    """

    statements: int = 0  # cursor executions, every database, Placement's included
    placement_statements: int = 0
    sql_s: float = 0.0  # cursor time outside Placement requests
    begin_s: float = 0.0  # of which BEGIN (IMMEDIATE: waiting for SQLite's write lock)
    execute_s: float = 0.0  # Connection.execute (compile, cursor, result) outside Placement
    execute_cursor_s: float = 0.0  # the cursor time inside those executes
    commits: int = 0  # every database
    rollbacks: int = 0  # every database; most are the pool's reset of a returned connection
    commit_s: float = 0.0  # commits and rollbacks outside Placement
    placement_requests: int = 0
    placement_s: float = 0.0
    placement_sql_s: float = 0.0
    service_requests: int = 0
    service_s: float = 0.0
    rpc_calls: int = 0
    rpc_casts: int = 0
    rpc_call_s: float = 0.0
    rpc_cast_s: float = 0.0
    handler_s: float = 0.0
    notifications: int = 0
    notify_s: float = 0.0

    def minus(self, other: "Totals") -> "Totals":
        """What happened between ``other`` and this snapshot."""
        return Totals(**{f.name: getattr(self, f.name) - getattr(other, f.name)
                         for f in dataclasses.fields(self)})

    def scaled(self, factor: float) -> "Totals":
        """Every counter times ``factor`` (a per-cycle average)."""
        return Totals(**{f.name: getattr(self, f.name) * factor
                         for f in dataclasses.fields(self)})


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Totals at one moment, with the shape counters when asked for."""

    totals: Totals
    shapes: Counter[tuple[str, str]] | None = None  # (database, SQL[:80]) -> statements
    requests: Counter[str] | None = None  # "METHOD /path" (uuids elided) -> requests
    rpcs: Counter[str] | None = None  # "call method" / "cast method" -> messages
    callers: Counter[str] | None = None  # cirrus function issuing statements -> statements

    def minus(self, other: "Snapshot") -> "Snapshot":
        """What happened between ``other`` and this snapshot."""
        def _diff(a: Counter[Any] | None, b: Counter[Any] | None) -> Counter[Any] | None:
            return None if a is None or b is None else a - b
        return Snapshot(self.totals.minus(other.totals), _diff(self.shapes, other.shapes),
                        _diff(self.requests, other.requests), _diff(self.rpcs, other.rpcs),
                        _diff(self.callers, other.callers))


@dataclasses.dataclass(frozen=True)
class StepRun:
    """One journaled step of the superconductor's chain."""

    server: str
    name: str
    start: float
    end: float
    statements: int


class Probe:
    """Wall time and counts per category, from hooks on the process's shared code paths."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.t = Totals()
        self.shapes: Counter[tuple[str, str]] = Counter()
        self.requests: Counter[str] = Counter()
        self.rpcs: Counter[str] = Counter()
        self.callers: Counter[str] = Counter()
        # Walking the stack costs ~10 us a statement, so it is on for the history only.
        self.where = False
        self.steps: list[StepRun] = []
        self._handled: dict[tuple[str, str], list[float]] = {}
        self._operations: dict[int, str] = {}  # journal entry id -> operation
        self._closed: list[tuple[str, str, str, float]] = []  # server, operation, state, when
        self.errors: Counter[str] = Counter()  # what the superconductor logged as failed
        self._cond = threading.Condition()
        self._dbs: dict[int, str] = {}

    def local(self) -> Any:
        """This thread's state: Placement depth, execute depth, its own SQL time."""
        loc = self._local
        if not hasattr(loc, "background"):
            loc.background = bool(BACKGROUND.match(threading.current_thread().name))
            loc.placement = loc.depth = 0
            loc.sql_s = loc.t0 = loc.x0 = 0.0
        return loc

    def snapshot(self, shapes: bool = False) -> Snapshot:
        """A copy of the counters (the shape counters too when ``shapes``)."""
        with self._lock:
            if not shapes:
                return Snapshot(dataclasses.replace(self.t))
            return Snapshot(dataclasses.replace(self.t), Counter(self.shapes),
                            Counter(self.requests), Counter(self.rpcs),
                            Counter(self.callers))

    def add(self, **amounts: float) -> None:
        """Add to counters of Totals."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self.t, name, getattr(self.t, name) + amount)

    def db_name(self, engine: Engine) -> str:
        """The database file's stem (api, cell1, placement...), cached per engine."""
        name = self._dbs.get(id(engine))
        if name is None:
            name = self._dbs[id(engine)] = Path(engine.url.database or "memory").stem
        return name

    def statement(self, engine: Engine, sql: str, elapsed: float) -> None:
        """One cursor execution finished."""
        loc = self.local()
        if loc.background:
            return
        shape = (self.db_name(engine), " ".join(sql.split())[:80])
        caller = _caller() if self.where else None
        with self._lock:
            self.t.statements += 1
            self.shapes[shape] += 1
            if caller is not None:
                self.callers[caller] += 1
            if loc.placement:
                self.t.placement_statements += 1
                self.t.placement_sql_s += elapsed
            else:
                self.t.sql_s += elapsed
                if shape[1].startswith("BEGIN"):
                    self.t.begin_s += elapsed
                # exec_driver_sql (the BEGIN of every transaction) fires no execute event.
                if loc.depth:
                    self.t.execute_cursor_s += elapsed
        if not loc.placement:
            loc.sql_s += elapsed

    def opened(self, journal_id: int, operation: str) -> None:
        """A journal entry was opened for ``operation``."""
        with self._lock:
            self._operations[journal_id] = operation

    def closed(self, server: str, journal_id: int, state: str) -> None:
        """A journal entry was closed in ``state``."""
        with self._lock:
            operation = self._operations.get(journal_id, "?")
            self._closed.append((server, operation, state, time.time()))

    def finished(self, server: str, operation: str, since: float) -> bool:
        """Whether an ``operation`` of ``server`` closed ``done`` after ``since``."""
        with self._lock:
            return any(c[:3] == (server, operation, "done") and c[3] >= since
                       for c in self._closed)

    def handled(self, method: str, server: str | None) -> None:
        """An RPC handler returned (or raised): wake whoever waits for it."""
        if server is None:
            return
        with self._cond:
            self._handled.setdefault((method, server), []).append(time.time())
            self._cond.notify_all()

    def wait_handled(self, method: str, server: str, since: float) -> float:
        """When the first ``method`` handler for ``server`` after ``since`` returned."""
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while True:
                for ended in self._handled.get((method, server), ()):
                    if ended >= since:
                        return ended
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{method} for {server} did not end in {TIMEOUT}s")
                self._cond.wait(left)


PROBE = Probe()
CIRRUS = str(Path(__file__).resolve().parents[1] / "cirrus") + "/"
# Plumbing between a statement and the code that wants it: sessions, the in-process HTTP
# hop to Placement, the Placement client's generic request method.
PLUMBING = ("db/engine.py", "runtime.py", "wsgi/server.py", "allinone/runner.py",
            "placement_client/inprocess.py")


def _caller() -> str:
    """``innermost cirrus function ← its nearest caller in another cirrus file``."""
    frame: FrameType | None = sys._getframe(3)
    inner = inner_file = None
    while frame is not None:
        code = frame.f_code
        path = code.co_filename
        if (path.startswith(CIRRUS) and not path.endswith(PLUMBING)
                and code.co_qualname != "PlacementClient.request"):
            here = f"{path[len(CIRRUS):]}:{code.co_qualname}"
            if inner is None:
                inner, inner_file = here, path
            elif path != inner_file:
                return f"{inner} ← {here}"
        frame = frame.f_back
    return inner or "(no cirrus frame)"


def _install_sql() -> None:
    """Cursor executions and commits of every engine, Placement's (oslo.db) included."""
    def before_cursor(conn: Any, *_: Any) -> None:
        PROBE.local().t0 = time.perf_counter()

    def after_cursor(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        PROBE.statement(conn.engine, statement, time.perf_counter() - PROBE.local().t0)

    def before_execute(conn: Any, *_: Any) -> None:
        loc = PROBE.local()
        # An execute may run another (autobegin sends BEGIN): count the outer one only.
        if loc.depth == 0:
            loc.x0 = time.perf_counter()
        loc.depth += 1

    def after_execute(conn: Any, *_: Any) -> None:
        loc = PROBE.local()
        loc.depth = max(0, loc.depth - 1)
        if loc.depth == 0 and not loc.placement and not loc.background:
            PROBE.add(execute_s=time.perf_counter() - loc.x0)

    def on_error(_ctx: Any) -> None:
        PROBE.local().depth = 0  # after_execute will not come

    # On the Engine class, so every engine of the process is seen, old and new.
    for name, fn in (("before_cursor_execute", before_cursor),
                     ("after_cursor_execute", after_cursor),
                     ("before_execute", before_execute), ("after_execute", after_execute),
                     ("handle_error", on_error)):
        event.listen(Engine, name, fn)
    _wrap_commit("do_commit", "commits")
    _wrap_commit("do_rollback", "rollbacks")
    _count_driver_begins()


def _count_driver_begins() -> None:
    """Cirrus's SQLite engines send their BEGIN straight to the driver, where no cursor
    event sees it: it is a statement all the same, counted as one."""
    tune = db_engine._tune_sqlite

    def tuned(engine: Engine, **kwargs: Any) -> None:
        tune(engine, **kwargs)
        begin = engine.dialect.do_begin

        def counted(dbapi_connection: Any) -> None:
            start = time.perf_counter()
            try:
                begin(dbapi_connection)
            finally:
                PROBE.statement(engine, "BEGIN", time.perf_counter() - start)

        engine.dialect.do_begin = counted  # type: ignore[method-assign]

    db_engine._tune_sqlite = tuned


def _wrap_commit(method: str, counter: str) -> None:
    original = getattr(DefaultDialect, method)

    def wrapper(self: Any, dbapi_connection: Any) -> None:
        start = time.perf_counter()
        try:
            original(self, dbapi_connection)
        finally:
            loc = PROBE.local()
            if not loc.background:
                elapsed = time.perf_counter() - start
                PROBE.add(**{counter: 1}, **({} if loc.placement else {"commit_s": elapsed}))
                if not loc.placement:
                    loc.sql_s += elapsed

    setattr(DefaultDialect, method, wrapper)


def _install_http() -> None:
    """Placement requests (with their SQL), and the other in-process services' requests."""
    placement_request = PlacementClient.request

    def request(self: PlacementClient, method: str, path: str, *args: Any,
                **kwargs: Any) -> httpx.Response:
        loc = PROBE.local()
        loc.placement += 1
        start = time.perf_counter()
        try:
            return placement_request(self, method, path, *args, **kwargs)
        finally:
            loc.placement -= 1
            if not loc.background and loc.placement == 0:
                PROBE.add(placement_requests=1, placement_s=time.perf_counter() - start)
                with PROBE._lock:
                    PROBE.requests[f"{method} {UUID.sub('{uuid}', path)}"] += 1

    send = httpx.Client.send

    def send_wrapper(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> Any:
        loc = PROBE.local()
        # The image and network services run in this process behind this host name;
        # Placement's requests are timed above, the bench's own API requests not at all.
        if request.url.host != "cirrus.internal" or loc.placement or loc.background:
            return send(self, request, **kwargs)
        start, sql0 = time.perf_counter(), loc.sql_s
        try:
            return send(self, request, **kwargs)
        finally:
            own = time.perf_counter() - start - (loc.sql_s - sql0)
            PROBE.add(service_requests=1, service_s=own)

    PlacementClient.request = request  # type: ignore[method-assign]
    httpx.Client.send = send_wrapper  # type: ignore[method-assign]


def _install_rpc() -> None:
    """Client calls and casts, handlers of calls (to subtract), notifications, steps."""
    def client(kind: str) -> None:
        original = getattr(RPCClient, kind)

        def wrapper(self: RPCClient, ctx: Any, method: str, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(self, ctx, method, **kwargs)
            finally:
                if not PROBE.local().background:
                    PROBE.add(**{f"rpc_{kind}s": 1,
                                 f"rpc_{kind}_s": time.perf_counter() - start})
                    with PROBE._lock:
                        PROBE.rpcs[f"{kind} {method}"] += 1

        setattr(RPCClient, kind, wrapper)

    client("call")
    client("cast")
    dispatch = RPCDispatcher.dispatch

    def dispatch_wrapper(self: RPCDispatcher, incoming: Any) -> Any:
        start = time.perf_counter()
        try:
            return dispatch(self, incoming)
        finally:
            # A call (a cast has no reply id): its caller's wait already covers this time.
            if getattr(incoming, "orig_msg_id", None):
                PROBE.add(handler_s=time.perf_counter() - start)
            message = incoming.message
            PROBE.handled(message.get("method", ""),
                          (message.get("args") or {}).get("instance_uuid"))

    RPCDispatcher.dispatch = dispatch_wrapper
    _install_notify_and_steps()


def _install_notify_and_steps() -> None:
    emit = Notifier.emit

    def emit_wrapper(self: Notifier, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        try:
            emit(self, *args, **kwargs)
        finally:
            if not PROBE.local().background:
                PROBE.add(notifications=1, notify_s=time.perf_counter() - start)

    execute = cc_tasks.Journaled.execute

    def step_wrapper(self: cc_tasks.Journaled) -> Any:
        start, statements = time.time(), PROBE.t.statements
        try:
            return execute(self)
        finally:
            run = StepRun(self._move.instance_uuid, self.name, start, time.time(),
                          PROBE.t.statements - statements)
            with PROBE._lock:
                PROBE.steps.append(run)

    Notifier.emit = emit_wrapper  # type: ignore[method-assign]
    cc_tasks.Journaled.execute = step_wrapper  # type: ignore[method-assign]
    _install_journal()


def _install_journal() -> None:
    """Which operation a journal entry is, and how it ended: did the move succeed?"""
    open_ = CrossCellMover.open
    close = CrossCellMover.close

    def open_wrapper(self: CrossCellMover, ctxt: Any, operation: Any, *args: Any,
                     **kwargs: Any) -> Any:
        move = open_(self, ctxt, operation, *args, **kwargs)
        PROBE.opened(move.journal_id, str(operation))
        return move

    def close_wrapper(self: CrossCellMover, move: Any, state: Any) -> None:
        try:
            close(self, move, state)
        finally:
            PROBE.closed(move.instance_uuid, move.journal_id, str(state))

    CrossCellMover.open = open_wrapper  # type: ignore[method-assign]
    CrossCellMover.close = close_wrapper  # type: ignore[method-assign]


class _Failures(logging.Handler):
    """Counts what went wrong, by message, instead of printing tracebacks amid the tables."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().split("\n", 1)[0]
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f": {type(error).__name__}: {str(error).splitlines()[0][:80]}"
        with PROBE._lock:
            PROBE.errors[UUID.sub("{uuid}", text)[:150]] += 1


def capture_failures() -> None:
    """Warnings and errors of the services (a failed step, an RPC handler's exception, a
    heartbeat that could not be written) go to PROBE.errors, reported after the tables."""
    handler = _Failures(logging.WARNING)
    for name in ("cirrus", "oslo_messaging"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        logger.addHandler(handler)


class MoveFailedError(Exception):
    """A cross-cell resize or confirm did not end ``done`` in the journal."""


def install() -> None:
    """Every hook; before the all-in-one starts, so that no engine or client escapes."""
    _install_sql()
    _install_http()
    _install_rpc()


# -- the REST client and the servers -------------------------------------------------------

class Api:
    """Compute API requests with one token on one httpx client (one per thread)."""

    def __init__(self, aio: Any, token: str) -> None:
        self._http = httpx.Client(base_url=f"{aio.base_url}/compute/v2.1", timeout=TIMEOUT,
                                  headers={"X-Auth-Token": token})

    def action(self, server: str, body: dict[str, Any], version: str, expect: int) -> None:
        """POST /servers/{id}/action; raises unless the status is ``expect``."""
        resp = self._http.post(f"/servers/{server}/action", json=body,
                               headers={"OpenStack-API-Version": f"compute {version}"})
        if resp.status_code != expect:
            raise RuntimeError(f"{body} on {server}: {resp.status_code} {resp.text[:300]}")

    def show(self, server: str) -> dict[str, Any]:
        """GET /servers/{id} (2.90)."""
        resp = self._http.get(f"/servers/{server}",
                              headers={"OpenStack-API-Version": "compute 2.90"})
        resp.raise_for_status()
        return dict(resp.json()["server"])

    def boot(self, name: str, image: str) -> str:
        """POST /servers, m1.tiny, no network, no zone (so any cell)."""
        resp = self._http.post("/servers", json={"server": {
            "name": name, "flavorRef": "1", "imageRef": image, "networks": "none"}},
            headers={"OpenStack-API-Version": "compute 2.90"})
        resp.raise_for_status()
        return str(resp.json()["server"]["id"])

    def host_when_active(self, server: str) -> str:
        """Wait (setup only, polling) until ACTIVE; the server's host."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            body = self.show(server)
            if body["status"] == "ACTIVE" and not body.get("OS-EXT-STS:task_state"):
                return str(body["OS-EXT-SRV-ATTR:host"])
            if body["status"] == "ERROR":
                raise RuntimeError(f"server {server} went to ERROR")
            time.sleep(0.05)
        raise RuntimeError(f"server {server} not ACTIVE in {TIMEOUT}s")


def across(host: str) -> str:
    """The host with the same number in the other cell."""
    cell, number = host.split("-host")
    return f"{'cell2' if cell == 'cell1' else 'cell1'}-host{number}"


def beside(host: str, per_cell: int) -> str:
    """The next host of the same cell."""
    cell, number = host.split("-host")
    return f"{cell}-host{int(number) % per_cell + 1}"


@dataclasses.dataclass(frozen=True)
class Kind:
    """A move: where it goes and which RPC handler's end means each half is done."""

    name: str
    dest: Callable[[str], str]
    resize_done: str
    confirm_done: str
    cross: bool  # journaled by the superconductor, with the notification marks


@dataclasses.dataclass
class Cycle:
    """One migrate+confirm: its marks (epoch seconds) and what each half cost."""

    marks: dict[str, float]
    resize: Snapshot
    confirm: Snapshot
    steps: list[StepRun]
    source: str  # hosts
    dest: str

    @property
    def latency(self) -> float:
        """migrate POST sent → superconductor (or compute) done with the confirm."""
        return self.marks[MARKS[-1][0]] - self.marks[MARKS[0][0]]


def _marks(server: str, events: Events, steps: list[StepRun], own: dict[str, float],
           every: bool) -> dict[str, float]:
    """Every mark of the cycle (``every``), or only those taken by this script."""
    marks = {}
    for name, source, key in MARKS:
        if source in ("client", "handled"):
            marks[name] = own[name]
        elif every and source == "step":
            marks[name] = next(s.start for s in steps if s.name == key)
        elif every:
            marks[name] = events.wait(server, key, own[MARKS[0][0]], TIMEOUT)[0]
    return marks


def run_cycle(api: Api, events: Events, kind: Kind, server: str, source: str,
              shapes: bool = False) -> Cycle:
    """Migrate ``server`` from ``source``, wait for VERIFY_RESIZE, confirm, wait ACTIVE.

    The waits are on the end of the RPC handler that finishes each half (for a
    cross-cell move, the superconductor's), seen in-process: polling the API would add
    requests, and SQL statements, to what is measured.
    """
    before = PROBE.snapshot(shapes)
    t0 = time.time()
    api.action(server, {"migrate": {"host": kind.dest(source)}}, "2.56", 202)
    t1 = time.time()
    done = PROBE.wait_handled(kind.resize_done, server, t0)
    if kind.cross and not PROBE.finished(server, "resize", t0):
        raise MoveFailedError(f"resize {source} → {kind.dest(source)}")
    middle = PROBE.snapshot(shapes)
    c0 = time.time()
    api.action(server, {"confirmResize": None}, "2.90", 204)
    c1 = time.time()
    confirmed = PROBE.wait_handled(kind.confirm_done, server, c0)
    if kind.cross and not PROBE.finished(server, "confirm", c0):
        raise MoveFailedError(f"confirm on {kind.dest(source)}")
    after = PROBE.snapshot(shapes)
    with PROBE._lock:
        steps = [s for s in PROBE.steps if s.server == server and t0 <= s.start <= confirmed]
    own = dict(zip([name for name, origin, _ in MARKS if origin in ("client", "handled")],
                   (t0, t1, done, c0, c1, confirmed), strict=True))
    marks = _marks(server, events, steps, own, kind.cross)
    return Cycle(marks, middle.minus(before), after.minus(middle), steps, source,
                 kind.dest(source))


class Fleet:
    """Benchmark servers and the host each is on now."""

    def __init__(self, member: Api, admin: Api, image: str, count: int, prefix: str) -> None:
        ids = [member.boot(f"{prefix}-{i}", image) for i in range(count)]
        # Only the admin sees the host attribute.
        self.hosts = {server: admin.host_when_active(server) for server in ids}
        self.ids = ids
        self.failures: list[str] = []
        self.lost: set[str] = set()

    def move(self, api: Api, events: Events, kind: Kind, server: str,
             shapes: bool = False) -> Cycle | None:
        """One cycle of ``kind``; the server's host follows. None: the move failed."""
        source = self.hosts[server]
        try:
            cycle = run_cycle(api, events, kind, server, source, shapes)
        except MoveFailedError as exc:
            # Counted and reported rather than fatal: a failure is a finding of the run.
            self.failures.append(str(exc))
            self._recover(api, kind, server)
            return None
        self.hosts[server] = kind.dest(source)
        return cycle

    def _recover(self, api: Api, kind: Kind, server: str) -> None:
        """Where the server is after a failed half; servers that cannot go on are lost."""
        body = api.show(server)
        if body["status"] == "VERIFY_RESIZE":  # the confirm failed: once more
            since = time.time()
            try:
                api.action(server, {"confirmResize": None}, "2.90", 204)
                PROBE.wait_handled(kind.confirm_done, server, since)
            except RuntimeError as exc:
                self.failures.append(f"{server} left {body['status']}: {exc}"[:200])
            body = api.show(server)
        if body["status"] == "ACTIVE" and not body.get("OS-EXT-STS:task_state"):
            self.hosts[server] = str(body["OS-EXT-SRV-ATTR:host"])
        else:
            self.lost.add(server)
            del self.hosts[server]

    def check(self, api: Api) -> None:
        """Every server is ACTIVE where the bench believes it is (outside the timing)."""
        for server, host in self.hosts.items():
            body = api.show(server)
            if (body["status"], body["OS-EXT-SRV-ATTR:host"]) != ("ACTIVE", host):
                raise RuntimeError(f"{server}: {body['status']} on "
                                   f"{body['OS-EXT-SRV-ATTR:host']}, expected {host}")


@dataclasses.dataclass
class Run:
    """Cycles of one phase, their wall and process CPU time, and the counters meanwhile."""

    cycles: list[Cycle]
    wall: float
    cpu: float
    spent: Snapshot
    failures: list[str]

    @property
    def rate(self) -> float:
        """Completed cycles per second (failed attempts take time and count for nothing)."""
        return len(self.cycles) / self.wall

    def per_cycle(self) -> Totals:
        """Counters per completed cycle, averaged over the phase."""
        return self.spent.totals.scaled(1 / max(1, len(self.cycles)))


@dataclasses.dataclass
class Results:
    """Everything the report needs."""

    base: Run
    seq: Run
    par: Run
    hist: Run


def _measured(fleet: Fleet, api: Api, work: Callable[[], list[Cycle | None]]) -> Run:
    failed = len(fleet.failures)
    before, cpu, start = PROBE.snapshot(True), time.process_time(), time.perf_counter()
    cycles = [c for c in work() if c is not None]
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    spent = PROBE.snapshot(True).minus(before)
    fleet.check(api)
    return Run(cycles, wall, cpu, spent, fleet.failures[failed:])


def sequential(fleet: Fleet, api: Api, events: Events, kind: Kind, cycles: int,
               shapes: bool = False) -> Run:
    """``cycles`` cycles one at a time, rotating over the fleet's servers."""
    def work() -> list[Cycle | None]:
        done = []
        for i in range(cycles):
            servers = [s for s in fleet.ids if s not in fleet.lost]
            if not servers:
                break
            done.append(fleet.move(api, events, kind, servers[i % len(servers)], shapes))
        return done
    return _measured(fleet, api, work)


def parallel(fleet: Fleet, apis: list[Api], events: Events, kind: Kind, cycles: int,
             keep_going: bool = False) -> Run:
    """``cycles`` cycles over ``len(apis)`` threads, a server each.

    Unless ``keep_going``, no thread starts a cycle once one failed. The failures seen so
    far were moves stalling on each other's cell write locks until SQLite's 30 s busy
    timeout (fixed by 213fd4b); cycles after such a stall measure the timeout, not moves.
    """
    width, before = len(apis), len(fleet.failures)
    shares = [cycles // width + (i < cycles % width) for i in range(width)]

    def worker(i: int) -> list[Cycle | None]:
        done = []
        for _ in range(shares[i]):
            failed = len(fleet.failures) > before
            if fleet.ids[i] in fleet.lost or (failed and not keep_going):
                break
            done.append(fleet.move(apis[i], events, kind, fleet.ids[i]))
        return done

    def work() -> list[Cycle | None]:
        with futures.ThreadPoolExecutor(width) as pool:
            return [c for part in pool.map(worker, range(width)) for c in part]
    return _measured(fleet, apis[0], work)


# -- report --------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _statements(cycle: Cycle) -> tuple[int, int]:
    return cycle.resize.totals.statements, cycle.confirm.totals.statements


def _mean_sql(run: Run) -> tuple[float, float]:
    """Mean SQL statements of a run's resize halves and confirm halves."""
    n = max(1, len(run.cycles))
    return (sum(c.resize.totals.statements for c in run.cycles) / n,
            sum(c.confirm.totals.statements for c in run.cycles) / n)


def _commits(cycle: Cycle) -> str:
    both = (cycle.resize.totals, cycle.confirm.totals)
    return f"{sum(t.commits for t in both)}+{sum(t.rollbacks for t in both)}"


def _row(name: str, value: str, ratio: str = "", target: str = "") -> None:
    print(f"{name:52} {value:>17} {ratio:>6}  {target}".rstrip())


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    """In ms; NaN when a phase completed no cycle (every attempt failed)."""
    if not samples:
        return math.nan, math.nan
    return _pct(samples, 0.5) * 1000, _pct(samples, 0.95) * 1000


def _latency_rows(run: Run) -> None:
    p50, p95 = _p50_p95([c.latency for c in run.cycles])
    _row("  cycle p50 / p95", f"{p50:.0f} / {p95:.0f} ms")
    _row("  process CPU per cycle (all threads)", _ms(run.cpu / max(1, len(run.cycles))))


def report_main(args: argparse.Namespace, base: Run, seq: Run, par: Run,
                hist: list[Cycle]) -> None:
    """The headline table: rates with their ratio to the same-cell baseline, SQL counts."""
    first, last = _statements(hist[0]), _statements(hist[-1])
    flat = last[0] <= first[0] * (1 + FLAT)
    rate_met = "met" if seq.rate >= TARGET_RATE else "NOT met"
    sql_met = "met" if max(first[0], last[0]) <= TARGET_SQL and flat else "NOT met"
    same_resize, same_confirm = _mean_sql(base)
    print(f"\n{'measure':52} {'value':>17} {'ratio':>6}  target")
    _row("same-cell migrate+confirm to a named host (baseline)", f"{base.rate:8.2f} /s",
         "1.00")
    _latency_rows(base)
    _row("  SQL statements per resize / confirm (mean)",
         f"{same_resize:.0f} / {same_confirm:.0f}")
    _row("cross-cell migrate+confirm, sequential", f"{seq.rate:8.2f} /s",
         f"{seq.rate / base.rate:.2f}", f">= {TARGET_RATE:g} /s: {rate_met}")
    _latency_rows(seq)
    _row(f"cross-cell migrate+confirm, {args.parallel} parallel", f"{par.rate:8.2f} /s",
         f"{par.rate / base.rate:.2f}",
         f"{len(par.cycles)} done, {len(par.failures)} FAILED" if par.failures else "")
    _latency_rows(par)
    _row("SQL statements per cross-cell resize, move 1", f"{first[0]:8d}",
         f"{first[0] / same_resize:.2f}", f"<= {TARGET_SQL} (Nova {NOVA_SQL[0]})")
    _row(f"SQL statements per cross-cell resize, move {len(hist)}", f"{last[0]:8d}",
         f"{last[0] / same_resize:.2f}",
         f"<= {TARGET_SQL} and flat (Nova {NOVA_SQL[1]} after 40): {sql_met}")
    _row(f"SQL statements per cross-cell confirm, move 1 / {len(hist)}",
         f"{first[1]} / {last[1]}", f"{last[1] / same_confirm:.2f}")
    _row(f"commits+rollbacks per cross-cell cycle, move 1 / {len(hist)}",
         f"{_commits(hist[0])} / {_commits(hist[-1])}")


def report_failures(results: Results) -> None:
    """Failed attempts per phase, and what the services logged about them."""
    runs = {"baseline": results.base, "sequential": results.seq,
            "parallel": results.par, "history": results.hist}
    if any(run.failures for run in runs.values()):
        print("\nFAILED attempts (not in the rates; their work is in the per-cycle counters): "
              + ", ".join(f"{name} {len(run.failures)}" for name, run in runs.items()))
        for name, run in runs.items():
            for failure, count in Counter(run.failures).most_common(4):
                print(f"  {name}: {count} x {failure}")
    if not PROBE.errors:
        return
    print("\nwhat the services logged (warnings and errors, counted):")
    for text, count in PROBE.errors.most_common(8):
        print(f"  {count:4d} x {text}")


def report_steps(seq: Run, par: Run) -> None:
    """Where a cycle's time goes, mark to mark (notifications and handler ends)."""
    names = [name for name, _, _ in MARKS]
    print("\nper step (notification send times, and this script's clock), ms")
    print(f"{'step':66} {'seq p50':>8} {'seq p95':>8} {'par p50':>8} {'par p95':>8}")
    for i in range(1, len(names)):
        cells: list[float] = []
        for run in (seq, par):
            cells += _p50_p95([c.marks[names[i]] - c.marks[names[i - 1]]
                               for c in run.cycles])
        print(f"{names[i - 1] + ' → ' + names[i]:66} "
              + " ".join(f"{v:8.1f}" for v in cells))
    cells = [*_p50_p95([c.latency for c in seq.cycles]),
             *_p50_p95([c.latency for c in par.cycles])]
    print(f"{'whole cycle':66} " + " ".join(f"{v:8.1f}" for v in cells))


def report_journal(seq: Run, hist: list[Cycle]) -> None:
    """The superconductor's journaled steps: duration (sequential), statements by move."""
    names = list(dict.fromkeys(s.name for c in seq.cycles for s in c.steps))
    print("\nsuperconductor's journaled steps (each with its 2 journal writes; statements "
          "of the whole process while it runs, remote compute work included)")
    print(f"{'step':26} {'seq p50':>9} {'seq p95':>9} {'SQL move 1':>11} "
          f"{f'SQL move {len(hist)}':>11}")
    for name in names:
        took = [s.end - s.start for c in seq.cycles for s in c.steps if s.name == name]
        counts = [next((s.statements for s in c.steps if s.name == name), 0)
                  for c in (hist[0], hist[-1])]
        print(f"{name:26} {_ms(_pct(took, 0.5))} {_ms(_pct(took, 0.95))} "
              f"{counts[0]:11d} {counts[1]:11d}")


def _categories(t: Totals) -> list[tuple[str, float, str]]:
    """(category, seconds, counts) in an order where no time is counted twice."""
    own = t.statements - t.placement_statements
    return [
        ("Placement HTTP, its SQL included", t.placement_s,
         f"{t.placement_requests:.1f} req, {t.placement_statements:.0f} stmts "
         f"({t.placement_sql_s * 1000:.1f} ms)"),
        ("databases: Cirrus's SQL outside Placement", t.sql_s + t.commit_s,
         f"{own:.0f} stmts, {t.commits:.0f} commits, {t.rollbacks:.0f} rollbacks"),
        ("  of which BEGIN (SQLite write-lock wait)", t.begin_s, ""),
        ("  of which commits and rollbacks", t.commit_s, ""),
        ("SQLAlchemy Core around them (compile, cache, result)",
         t.execute_s - t.execute_cursor_s, ""),
        ("RPC: call and cast (a call's remote handler excluded)",
         t.rpc_call_s + t.rpc_cast_s - t.handler_s,
         f"{t.rpc_calls:.1f} calls, {t.rpc_casts:.1f} casts"),
        ("notifications sent", t.notify_s, f"{t.notifications:.1f}"),
        ("image and network services (their SQL above)", t.service_s,
         f"{t.service_requests:.1f} req"),
    ]


def report_shares(seq: Run, par: Run) -> None:
    """Time per cycle in each category, summed over threads; share of the sequential wall."""
    wall = seq.wall / len(seq.cycles)
    print(f"\nwhere the time goes, per cycle, summed over threads (sequential cycle: "
          f"{wall * 1000:.0f} ms wall)")
    print(f"{'category':54} {'seq':>11} {'share':>6} {'par':>11}  counts per cycle (seq)")
    rows_seq, rows_par = _categories(seq.per_cycle()), _categories(par.per_cycle())
    listed = 0.0
    for (name, spent, counts), (_, par_spent, _) in zip(rows_seq, rows_par, strict=True):
        listed += 0.0 if name.startswith("  ") else spent
        print(f"{name:54} {_ms(spent)} {spent / wall:6.0%} {_ms(par_spent)}  {counts}")
    rest = wall - listed
    print(f"{'rest: Python of API, conductor, computes; ORM; wake-ups':54} {_ms(rest)} "
          f"{rest / wall:6.0%}")


def report_calls(seq: Run) -> None:
    """Placement requests and RPC messages per cross-cell cycle, by shape."""
    n = len(seq.cycles)
    assert seq.spent.requests is not None and seq.spent.rpcs is not None
    print("\nPlacement requests per cross-cell cycle (sequential):")
    for shape, count in seq.spent.requests.most_common():
        print(f"  {count / n:5.1f}  {shape}")
    print("RPC messages per cross-cell cycle (sequential):")
    for shape, count in seq.spent.rpcs.most_common():
        print(f"  {count / n:5.1f}  {shape}")


def _shapes(cycle: Cycle) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """The cycle's statement shapes, cells named by their role in the move.

    Moves alternate direction, so move 1 and move 40 run on opposite cells; by role they
    compare like for like.
    """
    roles = {cycle.source.split("-")[0]: "source", cycle.dest.split("-")[0]: "target"}

    def renamed(shapes: Counter[tuple[str, str]] | None) -> Counter[tuple[str, str]]:
        assert shapes is not None
        out: Counter[tuple[str, str]] = Counter()
        for (db, sql), count in shapes.items():
            out[(roles.get(db, db), sql)] += count
        return out
    return renamed(cycle.resize.shapes), renamed(cycle.confirm.shapes)


def report_sql(hist: list[Cycle], top: int) -> None:
    """Statements by database, then the top shapes and those that grew with history."""
    (r1, c1), (rn, cn) = _shapes(hist[0]), _shapes(hist[-1])
    n = len(hist)
    print(f"\nSQL statements by database (cells by role), resize + confirm, "
          f"move 1 → move {n}:")
    by_db: dict[str, list[int]] = {}
    for index, counters in enumerate(((r1, c1), (rn, cn))):
        for (db, _), count in (counters[0] + counters[1]).items():
            by_db.setdefault(db, [0, 0])[index] += count
    for db, (a, b) in sorted(by_db.items(), key=lambda kv: -kv[1][1]):
        print(f"  {db:12} {a:5d} → {b:5d}")
    if max(r1.total(), rn.total()) <= TARGET_SQL:
        return
    print(f"\ntop {top} statement shapes of move {n} (above target: what to cut)")
    print(f"{'resize':>6} {'confirm':>7} {'move 1':>6}  {'db':10} SQL (first 80 characters)")
    for (db, sql), _ in (rn + cn).most_common(top):
        print(f"{rn[(db, sql)]:6d} {cn[(db, sql)]:7d} {r1[(db, sql)] + c1[(db, sql)]:6d}  "
              f"{db:10} {sql}")
    grew = (rn + cn) - (r1 + c1)
    print(f"shapes with more statements in move {n} than in move 1: "
          + (", ".join(f"+{k} [{db}] {sql}" for (db, sql), k in grew.most_common(10))
             or "none"))
    _report_callers(hist[-1], top)
    trend = " ".join(str(_statements(c)[0]) for c in hist)
    print(f"statements per resize, move by move: {trend}")


def _report_callers(cycle: Cycle, top: int) -> None:
    resize, confirm = cycle.resize.callers, cycle.confirm.callers
    assert resize is not None and confirm is not None
    print(f"\ntop {top} cirrus functions issuing them, same move")
    print(f"{'resize':>6} {'confirm':>7}  function ← its caller")
    for caller, _ in (resize + confirm).most_common(top):
        print(f"{resize[caller]:6d} {confirm[caller]:7d}  {caller}")


# -- main ----------------------------------------------------------------------------------

def bench(aio: Any, args: argparse.Namespace) -> Results:
    """Boot the servers, warm up, then run the four phases."""
    member_token, image = _token(aio)  # type: ignore[no-untyped-call]
    admin = fixtures.sdk(aio, "cirrus-admin")
    apis = [Api(aio, admin.session.get_token()) for _ in range(args.parallel)]
    member = Api(aio, member_token)
    same = Kind("same-cell", lambda host: beside(host, args.hosts_per_cell),
                "finish_resize", "confirm_resize", cross=False)
    cross = Kind("cross-cell", across, "migrate_server", "confirm_snapshot_based_resize",
                 cross=True)
    events = Events(aio)
    try:
        fleet = Fleet(member, apis[0], image, args.servers, "bench-xcell")
        history = Fleet(member, apis[0], image, 1, "bench-history")
        # First use of each path (statement caches, clients, cell engines) stays out of
        # the figures; the history server is left alone so its move 1 is a first move.
        for kind in (same, cross, cross):
            fleet.move(apis[0], events, kind, fleet.ids[0])
        base = sequential(fleet, apis[0], events, same, args.cycles)
        seq = sequential(fleet, apis[0], events, cross, args.cycles)
        par = parallel(fleet, apis, events, cross, args.cycles, args.keep_going)
        PROBE.where = True
        hist = sequential(history, apis[0], events, cross, args.history, shapes=True)
        PROBE.where = False
    finally:
        events.stop()
    return Results(base, seq, par, hist)


def parse() -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=8,
                        help="cycles of each timed phase (baseline, sequential, parallel)")
    parser.add_argument("--parallel", type=int, default=8, help="threads, a server each")
    parser.add_argument("--servers", type=int, default=8)
    parser.add_argument("--history", type=int, default=40,
                        help="moves of the one server whose SQL statements are counted")
    parser.add_argument("--hosts-per-cell", type=int, default=4)
    parser.add_argument("--top", type=int, default=25, help="statement shapes listed")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every parallel cycle even after one failed")
    args = parser.parse_args()
    if args.parallel > args.servers:
        parser.error("--parallel needs as many --servers (a server per thread)")
    if args.hosts_per_cell < 2 or min(args.cycles, args.history, args.parallel) < 1:
        parser.error("two hosts per cell at least, and at least one cycle of everything")
    return args


def main() -> None:
    """Start an all-in-one with cross-cell moves allowed, measure, print."""
    args = parse()
    log.setup(level=40)
    capture_failures()
    install()
    with tempfile.TemporaryDirectory(prefix="cirrus-bench-") as tmp:
        state = Path(tmp)
        # Written before the start, so that the very first move may already leave its cell.
        (state / "policy.yaml").write_text(POLICY)
        with fixtures.deployment(state, hosts_per_cell=args.hosts_per_cell) as aio:
            results = bench(aio, args)
    print(f"2 cells x {args.hosts_per_cell} hosts, fake driver, m1.tiny; every move names "
          "the host with the same number in the other cell (migrate, 2.56, admin) and is "
          f"confirmed; {args.servers} servers, {args.cycles} cycles a phase, history of "
          f"{args.history} moves")
    report_main(args, results.base, results.seq, results.par, results.hist.cycles)
    report_failures(results)
    report_steps(results.seq, results.par)
    report_journal(results.seq, results.hist.cycles)
    report_shares(results.seq, results.par)
    report_calls(results.seq)
    report_sql(results.hist.cycles, args.top)


if __name__ == "__main__":
    main()
