"""Auto-confirm: resizes left in VERIFY_RESIZE longer than ``resize_confirm_window``.

Nova runs this on each destination compute, which then has to call the API up the stack;
here the superconductor does it for every cell with the same checks a user's
confirmResize gets (cirrus.compute.actions.start_confirm). A migration whose source
compute is down stays ``finished`` and is tried again on the next pass.
"""

import datetime
import logging

from cirrus import exception
from cirrus.compute import actions
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.context import RequestContext, get_admin_context
from cirrus.db.base import utcnow
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, TaskState, VmState
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


def poll_unconfirmed_resizes(runtime: Runtime, compute_rpc: ComputeAPI,
                             conductor_rpc: ComputeTaskAPI,
                             now: datetime.datetime | None = None) -> int:
    """Confirm every finished move older than the window; returns how many were started."""
    window = int(runtime.conf.resize_confirm_window)
    if window <= 0:
        return 0
    before = (now or utcnow()) - datetime.timedelta(seconds=window)
    started = 0
    for cell in runtime.cells():
        if cell.is_cell0:
            continue
        with runtime.cell_reader(cell) as s:
            due = migration_obj.get_all(s, status=MigrationStatus.FINISHED,
                                        changes_before=before)
        for mig in due:
            ctx = get_admin_context()
            try:
                started += _confirm_one(runtime, compute_rpc, conductor_rpc, ctx, cell,
                                        mig)
            except Exception as exc:
                LOG.warning("Error auto-confirming resize of %s (migration %s): %s. "
                            "Will retry later.", mig.instance_uuid, mig.uuid, exc)
    return started


def _confirm_one(runtime: Runtime, compute_rpc: ComputeAPI, conductor_rpc: ComputeTaskAPI,
                 ctx: RequestContext, cell: CellMapping, mig: Migration) -> int:
    with runtime.cell_reader(cell) as s:
        try:
            inst = instance_obj.get_by_uuid(s, mig.instance_uuid or "")
        except exception.InstanceNotFound:
            inst = None
    if inst is not None and inst.task_state in (TaskState.DELETING, TaskState.RESIZE_FINISH):
        return 0
    if inst is None or inst.vm_state != VmState.RESIZED or inst.task_state is not None:
        LOG.info("Migration %s cannot be confirmed (server %s); marking it error",
                 mig.uuid, "gone" if inst is None else f"{inst.vm_state}/{inst.task_state}")
        with runtime.cell_session(cell) as s:
            migration_obj.transition(s, mig.id, MigrationStatus.ERROR)
        return 0
    actions.start_confirm(runtime, compute_rpc, ctx, cell, inst, mig,
                          conductor_rpc=conductor_rpc)
    LOG.info("Auto-confirming the resize of %s", inst.uuid)
    return 1
