"""The interface every hypervisor driver implements."""

import abc
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from cirrus.objects.flavor_spec import FlavorSpec

ProgressCallback = Callable[[int, int], None]
"""Told ``(bytes done, bytes in the step)`` while a driver moves disk bytes.

A driver that reports calls it first with 0 done and last with done equal to the total;
the total is what the step really carries (data, not the disk's apparent size). A driver
may report nothing.
"""


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a driver can do."""

    supports_migration: bool = True
    has_real_disks: bool = False


@dataclasses.dataclass(frozen=True)
class HostResources:
    """The physical resources of one node."""

    vcpus: int
    memory_mb: int
    local_gb: int
    hypervisor_type: str
    hypervisor_version: int
    supported_instances: tuple[tuple[str, str, str], ...]


@dataclasses.dataclass(frozen=True)
class GuestSpec:
    """What a driver needs to know to run a server."""

    uuid: str
    name: str
    flavor: FlavorSpec
    image_id: str | None
    network_info: tuple[dict[str, Any], ...] = ()
    block_devices: tuple[dict[str, Any], ...] = ()
    config_drive: tuple[tuple[str, bytes], ...] | None = None
    """The config drive's files (path, bytes), or None when the guest has no drive."""


class ComputeDriver(abc.ABC):
    """A hypervisor as the compute manager drives it.

    Every method acts on one guest and returns when the hypervisor is done; errors are
    raised as exceptions (DriverError or the hypervisor's own).
    """

    capabilities = Capabilities()

    def snapshot_format(self, uuid: str) -> str:
        """The disk format of what ``snapshot`` streams for ``uuid``, for the image
        service."""
        del uuid
        return "raw"

    @abc.abstractmethod
    def init_host(self, host: str) -> None:
        """Prepare the driver for ``host`` before the service starts."""

    @abc.abstractmethod
    def get_available_nodes(self) -> list[str]:
        """Names of the nodes this host manages (one for every driver here)."""

    @abc.abstractmethod
    def get_available_resource(self, nodename: str) -> HostResources:
        """Total resources of ``nodename``."""

    @abc.abstractmethod
    def list_instance_uuids(self) -> list[str]:
        """Uuids of the guests present on this host."""

    @abc.abstractmethod
    def spawn(self, guest: GuestSpec, image_meta: dict[str, Any],
              progress: ProgressCallback | None = None) -> None:
        """Create and start a guest; ``progress`` follows the image's download."""

    @abc.abstractmethod
    def destroy(self, uuid: str, destroy_disks: bool = True) -> None:
        """Stop and remove a guest (absent is fine)."""

    @abc.abstractmethod
    def power_off(self, uuid: str) -> None:
        """Stop a guest."""

    @abc.abstractmethod
    def power_on(self, uuid: str) -> None:
        """Start a stopped guest."""

    @abc.abstractmethod
    def reboot(self, uuid: str, reboot_type: str) -> None:
        """Reboot a guest; HARD recreates it from its definition."""

    @abc.abstractmethod
    def get_power_state(self, uuid: str) -> int:
        """The PowerState of a guest (NOSTATE when absent)."""

    # -- moves (resize and cold migration) ---------------------------------------------

    @abc.abstractmethod
    def prepare_migration_target(self, uuid: str, flavor: FlavorSpec) -> None:
        """On the destination: make room for an incoming guest (a resize claim's hook)."""

    @abc.abstractmethod
    def migrate_disk_and_power_off(self, uuid: str, dest_host: str, flavor: FlavorSpec,
                                   progress: ProgressCallback | None = None) -> None:
        """On the source: stop the guest and hand its disks over; they stay until confirm.

        ``dest_host`` is the destination's host name (its compute service's host);
        ``progress`` follows the copy of the disks.
        """

    @abc.abstractmethod
    def finish_migration(self, guest: GuestSpec, resize_disk: bool, power_on: bool) -> None:
        """On the destination: create the guest from the handed-over disks."""

    @abc.abstractmethod
    def confirm_migration(self, uuid: str) -> None:
        """On the source: remove what the move left behind (its disks and guest)."""

    @abc.abstractmethod
    def finish_revert_migration(self, guest: GuestSpec, power_on: bool) -> None:
        """On the source: bring back the guest the move left behind."""

    # -- cross-cell moves: the disks travel through the image service -------------------

    @abc.abstractmethod
    def snapshot(self, uuid: str,
                 progress: ProgressCallback | None = None) -> Iterable[bytes]:
        """On the source: the root disk's bytes, streamed (the guest is powered off).

        ``progress`` follows the chunks as the caller consumes them.
        """

    @abc.abstractmethod
    def set_aside(self, uuid: str) -> None:
        """On the source: remove the guest but keep its disks for a revert or a rebuild."""

    @abc.abstractmethod
    def has_move_leftovers(self, uuid: str) -> bool:
        """Whether a move left this guest's disks set aside on this host."""
