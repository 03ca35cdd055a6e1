"""Delete servers in any state: build request, cell0, unscheduled, on a host, host down."""

import logging

from cirrus.api.common import APIState, Located
from cirrus.context import RequestContext
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects import service as service_obj
from cirrus.objects.states import TaskState, VmState

LOG = logging.getLogger(__name__)


def _host_up(state: APIState, loc: Located) -> bool:
    assert loc.cell is not None and loc.instance is not None
    with state.runtime.cell_reader(loc.cell) as s:
        svc = service_obj.get_by_host_binary(s, loc.instance.host or "", "cirrus-compute")
    return svc is not None and svc.is_up(state.runtime.conf.service_down_time)


def delete_server(state: APIState, ctx: RequestContext, loc: Located) -> None:
    """Delete a located server; the compute does it when its host is up, else the API."""
    uuid = loc.mapping.instance_uuid
    runtime = state.runtime
    if loc.cell is None:
        with runtime.api_session() as s:
            br_obj.delete(s, uuid)
            spec_obj.delete(s, uuid)
            im_obj.delete(s, uuid)
        runtime.placement.delete_allocations(uuid)
        return
    inst = loc.instance
    assert inst is not None
    with runtime.cell_session(loc.cell) as s:
        action_obj.start(s, uuid, action_obj.DELETE, ctx.request_id, ctx.user_id,
                         ctx.project_id)
    if loc.cell.is_cell0 or not inst.host or not _host_up(state, loc):
        local_delete(state, ctx, loc)
        return
    with runtime.cell_session(loc.cell) as s:
        instance_obj.update_instance(s, uuid, task_state=TaskState.DELETING)
    state.compute_rpc.terminate_instance(ctx, loc.cell, inst.host, uuid)
    with runtime.api_session() as s:
        im_obj.mark_deleted(s, uuid)
        spec_obj.delete(s, uuid)


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
    runtime.placement.delete_allocations(uuid)
    try:
        for port in runtime.network.list_ports(device_id=uuid):
            runtime.network.delete_port(port.id)
    except Exception:
        LOG.exception("Could not remove the ports of deleted server %s", uuid)
    with runtime.api_session() as s:
        im_obj.mark_deleted(s, uuid)
        spec_obj.delete(s, uuid)
        br_obj.delete(s, uuid)
