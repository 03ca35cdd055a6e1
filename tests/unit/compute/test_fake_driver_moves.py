"""The fake driver's moves keep a left-behind copy until confirm or revert."""

import pytest

from cirrus import exception
from cirrus.compute.drivers.base import GuestSpec
from cirrus.compute.drivers.fake import FakeDriver
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import PowerState

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
SMALL = FlavorSpec(id=2, flavorid="2", name="m1.small", memory_mb=2048, vcpus=1, root_gb=20,
                   ephemeral_gb=0, swap=0)


def _spec(flavor):
    return GuestSpec(uuid="u1", name="vm", flavor=flavor, image_id="img")


def test_move_between_two_hosts_then_confirm():
    src, dst = FakeDriver(), FakeDriver()
    src.spawn(_spec(TINY), {})
    dst.prepare_migration_target("u1", SMALL)
    src.migrate_disk_and_power_off("u1", "10.0.0.2", SMALL)
    assert src.guest("u1") is None
    assert src.left_behind("u1").power_state == PowerState.SHUTDOWN
    dst.finish_migration(_spec(SMALL), resize_disk=True, power_on=True)
    assert dst.get_power_state("u1") == PowerState.RUNNING
    src.confirm_migration("u1")
    assert src.left_behind("u1") is None


def test_same_host_revert_keeps_the_original_guest():
    drv = FakeDriver()
    drv.spawn(_spec(TINY), {})
    drv.migrate_disk_and_power_off("u1", "127.0.0.1", SMALL)
    drv.finish_migration(_spec(SMALL), resize_disk=True, power_on=False)
    assert drv.get_power_state("u1") == PowerState.SHUTDOWN
    drv.destroy("u1")
    assert drv.left_behind("u1") is not None
    drv.finish_revert_migration(_spec(TINY), power_on=True)
    assert drv.guest("u1").spec.flavor == TINY
    assert drv.left_behind("u1") is None


@pytest.mark.parametrize("method", ["prepare_migration_target", "migrate_disk_and_power_off",
                                    "finish_migration", "confirm_migration",
                                    "finish_revert_migration"])
def test_every_move_method_takes_injected_faults(method):
    drv = FakeDriver()
    drv.spawn(_spec(TINY), {})
    drv.fail_next(method, exception.DriverError(method=method, reason="injected"))
    calls = {
        "prepare_migration_target": lambda: drv.prepare_migration_target("u1", SMALL),
        "migrate_disk_and_power_off": lambda: drv.migrate_disk_and_power_off("u1", "h",
                                                                             SMALL),
        "finish_migration": lambda: drv.finish_migration(_spec(SMALL), True, True),
        "confirm_migration": lambda: drv.confirm_migration("u1"),
        "finish_revert_migration": lambda: drv.finish_revert_migration(_spec(TINY), True),
    }
    with pytest.raises(exception.DriverError, match="injected"):
        calls[method]()
    calls[method]()  # only the next call fails
