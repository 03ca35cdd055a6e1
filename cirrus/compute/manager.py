"""The compute service's RPC endpoint: boot, delete and power operations on one host."""

import dataclasses
import logging
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.compute import config_drive, network, recovery, rollback, volumes
from cirrus.compute.cross_cell import CrossCellManager
from cirrus.compute.drivers.base import ComputeDriver, GuestSpec
from cirrus.compute.group_policy import GroupPolicy
from cirrus.compute.move import MoveManager
from cirrus.compute.resource_tracker import ResourceTracker
from cirrus.compute.step_event import StepEvent
from cirrus.conductor.rpcapi import CellTaskAPI
from cirrus.context import RequestContext
from cirrus.context import get_admin_context as ctxt_for_cleanup
from cirrus.db.base import utcnow
from cirrus.notifications.notifier import Notifier, instance_payload
from cirrus.objects import block_device as bdm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.states import (
    MigrationStatus,
    TaskState,
    VmState,
    migration_in_progress,
)
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)
BINARY = "cirrus-compute"


class ComputeManager:
    """Runs the guests of one host through its driver.

    Args:
        runtime: shared resources of the process.
        cell: this host's cell (its database and transport).
        host: the host name.
        driver: the hypervisor driver.
    """

    target = messaging.Target(version="6.3")

    def __init__(self, runtime: Runtime, cell: CellMapping, host: str,
                 driver: ComputeDriver) -> None:
        self.runtime = runtime
        self.cell = cell
        self.host = host
        self.driver = driver
        self.tracker = ResourceTracker(runtime, cell, host, driver)
        self.notifier = Notifier(runtime.transports, cell.transport_url, BINARY, host)
        self.service_id: int | None = None
        self.cell_conductor = CellTaskAPI(runtime)
        self.group_policy = GroupPolicy(runtime, cell, host)
        self.moves = MoveManager(self)
        self.cross_cell = CrossCellManager(self)

    def endpoints(self) -> list[object]:
        """The RPC endpoints of this host: boot/delete/power, and moves."""
        return [self, self.moves, self.cross_cell]

    # -- helpers -----------------------------------------------------------------------

    def _session(self) -> AbstractContextManager[Session]:
        return self.runtime.cell_session(self.cell)

    def _get(self, uuid: str) -> Instance:
        with self._session() as s:
            return instance_obj.get_by_uuid(s, uuid)

    def _save(self, inst: Instance, **changes: Any) -> Instance:
        with self._session() as s:
            return instance_obj.save(s, inst, **changes)

    def guest(self, inst: Instance, flavor: FlavorSpec, image_id: str | None = None,
              block_devices: tuple[dict[str, Any], ...] = ()) -> GuestSpec:
        """The driver's view of ``inst`` here, its config drive built from the records."""
        drive = None
        if config_drive.required_by(inst, self.runtime.conf.force_config_drive):
            with self.runtime.cell_reader(self.cell) as s:
                files = instance_obj.injected_files(s, inst.uuid)
            drive = config_drive.build(inst, files)
        return dataclasses.replace(rollback.guest_of(inst, flavor, image_id, drive),
                                   block_devices=block_devices)

    def _set(self, uuid: str, **changes: Any) -> None:
        with self._session() as s:
            instance_obj.set_fields(s, uuid, **changes)

    def _event(self, ctxt: RequestContext, uuid: str, name: str) -> Any:
        return action_obj.event(self._session, uuid, ctxt.request_id, f"compute_{name}",
                                self.host)

    def _notify(self, ctxt: RequestContext, inst: Instance, event: str, **extra: Any) -> None:
        self.notifier.emit(ctxt, f"instance.{event}", "InstanceActionPayload",
                           instance_payload(inst, **extra))

    def init_host(self) -> None:
        """Prepare the driver; forget guests whose servers were deleted while we were down."""
        self.driver.init_host(self.host)

    def periodic_update_resources(self) -> None:
        """Periodic audit of the host's resources."""
        self.tracker.update_available_resource(self.service_id)

    # -- boot --------------------------------------------------------------------------

    def build_and_run_instance(
        self, ctxt: RequestContext, instance_uuid: str, image: dict[str, Any],
        node: str | None = None, requested_networks: Any = None,
        alternates: list[dict[str, Any]] | None = None,
        provider_mappings: dict[str, list[str]] | None = None, **_ignored: Any,
    ) -> None:
        """Spawn a server the conductor placed here; failures leave it in ERROR.

        Args:
            provider_mappings: requester id -> providers of the ports' request groups in
                the claim made for this host.
        """
        try:
            with self.runtime.cell_reader(self.cell) as s:
                inst = instance_obj.get_by_uuid(s, instance_uuid)
        except exception.InstanceNotFound:
            LOG.info("Server %s was deleted before its build started", instance_uuid)
            self.runtime.placement.delete_allocations(instance_uuid)
            return
        self._notify(ctxt, inst, "create.start")
        try:
            inst = self._build(ctxt, inst, image, node, requested_networks or [],
                               provider_mappings or {})
        except Exception as exc:
            LOG.exception("Build of %s failed on %s", instance_uuid, self.host)
            # As in Nova, a build scheduled with retries goes back to the cell conductor,
            # which tries the next alternate or ends in "Exceeded maximum number of retries".
            if alternates is not None and self.runtime.conf.scheduler.max_attempts > 1:
                self._reschedule(ctxt, inst, image, requested_networks, alternates, exc)
            else:
                self._fail_build(ctxt, instance_uuid, requested_networks, exc)
            return
        self.tracker.refresh_usage()
        self._notify(ctxt, inst, "create.end")

    def _build(self, ctxt: RequestContext, inst: Instance, image: dict[str, Any],
               node: str | None, requested_networks: list[dict[str, Any]],
               provider_mappings: dict[str, list[str]]) -> Instance:
        # NOTE: the event's start rides in the first save and its end in the last: a
        # build is then three transactions on the cell database instead of five.
        event = StepEvent(self._session, inst.uuid, ctxt.request_id,
                          "compute_build_and_run_instance", self.host)
        try:
            return self._build_steps(event, inst, image, node, requested_networks,
                                     provider_mappings)
        except BaseException as exc:
            event.fail(exc)
            raise

    def _build_steps(self, event: StepEvent, inst: Instance, image: dict[str, Any],
                     node: str | None, requested_networks: list[dict[str, Any]],
                     provider_mappings: dict[str, list[str]]) -> Instance:
        node = node or self.tracker.node().hypervisor_hostname
        with self.group_policy.placing(inst.uuid), event.opening() as s:
            inst = instance_obj.save(s, inst, expected_task_state=[TaskState.SCHEDULING, None],
                                     task_state=TaskState.NETWORKING, host=self.host,
                                     node=node, launched_on=self.host)
        vifs = network.allocate_for_instance(
            self.runtime, inst.uuid, inst.project_id or "", self.host,
            inst.availability_zone or "nova", requested_networks,
            provider_mappings) if requested_networks else []
        # As Nova, a drive forced by the host or the image shows in the server's record.
        drive = ({"config_drive": "True"} if config_drive.required_by(
            inst, self.runtime.conf.force_config_drive) else {})
        with self._session() as s:
            instance_obj.set_network_info(s, inst.uuid, vifs)
            inst = instance_obj.save(s, inst, expected_task_state=TaskState.NETWORKING,
                                     task_state=TaskState.SPAWNING, **drive)
            found = bdm_obj.get_by_instance(s, inst.uuid)
        inst.network_info = list(vifs)
        assert inst.flavor is not None
        bdms = volumes.attach_for_build(self.runtime, self.cell, inst.project_id or "",
                                        inst.uuid, self.host, found)
        self.driver.spawn(self.guest(inst, inst.flavor,
                                     block_devices=volumes.block_device_info(bdms)), image)
        power_state = self.driver.get_power_state(inst.uuid)
        launched_at = utcnow()
        with event.closing() as s:
            return instance_obj.save(
                s, inst, expected_task_state=TaskState.SPAWNING, vm_state=VmState.ACTIVE,
                task_state=None, power_state=power_state, launched_at=launched_at)

    def _reschedule(self, ctxt: RequestContext, inst: Instance, image: dict[str, Any],
                    requested_networks: Any, alternates: list[dict[str, Any]],
                    error: Exception) -> None:
        """Give this host's share back and ask the cell conductor to try an alternate."""
        self._clean_guest(inst.uuid, requested_networks)
        try:
            volumes.disconnect_for_reschedule(self.runtime, self.cell, inst.project_id or "",
                                              inst.uuid)
        except Exception:
            LOG.exception("Disconnecting the volumes of %s failed", inst.uuid)
        self.runtime.placement.delete_allocations(inst.uuid)
        self._set(inst.uuid, task_state=TaskState.SCHEDULING, host=None, node=None)
        self.tracker.refresh_usage()
        self.cell_conductor.build_instances(
            ctxt, self.cell, instance_uuid=inst.uuid, alternates=alternates,
            project_id=inst.project_id, user_id=inst.user_id, image=image,
            requested_networks=requested_networks, reason=str(error))

    def _clean_guest(self, uuid: str, requested_networks: Any) -> None:
        try:
            self.driver.destroy(uuid)
            network.deallocate_for_instance(self.runtime, uuid,
                                            keep=network.given_ports(requested_networks))
        except Exception:
            LOG.exception("Cleanup of guest %s failed", uuid)

    def _fail_build(self, ctxt: RequestContext, uuid: str, requested_networks: Any,
                    exc: Exception) -> None:
        self._clean_guest(uuid, requested_networks)
        with self._session() as s:
            # A reschedule that cannot happen says why it was wanted, as Nova's fault does.
            message = (str(exc) if isinstance(exc, exception.RescheduledException)
                       else f"Build of instance {uuid} aborted: {exc}")
            instance_obj.add_fault(s, uuid, 500, message, repr(exc), self.host)
            # As Nova does, a server whose build failed for good is on no host.
            inst = instance_obj.update_instance(s, uuid, vm_state=VmState.ERROR,
                                                task_state=None, host=None, node=None)
        # Nova keeps no allocation for a server whose build failed for good.
        self.runtime.placement.delete_allocations(uuid)
        self._notify(ctxt, inst, "create.error")
        self.tracker.refresh_usage()

    # -- delete ------------------------------------------------------------------------

    def terminate_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Destroy the guest, release its resources and mark the server deleted."""
        try:
            inst = self._get(instance_uuid)
        except exception.InstanceNotFound:
            return
        self._notify(ctxt, inst, "delete.start")
        with self._event(ctxt, instance_uuid, "terminate_instance"):
            self.driver.destroy(instance_uuid)
            network.deallocate_for_instance(self.runtime, instance_uuid,
                                            keep=network.preserved_ports(inst.network_info))
            volumes.release_all(self.runtime, self.cell, inst.project_id or "", instance_uuid)
            self.runtime.placement.delete_allocations(instance_uuid)
            self._end_moves(instance_uuid)
            with self._session() as s:
                instance_obj.soft_delete(s, instance_uuid)
        with self._session() as s:
            inst = instance_obj.get_by_uuid(s, instance_uuid, read_deleted=True)
        self.tracker.refresh_usage()
        self._notify(ctxt, inst, "delete.end")

    def _end_moves(self, instance_uuid: str) -> None:
        """Release what unfinished moves of a deleted server still hold (Nova leaks it)."""
        with self._session() as s:
            every = migration_obj.get_all(s, instance_uuid=instance_uuid)
        # Whatever its status: a revert whose source failed to give the allocations back
        # leaves the migration "reverted" with the source share still on its consumer.
        for mig in every:
            self.runtime.placement.delete_allocations(mig.uuid)
        moves = [m for m in every
                 if migration_in_progress(m.status) or m.status == MigrationStatus.ERROR]
        for mig in moves:
            if migration_in_progress(mig.status):
                rollback.fail_migration(self.runtime, self.cell, mig)
        if self.driver.has_move_leftovers(instance_uuid):
            self.driver.confirm_migration(instance_uuid)
        for host in {h for m in every for h in (m.source_compute, m.dest_compute)}:
            if host and host != self.host:
                self.moves.cleanup_elsewhere(ctxt_for_cleanup(), host, instance_uuid)

    # -- power -------------------------------------------------------------------------

    def _power(self, ctxt: RequestContext, uuid: str, name: str, expected: TaskState,
               action: Callable[[], None], vm_state: VmState,
               error_state: VmState | None = None) -> None:
        inst = self._get(uuid)
        self._notify(ctxt, inst, f"{name}.start")
        try:
            with self._event(ctxt, uuid, f"{name}_instance"):
                action()
        except Exception as exc:
            changes: dict[str, Any] = {"task_state": None}
            if error_state is not None:
                changes["vm_state"] = error_state
            with self._session() as s:
                instance_obj.add_fault(s, uuid, 500, str(exc)[:255], repr(exc), self.host)
                instance_obj.update_instance(s, uuid, **changes)
            raise
        inst = self._save(inst, expected_task_state=expected, vm_state=vm_state,
                          task_state=None, power_state=self.driver.get_power_state(uuid))
        self._notify(ctxt, inst, f"{name}.end")

    def stop_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Power a server off."""
        self._power(ctxt, instance_uuid, "power_off", TaskState.POWERING_OFF,
                    lambda: self.driver.power_off(instance_uuid), VmState.STOPPED)

    def start_instance(self, ctxt: RequestContext, instance_uuid: str) -> None:
        """Power a server on."""
        self._power(ctxt, instance_uuid, "power_on", TaskState.POWERING_ON,
                    lambda: self.driver.power_on(instance_uuid), VmState.ACTIVE)

    def reboot_instance(self, ctxt: RequestContext, instance_uuid: str,
                        reboot_type: str) -> None:
        """Reboot; a hard reboot recreates a missing guest, bringing ERROR back to ACTIVE."""
        hard = reboot_type.upper() == "HARD"
        expected = TaskState.REBOOTING_HARD if hard else TaskState.REBOOTING

        def _reboot() -> None:
            if hard:
                inst = self._get(instance_uuid)
                recovery.restart_guest(self, inst)
                recovery.heal_allocations(self, inst)
            else:
                self.driver.reboot(instance_uuid, reboot_type)

        # A failed reboot leaves the server in ERROR, from where a hard reboot recovers it.
        self._power(ctxt, instance_uuid, "reboot", expected, _reboot, VmState.ACTIVE,
                    error_state=VmState.ERROR)

    # -- volumes -----------------------------------------------------------------------

    def attach_volume(self, ctxt: RequestContext, instance_uuid: str, bdm_uuid: str) -> None:
        """Connect the reserved attachment of a new mapping to this host and complete it."""
        inst = self._get(instance_uuid)
        with self._event(ctxt, instance_uuid, "attach_volume"):
            volumes.connect_reserved(self.runtime, self.cell, inst.project_id or "",
                                     instance_uuid, bdm_uuid, self.host)
        self._notify(ctxt, inst, "volume_attach.end")

    def detach_volume(self, ctxt: RequestContext, instance_uuid: str, bdm_uuid: str) -> None:
        """Delete the volume's attachment and its mapping."""
        inst = self._get(instance_uuid)
        with self._event(ctxt, instance_uuid, "detach_volume"):
            volumes.disconnect(self.runtime, self.cell, inst.project_id or "",
                               instance_uuid, bdm_uuid)
        self._notify(ctxt, inst, "volume_detach.end")
