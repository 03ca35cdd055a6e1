"""``cirrus all-in-one``: a two-cell cloud in one process, for trying Cirrus out."""

import argparse
import signal
import sys
import threading
from pathlib import Path

from cirrus import log
from cirrus.allinone.config import Options
from cirrus.allinone.runner import AllInOne

_USAGE = """
Cirrus is running at {url}

  export OS_CLIENT_CONFIG_FILE={clouds}
  openstack --os-cloud cirrus server create --flavor m1.small --image cirros --nic none --wait vm1
  openstack --os-cloud cirrus server list
  openstack --os-cloud cirrus-admin hypervisor list
  openstack --os-cloud cirrus-admin compute service list

Cells: {cells} (availability zones of the same names); hosts: {hosts}.
Stop with Ctrl-C.
"""


def parse_args(argv: list[str]) -> Options:
    """Options from the command line (``cirrus all-in-one ...``)."""
    parser = argparse.ArgumentParser(prog="cirrus", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    aio = sub.add_parser("all-in-one", help="run every service in this process")
    aio.add_argument("--state-dir", default="./state", type=Path)
    aio.add_argument("--port", type=int, default=8774)
    aio.add_argument("--cells", type=int, default=2)
    aio.add_argument("--hosts-per-cell", type=int, default=2)
    aio.add_argument("--driver", choices=["fake", "local"], default="fake")
    aio.add_argument("--config-file", action="append", default=[])
    aio.add_argument("--bind-host", default="127.0.0.1")
    args = parser.parse_args(argv)
    return Options(state_dir=args.state_dir.resolve(), port=args.port, cells=args.cells,
                   hosts_per_cell=args.hosts_per_cell, driver=args.driver,
                   config_files=tuple(args.config_file), bind_host=args.bind_host)


def main(argv: list[str] | None = None) -> int:
    """Run until interrupted."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    log.setup()
    aio = AllInOne(options)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    aio.start()
    hosts = ", ".join(sorted(aio.computes))
    cells = ", ".join(f"cell{k}" for k in range(1, options.cells + 1))
    sys.stdout.write(_USAGE.format(url=aio.base_url, clouds=options.state_dir / "clouds.yaml",
                                   cells=cells, hosts=hosts))
    sys.stdout.flush()
    done.wait()
    aio.stop()
    return 0
