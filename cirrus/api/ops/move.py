"""Resize, cold migrate, confirm and revert: every check before the cast.

The checks run in Nova's order (nova/compute/api.py ``resize``) so that a request that is
wrong in several ways gets the same error Nova gives: state, then host, then the target
host or the flavor, then quota. The handler has already made the policy and lock checks.
Whether the move may leave its cell is decided once per request (cirrus.api.ops.cross_cell)
and travels in the request spec. Since Nova always casts to the conductor, scheduling
failures are not reported here: the user sees them in the instance actions.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.api.ops import cross_cell, hosts, quotas, server_groups
from cirrus.api.ops.create import find_flavor
from cirrus.api.ops.tasks import check_state, start_task
from cirrus.compute import actions
from cirrus.context import RequestContext
from cirrus.objects import compute_node as node_obj
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.request_spec import RequestSpec
from cirrus.objects.states import MigrationStatus, TaskState, VmState

ZERO_DISK = "Resize to zero disk flavor is not allowed."


def upsize_deltas(new: FlavorSpec, current: FlavorSpec) -> dict[str, int]:
    """What going from ``current`` to ``new`` adds to quota usage (Nova's upsize delta).

    Only growth counts: a smaller flavor frees its difference only once the move is
    confirmed, so it is never credited up front, and instances do not change.
    """
    deltas = {"cores": new.vcpus - current.vcpus, "ram": new.memory_mb - current.memory_mb}
    return {name: delta for name, delta in deltas.items() if delta > 0}


def ignore_hosts(host: str | None, *, resize: bool, allow_same_host: bool) -> tuple[str, ...]:
    """Hosts the scheduler must not pick for this move.

    A resize may stay on its host when ``allow_resize_to_same_host`` says so; a cold
    migration never may, since the driver cannot migrate a server to itself.
    """
    if not host or (resize and allow_same_host):
        return ()
    return (host,)


def check_movable(inst: Instance, method: str, is_up: Callable[[str], bool]) -> None:
    """A server can start a resize or cold migration only when settled on a live host.

    Raises:
        InstanceInvalidState: not ACTIVE/STOPPED, a task running, or never launched (409).
        InstanceNotReady: the server has no host (409).
        SourceComputeUnavailable: its compute service is down (409).
    """
    check_state(inst, method, (VmState.ACTIVE, VmState.STOPPED))
    if not inst.launched_at:
        raise exception.InstanceInvalidState(method=method, instance_uuid=inst.uuid,
                                             attr="launched_at", state=None)
    if not inst.host:
        raise exception.InstanceNotReady(instance_id=inst.uuid)
    if not is_up(inst.host):
        raise exception.SourceComputeUnavailable()


def check_new_flavor(current: FlavorSpec, new: FlavorSpec, ref: str, *,
                     volume_backed: bool) -> None:
    """Whether a server may be resized from ``current`` to ``new``.

    Raises:
        CannotResizeDisk: a zero-disk flavor for an image-backed server with a disk (400).
        Invalid: ``new`` is disabled and is not the current flavor (400, as not found).
        CannotResizeToSameFlavor: ``new`` is the current flavor (400).
    """
    if new.root_gb == 0 and current.root_gb != 0 and not volume_backed:
        raise exception.CannotResizeDisk(reason=ZERO_DISK)
    same = new.id == current.id
    if not same and new.disabled:
        raise exception.Invalid(f"Flavor {ref} could not be found.")
    if same:
        raise exception.CannotResizeToSameFlavor()


def _flavor_of(inst: Instance) -> FlavorSpec:
    if inst.flavor is None:
        raise exception.InstanceNotReady(instance_id=inst.uuid)
    return inst.flavor


def _mapped_cell(state: APIState, host: str) -> CellMapping | None:
    """The cell the API DB maps ``host`` to, or None for an unmapped host."""
    with state.runtime.api_reader() as s:
        try:
            cell_id = hm_obj.get_cell_id(s, host)
        except exception.ComputeHostNotFound:
            return None
    try:
        return state.runtime.cell_by_id(cell_id)
    except exception.CellMappingNotFound:
        return None


def _has_compute_node(state: APIState, cell: CellMapping, host: str) -> bool:
    with state.runtime.cell_reader(cell) as s:
        return any(node.host == host for node in node_obj.get_all(s))


def _check_target_host(state: APIState, cell: CellMapping, inst: Instance, host: str, *,
                       cross_cell: bool) -> None:
    """An admin's destination must be another host with a compute node.

    The node is looked for in the server's cell, or, when the move may cross cells, in
    the cell the host is mapped to. So without cross-cell a host of another cell is "not
    found", as in Nova.

    Raises:
        CannotMigrateToSameHost: ``host`` is the server's host (400).
        Invalid: no compute node of ``host`` where it was looked for (400).
    """
    if host == inst.host:
        raise exception.CannotMigrateToSameHost()
    where = _mapped_cell(state, host) if cross_cell else cell
    if where is None or not _has_compute_node(state, where, host):
        raise exception.Invalid(exception.ComputeHostNotFound(host=host).message)


def _move_spec(state: APIState, cell: CellMapping, inst: Instance, flavor: FlavorSpec,
               ignore: tuple[str, ...], host: str | None, allowed: bool) -> RequestSpec:
    """The stored request spec with this move's per-request restrictions added."""
    with state.runtime.api_reader() as s:
        spec = spec_obj.load(s, inst.uuid)
        group = server_groups.group_info_of(s, inst.uuid) if spec is None else None
    if spec is None:
        # A server whose spec went missing is still movable: rebuild what scheduling needs.
        spec = RequestSpec(instance_uuid=inst.uuid, project_id=inst.project_id or "",
                           user_id=inst.user_id or "", flavor=_flavor_of(inst),
                           availability_zone=inst.availability_zone,
                           is_bfv=not inst.image_ref, instance_group=group)
    destination = cross_cell.requested_destination(cell.uuid, host, allowed)
    return spec.replace(flavor=flavor, ignore_hosts=ignore,
                        requested_destination=destination, source_cell_uuid=cell.uuid)


def _cast_move(state: APIState, ctx: RequestContext, cell: CellMapping, inst: Instance,
               flavor: FlavorSpec, action: str, host: str | None,
               ignore: tuple[str, ...], allowed: bool,
               auto_disk_config: bool | None = None) -> None:
    spec = _move_spec(state, cell, inst, flavor, ignore, host, allowed)
    changes: dict[str, Any] = {}
    if auto_disk_config is not None:
        changes["auto_disk_config"] = auto_disk_config
    # Only the uuid is used below: no read back.
    inst = start_task(state, ctx, cell, inst, action, TaskState.RESIZE_PREP, (None,),
                      read_back=False, progress=0, **changes)
    state.conductor_rpc.migrate_server(ctx, instance_uuid=inst.uuid, cell_uuid=cell.uuid,
                                       flavor=flavor.to_dict(), request_spec=spec.to_dict(),
                                       host=host)


def _is_up(state: APIState, cell: CellMapping) -> Callable[[str], bool]:
    def _up(host: str) -> bool:
        return actions.compute_up(state.runtime, cell, host)

    return _up


def resize(state: APIState, ctx: RequestContext, cell: CellMapping, inst: Instance,
           flavor_ref: str, disk_config: str | None = None) -> None:
    """Start resizing a server to ``flavor_ref``; it is RESIZE when this returns.

    Raises:
        Conflict: lock, state, host or service problems (409).
        Invalid: unknown, disabled or inaccessible flavor, same flavor, zero disk (400).
        QuotaExceeded: the larger flavor does not fit the project's quota (403).
    """
    check_movable(inst, "resize", _is_up(state, cell))
    current = _flavor_of(inst)
    new = find_flavor(state, ctx, flavor_ref, allow_disabled=True)
    check_new_flavor(current, new, flavor_ref, volume_backed=not inst.image_ref)
    quotas.check_deltas(state, ctx, inst.project_id or "", upsize_deltas(new, current))
    ignore = ignore_hosts(inst.host, resize=True,
                          allow_same_host=bool(state.runtime.conf.allow_resize_to_same_host))
    # No check of a resize depends on the decision, so it is made last: a refused
    # request then costs no cell scan or network call, and errors come in Nova's order.
    allowed = cross_cell.allow_cross_cell(state, ctx, inst)
    _cast_move(state, ctx, cell, inst, new, action_obj.RESIZE, None, ignore, allowed,
               None if disk_config is None else disk_config == "AUTO")


def migrate(state: APIState, ctx: RequestContext, cell: CellMapping, inst: Instance,
            host: str | None = None) -> None:
    """Start a cold migration, to ``host`` when an admin names one (never rescheduled).

    Raises:
        Conflict: lock, state, host or service problems (409).
        Invalid: ``host`` is the current host, or has no compute node in the server's
            cell (in any cell when the move may cross cells) (400).
    """
    check_movable(inst, "migrate", _is_up(state, cell))
    # Decided before the target host check, as in Nova: it says where the host may be.
    allowed = cross_cell.allow_cross_cell(state, ctx, inst)
    if host is not None:
        _check_target_host(state, cell, inst, host, cross_cell=allowed)
    ignore = ignore_hosts(inst.host, resize=False, allow_same_host=False)
    _cast_move(state, ctx, cell, inst, _flavor_of(inst), action_obj.MIGRATE, host, ignore,
               allowed)


def _finished_migration(state: APIState, cell: CellMapping, inst: Instance) -> Migration:
    with state.runtime.cell_reader(cell) as s:
        try:
            return migration_obj.get_by_instance_and_status(s, inst.uuid,
                                                            MigrationStatus.FINISHED)
        except exception.MigrationNotFound:
            raise exception.InstanceNotResized() from None


def confirm_resize(state: APIState, ctx: RequestContext, cell: CellMapping,
                   inst: Instance) -> None:
    """Confirm a VERIFY_RESIZE server: the source host is cleaned up.

    Raises:
        InstanceInvalidState: the server is not VERIFY_RESIZE (409).
        InstanceNotResized: no finished migration (400).
        SourceComputeUnavailable: the source compute is down; retry later (409).
    """
    check_state(inst, "confirmResize", (VmState.RESIZED,))
    migration = _finished_migration(state, cell, inst)
    actions.start_confirm(state.runtime, state.compute_rpc, ctx, cell, inst, migration,
                          conductor_rpc=state.conductor_rpc)


def _restore_spec_flavor(state: APIState, uuid: str, old: FlavorSpec) -> None:
    """Scheduling after a revert (a later move, evacuation) must use the old flavor."""
    with state.runtime.api_session() as s:
        spec = spec_obj.load(s, uuid)
        if spec is not None and spec.flavor.id != old.id:
            spec_obj.save(s, spec.replace(flavor=old))


def revert_resize(state: APIState, ctx: RequestContext, cell: CellMapping,
                  inst: Instance) -> None:
    """Revert a VERIFY_RESIZE server to its old flavor on its source host.

    Raises:
        InstanceInvalidState: the server is not VERIFY_RESIZE (409).
        InstanceNotResized: no finished migration (400).
        QuotaExceeded: reverting a downsize needs more than the quota has left (403).
    """
    check_state(inst, "revertResize", (VmState.RESIZED,))
    migration = _finished_migration(state, cell, inst)
    old, current = inst.old_flavor, _flavor_of(inst)
    if old is None:
        raise exception.InstanceNotResized()
    quotas.check_deltas(state, ctx, inst.project_id or "", upsize_deltas(old, current))
    source = migration.source_compute or ""
    # Set here so the source compute need not ask the API DB for its own zone.
    zone = hosts.host_zones(state).get(source, state.runtime.conf.default_availability_zone)

    def _reverting(s: Session) -> None:
        migration_obj.transition(s, migration.id, MigrationStatus.REVERTING)

    inst = start_task(state, ctx, cell, inst, action_obj.REVERT_RESIZE,
                      TaskState.RESIZE_REVERTING, (None,), also=_reverting,
                      availability_zone=zone)
    _restore_spec_flavor(state, inst.uuid, old)
    if migration.cross_cell_move:
        state.conductor_rpc.revert_snapshot_based_resize(
            ctx, instance_uuid=inst.uuid, migration_uuid=migration.uuid,
            target_cell_uuid=cell.uuid,
            source_cell_uuid=actions.source_cell(state.runtime, migration).uuid,
            source_host=source, dest_host=migration.dest_compute or "")
        return
    state.compute_rpc.revert_resize(ctx, cell, migration.dest_compute or "",
                                    instance_uuid=inst.uuid, migration_uuid=migration.uuid)
