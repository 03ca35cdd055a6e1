"""LocalDiskDriver: each guest is a directory of real disk files in its host's directory.

Layout under ``instances_path``::

    <host>/<uuid>/disk          root disk (raw, sparse), created from the image bytes;
                                a qcow2 image (by its disk_format) is converted to raw
                                with qemu-img
    <host>/<uuid>/disk.eph0     ephemeral disk of the flavor (sparse), when it has one
    <host>/<uuid>/disk.swap     swap disk of the flavor (sparse), when it has one
    <host>/<uuid>/disk.config   the config drive's files in one tar file, when the guest
                                has a drive; written again wherever the guest is created
    <host>/<uuid>/guest.json    power state and name, so a restarted compute sees its guests
    <host>/<uuid>_resize/       the source's disks a move set aside, kept until confirm
    <host>/.snapshots/<uuid>.qcow2  a cross-cell snapshot packed for upload, while it is
                                sent: a root disk with more holes before its last data
                                than data goes to the image service as qcow2

Same-cell moves copy the files into the destination host's directory; both hosts must
see ``instances_path`` (one machine, or a shared mount).
"""

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from cirrus import exception
from cirrus.compute.drivers import local_disks as disks
from cirrus.compute.drivers.base import (
    Capabilities,
    ComputeDriver,
    GuestSpec,
    HostResources,
    ProgressCallback,
)
from cirrus.image.client import ImageClient
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import PowerState

LOG = logging.getLogger(__name__)
GiB = 1 << 30
MiB = 1 << 20
ROOT, EPHEMERAL, SWAP, STATE = "disk", "disk.eph0", "disk.swap", "guest.json"
CONFIG = "disk.config"
ASIDE = "_resize"
# Where a packed (qcow2) snapshot is made on its way to the image service; not a guest.
SNAPSHOTS = ".snapshots"
# Holes below this much travel as zeros: packing costs a conversion on both sides.
PACK_ABOVE = 64 * MiB


def _error(method: str, reason: str) -> exception.DriverError:
    return exception.DriverError(method=method, reason=reason)


def flavor_disk_bytes(flavor: FlavorSpec) -> int:
    """Apparent size of every disk of ``flavor``."""
    return (flavor.root_gb + flavor.ephemeral_gb) * GiB + flavor.swap * MiB


class LocalDiskDriver(ComputeDriver):
    """Guests whose disks are files; power is a recorded state, no CPU runs.

    Args:
        instances_path: the directory holding one directory per host.
        image: the image service client (spawn downloads the image from it).
        vcpus, memory_mb: the size the host reports.
        local_gb: disk the host offers; 0 means the size of its filesystem.
        reserved_disk_mb: free space kept back; a disk write that would eat into it fails.
    """

    capabilities = Capabilities(supports_migration=True, has_real_disks=True)

    def __init__(self, instances_path: Path, image: ImageClient | None, *, vcpus: int = 16,
                 memory_mb: int = 32768, local_gb: int = 0,
                 reserved_disk_mb: int = 0) -> None:
        self.instances_path = Path(instances_path)
        self._image = image
        self._vcpus = vcpus
        self._memory_mb = memory_mb
        self._local_gb = local_gb
        self._reserved = reserved_disk_mb * MiB
        self._lock = threading.RLock()
        self.host = ""

    # -- paths and state ---------------------------------------------------------------

    def host_dir(self, host: str | None = None) -> Path:
        """The directory of ``host`` (this one by default)."""
        return self.instances_path / (host or self.host)

    def guest_dir(self, uuid: str, host: str | None = None) -> Path:
        """Where a guest's disks live on ``host``."""
        return self.host_dir(host) / uuid

    def aside_dir(self, uuid: str) -> Path:
        """Where a move keeps this host's copy of a guest's disks until confirm."""
        return self.host_dir() / f"{uuid}{ASIDE}"

    def disk_path(self, uuid: str) -> Path:
        """The root disk of a guest on this host."""
        return self.guest_dir(uuid) / ROOT

    def _read_state(self, directory: Path) -> dict[str, Any] | None:
        try:
            return cast("dict[str, Any]", json.loads((directory / STATE).read_text()))
        except FileNotFoundError:
            return None

    def _write_state(self, directory: Path, **changes: Any) -> None:
        state = {**(self._read_state(directory) or {}), **changes}
        tmp = directory / f"{STATE}.tmp"
        tmp.write_text(json.dumps(state))
        # Renamed into place so a crash never leaves half a state file.
        tmp.replace(directory / STATE)

    def _existing(self, method: str, uuid: str) -> Path:
        directory = self.guest_dir(uuid)
        if self._read_state(directory) is None:
            raise _error(method, f"no guest {uuid} on {self.host}")
        return directory

    # -- space ---------------------------------------------------------------------------

    def capacity_gb(self) -> int:
        """Disk the host offers, in GiB."""
        if self._local_gb:
            return self._local_gb
        return shutil.disk_usage(self.instances_path).total // GiB

    def free_bytes(self, host: str | None = None) -> int:
        """Space a new disk file on ``host`` may use, net of the reserve."""
        directory = self.host_dir(host)
        directory.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(directory).free - self._reserved

    def _check_fits(self, method: str, flavor: FlavorSpec) -> None:
        need = flavor_disk_bytes(flavor)
        if need > self.capacity_gb() * GiB:
            raise _error(method, f"flavor {flavor.name} needs {need // GiB} GiB of disk, "
                         f"more than the {self.capacity_gb()} GiB host {self.host} has")

    def _check_room(self, method: str, need: int, host: str | None = None) -> None:
        free = self.free_bytes(host)
        if need > free:
            raise _error(method, f"not enough free disk space on host {host or self.host}: "
                         f"{need} bytes needed, {max(free, 0)} available")

    # -- ComputeDriver: host ---------------------------------------------------------------

    def init_host(self, host: str) -> None:
        """Create this host's directory; guests recorded in it are this host's."""
        self.host = host
        self.host_dir().mkdir(parents=True, exist_ok=True)

    def get_available_nodes(self) -> list[str]:
        """One node, named like the host."""
        return [self.host]

    def get_available_resource(self, nodename: str) -> HostResources:
        """Configured CPU and memory; disk from the configuration or the filesystem."""
        del nodename
        return HostResources(
            vcpus=self._vcpus, memory_mb=self._memory_mb, local_gb=self.capacity_gb(),
            hypervisor_type="local", hypervisor_version=1000,
            supported_instances=(("x86_64", "qemu", "hvm"),))

    def list_instance_uuids(self) -> list[str]:
        """Guests with a state file in this host's directory."""
        root = self.host_dir()
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir()
                      if p.is_dir() and (p / STATE).is_file() and "." not in p.name
                      and not p.name.endswith(ASIDE))

    # -- ComputeDriver: lifecycle ----------------------------------------------------------

    def spawn(self, guest: GuestSpec, image_meta: dict[str, Any],
              progress: ProgressCallback | None = None) -> None:
        """Create the disks from the image and start the guest.

        ``progress`` follows the image's download (its bytes as the service sends them).

        Raises:
            DriverError: the disks do not fit, or the image bytes are wrong.
        """
        self._check_fits("spawn", guest.flavor)
        image_id = image_meta.get("id") or guest.image_id
        final = self.guest_dir(guest.uuid)
        work = final.with_name(f"{guest.uuid}.building")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            self._create_root(work / ROOT, image_id, guest.flavor, progress)
            self._create_extra_disks(work, guest.flavor)
            _write_drive(work, guest)
            self._write_state(work, power_state=int(PowerState.RUNNING), name=guest.name)
            with self._lock:
                shutil.rmtree(final, ignore_errors=True)
                work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def _create_root(self, path: Path, image_id: str | None, flavor: FlavorSpec,
                     progress: ProgressCallback | None) -> None:
        if image_id:
            self.fetch_image(image_id, path, progress)
        else:
            disks.create_sparse(path, 0)
        size, room = path.stat().st_size, flavor.root_gb * GiB
        if room and size > room:
            raise _error("spawn", "Flavor's disk is too small for requested image. Flavor "
                         f"disk is {room} bytes, image is {size} bytes.")
        disks.grow(path, room)

    def fetch_image(self, image_id: str, path: Path,
                    progress: ProgressCallback | None = None) -> None:
        """Download ``image_id`` into ``path`` (sparse), checking both of its checksums.

        Raises:
            DriverError: no image service, not enough room, a checksum mismatch, or a
                qcow2 image that names other files or cannot be converted (or no
                qemu-img to convert it).
        """
        if self._image is None:
            raise _error("spawn", "the local driver has no image service to download from")
        image = self._image.get_image(image_id)
        self._check_room("spawn", image.size or 0)
        # One hash, the strongest the image has (as Glance's clients check downloads).
        algo = image.os_hash_algo if image.os_hash_algo and image.os_hash_value else "md5"
        tally = disks.Tally(image.size or 0, progress)
        tally.start()
        writer = disks.SparseWriter(path, algo, tally.add)
        try:
            self._image.download_data(image_id, cast("BinaryIO", writer), verify=False)
        finally:
            writer.close()
        _verify(image_id, writer, image.os_hash_value if algo != "md5" else image.checksum)
        # The image's disk_format decides, not its first bytes: a raw disk whose guest
        # wrote a qcow2 header must stay raw. An image said to be qcow2 whose bytes are
        # not is taken as raw.
        if image.disk_format == "qcow2" and disks.is_qcow2(path):
            _qcow2_to_raw(path)

    def _create_extra_disks(self, directory: Path, flavor: FlavorSpec) -> None:
        if flavor.ephemeral_gb:
            disks.create_sparse(directory / EPHEMERAL, flavor.ephemeral_gb * GiB)
        if flavor.swap:
            disks.create_sparse(directory / SWAP, flavor.swap * MiB)

    def destroy(self, uuid: str, destroy_disks: bool = True) -> None:
        """Remove the guest (absent is fine); its disks too unless told to keep them."""
        with self._lock:
            directory = self.guest_dir(uuid)
            if destroy_disks:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                (directory / STATE).unlink(missing_ok=True)

    def _set_power(self, method: str, uuid: str, state: PowerState) -> None:
        with self._lock:
            self._write_state(self._existing(method, uuid), power_state=int(state))

    def power_off(self, uuid: str) -> None:
        """Record the guest as shut down."""
        self._set_power("power_off", uuid, PowerState.SHUTDOWN)

    def power_on(self, uuid: str) -> None:
        """Record the guest as running."""
        self._set_power("power_on", uuid, PowerState.RUNNING)

    def reboot(self, uuid: str, reboot_type: str) -> None:
        """The guest is running afterwards; a hard reboot also needs its root disk."""
        if reboot_type.upper() == "HARD" and not self.disk_path(uuid).is_file():
            raise _error("reboot", f"guest {uuid} has no root disk on {self.host}")
        self._set_power("reboot", uuid, PowerState.RUNNING)

    def get_power_state(self, uuid: str) -> int:
        """Power state from the guest's state file (NOSTATE when absent)."""
        state = self._read_state(self.guest_dir(uuid))
        return int(state["power_state"]) if state else int(PowerState.NOSTATE)

    # -- moves within a cell ---------------------------------------------------------------

    def prepare_migration_target(self, uuid: str, flavor: FlavorSpec) -> None:
        """Refuse a flavor whose disks are bigger than this host's disk."""
        del uuid
        self._check_fits("prepare_migration_target", flavor)

    def migrate_disk_and_power_off(self, uuid: str, dest_host: str, flavor: FlavorSpec,
                                   progress: ProgressCallback | None = None) -> None:
        """Stop the guest, set its disks aside and copy them to ``dest_host``'s directory.

        ``progress`` counts the bytes of the disks' data extents as they are copied.

        Raises:
            DriverError: the root disk would shrink, the destination has no room, or
                the copy failed (the guest is then back as it was, still stopped).
        """
        method = "migrate_disk_and_power_off"
        source = self._existing(method, uuid)
        if flavor.root_gb and flavor.root_gb * GiB < (source / ROOT).stat().st_size:
            raise _error(method, f"cannot shrink the root disk of {uuid} to "
                         f"{flavor.root_gb} GiB")
        need = sum(disks.allocated_bytes(p) for p in source.iterdir())
        self._check_room(method, need, dest_host)
        self.power_off(uuid)
        with self._lock:
            aside = self.aside_dir(uuid)
            shutil.rmtree(aside, ignore_errors=True)
            source.rename(aside)
        try:
            self._copy_guest(aside, self.guest_dir(uuid, dest_host), progress)
        except BaseException as exc:
            with self._lock:
                if not self.guest_dir(uuid).exists():
                    aside.rename(self.guest_dir(uuid))
            if isinstance(exc, exception.DriverError):
                raise
            raise _error(method, f"copy to {dest_host} failed: {exc}") from exc

    def _copy_guest(self, source: Path, target: Path,
                    progress: ProgressCallback | None) -> None:
        work = target.with_name(f"{target.name}.incoming")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            paths = sorted(source.iterdir())
            # The state file is a few bytes of bookkeeping, not disk data: not counted.
            tally = disks.Tally(sum(disks.data_bytes(p) for p in paths if p.name != STATE),
                                progress)
            tally.start()
            for path in paths:
                if path.name == STATE:
                    shutil.copyfile(path, work / STATE)
                else:
                    disks.copy_sparse(path, work / path.name, tally.add)
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def finish_migration(self, guest: GuestSpec, resize_disk: bool, power_on: bool) -> None:
        """Start the guest from the disks that arrived, resized to its new flavor.

        Raises:
            DriverError: no disks arrived for the guest.
        """
        directory = self.guest_dir(guest.uuid)
        if not (directory / ROOT).is_file():
            raise _error("finish_migration", f"no disks of {guest.uuid} on {self.host}")
        if resize_disk:
            self._resize_disks(directory, guest.flavor)
        # The drive copied from the source describes the server there; this host's
        # describes it here (its zone, for one).
        _write_drive(directory, guest)
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        with self._lock:
            self._write_state(directory, power_state=int(state), name=guest.name)

    def _resize_disks(self, directory: Path, flavor: FlavorSpec) -> None:
        disks.grow(directory / ROOT, flavor.root_gb * GiB)
        eph = directory / EPHEMERAL
        # As Nova does: a bigger ephemeral disk grows and keeps its data; a smaller one
        # cannot shrink, so it is made anew. Swap holds nothing worth keeping.
        if not flavor.ephemeral_gb:
            eph.unlink(missing_ok=True)
        elif eph.is_file() and eph.stat().st_size <= flavor.ephemeral_gb * GiB:
            disks.grow(eph, flavor.ephemeral_gb * GiB)
        else:
            disks.create_sparse(eph, flavor.ephemeral_gb * GiB)
        (directory / SWAP).unlink(missing_ok=True)
        if flavor.swap:
            disks.create_sparse(directory / SWAP, flavor.swap * MiB)

    def confirm_migration(self, uuid: str) -> None:
        """Delete the disks the move set aside on this host."""
        with self._lock:
            shutil.rmtree(self.aside_dir(uuid), ignore_errors=True)

    def finish_revert_migration(self, guest: GuestSpec, power_on: bool) -> None:
        """Start the guest again from its set-aside disks (no copy); recreate it if gone."""
        with self._lock:
            aside = self.aside_dir(guest.uuid)
            if aside.is_dir():
                shutil.rmtree(self.guest_dir(guest.uuid), ignore_errors=True)
                aside.rename(self.guest_dir(guest.uuid))
        if not self.disk_path(guest.uuid).is_file():
            LOG.warning("No disks of %s to revert to on %s; spawning it anew",
                        guest.uuid, self.host)
            self.spawn(guest, {})
        # Built from the records again: what was written while resized counts.
        _write_drive(self.guest_dir(guest.uuid), guest)
        state = PowerState.RUNNING if power_on else PowerState.SHUTDOWN
        with self._lock:
            self._write_state(self.guest_dir(guest.uuid), power_state=int(state),
                              name=guest.name)

    # -- moves across cells ----------------------------------------------------------------

    def snapshot_format(self, uuid: str) -> str:
        """qcow2 when the root disk's holes between data would travel as more zeros than
        it has data (and qemu-img is there to pack it); raw otherwise, which needs no
        conversion on either side."""
        return "qcow2" if _worth_packing(self._existing("snapshot", uuid) / ROOT) else "raw"

    def snapshot(self, uuid: str,
                 progress: ProgressCallback | None = None) -> Iterable[bytes]:
        """The root disk's bytes in chunks, read as they are sent, in the format
        ``snapshot_format`` says.

        A raw stream leaves out the trailing hole: the destination grows the disk to its
        flavor. ``progress`` counts the bytes of the stream as the caller takes them.
        """
        root = self._existing("snapshot", uuid) / ROOT
        if _worth_packing(root):
            return self._packed(uuid, root, progress)
        tally = disks.Tally(disks.stream_bytes(root, trim=True), progress)
        return tally.counted(disks.read_stream(root, trim=True))

    def _packed(self, uuid: str, root: Path,
                progress: ProgressCallback | None) -> Iterator[bytes]:
        """The disk as a qcow2 file holding only its data, made when the stream is first
        read and removed when it is done."""
        self._check_room("snapshot", disks.allocated_bytes(root))
        packed = self.host_dir() / SNAPSHOTS / f"{uuid}.qcow2"
        packed.parent.mkdir(exist_ok=True)
        try:
            _qemu_img(_qemu_img_path(), "convert", "-f", "raw", "-O", "qcow2", str(root),
                      str(packed), method="snapshot")
            tally = disks.Tally(packed.stat().st_size, progress)
            yield from tally.counted(disks.read_stream(packed))
        finally:
            packed.unlink(missing_ok=True)

    def set_aside(self, uuid: str) -> None:
        """Stop the guest and keep its disks aside for a revert or a rebuild."""
        with self._lock:
            directory = self.guest_dir(uuid)
            if self._read_state(directory) is None:
                return
            self._write_state(directory, power_state=int(PowerState.SHUTDOWN))
            aside = self.aside_dir(uuid)
            shutil.rmtree(aside, ignore_errors=True)
            directory.rename(aside)

    def has_move_leftovers(self, uuid: str) -> bool:
        """Whether a move set this guest's disks aside here."""
        return self.aside_dir(uuid).is_dir()

    # -- for tests and tools -----------------------------------------------------------------

    def write_disk(self, uuid: str, offset: int, data: bytes) -> None:
        """Write ``data`` into a guest's root disk, as the guest itself would."""
        with self.disk_path(uuid).open("r+b") as f:
            os.pwrite(f.fileno(), data, offset)

    def read_config_drive(self, uuid: str) -> dict[str, bytes] | None:
        """The config drive of a guest on this host (path -> bytes), None without one."""
        path = self.guest_dir(uuid) / CONFIG
        return disks.read_config_drive(path) if path.is_file() else None

    def read_disk(self, uuid: str, offset: int, length: int) -> bytes:
        """Read ``length`` bytes of a guest's root disk from ``offset``."""
        with self.disk_path(uuid).open("rb") as f:
            return os.pread(f.fileno(), length, offset)


def _write_drive(directory: Path, guest: GuestSpec) -> None:
    """Write the guest's config drive into its directory, or remove a stale one."""
    if guest.config_drive is None:
        (directory / CONFIG).unlink(missing_ok=True)
    else:
        disks.write_config_drive(directory / CONFIG, guest.config_drive)


def _verify(image_id: str, writer: disks.SparseWriter, expected: str | None) -> None:
    got = writer.hash.hexdigest()
    if expected and got != expected:
        raise _error("spawn", f"image {image_id} arrived corrupted: {writer.hash.name} "
                     f"{got[:32]}... (expected {expected[:32]}...)")


def _worth_packing(root: Path) -> bool:
    """Whether the raw stream of ``root`` would be more zeros (holes before its last data)
    than data, and qemu-img is there to leave them out."""
    if shutil.which("qemu-img") is None:
        return False
    data = disks.allocated_bytes(root)
    return disks.stream_bytes(root, trim=True) - data > max(data, PACK_ABOVE)


def _qemu_img_path() -> str:
    found = shutil.which("qemu-img")
    if found is None:
        raise _error("snapshot", "qemu-img is not installed")
    return found


def _qcow2_to_raw(path: Path) -> None:
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        raise _error("spawn", "the image is qcow2 and qemu-img is not installed")
    info = json.loads(_qemu_img(qemu_img, "info", "-f", "qcow2", "--output=json", str(path)))
    # A qcow2 file may name other files: following a backing file or an external data
    # file would copy files of the compute host into the guest's disk.
    data_file = info.get("format-specific", {}).get("data", {}).get("data-file")
    if info.get("backing-filename") or data_file:
        raise _error("spawn", "the qcow2 image names a backing file or a data file; only "
                     "self-contained images can be used")
    raw = path.with_name(f"{path.name}.raw")
    # The format is given, never probed, for the same reason.
    _qemu_img(qemu_img, "convert", "-f", "qcow2", "-O", "raw", str(path), str(raw))
    raw.replace(path)


def _qemu_img(qemu_img: str, *args: str, method: str = "spawn") -> str:
    try:
        done = subprocess.run([qemu_img, *args], check=True,  # noqa: S603
                              capture_output=True, text=True, timeout=3600)
    except subprocess.CalledProcessError as exc:
        raise _error(method, f"qemu-img {args[0]} failed: {exc.stderr.strip()}") from exc
    return done.stdout
