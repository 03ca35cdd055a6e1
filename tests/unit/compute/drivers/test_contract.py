"""The contract of ComputeDriver: every driver (fake, local) passes the same tests.

Two drivers stand for two hosts; for the local driver they share one instances path,
as two hosts of a cell share it.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cirrus import exception
from cirrus.compute.drivers.base import ComputeDriver, GuestSpec
from cirrus.compute.drivers.fake import FakeDriver
from cirrus.compute.drivers.local import LocalDiskDriver
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import PowerState

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
BIGGER = FlavorSpec(id=2, flavorid="2", name="bigger", memory_mb=1024, vcpus=1, root_gb=2,
                    ephemeral_gb=1, swap=16)
UUID = "8d2b7c1e-5f0a-4c3b-9e61-1a2b3c4d5e6f"

Pair = tuple[ComputeDriver, ComputeDriver]


def _fake(tmp: Path) -> Pair:
    del tmp
    return FakeDriver(), FakeDriver()


def _local(tmp: Path) -> Pair:
    return LocalDiskDriver(tmp, None), LocalDiskDriver(tmp, None)


@pytest.fixture(params=[_fake, _local], ids=["fake", "local"])
def hosts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    make: Callable[[Path], Pair] = request.param
    src, dst = make(tmp_path)
    src.init_host("host1")
    dst.init_host("host2")
    yield src, dst


def _guest(flavor: FlavorSpec = TINY) -> GuestSpec:
    return GuestSpec(uuid=UUID, name="vm", flavor=flavor, image_id=None)


def test_spawn_power_reboot_destroy(hosts: Pair) -> None:
    drv, _ = hosts
    assert drv.get_power_state(UUID) == PowerState.NOSTATE
    drv.spawn(_guest(), {})
    assert drv.list_instance_uuids() == [UUID]
    assert drv.get_power_state(UUID) == PowerState.RUNNING
    drv.power_off(UUID)
    assert drv.get_power_state(UUID) == PowerState.SHUTDOWN
    drv.power_on(UUID)
    drv.reboot(UUID, "SOFT")
    drv.power_off(UUID)
    drv.reboot(UUID, "HARD")
    assert drv.get_power_state(UUID) == PowerState.RUNNING
    drv.destroy(UUID)
    drv.destroy(UUID)
    assert drv.list_instance_uuids() == []
    assert drv.get_power_state(UUID) == PowerState.NOSTATE


def test_power_of_absent_guest_is_driver_error(hosts: Pair) -> None:
    drv, _ = hosts
    with pytest.raises(exception.DriverError):
        drv.power_off(UUID)


def test_resources_name_the_host(hosts: Pair) -> None:
    drv, _ = hosts
    assert drv.get_available_nodes() == ["host1"]
    res = drv.get_available_resource("host1")
    assert res.vcpus > 0 and res.memory_mb > 0 and res.local_gb > 0


def test_move_then_confirm(hosts: Pair) -> None:
    src, dst = hosts
    src.spawn(_guest(), {})
    dst.prepare_migration_target(UUID, BIGGER)
    src.migrate_disk_and_power_off(UUID, "host2", BIGGER)
    assert src.get_power_state(UUID) == PowerState.NOSTATE
    assert src.has_move_leftovers(UUID)
    dst.finish_migration(_guest(BIGGER), resize_disk=True, power_on=True)
    assert dst.get_power_state(UUID) == PowerState.RUNNING
    assert dst.list_instance_uuids() == [UUID]
    src.confirm_migration(UUID)
    assert not src.has_move_leftovers(UUID)
    assert src.list_instance_uuids() == []


def test_move_then_revert(hosts: Pair) -> None:
    src, dst = hosts
    src.spawn(_guest(), {})
    src.migrate_disk_and_power_off(UUID, "host2", BIGGER)
    dst.finish_migration(_guest(BIGGER), resize_disk=True, power_on=False)
    assert dst.get_power_state(UUID) == PowerState.SHUTDOWN
    dst.destroy(UUID)
    src.finish_revert_migration(_guest(), power_on=True)
    assert src.get_power_state(UUID) == PowerState.RUNNING
    assert not src.has_move_leftovers(UUID)
    assert dst.list_instance_uuids() == []


def test_move_to_same_host_keeps_both_copies(hosts: Pair) -> None:
    drv, _ = hosts
    drv.spawn(_guest(), {})
    drv.migrate_disk_and_power_off(UUID, "host1", BIGGER)
    drv.finish_migration(_guest(BIGGER), resize_disk=True, power_on=True)
    assert drv.has_move_leftovers(UUID)
    assert drv.get_power_state(UUID) == PowerState.RUNNING
    drv.destroy(UUID)
    drv.finish_revert_migration(_guest(), power_on=True)
    assert drv.get_power_state(UUID) == PowerState.RUNNING
    assert not drv.has_move_leftovers(UUID)


def test_cross_cell_snapshot_set_aside(hosts: Pair) -> None:
    src, _ = hosts
    src.spawn(_guest(), {})
    src.power_off(UUID)
    data = b"".join(src.snapshot(UUID))
    src.set_aside(UUID)
    assert src.get_power_state(UUID) == PowerState.NOSTATE
    assert src.has_move_leftovers(UUID)
    src.finish_revert_migration(_guest(), power_on=False)
    assert src.get_power_state(UUID) == PowerState.SHUTDOWN
    assert b"".join(src.snapshot(UUID)) == data
    src.set_aside(UUID)
    src.confirm_migration(UUID)
    assert not src.has_move_leftovers(UUID)


def test_snapshot_of_absent_guest_is_driver_error(hosts: Pair) -> None:
    drv, _ = hosts
    with pytest.raises(exception.DriverError):
        drv.snapshot(UUID)


def test_restart_from_leftovers_after_failed_move(hosts: Pair) -> None:
    src, _ = hosts
    src.spawn(_guest(), {})
    src.set_aside(UUID)
    # What a hard reboot does when only the set-aside copy is left.
    assert src.get_power_state(UUID) == PowerState.NOSTATE
    src.finish_revert_migration(_guest(), power_on=True)
    assert src.get_power_state(UUID) == PowerState.RUNNING


def _well_formed(reports: list[tuple[int, int]]) -> None:
    """Reports, when a driver makes any, start at 0 and end with done equal to total."""
    if not reports:
        return
    assert reports[0][0] == 0
    assert reports[-1][0] == reports[-1][1]
    dones = [done for done, _ in reports]
    assert dones == sorted(dones)
    assert all(0 <= done <= total for done, total in reports)


def test_progress_reports_are_well_formed(hosts: Pair) -> None:
    src, dst = hosts
    spawned: list[tuple[int, int]] = []
    src.spawn(_guest(), {}, progress=lambda d, t: spawned.append((d, t)))
    src.power_off(UUID)
    sent: list[tuple[int, int]] = []
    data = b"".join(src.snapshot(UUID, progress=lambda d, t: sent.append((d, t))))
    copied: list[tuple[int, int]] = []
    src.migrate_disk_and_power_off(UUID, "host2", BIGGER,
                                   progress=lambda d, t: copied.append((d, t)))
    dst.finish_migration(_guest(BIGGER), resize_disk=True, power_on=True)
    for reports in (spawned, sent, copied):
        _well_formed(reports)
    if sent:
        assert sent[-1][1] == len(data)
