"""Starting a task on a server: the lock and state checks, then one guarded write.

Every server action runs the same three steps in Nova's order (after its policy check):
the lock, the vm/task state, and a compare-and-swap of task_state that records the
instance action in the same transaction, so a lost race leaves no stray action behind.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.context import RequestContext
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance


def check_lock(ctx: RequestContext, inst: Instance) -> None:
    """A locked server takes actions from admins only (409 for anyone else)."""
    if inst.locked and not ctx.is_admin:
        raise exception.InstanceIsLocked(instance_uuid=inst.uuid)


def check_state(inst: Instance, method: str, vm_states: tuple[str, ...],
                task_states: tuple[str | None, ...] = (None,)) -> None:
    """409 unless the server is in one of ``vm_states`` and ``task_states``."""
    if inst.vm_state not in vm_states:
        raise exception.InstanceInvalidState(method=method, instance_uuid=inst.uuid,
                                             attr="vm_state", state=inst.vm_state)
    if inst.task_state not in task_states:
        raise exception.InstanceInvalidState(method=method, instance_uuid=inst.uuid,
                                             attr="task_state", state=inst.task_state)


def start_task(state: APIState, ctx: RequestContext, cell: CellMapping, inst: Instance,
               action: str, task: str, expected: tuple[str | None, ...], *,
               also: Callable[[Session], None] | None = None, read_back: bool = True,
               **changes: Any) -> Instance:
    """Set ``task`` (and ``changes``) if task_state is still ``expected``; record ``action``.

    ``also`` runs in the same transaction (e.g. a migration's status change), so either
    everything is written or nothing is. The server returned is read back after the
    write, unless ``read_back`` is False (a caller that uses none of its fields but the
    uuid): then it is ``inst`` with the changes applied.

    Raises:
        InstanceInvalidState: another request changed task_state first (409).
    """
    with state.runtime.cell_session(cell) as s:
        try:
            if read_back:
                inst = instance_obj.update_instance(
                    s, inst.uuid, expected_task_state=list(expected), task_state=task,
                    **changes)
            else:
                inst = instance_obj.save(s, inst, expected_task_state=list(expected),
                                         task_state=task, **changes)
        except exception.UnexpectedTaskState:
            raise exception.InstanceInvalidState(
                method=action, instance_uuid=inst.uuid, attr="task_state",
                state=inst.task_state) from None
        if also is not None:
            also(s)
        action_obj.start(s, inst.uuid, action, ctx.request_id, ctx.user_id, ctx.project_id)
    return inst
