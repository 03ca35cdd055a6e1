"""What a hard reboot and a delete do about the remains of a failed move.

A move that failed half-way can leave a copy of the guest on the other host, set-aside
disks on this one, and allocations Placement refused to change. A hard reboot is the
user's way back from ERROR (invariant I6), so it also puts these right: the guest comes
back from its set-aside disks when they are all that is left (its data is kept, I4),
stale copies go (I3), and the server's allocations are rewritten to what it uses on this
host (I2).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cirrus.compute import network
from cirrus.compute.drivers.base import GuestSpec
from cirrus.objects import migration as migration_obj
from cirrus.objects.instance import Instance
from cirrus.objects.states import PowerState, VmState, migration_in_progress
from cirrus.scheduler.host_manager import resources_from_flavor

if TYPE_CHECKING:
    from cirrus.compute.manager import ComputeManager

LOG = logging.getLogger(__name__)


def restart_guest(compute: ComputeManager, inst: Instance) -> None:
    """Hard reboot: recreate a missing guest (from set-aside disks if a move left some)."""
    driver = compute.driver
    assert inst.flavor is not None
    guest = GuestSpec(inst.uuid, inst.display_name or inst.uuid, inst.flavor, inst.image_ref,
                      network_info=tuple(inst.network_info))
    if driver.get_power_state(inst.uuid) != PowerState.NOSTATE:
        driver.reboot(inst.uuid, "HARD")
    elif driver.has_move_leftovers(inst.uuid):
        LOG.info("Restarting %s from the disks a failed move set aside", inst.uuid)
        driver.finish_revert_migration(guest, power_on=True)
    else:
        driver.spawn(guest, {})
    if driver.has_move_leftovers(inst.uuid) and inst.vm_state != VmState.RESIZED:
        driver.confirm_migration(inst.uuid)


def heal_allocations(compute: ComputeManager, inst: Instance) -> None:
    """Leave exactly the server's flavor on this host's provider, and its ports'
    requests on the providers of this host their bindings name, under its own UUID."""
    placement = compute.runtime.placement
    with compute.runtime.cell_session(compute.cell) as s:
        moves = migration_obj.get_all(s, instance_uuid=inst.uuid)
    for mig in moves:
        if not migration_in_progress(mig.status):
            placement.delete_allocations(mig.uuid)
    assert inst.flavor is not None
    want = {compute.tracker.node(inst.node).uuid:
            resources_from_flavor(inst.flavor, is_bfv=not inst.image_ref)}
    want = {rp: {rc: n for rc, n in res.items() if n} for rp, res in want.items()}
    node = compute.tracker.node(inst.node).uuid
    tree = {rp["uuid"] for rp in placement.providers_in_tree(node)} - {node}
    want.update(network.named_allocations(compute.runtime, inst.uuid, tree))
    if placement.get_allocations(inst.uuid)[0] != want and not placement.put_allocations(
            inst.uuid, want, inst.project_id or "", inst.user_id or ""):
        LOG.error("Could not restore the allocations of %s on %s", inst.uuid, compute.host)


def discard_remains(compute: ComputeManager, instance_uuid: str,
                    server_host: str | None) -> None:
    """Remove what a move left on this host of a server that is not (or no longer) here."""
    if server_host == compute.host:
        return
    driver = compute.driver
    try:
        driver.destroy(instance_uuid)
        if driver.has_move_leftovers(instance_uuid):
            driver.confirm_migration(instance_uuid)
    except Exception:
        LOG.exception("Could not remove what a move of %s left on %s", instance_uuid,
                      compute.host)
    compute.tracker.refresh_usage()
