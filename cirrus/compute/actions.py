"""Steps of a move that the API, delete and the conductor's auto-confirm all start alike.

Kept free of the API's state and of falcon so that a periodic task in the conductor can
confirm a resize with exactly the checks and records a user's confirmResize gets.
"""


from cirrus import exception
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.context import RequestContext
from cirrus.objects import host_mapping as hm_obj
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


def source_cell(runtime: Runtime, migration: Migration) -> CellMapping:
    """The cell of a migration's source host (another cell for a cross-cell move)."""
    with runtime.api_reader() as s:
        cell_id = hm_obj.get_cell_id(s, migration.source_compute or "")
    return runtime.cell_by_id(cell_id)


def start_confirm(runtime: Runtime, compute_rpc: ComputeAPI, ctx: RequestContext,
                  cell: CellMapping, inst: Instance, migration: Migration, *,
                  cast: bool = True, conductor_rpc: ComputeTaskAPI | None = None) -> None:
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
    src_cell = source_cell(runtime, migration) if migration.cross_cell_move else cell
    if not compute_up(runtime, src_cell, source):
        raise exception.SourceComputeUnavailable()
    assert source is not None
    with runtime.cell_session(cell) as s:
        current = migration_obj.get_by_id(s, migration.id)
        if current.status != MigrationStatus.CONFIRMING:
            migration_obj.transition(s, migration.id, MigrationStatus.CONFIRMING,
                                     current=current)
        if not action_obj.exists(s, inst.uuid, ctx.request_id):
            action_obj.start(s, inst.uuid, action_obj.CONFIRM_RESIZE, ctx.request_id,
                             ctx.user_id, ctx.project_id)
    if migration.cross_cell_move:
        # The superconductor drives it: the two cells' computes never talk to each other.
        assert conductor_rpc is not None
        conductor_rpc.confirm_snapshot_based_resize(
            ctx, cast=cast, instance_uuid=inst.uuid, migration_uuid=migration.uuid,
            target_cell_uuid=cell.uuid, source_cell_uuid=src_cell.uuid, source_host=source)
        return
    compute_rpc.confirm_resize(ctx, cell, source, instance_uuid=inst.uuid,
                               migration_uuid=migration.uuid, cast=cast)
