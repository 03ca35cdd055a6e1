"""Same-cell resize → VERIFY_RESIZE → confirm throughput of the all-in-one (fake driver).

Boots ``--servers`` servers in zone ``cell1`` (two hosts, so every resize moves a server to
the other one), then runs ``--cycles`` resize+confirm cycles through the REST API with
openstacksdk, alternating flavors 1 and 2 so that every cycle is a real resize:

1. sequential: one cycle at a time, rotating over the servers;
2. parallel: ``--parallel`` servers at once, a thread each, the same number of cycles;
3. where a cycle's time goes, step by step, from the versioned notifications.

The baseline, measured in the same run, is the Placement writes every cycle makes (move
the server's allocations to the migration consumer, claim the destination, delete the
migration consumer) done directly in a loop.

    python bench/resize.py [--servers 8] [--cycles 40] [--parallel 8] [--wait poll] [--json]
"""

import argparse
import dataclasses
import datetime
import json
import math
import sys
import tempfile
import threading
import time
import uuid
from concurrent import futures
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boot import _token  # bench/boot.py: unlimited quota for the demo project, image id
from profiling import cpu_profile

from cirrus import log
from cirrus.testing import fixtures
from cirrus.testing.notifications import NotificationCollector

ZONE = "cell1"
HOSTS = ("cell1-host1", "cell1-host2")
FLAVORS = ("1", "2")  # m1.tiny, m1.small
TARGET = 16.0  # cycles/s sequential: 10x Nova's in-process harness (0.59-0.72 s a cycle)
TIMEOUT = 30.0
POLL = 0.005

# The points of one cycle, in the order the steps are reported. "client" marks are taken
# by this script; the others are the send times of the server's versioned notifications.
MARKS = (
    ("resize POST sent", None),
    ("resize 202 received", None),
    ("resize_prep.start", "instance.resize_prep.start"),
    ("resize_prep.end", "instance.resize_prep.end"),
    ("resize.start", "instance.resize.start"),
    ("resize.end", "instance.resize.end"),
    ("resize_finish.start", "instance.resize_finish.start"),
    ("resize_finish.end", "instance.resize_finish.end"),
    ("confirmResize POST sent", None),
    ("confirmResize 202 received", None),
    ("resize_confirm.start", "instance.resize_confirm.start"),
    ("resize_confirm.end", "instance.resize_confirm.end"),
    ("ACTIVE seen by client", None),
)


class Events(NotificationCollector):
    """Versioned notifications by server, with their send time, and waiters woken on each."""

    def __init__(self, aio: Any) -> None:
        self._cond = threading.Condition()
        self._by_uuid: dict[str, list[tuple[str, float, str | None]]] = {}
        self.stamped = self.unstamped = 0
        urls = [c.transport_url for c in aio.runtime.cells() if not c.is_cell0]
        super().__init__(aio.runtime.transports, [aio.conf.transport_url, *urls])

    def _keep(self, event_type: str, payload: Any, metadata: Any) -> None:
        data = payload.get("nova_object.data", {}) if isinstance(payload, dict) else {}
        server = data.get("uuid") or data.get("instance_uuid")
        if not server:
            return
        stamp = (metadata or {}).get("timestamp")
        if stamp:
            # oslo.messaging stamps each message with str(utcnow()) when it is sent.
            sent = datetime.datetime.fromisoformat(str(stamp)).replace(
                tzinfo=datetime.UTC).timestamp()
        else:
            sent = time.time()
        with self._cond:
            if stamp:
                self.stamped += 1
            else:
                self.unstamped += 1
            self._by_uuid.setdefault(server, []).append((event_type, sent, data.get("host")))
            self._cond.notify_all()

    def info(self, ctxt: Any, publisher_id: str, event_type: str, payload: Any,
             metadata: Any) -> None:
        """INFO notifications."""
        del ctxt, publisher_id
        self._keep(event_type, payload, metadata)

    def error(self, ctxt: Any, publisher_id: str, event_type: str, payload: Any,
              metadata: Any) -> None:
        """ERROR notifications."""
        del ctxt, publisher_id
        self._keep(event_type, payload, metadata)

    def wait(self, server: str, event_type: str, since: float,
             timeout: float = TIMEOUT) -> tuple[float, str | None]:
        """(send time, host) of the first ``event_type`` about ``server`` sent after ``since``.

        Raises:
            RuntimeError: an error notification came first, or nothing came in time.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for kind, sent, host in self._by_uuid.get(server, ()):
                    if sent < since:
                        continue
                    if kind == event_type:
                        return sent, host
                    if kind.endswith(".error"):
                        raise RuntimeError(f"{kind} for {server}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no {event_type} for {server} in {timeout}s")
                self._cond.wait(left)


@dataclasses.dataclass
class Cycle:
    """One resize+confirm: the time of every mark (epoch seconds) and the hosts it moved."""

    marks: list[float]
    source: str | None
    dest: str | None

    @property
    def latency(self) -> float:
        """POST resize sent → ACTIVE seen."""
        return self.marks[-1] - self.marks[0]


def _poll(conn: Any, server: str, status: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        current = conn.compute.get_server(server).status
        if current == status:
            return
        if current == "ERROR":
            raise RuntimeError(f"server {server} went to ERROR waiting for {status}")
        time.sleep(POLL)
    raise RuntimeError(f"server {server} not {status} in {TIMEOUT}s")


def _cycle(conn: Any, events: Events, handle: Any, flavor: str, wait: str) -> Cycle:
    """Resize the server ``handle`` (openstacksdk's Server) to ``flavor``, wait
    VERIFY_RESIZE, confirm, wait ACTIVE.

    The actions get the Server the client already holds, as an application would;
    given an id, openstacksdk builds a new Server for each call, which took about
    half of the client's CPU in a cycle (yappi).
    """
    server = handle.id
    t0 = time.time()
    conn.compute.resize_server(handle, flavor)
    accepted = time.time()
    if wait == "poll":
        _poll(conn, server, "VERIFY_RESIZE")
    else:
        events.wait(server, "instance.resize_finish.end", t0)
    c0 = time.time()
    conn.compute.confirm_server_resize(handle)
    c1 = time.time()
    if wait == "poll":
        _poll(conn, server, "ACTIVE")
    else:
        events.wait(server, "instance.resize_confirm.end", t0)
    done = time.time()
    client = {"resize POST sent": t0, "resize 202 received": accepted,
              "confirmResize POST sent": c0, "confirmResize 202 received": c1,
              "ACTIVE seen by client": done}
    marks, hosts = [], {}
    for name, event_type in MARKS:
        if event_type is None:
            marks.append(client[name])
        else:
            sent, host = events.wait(server, event_type, t0)
            marks.append(sent)
            hosts[event_type] = host
    return Cycle(marks, hosts["instance.resize_prep.start"],
                 hosts["instance.resize_finish.end"])


class Fleet:
    """The benchmark servers, each with the flavor it has now."""

    def __init__(self, conn: Any, count: int, image: str) -> None:
        self.flavor: dict[str, str] = {}
        self.handle: dict[str, Any] = {}
        for i in range(count):
            server = conn.compute.create_server(
                name=f"bench-resize-{i}", flavorRef=FLAVORS[0], imageRef=image,
                networks="none", availability_zone=ZONE)
            self.flavor[server.id] = FLAVORS[0]
            self.handle[server.id] = server
        for server in self.flavor:
            conn.compute.wait_for_server(conn.compute.get_server(server), interval=0.05,
                                         wait=120)
        self.ids = list(self.flavor)

    def run(self, conn: Any, events: Events, server: str, wait: str) -> Cycle:
        """One cycle to the other flavor."""
        new = FLAVORS[1] if self.flavor[server] == FLAVORS[0] else FLAVORS[0]
        cycle = _cycle(conn, events, self.handle[server], new, wait)
        self.flavor[server] = new
        return cycle


def _sequential(fleet: Fleet, conn: Any, events: Events, cycles: int,
                wait: str) -> tuple[list[Cycle], float, float]:
    """The cycles, their wall time, and the CPU time of the whole process meanwhile."""
    cpu, start = time.process_time(), time.perf_counter()
    done = [fleet.run(conn, events, fleet.ids[i % len(fleet.ids)], wait)
            for i in range(cycles)]
    return done, time.perf_counter() - start, time.process_time() - cpu


def _parallel(fleet: Fleet, conns: list[Any], events: Events, cycles: int,
              wait: str) -> tuple[list[Cycle], float, float]:
    """The cycles, their wall time, and the CPU time of the whole process meanwhile."""
    width = len(conns)
    shares = [cycles // width + (i < cycles % width) for i in range(width)]

    def _worker(i: int) -> list[Cycle]:
        return [fleet.run(conns[i], events, fleet.ids[i], wait) for _ in range(shares[i])]

    cpu, start = time.process_time(), time.perf_counter()
    with futures.ThreadPoolExecutor(width) as pool:
        done = [c for part in pool.map(_worker, range(width)) for c in part]
    return done, time.perf_counter() - start, time.process_time() - cpu


def _placement_baseline(aio: Any, count: int) -> tuple[float, float]:
    """Seconds for the Placement writes of one cycle done directly, and for the one query.

    The writes: move the server's allocations to a migration consumer (two reads and one
    write, as the superconductor does), claim the other host for the server, delete the
    migration consumer (the confirm). The query is the scheduler's allocation candidates.
    """
    placement = aio.runtime.placement
    rps = [aio.computes[h].tracker.node().uuid for h in HOSTS]
    server, resources = str(uuid.uuid4()), {"VCPU": 1, "MEMORY_MB": 1, "DISK_GB": 1}
    placement.put_allocations(server, {rps[0]: resources}, "bench", "bench",
                              new_consumer=True)
    start = time.perf_counter()
    for i in range(count):
        migration = str(uuid.uuid4())
        placement.move_allocations(server, migration, "bench", "bench")
        placement.put_allocations(server, {rps[(i + 1) % 2]: resources}, "bench", "bench",
                                  new_consumer=True)
        placement.delete_allocations(migration)
    writes = (time.perf_counter() - start) / count
    placement.delete_allocations(server)
    limit = aio.conf.scheduler.max_placement_results
    start = time.perf_counter()
    for _ in range(count):
        placement.allocation_candidates({"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}, limit)
    return writes, (time.perf_counter() - start) / count


def _pct(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _steps(cycles: list[Cycle]) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, len(MARKS)):
        gaps = [c.marks[i] - c.marks[i - 1] for c in cycles]
        rows.append({"step": f"{MARKS[i - 1][0]} → {MARKS[i][0]}",
                     "p50_ms": _pct(gaps, 0.5) * 1000, "p95_ms": _pct(gaps, 0.95) * 1000})
    total = [c.latency for c in cycles]
    rows.append({"step": "whole cycle", "p50_ms": _pct(total, 0.5) * 1000,
                 "p95_ms": _pct(total, 0.95) * 1000})
    return rows


def _profile(fleet: Fleet, conn: Any, events: Events, cycles: int, wait: str) -> None:
    """CPU profile of ``cycles`` sequential cycles over every thread of the process."""
    def run() -> None:
        for i in range(cycles):
            fleet.run(conn, events, fleet.ids[i % len(fleet.ids)], wait)

    cpu_profile(run, cycles)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--wait", choices=("notifications", "poll"), default="notifications",
                        help="how the client sees VERIFY_RESIZE and ACTIVE: the "
                        "resize_finish.end / resize_confirm.end notification, or "
                        f"GET /servers/{{id}} every {POLL * 1000:g} ms")
    parser.add_argument("--rounds", type=int, default=40,
                        help="Placement baseline iterations")
    parser.add_argument("--profile", type=int, default=0, metavar="CYCLES",
                        help="afterwards, CPU-profile this many sequential cycles (yappi)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    if args.parallel > args.servers:
        parser.error("--parallel needs as many --servers (a server per thread)")
    log.setup(level=40)
    big = Path(tempfile.mkdtemp()) / "big-hosts.conf"
    # Room for every server twice (a resize holds both hosts) at the larger flavor.
    big.write_text("[fake_driver]\nvcpus = 512\nmemory_mb = 1048576\nlocal_gb = 100000\n")
    with fixtures.deployment(config_files=(str(big),)) as aio:
        _, image = _token(aio)
        events = Events(aio)
        try:
            conns = [fixtures.sdk(aio, "cirrus") for _ in range(args.parallel)]
            for conn in conns:
                conn.compute.get_flavor(FLAVORS[0])  # authenticate and discover before timing
            fleet = Fleet(conns[0], args.servers, image)
            baseline, query = _placement_baseline(aio, args.rounds)
            seq, seq_time, seq_cpu = _sequential(fleet, conns[0], events, args.cycles,
                                                 args.wait)
            par, par_time, par_cpu = _parallel(fleet, conns, events, args.cycles, args.wait)
            if args.profile:
                _profile(fleet, conns[0], events, args.profile, args.wait)
            stamped = events.unstamped == 0
        finally:
            events.stop()
    report(args, (baseline, query), (seq, seq_time, seq_cpu), (par, par_time, par_cpu), stamped)


def report(args: argparse.Namespace, placement: tuple[float, float],
           seq_run: tuple[list[Cycle], float, float], par_run: tuple[list[Cycle], float, float],
           stamped: bool) -> None:
    """Print the tables (or one JSON document)."""
    baseline, query = placement
    (seq, seq_time, seq_cpu), (par, par_time, par_cpu) = seq_run, par_run
    seq_rate, par_rate = len(seq) / seq_time, len(par) / par_time
    moved = all(c.source in HOSTS and c.dest in HOSTS and c.source != c.dest
                for c in seq + par)
    waiting = ("resize_finish.end / resize_confirm.end notifications" if args.wait ==
               "notifications" else f"GET /servers/{{id}} every {POLL * 1000:g} ms")
    clock = ("notification send times (oslo.messaging timestamp)" if stamped
             else "notification receipt times")
    result = {
        "servers": args.servers, "cycles": args.cycles, "threads": args.parallel,
        "wait": waiting, "step_clock": clock, "every_resize_moved_host": moved,
        "placement_baseline_per_s": 1 / baseline,
        "placement_candidates_query_s": query,
        "sequential": {"cycles_per_s": seq_rate, "ratio": seq_rate * baseline,
                       "process_cpu_per_cycle_s": seq_cpu / len(seq),
                       "p50_s": _pct([c.latency for c in seq], 0.5),
                       "p95_s": _pct([c.latency for c in seq], 0.95)},
        "parallel": {"cycles_per_s": par_rate, "ratio": par_rate * baseline,
                     "process_cpu_per_cycle_s": par_cpu / len(par),
                     "p50_s": _pct([c.latency for c in par], 0.5),
                     "p95_s": _pct([c.latency for c in par], 0.95)},
        "target_sequential_per_s": TARGET, "target_met": seq_rate >= TARGET,
        "steps": {"sequential": _steps(seq), "parallel": _steps(par)},
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    rows = [
        ("placement move+claim+delete (baseline)", f"{1 / baseline:8.1f} /s", "1.00"),
        ("  its time per cycle", f"{baseline * 1000:8.1f} ms", ""),
        ("placement allocation candidates query", f"{query * 1000:8.1f} ms", ""),
        ("resize+confirm, sequential", f"{seq_rate:8.1f} /s", f"{seq_rate * baseline:.2f}"),
        ("  cycle p50", f"{result['sequential']['p50_s'] * 1000:8.1f} ms", ""),
        ("  cycle p95", f"{result['sequential']['p95_s'] * 1000:8.1f} ms", ""),
        ("  process CPU per cycle (all threads)", f"{seq_cpu / len(seq) * 1000:8.1f} ms", ""),
        (f"resize+confirm, {args.parallel} parallel", f"{par_rate:8.1f} /s",
         f"{par_rate * baseline:.2f}"),
        ("  cycle p50", f"{result['parallel']['p50_s'] * 1000:8.1f} ms", ""),
        ("  cycle p95", f"{result['parallel']['p95_s'] * 1000:8.1f} ms", ""),
        ("  process CPU per cycle (all threads)", f"{par_cpu / len(par) * 1000:8.1f} ms", ""),
        ("target sequential", f"{TARGET:8.1f} /s", ""),
        ("target met", "yes" if result["target_met"] else "no", ""),
    ]
    print(f"{args.servers} servers in zone {ZONE} ({', '.join(HOSTS)}), {args.cycles} cycles "
          f"a run, flavors {' ↔ '.join(FLAVORS)}; every resize moved host: "
          f"{'yes' if moved else 'NO'}")
    print(f"waiting: {waiting}")
    print(f"{'measure':45} {'value':>12} {'ratio':>6}")
    for name, value, ratio in rows:
        print(f"{name:45} {value:>12} {ratio:>6}")
    print(f"\nper step ({clock}), ms")
    print(f"{'step':62} {'seq p50':>8} {'seq p95':>8} {'par p50':>8} {'par p95':>8}")
    for s, p in zip(result["steps"]["sequential"], result["steps"]["parallel"], strict=True):
        print(f"{s['step']:62} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} "
              f"{p['p50_ms']:8.1f} {p['p95_ms']:8.1f}")


if __name__ == "__main__":
    main()
