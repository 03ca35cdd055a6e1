"""Moves with the local driver: the root disk's bytes survive them (invariant I4).

A known pattern is written into the guest's root disk through the driver, the server is
moved within its cell and across cells, confirmed or reverted, and the disk on the host
it ends on holds the same data. Faults break the upload and the download of the root
disk half-way, or the image store keeps a wrong byte; the source disk stays intact, no
image is left, and a retry works.

The deployment runs in a process of its own (as in moves/test_reschedule.py): two
all-in-ones in one process share the in-process broker and Placement, and the other
functional tests' deployment uses the fake driver. Each test sends its scenario
(``_scenario_*``) to that process.
"""

import concurrent.futures
import contextlib
import hashlib
import multiprocessing
import os
import traceback
from multiprocessing import util

import pytest

from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import GiB, MiB
from cirrus.testing import fixtures
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv

PATTERN = hashlib.sha256(b"guest data").digest() * 2048  # 64 KiB with no zero block
OFFSETS = (0, 5 * MiB, 700 * MiB)


_CHILD: dict = {}  # in the deployment's process: what the scenarios run with


def _start_deployment():
    """Initializer of the deployment's process: an all-in-one on the local driver.

    Its state dir is a temporary directory removed at exit, with every disk file in it.
    """
    from cirrus.testing.notifications import NotificationCollector

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


def _run(name, *args):
    """Run one scenario in the deployment's process; failures come back with traceback."""
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            globals()[name](_CHILD["aio"], _CHILD["member"], _CHILD["admin"],
                            _CHILD["notes"], monkeypatch, *args)
    except BaseException:
        raise AssertionError(f"scenario {name} failed:\n{traceback.format_exc()}") from None


@pytest.fixture(scope="module")
def local():
    """Runs a scenario on the local-driver deployment: ``local("_scenario_x", *args)``."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_deployment) as pool:
        def run(name, *args):
            pool.submit(_run, name, *args).result(timeout=180)

        yield run


def driver_of(cloud, host):
    return cloud.computes[host].driver


def write_pattern(cloud, admin, uuid):
    """Write the pattern at each offset of the guest's root disk; returns its data map."""
    drv = driver_of(cloud, mv.host_of(admin, uuid))
    for off in OFFSETS:
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


def _scenario_guest_disk_is_the_image(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-boot") as created:
        drv = driver_of(cloud, mv.host_of(admin, created.id))
        image = cloud.runtime.image.get_image(member.image.find_image("cirros").id)
        got = drv.read_disk(created.id, 0, image.size)
        assert hashlib.md5(got, usedforsecurity=False).hexdigest() == image.checksum
        assert drv.disk_path(created.id).stat().st_size == GiB  # m1.tiny's root_gb
        mv.check(cloud, created.id)


def _scenario_same_cell_resize_then_confirm_keeps_bytes(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-confirm") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid)
        with mv.service_changed(cloud, admin, mv.across(source), {"status": "disabled"},
                                {"status": "enabled"}):
            mv.resize_and_wait(cloud, member, notifications, uuid, "2")
        dest = mv.host_of(admin, uuid)
        assert dest != source and dest.split("-")[0] == source.split("-")[0]
        assert data_map(cloud, admin, uuid) == before
        assert root_size(cloud, admin, uuid) == 20 * GiB
        assert driver_of(cloud, source).has_move_leftovers(uuid)
        mv.check(cloud, uuid)
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, dest)
        mv.check(cloud, uuid)


def _scenario_same_cell_migrate_then_revert_reuses_source_disk(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-revert") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid)
        inode = driver_of(cloud, source).disk_path(uuid).stat().st_ino
        mv.migrate_and_wait(cloud, admin, notifications, uuid, host=mv.other_host(source))
        assert data_map(cloud, admin, uuid) == before
        mv.revert_and_wait(cloud, member, notifications, uuid)
        assert mv.host_of(admin, uuid) == source
        assert driver_of(cloud, source).disk_path(uuid).stat().st_ino == inode
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, source)
        mv.check(cloud, uuid)


def _scenario_cross_cell_migrate_then_confirm_keeps_bytes(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-xcell-confirm") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid)
        mv.migrate_and_wait(cloud, admin, notifications, uuid, host=mv.across(source))
        assert data_map(cloud, admin, uuid) == before
        assert root_size(cloud, admin, uuid) == GiB
        assert temp_images(cloud) == []
        mv.check(cloud, uuid)
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, mv.across(source))
        mv.check(cloud, uuid)


def _scenario_cross_cell_resize_then_revert_keeps_bytes(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-xcell-revert") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid)
        inode = driver_of(cloud, source).disk_path(uuid).stat().st_ino
        with mv.service_changed(cloud, admin, mv.other_host(source), {"status": "disabled"},
                                {"status": "enabled"}):
            mv.resize_and_wait(cloud, member, notifications, uuid, "2")
        dest = mv.host_of(admin, uuid)
        assert dest.split("-")[0] != source.split("-")[0]
        assert data_map(cloud, admin, uuid) == before
        assert root_size(cloud, admin, uuid) == 20 * GiB
        mv.revert_and_wait(cloud, member, notifications, uuid)
        assert mv.host_of(admin, uuid) == source
        assert driver_of(cloud, source).disk_path(uuid).stat().st_ino == inode
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, source)
        assert temp_images(cloud) == []
        mv.check(cloud, uuid)


# -- faults ------------------------------------------------------------------------------

@contextlib.contextmanager
def upload_breaks(cloud, monkeypatch, host):
    """The source's root disk stream fails after its first chunk (once)."""
    drv = driver_of(cloud, host)
    real = drv.snapshot
    fired = []

    def broken(uuid):
        chunks = iter(real(uuid))

        def _gen():
            yield next(chunks)
            fired.append(uuid)
            raise OSError(5, "disk read failed half-way")
        return _gen()

    monkeypatch.setattr(drv, "snapshot", broken)
    yield "disk read failed half-way"
    monkeypatch.undo()
    assert fired


@contextlib.contextmanager
def download_breaks(cloud, monkeypatch, host):
    """The destination's download of the root disk fails half-way (once)."""
    image = cloud.runtime.image
    real = type(image).download_data
    fired = []

    def broken(self, image_id, dest, **kwargs):
        if fired:
            return real(self, image_id, dest, **kwargs)

        class _Half:
            def write(self, data):
                dest.write(data[: len(data) // 2])
                fired.append(image_id)
                raise OSError(5, "connection lost half-way")

        return real(self, image_id, _Half(), **kwargs)

    monkeypatch.setattr(type(image), "download_data", broken)
    yield "connection lost half-way"
    monkeypatch.undo()
    assert fired


@contextlib.contextmanager
def store_corrupts(cloud, monkeypatch, host):
    """The image store keeps one byte of the uploaded root disk wrong (once)."""
    del cloud, host
    from cirrus.image.store import FilesystemStore
    real = FilesystemStore.write
    fired = []

    def corrupting(self, image_id, read, expected_size):
        if fired:
            return real(self, image_id, read, expected_size)

        def _read(n):
            chunk = read(n)
            if chunk and not fired:
                fired.append(image_id)
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            return chunk
        return real(self, image_id, _read, expected_size)

    monkeypatch.setattr(FilesystemStore, "write", corrupting)
    yield "the disk sent"
    monkeypatch.undo()
    assert fired


_BREAKS = {"upload": upload_breaks, "download": download_breaks, "stored": store_corrupts}


def _scenario_broken_transfer_rolls_back_and_retry_works(
        cloud, member, admin, notifications, monkeypatch, where):
    with server(cloud, member, admin, f"local-broken-{where}") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        before = write_pattern(cloud, admin, uuid)
        breaks = _BREAKS[where]
        with breaks(cloud, monkeypatch, dest if where == "download" else source) as text:
            faults.migrate(cloud, admin, uuid, host=dest)
            srv = faults.wait_for_status(admin, uuid, "ERROR")
            faults.settled(cloud, admin, uuid, "ERROR", "error")
        assert text in faults.faults_of(cloud, uuid)[0]
        assert temp_images(cloud) == []
        # The source disk is as it was; a hard reboot brings the server back from it (I6).
        assert mv.host_of(admin, uuid) == source
        assert not driver_of(cloud, dest).guest_dir(uuid).exists()
        assert not list(driver_of(cloud, dest).host_dir().glob(f"{uuid}*"))
        faults.hard_reboot(cloud, member, uuid)
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, source)
        mv.check(cloud, uuid)
        mv.migrate_and_wait(cloud, admin, notifications, uuid, host=dest)
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        assert data_map(cloud, admin, uuid) == before
        assert_only_on(cloud, uuid, dest)
        assert srv.status == "ERROR"
        mv.check(cloud, uuid)


def _scenario_no_room_on_destination_fails_cleanly(
        cloud, member, admin, notifications, monkeypatch):
    with server(cloud, member, admin, "local-no-room") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.other_host(source)
        before = write_pattern(cloud, admin, uuid)
        drv = driver_of(cloud, source)
        # The source host checks the destination's directory before it copies.
        monkeypatch.setattr(drv, "_reserved", drv.free_bytes(dest) + drv._reserved + GiB)
        faults.migrate(cloud, admin, uuid, host=dest)
        srv = faults.wait_for_status(admin, uuid, "ERROR")
        assert f"not enough free disk space on host {dest}" in faults.faults_of(cloud, uuid)[0]
        monkeypatch.undo()
        assert mv.host_of(admin, uuid) == source
        assert not driver_of(cloud, dest).guest_dir(uuid).exists()
        faults.hard_reboot(cloud, member, uuid)
        assert data_map(cloud, admin, uuid) == before
        assert srv.status == "ERROR"
        mv.check(cloud, uuid)
        mv.migrate_and_wait(cloud, admin, notifications, uuid, host=dest)
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        assert data_map(cloud, admin, uuid) == before
        mv.check(cloud, uuid)


# -- the tests: each runs its scenario in the deployment's process -----------------------


def test_guest_disk_is_the_image(local):
    local("_scenario_guest_disk_is_the_image")


def test_same_cell_resize_then_confirm_keeps_bytes(local):
    local("_scenario_same_cell_resize_then_confirm_keeps_bytes")


def test_same_cell_migrate_then_revert_reuses_source_disk(local):
    local("_scenario_same_cell_migrate_then_revert_reuses_source_disk")


def test_cross_cell_migrate_then_confirm_keeps_bytes(local):
    local("_scenario_cross_cell_migrate_then_confirm_keeps_bytes")


def test_cross_cell_resize_then_revert_keeps_bytes(local):
    local("_scenario_cross_cell_resize_then_revert_keeps_bytes")


@pytest.mark.parametrize("where", ["upload", "download", "stored"])
def test_broken_transfer_rolls_back_and_retry_works(local, where):
    local("_scenario_broken_transfer_rolls_back_and_retry_works", where)


def test_no_room_on_destination_fails_cleanly(local):
    local("_scenario_no_room_on_destination_fails_cleanly")
