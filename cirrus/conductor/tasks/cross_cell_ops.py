"""Confirm and revert of a cross-cell resize, driven by the superconductor (reference §2.9-10).

Confirm: CleanupSourceHost → DeleteSourceCopy → FinishConfirmInTarget.
Revert: UpdateSourceCell → SwitchBack → RevertAtDest → DeleteTargetCopy →
FinishRevertAtSource. Every step can run again after a crash (it checks what is already
done), so recovery simply runs the remaining ones (cirrus.conductor.recovery).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cirrus import exception
from cirrus.compute import network, volumes
from cirrus.compute import rollback as rb
from cirrus.conductor.tasks.base import Task
from cirrus.conductor.tasks.cross_cell import CrossCellMove, MoveStep, switch
from cirrus.db.cell import copy as cell_copy
from cirrus.notifications.notifier import Notifier, instance_payload
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.states import MigrationStatus, PowerState, TaskState, VmState

if TYPE_CHECKING:
    from cirrus.conductor.cross_cell import CrossCellMover

LOG = logging.getLogger(__name__)
_M = MigrationStatus


def _exists(move: CrossCellMove, cell: CellMapping) -> bool:
    with move.runtime.cell_reader(cell) as s:
        return instance_obj.exists(s, move.instance_uuid, read_deleted=False)


def _event_in(move: CrossCellMove, cell: CellMapping, name: str, host: str) -> Any:
    def _sessions() -> Any:
        return move.runtime.cell_session(cell)
    return action_obj.event(_sessions, move.instance_uuid, move.ctxt.request_id, name, host)


# -- confirm -----------------------------------------------------------------------------


class CleanupSourceHost(MoveStep):
    """The source compute removes the set-aside disks, bindings and the source share."""

    def execute(self) -> None:
        """Skipped when the source copy is already gone (a confirm resumed after a crash)."""
        m = self._m
        with m.source_db() as s:
            present = instance_obj.exists(s, m.instance_uuid, read_deleted=False)
            if present and not action_obj.exists(s, m.instance_uuid, m.ctxt.request_id):
                # The compute's event decorator needs an action for this request there.
                action_obj.start(s, m.instance_uuid, action_obj.CONFIRM_RESIZE,
                                 m.ctxt.request_id, m.ctxt.user_id, m.ctxt.project_id)
        if not present:
            m.runtime.placement.delete_allocations(m.migration_uuid)
            return
        with _event_in(m, m.target_cell, "compute_confirm_snapshot_based_resize_at_source",
                       m.source_host):
            m.call(m.source_cell, m.source_host, "confirm_snapshot_based_resize_at_source")


class DeleteSourceCopy(MoveStep):
    """Hard-delete the source cell's copy, so the server can move back there later."""

    def execute(self) -> None:
        """Every row of the server goes from the source cell."""
        with self._m.source_db() as s:
            cell_copy.hard_delete_instance(s, self._m.instance_uuid)


class FinishConfirmInTarget(MoveStep):
    """The migration is confirmed and the server settles, ACTIVE or SHUTOFF."""

    def execute(self) -> None:
        """Flavors unstashed, old vm_state dropped, the migration confirmed."""
        m = self._m
        with m.target_db() as s:
            inst = instance_obj.get_by_uuid(s, m.instance_uuid)
            migration_obj.walk_to(s, m.migration_uuid, _M.CONFIRMED)
            instance_obj.set_flavors(s, m.instance_uuid, inst.flavor, None, None)
            instance_obj.set_system_metadata(s, m.instance_uuid, {rb.OLD_VM_STATE: None})
            stopped = inst.power_state == PowerState.SHUTDOWN
            # A delete waiting on this confirm keeps its task state.
            deleting = (TaskState.DELETING, "soft-deleting")
            keep = {} if inst.task_state in deleting else {"task_state": None}
            instance_obj.set_fields(
                s, m.instance_uuid, expected_task_state=[None, *deleting],
                vm_state=VmState.STOPPED if stopped else VmState.ACTIVE, **keep)


def confirm_steps(move: CrossCellMove) -> list[Task[Any]]:
    """The cross-cell confirm, in order."""
    return [CleanupSourceHost(move), DeleteSourceCopy(move), FinishConfirmInTarget(move)]


# Journal fact: the operation's .start notification (and revert's event) went out.
_STARTED = "start_notified"


def _live_source(move: CrossCellMove) -> Instance | None:
    """The source copy of the server, or None when it is gone (a resumed confirm)."""
    try:
        return move.source_instance()
    except exception.InstanceNotFound:
        return None


def run_confirm(mover: CrossCellMover, move: CrossCellMove, notifier: Notifier) -> None:
    """Confirm with Nova's notifications (from the conductor) and events (target cell)."""
    ctxt = move.ctxt
    # A superconductor that takes over a confirm does not announce it a second time.
    source = None if move.data.get(_STARTED) else _live_source(move)
    if source is not None:
        notifier.emit(ctxt, "instance.resize_confirm.start", "InstanceActionPayload",
                      instance_payload(source))
        move.remember(**{_STARTED: True})
    try:
        with _event_in(move, move.target_cell, "conductor_confirm_snapshot_based_resize",
                       move.conductor_host):
            mover.run(move, confirm_steps(move))
    except Exception as exc:
        LOG.error("Confirm of the cross-cell resize of %s failed: %s. Its copy in the "
                  "source cell is removed; a hard reboot brings the server back.",
                  move.instance_uuid, exc)
        _failed(move, notifier, move.target_cell, exc)
        raise
    notifier.emit(ctxt, "instance.resize_confirm.end", "InstanceActionPayload",
                  instance_payload(move.target_instance()))


# -- revert ------------------------------------------------------------------------------


class UpdateSourceCell(MoveStep):
    """Bring the source copy up to date: task, history made while resized, migration."""

    def execute(self) -> None:
        """Runs before the mapping flips back, while the source copy is still hidden."""
        m = self._m
        if not _exists(m, m.target_cell):
            return
        with m.reader(m.target_cell) as t, m.source_db() as s:
            target = instance_obj.get_by_uuid(t, m.instance_uuid)
            cell_copy.copy_new_history(t, s, m.instance_uuid)
            instance_obj.set_system_metadata(s, m.instance_uuid, {
                rb.OLD_VM_STATE: target.system_metadata.get(rb.OLD_VM_STATE)})
            instance_obj.set_fields(s, m.instance_uuid,
                                    task_state=TaskState.RESIZE_REVERTING)
            mig = m.migration_in(s)
            if mig.status not in (_M.REVERTING, _M.REVERTED):
                migration_obj.walk_to(s, mig.id, _M.REVERTING)
        # Volumes attached or detached while resized (Nova: _update_bdms_in_source_cell).
        volumes.sync_source_mappings(m.runtime, m.target_cell, m.source_cell,
                                     target.project_id or "", m.instance_uuid)


class SwitchBack(MoveStep):
    """The mapping points at the source again: from here the user sees the old server."""

    def execute(self) -> None:
        """Flip before the cleanup, so a later failure is recovered in the source cell."""
        switch(self._m, to_target=False)


class RevertAtDest(MoveStep):
    """The destination destroys its guest and gives the ports back to the source."""

    def execute(self) -> None:
        """Skipped when the target copy is already gone."""
        m = self._m
        if not _exists(m, m.target_cell):
            return
        with _event_in(m, m.source_cell, "compute_revert_snapshot_based_resize_at_dest",
                       m.dest_host):
            m.call(m.target_cell, m.dest_host, "revert_snapshot_based_resize_at_dest")


class DeleteTargetCopy(MoveStep):
    """Hard-delete the target cell's copy; the destination recounts its usage."""

    def execute(self) -> None:
        """Every row of the server goes from the target cell."""
        m = self._m
        with m.target_db() as s:
            cell_copy.hard_delete_instance(s, m.instance_uuid)
        m.compute.cleanup_move(m.ctxt, m.target_cell, m.dest_host,
                               instance_uuid=m.instance_uuid)


class FinishRevertAtSource(MoveStep):
    """The source restarts the server from its kept disks with the old flavor."""

    def execute(self) -> None:
        """Skipped when the source already finished (a revert resumed after a crash)."""
        m = self._m
        with m.source_db() as s:
            if m.migration_in(s).status == _M.REVERTED:
                return
        m.call(m.source_cell, m.source_host, "finish_revert_snapshot_based_resize_at_source")


def revert_steps(move: CrossCellMove) -> list[Task[Any]]:
    """The cross-cell revert, in order."""
    return [UpdateSourceCell(move), SwitchBack(move), RevertAtDest(move),
            DeleteTargetCopy(move), FinishRevertAtSource(move)]


def run_revert(mover: CrossCellMover, move: CrossCellMove, notifier: Notifier) -> None:
    """Revert with Nova's notifications (conductor) and the conductor event's two homes."""
    ctxt = move.ctxt
    name = "conductor_revert_snapshot_based_resize"
    if _exists(move, move.target_cell) and not move.data.get(_STARTED):
        notifier.emit(ctxt, "instance.resize_revert.start", "InstanceActionPayload",
                      instance_payload(move.target_instance()))
        with move.target_db() as s:
            action_obj.event_start(s, move.instance_uuid, ctxt.request_id, name,
                                   move.conductor_host)
        move.remember(**{_STARTED: True})
    try:
        mover.run(move, revert_steps(move))
    except Exception as exc:
        cell = move.source_cell if not move.mapped_to_target() else move.target_cell
        with move.runtime.cell_session(cell) as s:
            action_obj.event_finish(s, move.instance_uuid, ctxt.request_id, name, exc)
        _failed(move, notifier, cell, exc)
        raise
    # The target copy (where the event started) is gone: it ends in the source cell.
    with move.source_db() as s:
        action_obj.event_finish(s, move.instance_uuid, ctxt.request_id, name, None)
    notifier.emit(ctxt, "instance.resize_revert.end", "InstanceActionPayload",
                  instance_payload(move.source_instance()))


def _best_effort(what: str, move: CrossCellMove, fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:
        LOG.exception("Could not %s of %s after the failed cross-cell operation", what,
                      move.instance_uuid)


def _settle_in(move: CrossCellMove, cell: CellMapping) -> None:
    """Leave the server in ``cell`` only (where the mapping points), as a hard reboot there
    expects it: the hidden copy in the other cell goes, with what its host keeps (guest or
    set-aside disks) and that host's port bindings; the move's share in Placement is
    dropped (the server stays on the target) or given back to the server (it is back on
    the source). Each part is best effort."""
    runtime = move.runtime
    uuid = move.instance_uuid
    in_target = cell.uuid == move.target_cell.uuid
    other = move.source_cell if in_target else move.target_cell
    with runtime.cell_reader(cell) as s:
        inst = instance_obj.get_by_uuid(s, uuid)
    other_host = str(move.source_host if in_target else move.data.get("dest_host") or "")
    with runtime.cell_reader(other) as s, contextlib.suppress(exception.InstanceNotFound):
        other_host = instance_obj.get_by_uuid(s, uuid).host or other_host

    def _drop_copy() -> None:
        with runtime.cell_session(other) as s:
            cell_copy.hard_delete_instance(s, uuid)
        if other_host:
            # With its copy gone, that host removes the server as one living elsewhere.
            move.compute.cleanup_move(move.ctxt, other, other_host, instance_uuid=uuid)

    def _ports() -> None:
        if inst.host:
            network.activate_bindings(runtime, uuid, inst.host)
        if other_host and other_host != inst.host:
            network.delete_bindings(runtime, uuid, other_host)

    def _allocations() -> None:
        if in_target:
            runtime.placement.delete_allocations(move.migration_uuid)
        else:
            runtime.placement.move_allocations(
                move.migration_uuid, uuid, inst.project_id or "", inst.user_id or "",
                target_type="INSTANCE", source_type="MIGRATION")

    _best_effort("remove the copy in the other cell", move, _drop_copy)
    _best_effort("bind the ports to the server's host", move, _ports)
    _best_effort("settle the allocations", move, _allocations)


def _failed(move: CrossCellMove, notifier: Notifier, cell: CellMapping,
            error: BaseException) -> None:
    """ERROR with a fault where the mapping points; a hard reboot there recovers it.

    Nothing of the server is left in the other cell (invariants I1-I3), so the hard
    reboot, which only sees its own cell, is all the recovery needed.
    """
    _best_effort("settle the server in its cell", move, lambda: _settle_in(move, cell))
    with move.runtime.cell_session(cell) as s:
        try:
            mig = move.migration_in(s)
            migration_obj.transition(s, mig.id, _M.ERROR, current=mig)
        except exception.CirrusException as exc:
            LOG.info("Migration %s left as it is: %s", move.migration_uuid, exc)
        instance_obj.add_fault(s, move.instance_uuid, 500, str(error)[:255], repr(error),
                               None)
        inst = instance_obj.update_instance(s, move.instance_uuid, vm_state=VmState.ERROR,
                                            task_state=None)
    notifier.emit(move.ctxt, "compute_task.migrate_server.error", "ComputeTaskPayload",
                  {"instance_uuid": move.instance_uuid, "reason": str(error),
                   "state": VmState.ERROR, "instance": instance_payload(inst)}, error=True)
