"""Putting a server back together after a step of a same-cell move failed.

Used by the computes and by the cell conductor (a reschedule that ran out of hosts). The
outcome always satisfies invariants I2 and I6: only the server's own consumer holds
allocations, on the host it is recorded on, the migration is in ``error`` and a fault says
what happened.
"""

import logging
from typing import Any

from cirrus import exception
from cirrus.compute import network, volumes
from cirrus.compute.drivers.base import GuestSpec
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, VmState
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)

OLD_VM_STATE = "old_vm_state"


def old_vm_state(inst: Instance) -> str:
    """The vm_state the server had when the move began (stashed by prep_resize)."""
    return inst.system_metadata.get(OLD_VM_STATE) or VmState.ACTIVE


def fail_migration(runtime: Runtime, cell: CellMapping, migration: Migration) -> None:
    """Move the migration to ``error`` unless it already ended."""
    with runtime.cell_session(cell) as s:
        try:
            migration_obj.transition(s, migration.id, MigrationStatus.ERROR)
        except (exception.InvalidMigrationTransition, exception.ConcurrentUpdate,
                exception.MigrationNotFound) as exc:
            LOG.info("Migration %s not moved to error: %s", migration.uuid, exc)


def give_back_to_source(runtime: Runtime, inst: Instance, migration: Migration) -> None:
    """Return the source share held by the migration to the server (drops any dest claim).

    Raises:
        ConcurrentUpdate: Placement kept refusing the write.
    """
    moved = runtime.placement.move_allocations(
        migration.uuid, inst.uuid, inst.project_id or "", inst.user_id or "",
        target_type="INSTANCE", source_type="MIGRATION")
    if not moved:
        LOG.info("Migration %s held no allocations to give back", migration.uuid)


def give_back_or_fail(runtime: Runtime, inst: Instance, migration: Migration) -> None:
    """``give_back_to_source`` for a revert: a refusal fails the revert (ERROR; a hard
    reboot rewrites the allocations) rather than leaving the source share orphaned.

    Raises:
        AllocationMoveFailed: Placement kept refusing the write.
    """
    try:
        give_back_to_source(runtime, inst, migration)
    except Exception as exc:
        raise exception.AllocationMoveFailed(
            source=migration.uuid, target=inst.uuid, error=str(exc)) from exc


def guest_of(inst: Instance, flavor: FlavorSpec, image_id: str | None = None,
             drive: tuple[tuple[str, bytes], ...] | None = None) -> GuestSpec:
    """What the driver needs to run ``inst`` with ``flavor`` (from ``image_id`` if given).

    ``drive`` is the config drive (``ComputeManager.guest`` builds it from the records).
    """
    return GuestSpec(uuid=inst.uuid, name=inst.display_name or inst.uuid, flavor=flavor,
                     image_id=image_id or inst.image_ref,
                     network_info=tuple(inst.network_info), config_drive=drive)


def _settle_volumes(runtime: Runtime, cell: CellMapping, inst: Instance, *,
                    to_source: bool) -> None:
    """Keep one attachment per volume: the source's, or the destination's."""
    project = inst.project_id or ""
    try:
        if to_source:
            volumes.back_to_previous(runtime, cell, project, inst.uuid)
        else:
            volumes.keep_only_named(runtime, cell, project, inst.uuid)
    except Exception:
        LOG.exception("Settling the volume attachments of %s failed", inst.uuid)


def _settle_ports(runtime: Runtime, inst: Instance, migration: Migration, *,
                  to_source: bool) -> None:
    """Bind the ports where the server ends up, naming the providers it holds there.

    A revert that failed on the destination has not moved them back yet; any other
    failure finds them there already and only rewrites the same profile.
    """
    host = migration.source_compute if to_source else (migration.dest_compute or inst.host)
    if not host:
        return
    try:
        network.bind_to_host(runtime, inst.uuid, host)
    except Exception:
        LOG.exception("Binding the ports of %s to %s failed", inst.uuid, host)


def abort_move(runtime: Runtime, cell: CellMapping, inst: Instance, migration: Migration,
               error: BaseException, *, to_source: bool, vm_state: str | None,
               host: str | None = None) -> Instance:
    """End a move that failed: allocations, migration, server state and a fault.

    Args:
        to_source: the server stays (or goes back) on the source with its old flavor;
            otherwise it now runs on the destination with the new flavor, and the
            migration's share on the source is dropped.
        vm_state: the vm_state to leave the server in (ERROR, or the one it had).
        host: the host writing the fault.

    Returns:
        The server as it is now.
    """
    placement = runtime.placement
    changes: dict[str, Any] = {"task_state": None}
    if vm_state is not None:
        changes["vm_state"] = vm_state
    try:
        if to_source:
            give_back_to_source(runtime, inst, migration)
        else:
            placement.delete_allocations(migration.uuid)
    except Exception:
        # The migration record keeps existing (in error), so its consumer is not an orphan;
        # deleting the server releases it (see terminate_instance).
        LOG.exception("Reverting allocation in placement for migration %s failed",
                      migration.uuid)
    fail_migration(runtime, cell, migration)
    _settle_volumes(runtime, cell, inst, to_source=to_source)
    _settle_ports(runtime, inst, migration, to_source=to_source)
    with runtime.cell_session(cell) as s:
        current = instance_obj.get_by_uuid(s, inst.uuid)
        old = current.old_flavor or current.flavor
        if to_source and old is not None:
            changes.update(host=migration.source_compute, node=migration.source_node,
                           **instance_obj.flavor_columns(old))
            instance_obj.set_flavors(s, inst.uuid, old, None, None)
        elif current.new_flavor is not None:
            instance_obj.set_flavors(s, inst.uuid, current.flavor, None, None)
        instance_obj.set_system_metadata(s, inst.uuid, {OLD_VM_STATE: None})
        instance_obj.add_fault(s, inst.uuid, 500, str(error)[:255] or repr(error),
                               repr(error), host)
        return instance_obj.update_instance(s, inst.uuid, **changes)
