"""The cleanup periodic: servers left in a task_state that nothing will ever clear.

Same-cell moves, boots, deletes and power actions are chains of casts. A cast lost with
a broker restart (its queue goes with the broker's memory), or a compute killed between
two steps, leaves the server with a task_state and no process working on it; the API
then refuses every action on it with 409. Nova has no general answer (only
``instance_build_timeout`` for builds, and a compute's own restart for its guests).

Here the superconductor looks at every cell every few minutes. A server whose row (and
whose unfinished migration's row, which a disk copy's progress keeps fresh) has not
changed for ``[DEFAULT] task_state_timeout`` seconds is settled:

* a move under way (a migration not yet finished, or being confirmed or reverted) ends
  as a failed move does: the migration goes to ``error``, the allocations are put back
  where the server is recorded, what the move left on the other host is removed, and
  the server is in ERROR with a fault; a hard reboot brings it back (invariant I6);
* a build ends in ERROR with Nova's build-timeout fault;
* a delete is sent to the server's compute again;
* anything else (a power action, a move that never reached the superconductor) has its
  task_state cleared, since nothing has been done to the guest or its records.

Cross-cell operations are left to the move journal (cirrus.conductor.recovery), and a
hidden copy belongs to the cross-cell operation that made it.
"""

import datetime
import logging

from cirrus import exception
from cirrus.compute import rollback
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.context import RequestContext, get_admin_context
from cirrus.db.base import utcnow
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, TaskState, VmState, migration_in_progress
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)

_BUILD_TASKS = frozenset({TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING,
                          TaskState.NETWORKING, TaskState.SPAWNING})
_BUILD_TIMED_OUT = "Instance build timed out. Set to error state."


def interval(timeout: int) -> float:
    """How often to look: often enough to act soon after ``timeout``, at most every 5 min."""
    return float(min(300, max(1, timeout // 4)))


def clean_stuck_tasks(runtime: Runtime, compute_rpc: ComputeAPI,
                      now: datetime.datetime | None = None) -> int:
    """Settle every server stuck in a task_state in every cell; returns how many."""
    timeout = int(runtime.conf.task_state_timeout)
    if timeout <= 0:
        return 0
    cutoff = (now or utcnow()) - datetime.timedelta(seconds=timeout)
    with runtime.api_reader() as s:
        journaled = {e.instance_uuid for e in journal_obj.unfinished(s)}
    settled = 0
    for cell in runtime.cells():
        if cell.is_cell0:
            continue
        for inst, mig in _stuck_in(runtime, cell, cutoff):
            if inst.uuid in journaled:
                continue
            try:
                _settle(runtime, compute_rpc, cell, inst, mig, timeout)
                settled += 1
            except Exception:
                LOG.exception("Could not settle server %s, stuck in %s; will try again",
                              inst.uuid, inst.task_state)
    return settled


def _stuck_in(runtime: Runtime, cell: CellMapping,
              cutoff: datetime.datetime) -> list[tuple[Instance, Migration | None]]:
    """Servers of ``cell`` in a task_state, unchanged since ``cutoff``, with the move
    they are in (None when none is unfinished); a move whose record changed since is
    still running."""
    with runtime.cell_reader(cell) as s:
        servers = instance_obj.get_all(s, instance_obj.Filters(changes_before=cutoff,
                                                               busy=True))
        out: list[tuple[Instance, Migration | None]] = []
        for inst in servers:
            moves = [m for m in migration_obj.get_all(s, instance_uuid=inst.uuid)
                     if migration_in_progress(m.status)]
            mig = moves[0] if moves else None
            if mig is not None and (mig.cross_cell_move or
                                    (mig.updated_at or mig.created_at) > cutoff):
                continue
            out.append((inst, mig))
    return out


def _settle(runtime: Runtime, compute_rpc: ComputeAPI, cell: CellMapping, inst: Instance,
            mig: Migration | None, timeout: int) -> None:
    ctxt = get_admin_context()
    task = inst.task_state
    LOG.warning("Server %s has been in task_state %s for more than %d s with nothing "
                "working on it; settling it", inst.uuid, task, timeout)
    if mig is not None and mig.status != MigrationStatus.FINISHED:
        _end_move(runtime, compute_rpc, ctxt, cell, inst, mig, timeout)
    elif task in _BUILD_TASKS and inst.vm_state == VmState.BUILDING:
        _end_build(runtime, cell, inst)
    elif task == TaskState.DELETING and inst.host:
        compute_rpc.terminate_instance(ctxt, cell, inst.host, inst.uuid)
    else:
        try:
            with runtime.cell_session(cell) as s:
                instance_obj.save(s, inst, expected_task_state=task, task_state=None)
        except exception.UnexpectedTaskState:
            LOG.info("Server %s moved on from %s; left as it is", inst.uuid, task)


def _end_move(runtime: Runtime, compute_rpc: ComputeAPI, ctxt: RequestContext,
              cell: CellMapping, inst: Instance, mig: Migration, timeout: int) -> None:
    """A failed move: back to the source unless only the source's clean-up was left."""
    error = exception.MigrationError(
        reason=f"the {inst.task_state or mig.status} step did not finish within {timeout} "
        "s (a message was lost or a service stopped); a hard reboot brings the server back")
    to_source = mig.status != MigrationStatus.CONFIRMING
    inst = rollback.abort_move(runtime, cell, inst, mig, error, to_source=to_source,
                               vm_state=VmState.ERROR)
    for host in {mig.source_compute, mig.dest_compute} - {inst.host, None}:
        compute_rpc.cleanup_move(ctxt, cell, host or "", instance_uuid=inst.uuid)


def _end_build(runtime: Runtime, cell: CellMapping, inst: Instance) -> None:
    """ERROR with Nova's fault; a claim made for no host is released (I2)."""
    try:
        with runtime.cell_session(cell) as s:
            instance_obj.save(s, inst, expected_task_state=inst.task_state,
                              vm_state=VmState.ERROR, task_state=None)
            instance_obj.add_fault(s, inst.uuid, 500, _BUILD_TIMED_OUT, _BUILD_TIMED_OUT,
                                   None)
    except exception.UnexpectedTaskState:
        LOG.info("Build of %s moved on; left as it is", inst.uuid)
        return
    if not inst.host:
        runtime.placement.delete_allocations(inst.uuid)
