"""FakeDriver: in-memory guests, instant operations, and fault injection for tests."""

import dataclasses
import threading
from collections.abc import Iterable
from typing import Any

from cirrus import exception
from cirrus.compute.drivers.base import (
    Capabilities,
    ComputeDriver,
    GuestSpec,
    HostResources,
    ProgressCallback,
)
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import PowerState


@dataclasses.dataclass
class FakeGuest:
    """A guest that exists only in memory."""

    spec: GuestSpec
    power_state: int = PowerState.RUNNING


class FakeDriver(ComputeDriver):
    """A hypervisor that only keeps books.

    ``fail_next(method, error)`` makes the next call of ``method`` raise ``error``, so
    tests can break any step of any operation.

    Args:
        vcpus, memory_mb, local_gb: the size of the pretend host.
    """

    capabilities = Capabilities(supports_migration=True, has_real_disks=False)

    def __init__(self, vcpus: int = 16, memory_mb: int = 32768, local_gb: int = 500) -> None:
        self._lock = threading.Lock()
        self._guests: dict[str, FakeGuest] = {}
        # Guests a move took away from this host, kept until confirm or revert. Separate
        # from ``_guests`` so that a resize to the same host keeps both copies.
        self._left_behind: dict[str, FakeGuest] = {}
        self._faults: dict[str, list[BaseException]] = {}
        self._resources = HostResources(
            vcpus=vcpus, memory_mb=memory_mb, local_gb=local_gb, hypervisor_type="fake",
            hypervisor_version=1000,
            supported_instances=(("x86_64", "fake", "hvm"), ("x86_64", "qemu", "hvm")),
        )
        self.host = ""

    # -- fault injection ---------------------------------------------------------------

    def fail_next(self, method: str, error: BaseException) -> None:
        """Make the next call of ``method`` raise ``error``."""
        if not hasattr(self, method):
            raise ValueError(f"FakeDriver has no method {method}")
        with self._lock:
            self._faults.setdefault(method, []).append(error)

    def clear_faults(self) -> None:
        """Forget injected failures that were never triggered."""
        with self._lock:
            self._faults.clear()

    def _maybe_fail(self, method: str) -> None:
        with self._lock:
            queue = self._faults.get(method)
            error = queue.pop(0) if queue else None
        if error is not None:
            raise error

    def _guest(self, uuid: str) -> FakeGuest:
        guest = self._guests.get(uuid)
        if guest is None:
            raise exception.DriverError(method="lookup", reason=f"no guest {uuid}")
        return guest

    # -- ComputeDriver -----------------------------------------------------------------

    def init_host(self, host: str) -> None:
        """Remember the host name (the node is named after it)."""
        self.host = host

    def get_available_nodes(self) -> list[str]:
        """One node, named like the host."""
        return [self.host]

    def get_available_resource(self, nodename: str) -> HostResources:
        """The configured pretend size."""
        del nodename
        self._maybe_fail("get_available_resource")
        return self._resources

    def list_instance_uuids(self) -> list[str]:
        """Guests in memory."""
        with self._lock:
            return list(self._guests)

    def spawn(self, guest: GuestSpec, image_meta: dict[str, Any],
              progress: ProgressCallback | None = None) -> None:
        """Record a running guest (no bytes move, so no progress is reported)."""
        del image_meta, progress
        self._maybe_fail("spawn")
        with self._lock:
            self._guests[guest.uuid] = FakeGuest(guest)

    def destroy(self, uuid: str, destroy_disks: bool = True) -> None:
        """Forget a guest."""
        del destroy_disks
        self._maybe_fail("destroy")
        with self._lock:
            self._guests.pop(uuid, None)

    def power_off(self, uuid: str) -> None:
        """Mark a guest shut down."""
        self._maybe_fail("power_off")
        with self._lock:
            self._guest(uuid).power_state = PowerState.SHUTDOWN

    def power_on(self, uuid: str) -> None:
        """Mark a guest running."""
        self._maybe_fail("power_on")
        with self._lock:
            self._guest(uuid).power_state = PowerState.RUNNING

    def reboot(self, uuid: str, reboot_type: str) -> None:
        """A reboot leaves the guest running; a hard one recreates a lost guest record."""
        del reboot_type
        self._maybe_fail("reboot")
        with self._lock:
            self._guest(uuid).power_state = PowerState.RUNNING

    def get_power_state(self, uuid: str) -> int:
        """Power state from memory."""
        with self._lock:
            guest = self._guests.get(uuid)
            return int(guest.power_state) if guest else int(PowerState.NOSTATE)

    # -- moves -------------------------------------------------------------------------

    def prepare_migration_target(self, uuid: str, flavor: FlavorSpec) -> None:
        """Nothing to reserve in memory; a place to inject a failed claim."""
        del uuid, flavor
        self._maybe_fail("prepare_migration_target")

    def migrate_disk_and_power_off(self, uuid: str, dest_host: str, flavor: FlavorSpec,
                                   progress: ProgressCallback | None = None) -> None:
        """Power off and keep the guest aside until the move is confirmed or reverted."""
        del dest_host, flavor, progress
        self._maybe_fail("migrate_disk_and_power_off")
        with self._lock:
            guest = self._guest(uuid)
            guest.power_state = PowerState.SHUTDOWN
            self._left_behind[uuid] = self._guests.pop(uuid)

    def finish_migration(self, guest: GuestSpec, resize_disk: bool, power_on: bool) -> None:
        """Record the guest that arrived, running unless it was stopped."""
        del resize_disk
        self._maybe_fail("finish_migration")
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        with self._lock:
            self._guests[guest.uuid] = FakeGuest(guest, state)

    def confirm_migration(self, uuid: str) -> None:
        """Forget the guest the move left here."""
        self._maybe_fail("confirm_migration")
        with self._lock:
            self._left_behind.pop(uuid, None)

    def finish_revert_migration(self, guest: GuestSpec, power_on: bool) -> None:
        """Bring back the guest the move left here (recreated if it is gone)."""
        self._maybe_fail("finish_revert_migration")
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        with self._lock:
            self._left_behind.pop(guest.uuid, None)
            self._guests[guest.uuid] = FakeGuest(guest, state)

    def snapshot(self, uuid: str,
                 progress: ProgressCallback | None = None) -> Iterable[bytes]:
        """A small stand-in for the root disk, naming the guest (its data, for tests)."""
        del progress
        self._maybe_fail("snapshot")
        with self._lock:
            guest = self._guest(uuid)
        return [f"fake-disk:{uuid}:{guest.spec.image_id}".encode()]

    def set_aside(self, uuid: str) -> None:
        """Keep the guest's record aside, as its disks would be, until confirm or revert."""
        self._maybe_fail("set_aside")
        with self._lock:
            guest = self._guests.pop(uuid, None)
            if guest is not None:
                guest.power_state = PowerState.SHUTDOWN
                self._left_behind[uuid] = guest

    def has_move_leftovers(self, uuid: str) -> bool:
        """Whether a copy set aside by a move is kept here."""
        with self._lock:
            return uuid in self._left_behind

    def left_behind(self, uuid: str) -> FakeGuest | None:
        """A guest a move left on this host (for tests)."""
        with self._lock:
            return self._left_behind.get(uuid)

    def guest(self, uuid: str) -> FakeGuest | None:
        """A guest's record (for tests)."""
        with self._lock:
            return self._guests.get(uuid)
