"""DESIGN §4's invariants checked on a deployment of processes, from outside them.

``cirrus.testing.invariants`` checks an all-in-one through its runtime and its computes'
drivers; here the same checks run against a view of a real deployment: a runtime of the
test process on the deployment's databases and services, and a local disk driver per
host reading that host's guest files (every host's disks live under one state path).
"""

import dataclasses

from cirrus.compute.drivers.local import LocalDiskDriver
from cirrus.conf import build_config
from cirrus.objects import compute_node as node_obj
from cirrus.runtime import Runtime
from cirrus.testing import invariants
from tests.real.deployment import HOSTS


@dataclasses.dataclass(frozen=True)
class _Node:
    uuid: str


@dataclasses.dataclass(frozen=True)
class _Tracker:
    uuid: str

    def node(self):
        return _Node(self.uuid)


@dataclasses.dataclass(frozen=True)
class _Compute:
    driver: LocalDiskDriver
    tracker: _Tracker


class RealView:
    """What the invariant checks read (``runtime`` and ``computes``), for a deployment."""

    def __init__(self, real):
        conf = build_config(config_files=[str(real.base), str(real.clients)])
        self.runtime = Runtime(conf)
        self.computes = {}
        for cell, hosts in HOSTS.items():
            with self.runtime.cell_reader(self.cell(cell)) as s:
                nodes = {n.host: n.uuid for n in node_obj.get_all(s)}
            for host in hosts:
                driver = LocalDiskDriver(real.workdir / "instances", None)
                driver.host = host
                self.computes[host] = _Compute(driver, _Tracker(nodes[host]))

    def cell(self, name):
        (cell,) = [c for c in self.runtime.cells(refresh=True) if c.name == name]
        return cell

    def driver(self, host):
        return self.computes[host].driver

    def check(self, uuid):
        """I1-I4 and I6 for one server, and no orphan allocation anywhere (I2)."""
        inst = invariants.check_server(self, uuid)
        invariants.check_consumers(self)
        return inst

    def close(self):
        self.runtime.close()
