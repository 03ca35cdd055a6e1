"""Delete servers in any state: build request, cell0, unscheduled, on a host, host down."""

import logging

from cirrus import exception
from cirrus.api.common import APIState, Located
from cirrus.api.ops import server_groups
from cirrus.compute import actions, network, volumes
from cirrus.context import RequestContext
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, TaskState, VmState

LOG = logging.getLogger(__name__)


def _migration_to_confirm(state: APIState, cell: CellMapping, uuid: str) -> Migration | None:
    with state.runtime.cell_reader(cell) as s:
        for status in (MigrationStatus.FINISHED, MigrationStatus.CONFIRMING):
            try:
                return migration_obj.get_by_instance_and_status(s, uuid, status)
            except exception.MigrationNotFound:
                continue
    return None


def _confirm_before_delete(state: APIState, ctx: RequestContext, cell: CellMapping,
                           inst: Instance) -> None:
    """Confirm a VERIFY_RESIZE server first, so its source host is cleaned, not leaked.

    The call is synchronous: the source must be done before the destination deletes. A
    source that is down, or a confirm that fails, does not stop the delete: the computes
    clean up what is left when they next audit.
    """
    migration = _migration_to_confirm(state, cell, inst.uuid)
    if migration is None:
        LOG.info("Server %s is resized but has no migration to confirm; it may have been "
                 "confirmed already", inst.uuid)
        return
    try:
        actions.start_confirm(state.runtime, state.compute_rpc, ctx, cell, inst, migration,
                              conductor_rpc=state.conductor_rpc,
                              cast=False)
    except exception.SourceComputeUnavailable:
        LOG.warning("Source compute %s of server %s is down; deleting without confirming "
                    "its resize", migration.source_compute, inst.uuid)
    except Exception:
        LOG.exception("Confirming the resize of server %s before its delete failed",
                      inst.uuid)


def delete_server(state: APIState, ctx: RequestContext, loc: Located) -> None:
    """Delete a located server; the compute does it when its host is up, else the API."""
    uuid = loc.mapping.instance_uuid
    runtime = state.runtime
    if loc.cell is None:
        with runtime.api_session() as s:
            br_obj.delete(s, uuid)
            spec_obj.delete(s, uuid)
            im_obj.delete(s, uuid)
            server_groups.leave(s, uuid)
        runtime.placement.delete_allocations(uuid)
        return
    inst = loc.instance
    assert inst is not None
    if inst.vm_state == VmState.RESIZED and not loc.cell.is_cell0:
        _confirm_before_delete(state, ctx, loc.cell, inst)
    with runtime.cell_session(loc.cell) as s:
        action_obj.start(s, uuid, action_obj.DELETE, ctx.request_id, ctx.user_id,
                         ctx.project_id)
    if (loc.cell.is_cell0 or not inst.host
            or not actions.compute_up(runtime, loc.cell, inst.host)):
        local_delete(state, ctx, loc)
        return
    with runtime.cell_session(loc.cell) as s:
        instance_obj.update_instance(s, uuid, task_state=TaskState.DELETING)
    state.compute_rpc.terminate_instance(ctx, loc.cell, inst.host, uuid)
    with runtime.api_session() as s:
        im_obj.mark_deleted(s, uuid)
        spec_obj.delete(s, uuid)
        # Out of its group now: the server no longer constrains where members go.
        server_groups.leave(s, uuid)


def local_delete(state: APIState, ctx: RequestContext, loc: Located) -> None:
    """Delete without a compute: records, allocations and ports go; the mapping is queued."""
    del ctx
    uuid = loc.mapping.instance_uuid
    runtime = state.runtime
    assert loc.cell is not None
    with runtime.cell_session(loc.cell) as s:
        inst = instance_obj.get_by_uuid(s, uuid)
        if inst.vm_state != VmState.DELETED:
            instance_obj.soft_delete(s, uuid)
        moves = [m.uuid for m in migration_obj.get_all(s, instance_uuid=uuid)]
    volumes.release_all(runtime, loc.cell, inst.project_id or "", uuid)
    runtime.placement.delete_allocations(uuid)
    # A move that failed in Placement can leave a share on its migration's consumer;
    # nothing would release it once the server is gone.
    for consumer in moves:
        runtime.placement.delete_allocations(consumer)
    network.deallocate_for_instance(runtime, uuid,
                                    keep=network.preserved_ports(inst.network_info))
    with runtime.api_session() as s:
        im_obj.mark_deleted(s, uuid)
        spec_obj.delete(s, uuid)
        br_obj.delete(s, uuid)
        server_groups.leave(s, uuid)
