"""Data path of a cross-cell move with the local driver, beside plain sparse copies.

A server gets a flavor whose root disk is ``--disk-gib`` GiB; ``--written-mib`` MiB of
random bytes are written into it through the driver, the rest stays a hole. The server
is then cold migrated into the other cell (2.56, naming the host) up to VERIFY_RESIZE:
the source uploads the root disk to the image service and the destination downloads it.
In the same run the same disk file is copied twice with ``cp --sparse=always`` (one copy
per hop the move makes: source to image store, image store to destination), and the
table prints both times and their ratio. The move is confirmed and the bytes compared.

``--layout front`` writes the data at the start of the disk, ``spread`` in 16 pieces
over the whole disk (every hole between them travels as zeros, since snapshots are raw).

    python bench/data_path.py [--disk-gib 10] [--written-mib 1024] [--layout front]
"""

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cirrus.allinone.runner import AllInOne
from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import LocalDiskDriver
from cirrus.testing import fixtures
from cirrus.testing.notifications import NotificationCollector

POLICY = '"compute:servers:resize:cross_cell": "@"\n'
MiB = 1 << 20
PIECES = 16


def parse() -> argparse.Namespace:
    """Command-line flags."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--disk-gib", type=int, default=10, help="root disk size (flavor disk)")
    p.add_argument("--written-mib", type=int, default=1024, help="data written into it")
    p.add_argument("--layout", choices=("front", "spread"), default="front")
    p.add_argument("--dir", default=None, help="where the state dir goes (default: TMPDIR)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a move may take")
    return p.parse_args()


def _act(conn: Any, uuid: str, body: dict[str, Any], version: str = "2.90") -> None:
    resp = conn.compute.post(f"/servers/{uuid}/action", json=body, microversion=version)
    if resp.status_code >= 400:
        raise SystemExit(f"{body} answered {resp.status_code}: {resp.text}")


def _wait(conn: Any, uuid: str, status: str, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        srv = conn.compute.get_server(uuid)
        if srv.status == status and not srv.task_state:
            return time.perf_counter() - start
        if srv.status == "ERROR":
            raise SystemExit(f"server {uuid} went to ERROR: {srv.fault}")
        time.sleep(0.05)
    raise SystemExit(f"server {uuid} not {status} after {timeout} s")


def _boot(aio: AllInOne, admin: Any, disk_gib: int, timeout: float) -> tuple[str, str]:
    flavor = admin.compute.create_flavor(name="bench-disk", ram=512, vcpus=1, disk=disk_gib)
    image = admin.image.find_image("cirros")
    net = admin.network.find_network("private")
    srv = admin.compute.create_server(name="bench-disk", flavor_id=flavor.id,
                                      image_id=image.id, networks=[{"uuid": net.id}])
    _wait(admin, srv.id, "ACTIVE", timeout)
    host = admin.compute.get_server(srv.id).compute_host
    return srv.id, host


def _write(drv: LocalDiskDriver, uuid: str, disk: int, written: int, layout: str) -> None:
    pieces = PIECES if layout == "spread" else 1
    per_piece = written // pieces
    stride = disk // pieces
    block = os.urandom(MiB)
    for piece in range(pieces):
        base = piece * stride
        for off in range(0, per_piece, MiB):
            drv.write_disk(uuid, base + off, block[: min(MiB, per_piece - off)])


def _digest(path: Path) -> str:
    """Hash of the non-zero blocks and where they are (holes and zeros read alike)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        fd = f.fileno()
        for start, end in disks.data_extents(fd, os.fstat(fd).st_size):
            for pos in range(start - start % MiB, end, MiB):
                block = os.pread(fd, MiB, pos)
                if block.strip(b"\0"):
                    digest.update(pos.to_bytes(8, "big") + block)
    return digest.hexdigest()


def _cp_twice(src: Path, work: Path) -> float:
    start = time.perf_counter()
    first, second = work / "copy1", work / "copy2"
    subprocess.run(["cp", "--sparse=always", str(src), str(first)], check=True)
    subprocess.run(["cp", "--sparse=always", str(first), str(second)], check=True)
    os.sync()
    took = time.perf_counter() - start
    first.unlink()
    second.unlink()
    return took


def run(aio: AllInOne, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Boot, write, move across, copy twice, confirm; the measured figures."""
    admin = fixtures.sdk(aio, "cirrus-admin")
    uuid, source = _boot(aio, admin, args.disk_gib, args.timeout)
    src = aio.computes[source].driver
    assert isinstance(src, LocalDiskDriver)
    disk = args.disk_gib << 30
    _write(src, uuid, disk, args.written_mib * MiB, args.layout)
    os.sync()
    before = _digest(src.disk_path(uuid))
    cp = _cp_twice(src.disk_path(uuid), work)
    cell, _, number = source.partition("-")
    # No zone was asked for at boot, so the server may go to the other cell.
    dest = f"{'cell2' if cell == 'cell1' else 'cell1'}-{number}"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runtime = aio.runtime
    assert runtime is not None
    urls = [c.transport_url for c in runtime.cells() if not c.is_cell0]
    events = NotificationCollector(runtime.transports, [aio.conf.transport_url, *urls])
    try:
        start = time.perf_counter()
        _act(admin, uuid, {"migrate": {"host": dest}}, version="2.56")
        # Polling the API all along would run in the move's own process and take a
        # third of a core from it: wait for the destination's end, then look.
        events.wait_for(uuid, "instance.resize_finish.end", timeout=args.timeout)
        _wait(admin, uuid, "VERIFY_RESIZE", args.timeout)
        move = time.perf_counter() - start
    finally:
        events.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dst = aio.computes[dest].driver
    assert isinstance(dst, LocalDiskDriver)
    after = _digest(dst.disk_path(uuid))
    _act(admin, uuid, {"confirmResize": None})
    _wait(admin, uuid, "ACTIVE", args.timeout)
    admin.compute.delete_server(uuid)
    return {"move": move, "cp": cp, "same": before == after,
            "allocated": dst.disk_path(uuid).stat().st_blocks * 512
            if dst.disk_path(uuid).exists() else 0,
            "rss_growth_mib": max(0, rss_after - rss) / 1024}


def main() -> None:
    """Run the bench in a temporary state dir and print the table."""
    args = parse()
    if shutil.which("cp") is None:
        raise SystemExit("cp not found")
    with tempfile.TemporaryDirectory(prefix="cirrus-data-path-", dir=args.dir) as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        (state / "policy.yaml").write_text(POLICY)
        with fixtures.deployment(state, driver="local") as aio:
            res = run(aio, args, Path(tmp))
    print(f"root disk {args.disk_gib} GiB, {args.written_mib} MiB written ({args.layout}), "
          "cross-cell cold migrate to VERIFY_RESIZE, local driver, in-process image service")
    print(f"{'what':<44}{'seconds':>10}")
    print(f"{'cross-cell move (upload + download + spawn)':<44}{res['move']:>10.2f}")
    print(f"{'two cp --sparse=always copies':<44}{res['cp']:>10.2f}")
    print(f"{'ratio (target <= 1.5)':<44}{res['move'] / res['cp']:>10.2f}")
    print(f"bytes identical after the move: {res['same']}; peak RSS grew by "
          f"{res['rss_growth_mib']:.0f} MiB during the move")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
