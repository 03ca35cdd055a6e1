"""POST /servers/{id}/action: dispatch on the body's key through a table."""

from collections.abc import Callable
from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of
from cirrus.api.microversion import Version
from cirrus.api.ops import move
from cirrus.api.ops.tasks import check_lock, check_state, start_task
from cirrus.api.schemas import servers as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.context import RequestContext
from cirrus.objects import instance_action as action_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.states import TaskState, VmState
from cirrus.policy.rules import servers as rules
from cirrus.wsgi.body import read_json

_REBOOT = validator(schemas.REBOOT)
_RESIZE = validator(schemas.RESIZE)
_CONFIRM_RESIZE = validator(schemas.CONFIRM_RESIZE)
_REVERT_RESIZE = validator(schemas.REVERT_RESIZE)
# Newest first: the first whose minimum the request's version reaches applies.
_MIGRATE = (((2, 56), validator(schemas.MIGRATE_V2_56)), ((2, 1), validator(schemas.MIGRATE_V2_1)))

Action = Callable[[APIState, falcon.Request, RequestContext, CellMapping, Instance, Any], int]


def stop(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
         inst: Instance, body: Any) -> int:
    """os-stop: 202."""
    del req, body
    state.policy.authorize(ctx, rules.STOP, _target(inst))
    check_lock(ctx, inst)
    check_state(inst, "stop", (VmState.ACTIVE, VmState.ERROR))
    inst = start_task(state, ctx, cell, inst, action_obj.STOP, TaskState.POWERING_OFF, (None,))
    state.compute_rpc.stop_instance(ctx, cell, inst.host or "", inst.uuid)
    return 202


def start(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
          inst: Instance, body: Any) -> int:
    """os-start: 202."""
    del req, body
    state.policy.authorize(ctx, rules.START, _target(inst))
    check_lock(ctx, inst)
    check_state(inst, "start", (VmState.STOPPED,))
    inst = start_task(state, ctx, cell, inst, action_obj.START, TaskState.POWERING_ON, (None,))
    state.compute_rpc.start_instance(ctx, cell, inst.host or "", inst.uuid)
    return 202


def reboot(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
           inst: Instance, body: Any) -> int:
    """reboot (SOFT or HARD): 202; HARD also recovers a server in ERROR."""
    del req
    state.policy.authorize(ctx, rules.REBOOT, _target(inst))
    validate(_REBOOT, body)
    check_lock(ctx, inst)
    kind = body["reboot"]["type"].upper()
    if kind == "HARD":
        check_state(inst, "reboot", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR,
                                     VmState.PAUSED, VmState.SUSPENDED),
                    (None, TaskState.REBOOTING, TaskState.REBOOTING_HARD))
        task = TaskState.REBOOTING_HARD
    else:
        check_state(inst, "reboot", (VmState.ACTIVE,))
        task = TaskState.REBOOTING
    if not inst.host:
        raise exception.InstanceInvalidState(method="reboot", instance_uuid=inst.uuid,
                                             attr="host", state=None)
    inst = start_task(state, ctx, cell, inst, action_obj.REBOOT, task,
                      (None, TaskState.REBOOTING, TaskState.REBOOTING_HARD))
    state.compute_rpc.reboot_instance(ctx, cell, inst.host or "", inst.uuid, kind)
    return 202


def migrate_validator(version: Version) -> jsonschema.Draft4Validator:
    """The migrate body schema of ``version``: a destination host only from 2.56."""
    return next(v for lo, v in _MIGRATE if version.matches(lo))


def migrate_host(body: dict[str, Any]) -> str | None:
    """The destination in a validated migrate body (None: the scheduler picks)."""
    args = body["migrate"]
    return args.get("host") if isinstance(args, dict) else None


def resize(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
           inst: Instance, body: Any) -> int:
    """resize: 202; the server shows RESIZE until it reaches VERIFY_RESIZE."""
    del req
    validate(_RESIZE, body)
    state.policy.authorize(ctx, rules.RESIZE, _target(inst))
    check_lock(ctx, inst)
    args = body["resize"]
    move.resize(state, ctx, cell, inst, str(args["flavorRef"]), args.get("OS-DCF:diskConfig"))
    return 202


def migrate(state: APIState, req: falcon.Request, ctx: RequestContext, cell: CellMapping,
            inst: Instance, body: Any) -> int:
    """migrate (cold): 202; naming a host (2.56) needs the admin-only policy."""
    validate(migrate_validator(common.version_of(req)), body)
    host = migrate_host(body)
    state.policy.authorize(ctx, rules.MIGRATE_HOST if host else rules.MIGRATE, _target(inst))
    check_lock(ctx, inst)
    move.migrate(state, ctx, cell, inst, host)
    return 202


def confirm_resize(state: APIState, req: falcon.Request, ctx: RequestContext,
                   cell: CellMapping, inst: Instance, body: Any) -> int:
    """confirmResize: 204 (Nova keeps that code for compatibility; the work is async)."""
    del req
    validate(_CONFIRM_RESIZE, body)
    state.policy.authorize(ctx, rules.CONFIRM_RESIZE, _target(inst))
    check_lock(ctx, inst)
    move.confirm_resize(state, ctx, cell, inst)
    return 204


def revert_resize(state: APIState, req: falcon.Request, ctx: RequestContext,
                  cell: CellMapping, inst: Instance, body: Any) -> int:
    """revertResize: 202; the server shows REVERT_RESIZE until it is back on its source."""
    del req
    validate(_REVERT_RESIZE, body)
    state.policy.authorize(ctx, rules.REVERT_RESIZE, _target(inst))
    check_lock(ctx, inst)
    move.revert_resize(state, ctx, cell, inst)
    return 202


def _target(inst: Instance) -> dict[str, Any]:
    return {"project_id": inst.project_id, "user_id": inst.user_id}


ACTIONS: dict[str, Action] = {
    "os-stop": stop,
    "os-start": start,
    "reboot": reboot,
    "resize": resize,
    "migrate": migrate,
    "confirmResize": confirm_resize,
    "revertResize": revert_resize,
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
    status = handler(state, req, ctx, cell, inst, body)
    resp.status = falcon.code_to_http_status(status)
