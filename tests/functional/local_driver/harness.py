"""The local-driver deployment the scenarios of this directory run in, and their helpers.

The deployment runs in a process of its own (as in moves/test_reschedule.py): two
all-in-ones in one process share the in-process broker and Placement, and the other
functional tests' deployment uses the fake driver. Each test module gets its own process
(the ``local`` fixture of conftest.py) and sends its scenarios (``_scenario_*``
functions of the module) to it.
"""

import concurrent.futures
import contextlib
import hashlib
import importlib
import multiprocessing
import os
import traceback
from multiprocessing import util

import pytest

from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import MiB
from cirrus.testing import fixtures
from tests.functional.moves import helpers as mv

PATTERN = hashlib.sha256(b"guest data").digest() * 2048  # 64 KiB with no zero block
OFFSETS = (0, 5 * MiB, 700 * MiB)


_CHILD: dict = {}  # in the deployment's process: what the scenarios run with


def _start_deployment():
    """Initializer of the deployment's process: an all-in-one on the local driver.

    Its state dir is a temporary directory removed at exit, with every disk file in it.
    """
    from cirrus.testing.notifications import NotificationCollector

    # Moves here carry up to 700 MiB of real bytes through the image service.
    mv.AWAIT_TIMEOUT = 120.0
    started = fixtures.deployment(driver="local")
    aio = started.__enter__()
    member, admin = fixtures.sdk(aio, "cirrus"), fixtures.sdk(aio, "cirrus-admin")
    urls = [c.transport_url for c in aio.runtime.cells() if not c.is_cell0]
    notes = NotificationCollector(aio.runtime.transports, [aio.conf.transport_url, *urls])
    allowed = mv.cross_cell_allowed(aio)
    allowed.__enter__()
    _CHILD.update(aio=aio, member=member, admin=admin, notes=notes)

    def _stop():
        allowed.__exit__(None, None, None)
        notes.stop()
        member.close()
        admin.close()
        started.__exit__(None, None, None)

    util.Finalize(None, _stop, exitpriority=10)


def _run(module, name, *args):
    """Run one scenario in the deployment's process; failures come back with traceback."""
    try:
        scenario = getattr(importlib.import_module(module), name)
        with pytest.MonkeyPatch.context() as monkeypatch:
            scenario(_CHILD["aio"], _CHILD["member"], _CHILD["admin"], _CHILD["notes"],
                     monkeypatch, *args)
    except BaseException:
        raise AssertionError(f"scenario {name} failed:\n{traceback.format_exc()}") from None


@contextlib.contextmanager
def deployment(module):
    """A process running the deployment; yields ``run("_scenario_x", *args)`` that runs
    the scenario of ``module`` there."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_deployment) as pool:
        def run(name, *args):
            pool.submit(_run, module, name, *args).result(timeout=180)

        yield run


def driver_of(cloud, host):
    return cloud.computes[host].driver


def write_pattern(cloud, admin, uuid, offsets=OFFSETS):
    """Write the pattern at each offset of the guest's root disk; returns its data map."""
    drv = driver_of(cloud, mv.host_of(admin, uuid))
    for off in offsets:
        drv.write_disk(uuid, off, PATTERN)
    return data_map(cloud, admin, uuid)


def data_map(cloud, admin, uuid):
    """{offset: sha256} of every non-zero 64 KiB block of the guest's root disk."""
    path = driver_of(cloud, mv.host_of(admin, uuid)).disk_path(uuid)
    found = {}
    block = 64 * 1024
    with path.open("rb") as f:
        fd = f.fileno()
        for start, end in disks.data_extents(fd, os.fstat(fd).st_size):
            for pos in range(start - start % block, end, block):
                data = os.pread(fd, block, pos)
                if data.strip(b"\0"):
                    found[pos] = hashlib.sha256(data).hexdigest()
    return found


def temp_images(cloud):
    return [i.id for i in cloud.runtime.image.list_images()
            if (i.name or "").endswith("-resize-temp")]


def assert_only_on(cloud, uuid, host):
    """The server's disks are on ``host`` alone; no other host keeps any."""
    for name, manager in cloud.computes.items():
        drv = manager.driver
        here = drv.guest_dir(uuid).exists() or drv.has_move_leftovers(uuid)
        assert here == (name == host), (name, host)


def root_size(cloud, admin, uuid):
    return driver_of(cloud, mv.host_of(admin, uuid)).disk_path(uuid).stat().st_size


@contextlib.contextmanager
def server(cloud, member, admin, name):
    with mv.server(cloud, member, admin, name, zone=None) as created:
        yield created
