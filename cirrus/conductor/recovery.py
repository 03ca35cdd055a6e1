"""What a starting superconductor does about cross-cell operations its predecessor left.

Every unfinished journal entry owned by this host is settled with no operator action
(except those of operations this process began itself, since recovery runs while the
first casts are already being served):

* a resize whose mapping had not flipped is rolled back: the compensations of the steps
  the journal says started run newest first, then the migration's allocations go back
  to the server, the migration ends in ``error`` and the server gets a fault (ERROR if
  the source had already set its guest aside; a hard reboot brings it back);
* a resize whose mapping had flipped is finished: the switch-over is completed;
* a confirm or a revert is run again from the start: each of its steps sees what is
  already done and skips it.

Recovery of an entry that fails is logged and left for the next start; every step and
compensation can run more than once.
"""

from __future__ import annotations

import logging

from cirrus import exception
from cirrus.conductor import cross_cell
from cirrus.conductor.tasks import cross_cell as cc
from cirrus.conductor.tasks import cross_cell_ops as ops
from cirrus.context import get_admin_context
from cirrus.notifications.notifier import instance_payload
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.move_journal import Entry, Operation, State
from cirrus.objects.states import MigrationStatus, VmState

LOG = logging.getLogger(__name__)
_CONDUCTOR_EVENTS = ("conductor_migrate_server", "cold_migrate")


def recover(mover: cross_cell.CrossCellMover) -> int:
    """Settle every unfinished operation this superconductor owns; returns how many."""
    settled = 0
    for entry in mover.left_unfinished():
        try:
            _recover_one(mover, entry)
            settled += 1
        except Exception:
            LOG.exception("Could not settle the %s of %s (journal %d); will try again at "
                          "the next start", entry.operation, entry.instance_uuid, entry.id)
    return settled


def _recover_one(mover: cross_cell.CrossCellMover, entry: Entry) -> None:
    LOG.warning("Settling the %s of %s left %s by a previous superconductor (journal %d)",
                entry.operation, entry.instance_uuid, entry.step, entry.id)
    move = mover.context(get_admin_context(entry.request_id), entry)
    if entry.operation == Operation.CONFIRM:
        ops.run_confirm(mover, move, mover.notifier)
    elif entry.operation == Operation.REVERT:
        ops.run_revert(mover, move, mover.notifier)
    elif move.mapped_to_target():
        _finish_resize(mover, move)
    else:
        _roll_back_resize(mover, move, entry)


def _finish_resize(mover: cross_cell.CrossCellMover, move: cc.CrossCellMove) -> None:
    """The server already lives in the target cell: complete the switch-over."""
    cc.SwitchMapping(move).execute()
    cc.delete_snapshot(move)
    flavor = FlavorSpec.from_dict(move.data["flavor"])
    with move.runtime.api_session() as s:
        spec = spec_obj.load(s, move.instance_uuid)
        if spec is not None:
            spec_obj.save(s, spec.replace(flavor=flavor))
    _end_events(move, None)
    mover.close(move, State.DONE)


def _roll_back_resize(mover: cross_cell.CrossCellMover, move: cc.CrossCellMove,
                      entry: Entry) -> None:
    """Undo the started steps, newest first, then what the outer move task took."""
    error = exception.MigrationError(
        reason="the superconductor stopped during the move; it was rolled back")
    for step in reversed(cross_cell.resize_steps(move)):
        if entry.started(step.name) and not _rolled_back(entry, step.name):
            step.rollback(None, error)
            move.record(step.name, "rolled-back", State.ROLLING_BACK)
    cc.delete_snapshot(move)
    _give_back(mover, move, entry, error)
    _end_events(move, error)
    mover.close(move, State.ROLLED_BACK)


def _rolled_back(entry: Entry, name: str) -> bool:
    return any(s.name == name and s.status == "rolled-back" for s in entry.steps)


def _give_back(mover: cross_cell.CrossCellMover, move: cc.CrossCellMove, entry: Entry,
               error: BaseException) -> None:
    """Allocations back to the server, migration ``error``, a fault on the server."""
    runtime = move.runtime
    with move.source_db() as s:
        inst = instance_obj.get_by_uuid(s, move.instance_uuid)
        mig = move.migration_in(s)
    if runtime.placement.get_allocations(mig.uuid)[0]:
        runtime.placement.move_allocations(
            mig.uuid, inst.uuid, inst.project_id or "", inst.user_id or "",
            target_type="INSTANCE", source_type="MIGRATION")
    touched = entry.started("PrepResizeAtSource")
    with move.source_db() as s:
        try:
            migration_obj.transition(s, mig.id, MigrationStatus.ERROR)
        except exception.CirrusException as exc:
            LOG.info("Migration %s left as it is: %s", mig.uuid, exc)
        instance_obj.add_fault(s, inst.uuid, 500, str(error)[:255], repr(error), None)
        changes: dict[str, object] = {"task_state": None, "hidden": False}
        if touched:
            changes["vm_state"] = VmState.ERROR
        inst = instance_obj.update_instance(s, inst.uuid, **changes)
    mover.notifier.emit(move.ctxt, "compute_task.migrate_server.error", "ComputeTaskPayload",
                        {"instance_uuid": inst.uuid, "reason": str(error),
                         "state": inst.vm_state, "instance": instance_payload(inst)},
                        error=True)


def _end_events(move: cc.CrossCellMove, error: BaseException | None) -> None:
    """Close the conductor's events of the move in the cell the server lives in."""
    cell = move.target_cell if move.mapped_to_target() else move.source_cell
    with move.runtime.cell_session(cell) as s:
        for name in _CONDUCTOR_EVENTS:
            try:
                action_obj.event_finish(s, move.instance_uuid, move.ctxt.request_id, name,
                                        error)
            except exception.NotFound:
                return
