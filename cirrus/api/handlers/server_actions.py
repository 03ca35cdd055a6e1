"""POST /servers/{id}/action: dispatch on the body's key through a table."""

from collections.abc import Callable
from typing import Any

import falcon

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of
from cirrus.api.schemas import servers as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.context import RequestContext
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.states import TaskState, VmState
from cirrus.policy.rules import servers as rules
from cirrus.wsgi.body import read_json

_REBOOT = validator(schemas.REBOOT)

Action = Callable[[APIState, falcon.Request, RequestContext, CellMapping, Instance, Any], int]


def _check_state(inst: Instance, method: str, vm_states: tuple[str, ...],
                 task_states: tuple[str | None, ...] = (None,)) -> None:
    if inst.vm_state not in vm_states:
        raise exception.InstanceInvalidState(method=method, instance_uuid=inst.uuid,
                                             attr="vm_state", state=inst.vm_state)
    if inst.task_state not in task_states:
        raise exception.InstanceInvalidState(method=method, instance_uuid=inst.uuid,
                                             attr="task_state", state=inst.task_state)


def _start_task(state: APIState, ctx: RequestContext, cell: CellMapping, inst: Instance,
                action: str, task: TaskState, expected: tuple[str | None, ...]) -> Instance:
    with state.runtime.cell_session(cell) as s:
        try:
            inst = instance_obj.update_instance(s, inst.uuid, expected_task_state=list(expected),
                                                task_state=task)
        except exception.UnexpectedTaskState:
            raise exception.InstanceInvalidState(
                method=action, instance_uuid=inst.uuid, attr="task_state",
                state=inst.task_state) from None
        action_obj.start(s, inst.uuid, action, ctx.request_id, ctx.user_id, ctx.project_id)
    return inst


def stop(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
         inst: Instance, body: Any) -> int:
    """os-stop: 202."""
    del req, body
    state.policy.authorize(ctx, rules.STOP, _target(inst))
    _check_state(inst, "stop", (VmState.ACTIVE, VmState.ERROR))
    inst = _start_task(state, ctx, cell, inst, action_obj.STOP, TaskState.POWERING_OFF, (None,))
    state.compute_rpc.stop_instance(ctx, cell, inst.host or "", inst.uuid)
    return 202


def start(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
          inst: Instance, body: Any) -> int:
    """os-start: 202."""
    del req, body
    state.policy.authorize(ctx, rules.START, _target(inst))
    _check_state(inst, "start", (VmState.STOPPED,))
    inst = _start_task(state, ctx, cell, inst, action_obj.START, TaskState.POWERING_ON, (None,))
    state.compute_rpc.start_instance(ctx, cell, inst.host or "", inst.uuid)
    return 202


def reboot(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
           inst: Instance, body: Any) -> int:
    """reboot (SOFT or HARD): 202; HARD also recovers a server in ERROR."""
    del req
    state.policy.authorize(ctx, rules.REBOOT, _target(inst))
    validate(_REBOOT, body)
    kind = body["reboot"]["type"].upper()
    if kind == "HARD":
        _check_state(inst, "reboot", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR,
                                      VmState.PAUSED, VmState.SUSPENDED),
                     (None, TaskState.REBOOTING, TaskState.REBOOTING_HARD))
        task = TaskState.REBOOTING_HARD
    else:
        _check_state(inst, "reboot", (VmState.ACTIVE,))
        task = TaskState.REBOOTING
    if not inst.host:
        raise exception.InstanceInvalidState(method="reboot", instance_uuid=inst.uuid,
                                             attr="host", state=None)
    inst = _start_task(state, ctx, cell, inst, action_obj.REBOOT, task,
                       (None, TaskState.REBOOTING, TaskState.REBOOTING_HARD))
    state.compute_rpc.reboot_instance(ctx, cell, inst.host or "", inst.uuid, kind)
    return 202


def _target(inst: Instance) -> dict[str, Any]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


ACTIONS: dict[str, Action] = {
    "os-stop": stop,
    "os-start": start,
    "reboot": reboot,
}


def server_action(state: APIState, req: falcon.Request, resp: falcon.Response,
                  server_id: str) -> None:
    """POST /servers/{id}/action."""
    ctx = ctx_of(req)
    body = read_json(req)
    if not isinstance(body, dict) or len(body) != 1:
        raise exception.Invalid("There is no such action: " + ", ".join(
            body if isinstance(body, dict) else []))
    name = next(iter(body))
    handler = ACTIONS.get(name)
    if handler is None:
        raise exception.Invalid(f"There is no such action: {name}")
    loc = common.find_server(state, ctx, server_id)
    cell, inst = common.require_instance(loc)
    if inst.locked and not ctx.is_admin and name != "unlock":
        raise exception.InstanceIsLocked(instance_uuid=inst.uuid)
    status = handler(state, req, ctx, cell, inst, body)
    resp.status = falcon.code_to_http_status(status)
