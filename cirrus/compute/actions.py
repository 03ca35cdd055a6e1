"""Steps of a move that the API, delete and the conductor's auto-confirm all start alike.

Kept free of the API's state and of falcon so that a periodic task in the conductor can
confirm a resize with exactly the checks and records a user's confirmResize gets.
"""

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.context import RequestContext
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus
from cirrus.runtime import Runtime


def compute_up(runtime: Runtime, cell: CellMapping, host: str | None) -> bool:
    """Whether the compute service of ``host`` in ``cell`` is up (no host: not up)."""
    if not host:
        return False
    with runtime.cell_reader(cell) as s:
        return service_obj.compute_is_up(s, host, int(runtime.conf.service_down_time))


def _has_action(session: Session, instance_uuid: str, request_id: str) -> bool:
    try:
        action_obj.get_by_request_id(session, instance_uuid, request_id)
    except exception.NotFound:
        return False
    return True


def start_confirm(runtime: Runtime, compute_rpc: ComputeAPI, ctx: RequestContext,
                  cell: CellMapping, inst: Instance, migration: Migration, *,
                  cast: bool = True) -> None:
    """Confirm a finished move: mark the migration ``confirming`` and ask the source.

    The source compute is checked *before* the migration is touched, so a confirm refused
    for a down source leaves it ``finished`` and can simply be retried (by the user or by
    the auto-confirm periodic). A migration already ``confirming`` (a retried delete) is
    kept as it is. ``cast=False`` waits for the source, as delete needs.

    Raises:
        SourceComputeUnavailable: the source compute service is down (409).
        InvalidMigrationTransition: the migration left ``finished`` meanwhile (409).
        ConcurrentUpdate: another request changed the migration at the same time (409).
    """
    source = migration.source_compute
    if not compute_up(runtime, cell, source):
        raise exception.SourceComputeUnavailable()
    assert source is not None
    with runtime.cell_session(cell) as s:
        current = migration_obj.get_by_id(s, migration.id)
        if current.status != MigrationStatus.CONFIRMING:
            migration_obj.transition(s, migration.id, MigrationStatus.CONFIRMING)
        if not _has_action(s, inst.uuid, ctx.request_id):
            action_obj.start(s, inst.uuid, action_obj.CONFIRM_RESIZE, ctx.request_id,
                             ctx.user_id, ctx.project_id)
    compute_rpc.confirm_resize(ctx, cell, source, instance_uuid=inst.uuid,
                               migration_uuid=migration.uuid, cast=cast)
