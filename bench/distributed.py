"""Cross-cell moves per second over RabbitMQ and PostgreSQL, beside the all-in-one.

The distributed deployment is the real-services tier's (tests/real/deployment.py): two
cells with a database and a RabbitMQ vhost each, Placement under gunicorn, cirrus-api
with two workers, the scheduler, the superconductor, a conductor per cell and two
computes per cell (four), every one a process of its own; here on the fake driver, so
that both sides do the same work. The all-in-one runs the same two cells of two hosts in
this process. In each, one server is cold migrated into the other cell by naming the
host (2.56, admin), waited for in VERIFY_RESIZE, confirmed and waited for in ACTIVE,
``--cycles`` times after one warm-up cycle.

Every process is probed (bench/probe/sitecustomize.py): the time callers wait for
Placement, the SQL outside Placement, and the RPC wait with the remote call handlers
taken out. Shares are of the summed busy time of those three and the rest is not
attributed (it is spread over many processes that mostly wait for each other).

    python bench/distributed.py [--cycles 10] [--backend postgresql|mariadb]
"""

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openstack
from openstack import config as os_config

ROOT = Path(__file__).resolve().parents[1]
PROBE_DIR = ROOT / "bench" / "probe"
POLICY = '"compute:servers:resize:cross_cell": "@"\n'
FIELDS = ("sql_s", "sql_n", "placement_sql_s", "placement_sql_n", "placement_s",
          "placement_n", "call_s", "call_n", "cast_s", "cast_n", "handler_s", "handler_n")
Totals = dict[str, float]


def parse() -> argparse.Namespace:
    """Command-line flags."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=10, help="measured cycles on each side")
    p.add_argument("--backend", choices=("postgresql", "mariadb"), default="postgresql")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a move may take")
    return p.parse_args()


# -- one cycle, the same on both sides ------------------------------------------------------

def _across(host: str) -> str:
    cell, number = host.split("-host")
    return f"{'cell2' if cell == 'cell1' else 'cell1'}-host{number}"


def _wait(conn: Any, uuid: str, status: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        srv = conn.compute.get_server(uuid)
        if srv.status == status and not srv.task_state:
            return
        if srv.status == "ERROR":
            raise SystemExit(f"server {uuid} went to ERROR: {srv.fault}")
        time.sleep(0.02)
    raise SystemExit(f"server {uuid} not {status} after {timeout} s")


def _act(conn: Any, uuid: str, body: dict[str, Any]) -> None:
    resp = conn.compute.post(f"/servers/{uuid}/action", json=body, microversion="2.56")
    if resp.status_code >= 400:
        raise SystemExit(f"{body} answered {resp.status_code}: {resp.text}")


def cycle(conn: Any, uuid: str, timeout: float) -> None:
    """Migrate into the other cell, wait for VERIFY_RESIZE, confirm, wait for ACTIVE."""
    host = conn.compute.get_server(uuid).compute_host
    _act(conn, uuid, {"migrate": {"host": _across(host)}})
    _wait(conn, uuid, "VERIFY_RESIZE", timeout)
    _act(conn, uuid, {"confirmResize": None})
    _wait(conn, uuid, "ACTIVE", timeout)


def boot(conn: Any, timeout: float) -> str:
    """A server from a small image of its own, booted without a zone (free to move)."""
    image = conn.image.create_image(name="bench-distributed", data=b"\x00" * 4096,
                                    disk_format="raw", container_format="bare",
                                    visibility="public")
    srv = conn.compute.create_server(name="bench-distributed", flavor_id="1",
                                     image_id=image.id, networks="none")
    _wait(conn, srv.id, "ACTIVE", timeout)
    return str(srv.id)


def measure(conn: Any, uuid: str, args: argparse.Namespace,
            totals: Callable[[], Totals]) -> tuple[float, Totals]:
    """Seconds per cycle and the probes' totals over the measured cycles."""
    cycle(conn, uuid, args.timeout)
    before = totals()
    start = time.perf_counter()
    for _ in range(args.cycles):
        cycle(conn, uuid, args.timeout)
    took = (time.perf_counter() - start) / args.cycles
    after = totals()
    return took, {k: after[k] - before[k] for k in FIELDS}


# -- the two sides ----------------------------------------------------------------------------

def _read_probes(directory: Path) -> Totals:
    """The sum of every process's last dump (dumps come every half second)."""
    time.sleep(0.7)
    out = dict.fromkeys(FIELDS, 0.0)
    for path in directory.glob("*.json"):
        body = json.loads(path.read_text())
        for k in FIELDS:
            out[k] += body[k]
    return out


def distributed(args: argparse.Namespace, work: Path) -> tuple[float, Totals]:
    """The real-services deployment, probed in every process."""
    sys.path.insert(0, str(ROOT))
    from tests.real.deployment import RealDeployment

    probes = work / "probes"
    probes.mkdir()
    os.environ["CIRRUS_BENCH_PROBE"] = str(probes)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROBE_DIR), os.environ.get("PYTHONPATH")) if p)
    dep = RealDeployment(args.backend, work / "deployment")
    (work / "deployment").mkdir()
    dep.create_infra()
    try:
        dep.write_config()
        base = dep.workdir / "cirrus.conf"
        base.write_text(base.read_text().replace("compute_driver = local",
                                                 "compute_driver = fake"))
        (dep.workdir / "policy.yaml").write_text(POLICY)
        dep.setup_databases()
        dep.start()
        cfg = os_config.OpenStackConfig(config_files=[str(dep.clouds_yaml())])
        conn = openstack.connection.Connection(config=cfg.get_one("admin"))
        return measure(conn, boot(conn, args.timeout), args, lambda: _read_probes(probes))
    finally:
        dep.stop()
        dep.drop_infra()
        del os.environ["CIRRUS_BENCH_PROBE"]


def all_in_one(args: argparse.Namespace, work: Path) -> tuple[float, Totals]:
    """The all-in-one in this process, with the same probe installed in it."""
    from cirrus import log
    from cirrus.testing import fixtures

    spec = importlib.util.spec_from_file_location("bench_probe", PROBE_DIR / "sitecustomize.py")
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    probe.install(None)
    log.setup(level=40)
    state = work / "aio"
    state.mkdir()
    (state / "policy.yaml").write_text(POLICY)
    with fixtures.deployment(state) as aio:
        conn = fixtures.sdk(aio, "cirrus-admin")
        return measure(conn, boot(conn, args.timeout), args, lambda: dict(probe.PROBE.totals))


# -- the table ---------------------------------------------------------------------------------

def shares(t: Totals, cycles: int) -> list[tuple[str, float, str]]:
    """(category, ms per cycle, counts) of the probed time."""
    rpc = t["call_s"] - t["handler_s"] + t["cast_s"]
    return [
        ("Placement (callers' wait, its SQL included)", t["placement_s"] / cycles * 1e3,
         f"{t['placement_n'] / cycles:.0f} req, "
         f"{t['placement_sql_n'] / cycles:.0f} stmts seen"),
        ("databases (SQL outside Placement)", t["sql_s"] / cycles * 1e3,
         f"{t['sql_n'] / cycles:.0f} stmts"),
        ("RPC (wait in call and cast, remote handlers out)", rpc / cycles * 1e3,
         f"{t['call_n'] / cycles:.0f} calls, {t['cast_n'] / cycles:.0f} casts"),
    ]


def report(args: argparse.Namespace, dist: tuple[float, Totals],
           aio: tuple[float, Totals]) -> None:
    """Print rates, their ratio, and where the time went on each side."""
    print(f"cross-cell migrate + confirm, one server, {args.cycles} cycles, fake driver, "
          f"2 cells x 2 hosts; distributed on RabbitMQ + {args.backend}")
    print(f"{'measure':<52}{'distributed':>14}{'all-in-one':>14}")
    rate_d, rate_a = 1 / dist[0], 1 / aio[0]
    print(f"{'cycles per second':<52}{rate_d:>14.2f}{rate_a:>14.2f}")
    print(f"{'cycle (ms)':<52}{dist[0] * 1e3:>14.0f}{aio[0] * 1e3:>14.0f}")
    print(f"{'ratio distributed / all-in-one':<52}{rate_d / rate_a:>14.2f}")
    rows_d, rows_a = shares(dist[1], args.cycles), shares(aio[1], args.cycles)
    busy_d = sum(ms for _, ms, _ in rows_d) or 1.0
    busy_a = sum(ms for _, ms, _ in rows_a) or 1.0
    print("\nprobed time per cycle, ms (share of the three)")
    print(f"{'category':<52}{'distributed':>14}{'all-in-one':>14}   counts (distributed)")
    for (name, ms_d, counts), (_, ms_a, _) in zip(rows_d, rows_a, strict=True):
        print(f"{name:<52}{ms_d:>8.1f} {ms_d / busy_d:>4.0%}{ms_a:>8.1f} {ms_a / busy_a:>4.0%}"
              f"   {counts}")


def main() -> None:
    """Measure both sides in one run and print the table."""
    args = parse()
    with tempfile.TemporaryDirectory(prefix="cirrus-bench-dist-") as tmp:
        work = Path(tmp)
        dist = distributed(args, work)
        aio = all_in_one(args, work)
    report(args, dist, aio)


if __name__ == "__main__":
    main()
