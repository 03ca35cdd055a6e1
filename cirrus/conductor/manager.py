"""The superconductor's RPC endpoint: places new servers in cells.

It only validates, orders the steps and hands work to the scheduler and the computes;
the steps of moves live in conductor/tasks.
"""

import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor import auto_confirm, recovery, stuck_tasks
from cirrus.conductor.cross_cell import CrossCellMover
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.conductor.tasks import migrate
from cirrus.conductor.tasks.base import TaskChain
from cirrus.context import RequestContext
from cirrus.network import resource_request
from cirrus.notifications.notifier import Notifier, instance_payload
from cirrus.objects import block_device as bdm_obj
from cirrus.objects import build_request as br_obj
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.request_spec import RequestSpec
from cirrus.objects.states import VmState
from cirrus.runtime import Runtime
from cirrus.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)
BINARY = "cirrus-conductor"


class ComputeTaskManager:
    """Orchestration entry points of the superconductor."""

    target = messaging.Target(version="1.2")

    def __init__(self, runtime: Runtime, host: str) -> None:
        self._runtime = runtime
        self._host = host
        self._scheduler = SchedulerAPI(runtime)
        self._compute = ComputeAPI(runtime)
        self._notifier = Notifier(runtime.transports, runtime.conf.transport_url, BINARY, host)
        # Auto-confirm of a cross-cell move goes through our own queue, like a user's.
        self._self_rpc = ComputeTaskAPI(runtime)
        self._cross_cell = CrossCellMover(runtime, self._compute, self._notifier, host,
                                          self._scheduler)

    def schedule_and_build_instances(
        self, ctxt: RequestContext, request_spec: dict[str, Any], image: dict[str, Any],
        requested_networks: Any = None, **build_args: Any,
    ) -> None:
        """Schedule one server, create it in the chosen cell and cast the build to its host."""
        spec = RequestSpec.from_dict(request_spec)
        uuid = spec.instance_uuid
        try:
            selections = self._scheduler.select_destinations(ctxt, spec, [uuid])
        except exception.NoValidHost as exc:
            LOG.info("No valid host for %s: %s", uuid, exc)
            self._bury_in_cell0(ctxt, spec, exc)
            return
        except Exception as exc:
            LOG.exception("Scheduling %s failed", uuid)
            self._bury_in_cell0(ctxt, spec, exc)
            return
        chosen = selections[0][0]
        cell = self._cell(chosen["cell_uuid"])
        if not self._create_in_cell(ctxt, spec, cell, chosen["service_host"]):
            return
        # As Nova (no retry for a forced host), a build on a forced host is not rescheduled.
        alternates = None if spec.force_hosts else selections[0][1:]
        # The host binds each port to the provider Placement chose for its group.
        spec = spec.with_provider_mappings(chosen.get("provider_mappings") or {})
        self._compute.build_and_run_instance(
            ctxt, cell, chosen["service_host"], instance_uuid=uuid, image=image,
            node=chosen["nodename"], requested_networks=requested_networks,
            alternates=alternates, provider_mappings={
                g.requester_id: list(g.provider_uuids) for g in spec.requested_resources},
            **build_args)

    def periodic_tasks(self) -> list[tuple[float, Callable[[], Any]]]:
        """Background work of the superconductor: auto-confirm when a window is set, and
        the clean-up of servers stuck in a task_state."""
        tasks: list[tuple[float, Callable[[], Any]]] = []
        window = int(self._runtime.conf.resize_confirm_window)
        if window > 0:
            tasks.append((float(min(60, max(1, window // 2))), self.poll_unconfirmed_resizes))
        timeout = int(self._runtime.conf.task_state_timeout)
        if timeout > 0:
            tasks.append((stuck_tasks.interval(timeout), self.clean_stuck_tasks))
        return tasks

    def clean_stuck_tasks(self) -> int:
        """Settle servers left in a task_state (cirrus.conductor.stuck_tasks)."""
        return stuck_tasks.clean_stuck_tasks(self._runtime, self._compute)

    def poll_unconfirmed_resizes(self) -> int:
        """Confirm resizes older than ``resize_confirm_window`` in every cell."""
        return auto_confirm.poll_unconfirmed_resizes(self._runtime, self._compute,
                                                     self._self_rpc)

    def migrate_server(self, ctxt: RequestContext, instance_uuid: str, cell_uuid: str,
                       flavor: dict[str, Any], request_spec: dict[str, Any],
                       host: str | None = None, **_ignored: Any) -> None:
        """Resize or cold migrate a server within its cell (cirrus.conductor.tasks.migrate)."""
        cell = self._cell(cell_uuid)

        def sessions() -> Any:
            # A cross-cell move ends with the server (and these events) in another cell.
            return self._runtime.cell_session(self._mapped_cell(instance_uuid, cell))

        try:
            recorder, inst = self._start_migrate(ctxt, cell, instance_uuid, sessions)
            with recorder:
                self._cold_migrate(ctxt, cell, inst or instance_uuid, flavor, request_spec,
                                   host)
        except exception.CrossCellMoveAbandoned:
            LOG.warning("Left the move of %s to the next superconductor", instance_uuid)
        except Exception:
            LOG.info("Move of %s did not start", instance_uuid, exc_info=True)

    def _start_migrate(
        self, ctxt: RequestContext, cell: CellMapping, instance_uuid: str,
        sessions: Callable[[], Any],
    ) -> tuple[action_obj.Recorder, Instance | None]:
        """Start the move's events; the server is read with them when it is in ``cell``.

        A server not found is left to ``_cold_migrate`` to read (and fail), so that the
        events record the error.
        """
        start_cell = self._mapped_cell(instance_uuid, cell)
        with self._runtime.cell_session(start_cell) as s:
            recorder = action_obj.start_in(s, sessions, instance_uuid, ctxt.request_id,
                                           ("conductor_migrate_server", "cold_migrate"),
                                           self._host)
            if start_cell is not cell:
                return recorder, None
            try:
                return recorder, instance_obj.get_by_uuid(s, instance_uuid)
            except exception.InstanceNotFound:
                return recorder, None

    def _cold_migrate(self, ctxt: RequestContext, cell: CellMapping, instance: str | Instance,
                      flavor: dict[str, Any], request_spec: dict[str, Any],
                      host: str | None) -> None:
        if isinstance(instance, Instance):
            inst = instance
        else:
            with self._runtime.cell_session(cell) as s:
                inst = instance_obj.get_by_uuid(s, instance)
        instance_uuid = inst.uuid
        # As Nova's MigrationTask: the ports' requests are read now, for this move only.
        groups, same_subtree = resource_request.groups_of_ports(
            self._runtime.network.list_ports(device_id=instance_uuid))
        spec = RequestSpec.from_dict(request_spec).replace(
            requested_resources=groups, same_subtree=same_subtree)
        req = migrate.MoveRequest(
            runtime=self._runtime, ctxt=ctxt, cell=cell, instance=inst,
            flavor=FlavorSpec.from_dict(flavor), spec=spec, target_host=host)
        chain = TaskChain([
            migrate.PreallocateMigration(req),
            migrate.MoveSourceAllocations(req),
            migrate.SelectDestination(req, self._scheduler),
            migrate.CastPrepResize(req, self._compute, self._cross_cell.resize),
        ], on_failure=lambda error: self._move_failed(ctxt, cell, req, error))
        chain.run()
        # The new flavor is kept only once the move is under way; the per-request fields
        # (ignore_hosts, requested_destination) never reach the database.
        with self._runtime.api_session() as s:
            spec_obj.save(s, req.spec)

    def _move_failed(self, ctxt: RequestContext, cell: CellMapping,
                     req: migrate.MoveRequest, error: BaseException) -> None:
        """The server stays as it was, task cleared, with a fault and an error notification."""
        uuid = req.instance.uuid
        kind = "resize" if req.migration_type == "resize" else "cold migrate"
        reason = (f"No valid host found for {kind}"
                  if isinstance(error, exception.NoValidHost) else str(error))
        changes: dict[str, Any] = {"task_state": None}
        if self._guest_was_touched(req):
            # The source set the guest aside: a hard reboot brings it back (I6).
            changes["vm_state"] = VmState.ERROR
        with self._runtime.cell_session(cell) as s:
            instance_obj.add_fault(s, uuid, 500, str(error)[:255], repr(error), None)
            inst = instance_obj.update_instance(s, uuid, **changes)
        self._notifier.emit(ctxt, "compute_task.migrate_server.error", "ComputeTaskPayload",
                            {"instance_uuid": uuid, "reason": reason,
                             "state": inst.vm_state, "instance": instance_payload(inst)},
                            error=True)

    def _mapped_cell(self, instance_uuid: str, default: CellMapping) -> CellMapping:
        with self._runtime.api_reader() as s:
            cell_id = im_obj.get(s, instance_uuid).cell_id
        return default if cell_id in (None, default.id) else self._runtime.cell_by_id(cell_id)

    def _guest_was_touched(self, req: migrate.MoveRequest) -> bool:
        """Whether a failed cross-cell move got as far as the source compute."""
        if req.migration is None:
            return False
        with self._runtime.api_reader() as s:
            entries = journal_obj.for_migration(s, req.migration.uuid)
        return any(e.operation == journal_obj.Operation.RESIZE
                   and e.started("PrepResizeAtSource") for e in entries)

    def confirm_snapshot_based_resize(self, ctxt: RequestContext, instance_uuid: str,
                                      migration_uuid: str, target_cell_uuid: str,
                                      source_cell_uuid: str, source_host: str,
                                      **_ignored: Any) -> None:
        """Confirm a cross-cell resize (cast from confirmResize, called from delete)."""
        try:
            self._cross_cell.confirm(ctxt, instance_uuid, migration_uuid, target_cell_uuid,
                                     source_cell_uuid, source_host)
        except exception.CrossCellMoveAbandoned:
            LOG.warning("Left the confirm of %s to the next superconductor", instance_uuid)

    def revert_snapshot_based_resize(self, ctxt: RequestContext, instance_uuid: str,
                                     migration_uuid: str, target_cell_uuid: str,
                                     source_cell_uuid: str, source_host: str,
                                     dest_host: str, **_ignored: Any) -> None:
        """Revert a cross-cell resize (cast from revertResize)."""
        try:
            self._cross_cell.revert(ctxt, instance_uuid, migration_uuid, target_cell_uuid,
                                    source_cell_uuid, source_host, dest_host)
        except exception.CrossCellMoveAbandoned:
            LOG.warning("Left the revert of %s to the next superconductor", instance_uuid)

    @property
    def cross_cell(self) -> CrossCellMover:
        """The cross-cell operations of this superconductor (tests inject faults here)."""
        return self._cross_cell

    def recover_moves(self) -> int:
        """Settle the cross-cell operations a previous run of this host left unfinished."""
        return recovery.recover(self._cross_cell)

    def start_recovery(self) -> threading.Thread:
        """Run ``recover_moves`` in the background once the service is up."""
        thread = threading.Thread(target=self.recover_moves, name="move-recovery",
                                  daemon=True)
        thread.start()
        return thread

    def _cell(self, cell_uuid: str) -> CellMapping:
        for cell in self._runtime.cells():
            if cell.uuid == cell_uuid:
                return cell
        raise exception.CellMappingNotFound(uuid=cell_uuid)

    def _create_in_cell(self, ctxt: RequestContext, spec: RequestSpec,
                        cell: CellMapping, host: str) -> bool:
        """Copy the build request into the cell and flip the mapping; False if deleted."""
        uuid = spec.instance_uuid
        with self._runtime.api_reader() as s:
            br = br_obj.get(s, uuid)
        if br is None:
            LOG.info("Server %s was deleted before it reached a cell", uuid)
            self._runtime.placement.delete_allocations(uuid)
            return False
        zone = hm_obj.zone_of(self._runtime.aggregates(), host,
                              self._runtime.conf.default_availability_zone)
        br.instance["availability_zone"] = zone
        self._create_instance(ctxt, cell, br, spec.flavor, vm_state=VmState.BUILDING)
        with self._runtime.api_session() as s:
            im_obj.set_cell(s, uuid, cell.id)
            still_there = br_obj.delete(s, uuid)
        if not still_there:
            with self._runtime.cell_session(cell) as s:
                instance_obj.soft_delete(s, uuid)
            self._runtime.placement.delete_allocations(uuid)
            return False
        return True

    def _create_instance(self, ctxt: RequestContext, cell: CellMapping,
                         br: br_obj.BuildRequest, flavor: FlavorSpec,
                         vm_state: VmState) -> None:
        # NOTE: the server is not read back: its host reads it when the build starts.
        values = dict(br.instance)
        values["vm_state"] = vm_state
        values.pop("flavor", None)
        uuid = str(values["uuid"])
        with self._runtime.cell_session(cell) as s:
            instance_obj.insert_instance(
                s, values, flavor, metadata=values.pop("metadata", {}),
                system_metadata=values.pop("system_metadata", {}), tags=br.tags,
                keypairs=values.pop("keypairs", []),
                injected_files=[tuple(f) for f in values.pop("injected_files", [])])
            # A server buried in cell0 never had volumes made or attached for it.
            if not cell.is_cell0:
                for item in bdm_obj.volume_items(br.block_device_mappings):
                    bdm_obj.create(s, bdm_obj.values_from_request(uuid, item))
            action_obj.start(s, uuid, action_obj.CREATE, ctxt.request_id,
                             ctxt.user_id, ctxt.project_id)

    def _bury_in_cell0(self, ctxt: RequestContext, spec: RequestSpec,
                       error: BaseException) -> None:
        """Keep a server that cannot be scheduled visible, in ERROR, in cell0."""
        uuid = spec.instance_uuid
        cell0 = self._runtime.cell0()
        with self._runtime.api_session() as s:
            br = br_obj.get(s, uuid)
        if br is None:
            return
        br.instance["task_state"] = None
        self._create_instance(ctxt, cell0, br, spec.flavor, vm_state=VmState.ERROR)
        with self._runtime.cell_session(cell0) as s:
            inst = instance_obj.get_by_uuid(s, uuid)
            message = str(error) if isinstance(error, exception.NoValidHost) else (
                f"Scheduling failed: {error}")
            instance_obj.add_fault(s, uuid, 500, message, repr(error), None)
            action_obj.event_start(s, uuid, ctxt.request_id,
                                   "conductor_schedule_and_build_instances", self._host)
            action_obj.event_finish(s, uuid, ctxt.request_id,
                                    "conductor_schedule_and_build_instances", error)
        with self._runtime.api_session() as s:
            im_obj.set_cell(s, uuid, cell0.id)
            br_obj.delete(s, uuid)
        self._notifier.emit(ctxt, "compute_task.build_instances.error",
                            "ComputeTaskPayload",
                            {"instance_uuid": uuid, "reason": str(error),
                             "state": VmState.ERROR,
                             "instance": instance_payload(inst)}, error=True)
