"""Moves with the local driver: the root disk's bytes survive them (invariant I4).

A known pattern is written into the guest's root disk through the driver, the server is
moved within its cell and across cells, confirmed or reverted, and the disk on the host
it ends on holds the same data. Faults break the upload and the download of the root
disk half-way, or the image store keeps a wrong byte; the source disk stays intact, no
image is left, and a retry works. The scenarios run in the deployment's process
(harness.py).
"""

import contextlib
import hashlib

import pytest

from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.local import SNAPSHOTS, GiB, MiB
from tests.functional.local_driver.harness import (
    OFFSETS,
    assert_only_on,
    data_map,
    driver_of,
    root_size,
    server,
    temp_images,
    write_pattern,
)
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv


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


def _scenario_snapshot_format_follows_the_disk_layout(
        cloud, member, admin, notifications, monkeypatch, layout):
    """Data at the front of the disk goes raw; data with wide holes before its end goes
    packed as qcow2 (only its data travels) and lands as a sparse raw disk."""
    offsets, expected = {"front": ((0, 5 * MiB), "raw"), "spread": (OFFSETS, "qcow2")}[layout]
    image = cloud.runtime.image
    formats = []
    update = image.update_image

    def recording(image_id, changes):
        formats.append(changes.get("disk_format"))
        return update(image_id, changes)

    monkeypatch.setattr(image, "update_image", recording)
    with server(cloud, member, admin, f"local-xcell-{layout}") as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        before = write_pattern(cloud, admin, uuid, offsets)
        mv.migrate_and_wait(cloud, admin, notifications, uuid, host=mv.across(source))
        assert formats == [expected]
        dest = driver_of(cloud, mv.across(source))
        assert data_map(cloud, admin, uuid) == before
        assert root_size(cloud, admin, uuid) == GiB
        assert not disks.is_qcow2(dest.disk_path(uuid))
        # Sparse where it arrived: about what was written, not the holes between.
        assert disks.allocated_bytes(dest.disk_path(uuid)) < 200 * MiB
        assert temp_images(cloud) == []
        assert not list((driver_of(cloud, source).host_dir() / SNAPSHOTS).glob("*"))
        mv.check(cloud, uuid)
        mv.confirm_and_wait(cloud, member, notifications, uuid)
        assert data_map(cloud, admin, uuid) == before
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

    def broken(uuid, progress=None):
        chunks = iter(real(uuid, progress))

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


@pytest.mark.parametrize("layout", ["front", "spread"])
def test_snapshot_format_follows_the_disk_layout(local, layout):
    local("_scenario_snapshot_format_follows_the_disk_layout", layout)


def test_cross_cell_resize_then_revert_keeps_bytes(local):
    local("_scenario_cross_cell_resize_then_revert_keeps_bytes")


@pytest.mark.parametrize("where", ["upload", "download", "stored"])
def test_broken_transfer_rolls_back_and_retry_works(local, where):
    local("_scenario_broken_transfer_rolls_back_and_retry_works", where)


def test_no_room_on_destination_fails_cleanly(local):
    local("_scenario_no_room_on_destination_fails_cleanly")
