"""Boot throughput and server-list latency of the all-in-one (fake driver).

Prints servers booted per second, with a Placement claim rate measured in the same run as
the baseline (every boot makes one claim), then the p50/p95 of GET /servers/detail with
``--servers`` servers spread over two cells.

    python bench/boot.py [--servers 1000] [--parallel 16]
"""

import argparse
import sys
import tempfile
import threading
import time
import uuid
from concurrent import futures
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profiling import cpu_profile

from cirrus import log
from cirrus.objects import quota
from cirrus.testing import fixtures
from cirrus.testing.notifications import NotificationCollector


class Created(NotificationCollector):
    """Counts ``instance.create.end`` notifications and wakes a waiter on each.

    Waiting on notifications rather than polling ``GET /servers/detail`` keeps the list
    (which grows to every booted server) out of the CPU that the boots are measured by.
    """

    def __init__(self, aio):
        self._cond = threading.Condition()
        self.ended = 0
        urls = [c.transport_url for c in aio.runtime.cells() if not c.is_cell0]
        super().__init__(aio.runtime.transports, [aio.conf.transport_url, *urls])

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        del ctxt, publisher_id, payload, metadata
        if event_type == "instance.create.end":
            with self._cond:
                self.ended += 1
                self._cond.notify_all()

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        del ctxt, publisher_id, event_type, payload, metadata
        raise SystemExit("a boot failed: an ERROR notification arrived")

    def wait(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.ended < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"only {self.ended} of {count} servers became ACTIVE")
                self._cond.wait(left)


def _token(aio):
    conn = fixtures.sdk(aio, "cirrus")
    with aio.runtime.api_session() as s:
        for resource in ("instances", "cores", "ram"):
            quota.set_limit(s, conn.current_project_id, resource, -1)
    return conn.session.get_token(), conn.image.find_image("cirros").id


def _boot_many(aio, created, count, parallel, token, image):
    url = f"{aio.base_url}/compute/v2.1/servers"
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.90"}
    body = {"server": {"name": "bench", "flavorRef": "1", "imageRef": image,
                       "networks": "none"}}
    with httpx.Client(headers=headers, timeout=120) as client:
        def _one(_):
            resp = client.post(url, json=body)
            resp.raise_for_status()
            return resp.json()["server"]["id"]

        before = created.ended
        cpu = time.process_time()
        start = time.perf_counter()
        with futures.ThreadPoolExecutor(parallel) as pool:
            ids = list(pool.map(_one, range(count)))
        created.wait(before + count, timeout=max(120, count))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        active = client.get(f"{url}/detail", params={"status": "ACTIVE", "limit": count + before})
        if len(active.json()["servers"]) < count + before:
            raise SystemExit("fewer servers are ACTIVE than sent instance.create.end")
        return ids, elapsed, cpu


def _claim_baseline(aio, count):
    placement = aio.runtime.placement
    rp = next(iter(aio.computes.values())).tracker.node().uuid
    start = time.perf_counter()
    for _ in range(count):
        consumer = str(uuid.uuid4())
        placement.put_allocations(consumer, {rp: {"VCPU": 1, "MEMORY_MB": 1, "DISK_GB": 1}},
                                  "bench", "bench")
        placement.delete_allocations(consumer)
    return (time.perf_counter() - start) / count


def _quiet(limit=15.0, window=0.5):
    """Wait (up to ``limit`` seconds) until the process spends under a tenth of a core:
    the list is measured on a deployment at rest, not beside the last boots' after-work
    (usage recounts, notifications still in flight)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = time.process_time()
        time.sleep(window)
        if time.process_time() - before < window / 10:
            return


def _list_latency(aio, token, rounds):
    url = f"{aio.base_url}/compute/v2.1/servers/detail"
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.90"}
    samples = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for _ in range(rounds):
            start = time.perf_counter()
            resp = client.get(url)
            samples.append(time.perf_counter() - start)
            resp.raise_for_status()
        count = len(resp.json()["servers"])
    samples.sort()
    return count, samples[len(samples) // 2], samples[int(len(samples) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, CPU-profile N more boots (yappi)")
    args = parser.parse_args()
    log.setup(level=40)
    big = Path(tempfile.mkdtemp()) / "big-hosts.conf"
    # Room for every benchmark server: the default fake host holds a few hundred m1.tiny.
    big.write_text("[fake_driver]\nvcpus = 512\nmemory_mb = 1048576\nlocal_gb = 100000\n")
    with fixtures.deployment(config_files=(str(big),)) as aio:
        token, image = _token(aio)
        created = Created(aio)
        claim = _claim_baseline(aio, 50)
        _, elapsed, cpu = _boot_many(aio, created, args.servers, args.parallel, token, image)
        rate = args.servers / elapsed
        _quiet()
        count, p50, p95 = _list_latency(aio, token, args.rounds)
        if args.profile:
            cpu_profile(lambda: _boot_many(aio, created, args.profile, args.parallel, token,
                                           image), args.profile, "boot")
    rows = [
        ("placement claim+release (baseline)", f"{1 / claim:8.1f} /s", "1.00"),
        (f"boot to ACTIVE, {args.parallel} parallel", f"{rate:8.1f} /s", f"{rate * claim:.2f}"),
        ("  process CPU per boot (all threads)", f"{cpu / args.servers * 1000:8.1f} ms", ""),
        ("target boots", "    50.0 /s", ""),
        (f"GET /servers/detail p50 ({count} servers)", f"{p50 * 1000:8.1f} ms", ""),
        (f"GET /servers/detail p95 ({count} servers)", f"{p95 * 1000:8.1f} ms", ""),
        ("target detail p50", "   150.0 ms", ""),
    ]
    print(f"{'measure':45} {'value':>12} {'ratio':>6}")
    for name, value, ratio in rows:
        print(f"{name:45} {value:>12} {ratio:>6}")


if __name__ == "__main__":
    main()
