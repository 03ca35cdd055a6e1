"""The local driver: real files, sparse copies, disks kept until confirm, space checks."""

import errno
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cirrus import exception
from cirrus.compute import cross_cell
from cirrus.compute.drivers import load_driver, local
from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.base import GuestSpec
from cirrus.compute.drivers.local import (
    EPHEMERAL,
    SNAPSHOTS,
    SWAP,
    GiB,
    LocalDiskDriver,
    MiB,
)
from cirrus.conf import build_config
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import PowerState

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
BIGGER = FlavorSpec(id=2, flavorid="2", name="bigger", memory_mb=1024, vcpus=1, root_gb=2,
                    ephemeral_gb=1, swap=16)
UUID = "0f0e0d0c-0b0a-4908-8706-050403020100"
PATTERN = hashlib.sha256(b"pattern").digest() * 4096  # 128 KiB, no zero blocks


def _guest(flavor: FlavorSpec = TINY) -> GuestSpec:
    return GuestSpec(uuid=UUID, name="vm", flavor=flavor, image_id=None)


def _driver(tmp: Path, host: str, **kwargs: int) -> LocalDiskDriver:
    drv = LocalDiskDriver(tmp, None, **kwargs)
    drv.init_host(host)
    return drv


def _written(drv: LocalDiskDriver) -> LocalDiskDriver:
    drv.spawn(_guest(), {})
    drv.write_disk(UUID, 0, PATTERN)
    drv.write_disk(UUID, 512 * MiB, PATTERN)
    return drv


def test_spawn_creates_sparse_disks_of_flavor_sizes(tmp_path: Path) -> None:
    drv = _driver(tmp_path, "h1")
    drv.spawn(_guest(BIGGER), {})
    directory = drv.guest_dir(UUID)
    assert drv.disk_path(UUID).stat().st_size == 2 * GiB
    assert (directory / EPHEMERAL).stat().st_size == GiB
    assert (directory / SWAP).stat().st_size == 16 * MiB
    assert sum(disks.allocated_bytes(p) for p in directory.iterdir()) < MiB


def test_restarted_compute_sees_its_guests(tmp_path: Path) -> None:
    drv = _driver(tmp_path, "h1")
    drv.spawn(_guest(), {})
    drv.power_off(UUID)
    again = _driver(tmp_path, "h1")
    assert again.list_instance_uuids() == [UUID]
    assert again.get_power_state(UUID) == PowerState.SHUTDOWN


def test_same_cell_move_copies_bytes_and_keeps_holes(tmp_path: Path) -> None:
    src = _written(_driver(tmp_path, "h1"))
    dst = _driver(tmp_path, "h2")
    src.migrate_disk_and_power_off(UUID, "h2", BIGGER)
    dst.finish_migration(_guest(BIGGER), resize_disk=True, power_on=True)
    assert dst.read_disk(UUID, 0, len(PATTERN)) == PATTERN
    assert dst.read_disk(UUID, 512 * MiB, len(PATTERN)) == PATTERN
    assert dst.disk_path(UUID).stat().st_size == 2 * GiB
    assert disks.allocated_bytes(dst.disk_path(UUID)) < 4 * len(PATTERN)
    assert (dst.guest_dir(UUID) / EPHEMERAL).stat().st_size == GiB
    src.confirm_migration(UUID)
    assert not src.aside_dir(UUID).exists()


def test_revert_reuses_source_disks_without_copying(tmp_path: Path) -> None:
    src = _written(_driver(tmp_path, "h1"))
    dst = _driver(tmp_path, "h2")
    inode = src.disk_path(UUID).stat().st_ino
    src.migrate_disk_and_power_off(UUID, "h2", BIGGER)
    dst.finish_migration(_guest(BIGGER), resize_disk=True, power_on=True)
    dst.write_disk(UUID, 0, b"changed on the destination")
    dst.destroy(UUID)
    src.finish_revert_migration(_guest(), power_on=True)
    assert src.disk_path(UUID).stat().st_ino == inode
    assert src.read_disk(UUID, 0, len(PATTERN)) == PATTERN
    assert src.disk_path(UUID).stat().st_size == GiB


def test_move_refuses_to_shrink_root(tmp_path: Path) -> None:
    src = _driver(tmp_path, "h1")
    src.spawn(_guest(BIGGER), {})
    with pytest.raises(exception.DriverError, match="shrink"):
        src.migrate_disk_and_power_off(UUID, "h2", TINY)
    assert src.get_power_state(UUID) == PowerState.RUNNING


def test_no_room_on_destination_is_a_clean_error(tmp_path: Path) -> None:
    # A host that keeps all of the filesystem's free space back has no room left.
    free_mb = shutil.disk_usage(tmp_path).free // MiB
    src = _written(_driver(tmp_path, "h1", reserved_disk_mb=free_mb + 64))
    with pytest.raises(exception.DriverError, match="not enough free disk space on host h2"):
        src.migrate_disk_and_power_off(UUID, "h2", BIGGER)
    assert src.get_power_state(UUID) == PowerState.RUNNING
    assert src.read_disk(UUID, 0, len(PATTERN)) == PATTERN
    assert not src.has_move_leftovers(UUID)


def test_flavor_bigger_than_host_is_refused(tmp_path: Path) -> None:
    drv = _driver(tmp_path, "h2", local_gb=2)
    with pytest.raises(exception.DriverError, match="more than the 2 GiB host h2 has"):
        drv.prepare_migration_target(UUID, BIGGER)
    with pytest.raises(exception.DriverError, match="more than"):
        drv.spawn(_guest(BIGGER), {})
    assert drv.list_instance_uuids() == []


def test_failed_copy_puts_the_source_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _written(_driver(tmp_path, "h1"))

    def _broken(a: Path, b: Path, on_block: disks.OnBlock | None = None) -> int:
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr(disks, "copy_sparse", _broken)
    with pytest.raises(exception.DriverError, match="disk on fire"):
        src.migrate_disk_and_power_off(UUID, "h2", BIGGER)
    assert src.read_disk(UUID, 0, len(PATTERN)) == PATTERN
    assert not src.has_move_leftovers(UUID)
    assert not (tmp_path / "h2" / UUID).exists()
    assert list((tmp_path / "h2").iterdir()) == []


def test_snapshot_streams_whole_disk_in_chunks(tmp_path: Path) -> None:
    drv = _written(_driver(tmp_path, "h1"))
    path = drv.disk_path(UUID)
    disks.create_sparse(path, 0)
    drv.write_disk(UUID, 3 * MiB, PATTERN)
    os.truncate(path, 8 * MiB)
    chunks = list(drv.snapshot(UUID))
    assert max(len(c) for c in chunks) <= disks.CHUNK
    sent = b"".join(chunks)
    # Everything up to the last data; the trailing hole is the destination's to grow.
    assert len(sent) >= 3 * MiB + len(PATTERN)
    whole = path.read_bytes()
    assert sent == whole[: len(sent)]
    assert whole[len(sent):] == bytes(len(whole) - len(sent))
    assert b"".join(disks.read_stream(path)) == whole


def test_sparse_copy_without_seek_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    disks.create_sparse(src, 6 * MiB)
    with src.open("r+b") as f:
        os.pwrite(f.fileno(), PATTERN, 2 * MiB)
    real = os.lseek

    def _no_holes(fd: int, pos: int, how: int) -> int:
        if how in (os.SEEK_DATA, os.SEEK_HOLE):
            raise OSError(errno.EINVAL, "not supported")
        return real(fd, pos, how)

    monkeypatch.setattr(os, "lseek", _no_holes)
    written = disks.copy_sparse(src, tmp_path / "dst")
    # Zero blocks are skipped a chunk at a time, so only the chunk with data is written.
    assert written == disks.CHUNK
    assert (tmp_path / "dst").read_bytes() == src.read_bytes()


def test_sparse_writer_hashes_and_skips_zeros(tmp_path: Path) -> None:
    data = bytes(2 * MiB) + PATTERN + bytes(MiB)
    writer = disks.SparseWriter(tmp_path / "img")
    for off in range(0, len(data), 300_000):
        writer.write(data[off:off + 300_000])
    writer.close()
    assert (tmp_path / "img").read_bytes() == data
    assert writer.hash.hexdigest() == hashlib.sha256(data).hexdigest()
    md5_writer = disks.SparseWriter(tmp_path / "img2", "md5")
    md5_writer.write(data)
    md5_writer.close()
    assert md5_writer.hash.hexdigest() == hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_corrupted_download_is_a_driver_error(tmp_path: Path) -> None:
    writer = disks.SparseWriter(tmp_path / "img")
    writer.write(PATTERN)
    writer.close()
    local._verify("img", writer, hashlib.sha256(PATTERN).hexdigest())
    local._verify("img", writer, None)
    with pytest.raises(exception.DriverError, match="arrived corrupted: sha256"):
        local._verify("img", writer, "0" * 64)


def test_upload_is_hashed_as_it_is_sent() -> None:
    sent = cross_cell._Hashed([PATTERN[:100], PATTERN[100:]], "sha256")
    assert b"".join(sent) == PATTERN
    assert sent.hash.hexdigest() == hashlib.sha256(PATTERN).hexdigest()


def test_loader_builds_the_local_driver_from_config(tmp_path: Path) -> None:
    conf = build_config(overrides={"DEFAULT": {"compute_driver": "local",
                                               "state_path": str(tmp_path)},
                                   "local_driver": {"local_gb": 7}})
    drv = load_driver(conf)
    assert isinstance(drv, LocalDiskDriver)
    assert drv.instances_path == tmp_path / "instances"
    drv.init_host("hostA")
    assert drv.get_available_resource("hostA").local_gb == 7
    assert (tmp_path / "instances" / "hostA").is_dir()


def test_copy_reports_the_bytes_of_the_data_extents(tmp_path: Path) -> None:
    src, dst = _written(_driver(tmp_path, "h1")), _driver(tmp_path, "h2")
    del dst
    extents = sum(disks.data_bytes(p) for p in src.guest_dir(UUID).iterdir()
                  if p.name != "guest.json")
    reports: list[tuple[int, int]] = []
    src.migrate_disk_and_power_off(UUID, "h2", TINY,
                                   progress=lambda d, t: reports.append((d, t)))
    # Two 128 KiB patterns half a GiB apart: their data alone is read, block by block.
    assert 2 * len(PATTERN) <= extents < 4 * MiB
    assert reports[0] == (0, extents) and reports[-1] == (extents, extents)
    assert len(reports) >= 3
    assert all(t == extents for _, t in reports)


def test_snapshot_reports_the_bytes_as_they_are_taken(tmp_path: Path) -> None:
    drv = _driver(tmp_path, "h1")
    drv.spawn(_guest(), {})
    drv.write_disk(UUID, 0, PATTERN)
    drv.write_disk(UUID, 32 * MiB, PATTERN)  # holes too small to be worth packing
    assert drv.snapshot_format(UUID) == "raw"
    reports: list[tuple[int, int]] = []
    stream = iter(drv.snapshot(UUID, progress=lambda d, t: reports.append((d, t))))
    first = next(stream)
    assert reports == [(0, 32 * MiB + len(PATTERN))]
    rest = b"".join(stream)
    total = len(first) + len(rest)
    assert total == 32 * MiB + len(PATTERN)
    assert reports[-1] == (total, total)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def test_a_disk_mostly_holes_is_sent_packed_as_qcow2(tmp_path: Path) -> None:
    drv = _written(_driver(tmp_path, "h1"))  # data at 0 and at 512 MiB
    assert drv.snapshot_format(UUID) == "qcow2"
    reports: list[tuple[int, int]] = []
    sent = b"".join(drv.snapshot(UUID, progress=lambda d, t: reports.append((d, t))))
    assert sent[:4] == b"QFI\xfb"
    assert len(sent) < 4 * MiB  # the data and qcow2's tables, not the holes
    assert reports[0] == (0, len(sent)) and reports[-1] == (len(sent), len(sent))
    assert not list((drv.host_dir() / SNAPSHOTS).iterdir())
    packed, raw = tmp_path / "got.qcow2", tmp_path / "got.raw"
    packed.write_bytes(sent)
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(packed),
                    str(raw)], check=True)
    with raw.open("rb") as f:
        assert os.pread(f.fileno(), len(PATTERN), 0) == PATTERN
        assert os.pread(f.fileno(), len(PATTERN), 512 * MiB) == PATTERN
        assert os.pread(f.fileno(), MiB, 100 * MiB) == bytes(MiB)


def test_without_qemu_img_the_disk_is_sent_raw(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    drv = _written(_driver(tmp_path, "h1"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert drv.snapshot_format(UUID) == "raw"
    assert next(iter(drv.snapshot(UUID)))[: len(PATTERN)] == PATTERN


DRIVE = (("openstack/latest/meta_data.json", b'{"availability_zone": "cell1"}'),
         ("openstack/content/0000", bytes(range(256))))
MOVED = (("openstack/latest/meta_data.json", b'{"availability_zone": "cell2"}'),
         ("openstack/content/0000", bytes(range(256))))


def _with_drive(drive: tuple[tuple[str, bytes], ...] | None,
                flavor: FlavorSpec = TINY) -> GuestSpec:
    return GuestSpec(uuid=UUID, name="vm", flavor=flavor, image_id=None, config_drive=drive)


def test_config_drive_is_written_at_boot_and_again_on_each_host(tmp_path: Path) -> None:
    src, dst = _driver(tmp_path, "h1"), _driver(tmp_path, "h2")
    src.spawn(_with_drive(DRIVE), {})
    assert src.read_config_drive(UUID) == dict(DRIVE)
    # Stable bytes: the same drive written twice is the same file.
    first = (src.guest_dir(UUID) / local.CONFIG).read_bytes()
    disks.write_config_drive(tmp_path / "again", DRIVE)
    assert (tmp_path / "again").read_bytes() == first
    src.migrate_disk_and_power_off(UUID, "h2", BIGGER)
    dst.finish_migration(_with_drive(MOVED, BIGGER), resize_disk=True, power_on=True)
    assert dst.read_config_drive(UUID) == dict(MOVED)
    dst.destroy(UUID)
    assert dst.read_config_drive(UUID) is None
    # Built again at a revert too: a file added while resized is on the drive.
    reverted = (*DRIVE, ("openstack/content/0001", b"written while resized"))
    src.finish_revert_migration(_with_drive(reverted), power_on=True)
    assert src.read_config_drive(UUID) == dict(reverted)


def test_a_guest_without_a_drive_keeps_none(tmp_path: Path) -> None:
    src, dst = _driver(tmp_path, "h1"), _driver(tmp_path, "h2")
    src.spawn(_with_drive(DRIVE), {})
    src.migrate_disk_and_power_off(UUID, "h2", TINY)
    dst.finish_migration(_with_drive(None), resize_disk=False, power_on=True)
    assert dst.read_config_drive(UUID) is None
    assert not (dst.guest_dir(UUID) / local.CONFIG).exists()
