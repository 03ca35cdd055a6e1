"""Checks of DESIGN §4's invariants against a running all-in-one, for tests.

``check_server`` asserts I1, I2, I3, I4 and I6 for one server; ``check_consumers`` asserts
the global half of I2 (no allocation belongs to a consumer that no longer exists). They
read the databases, Placement and the fake drivers directly: they check the system, not
what the API says about it.
"""

from __future__ import annotations

import math
from typing import Any

from cirrus import exception
from cirrus.allinone.runner import AllInOne
from cirrus.compute.drivers.base import ComputeDriver
from cirrus.compute.drivers.fake import FakeDriver
from cirrus.network import resource_request as rr
from cirrus.objects import block_device as bdm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, PowerState, VmState
from cirrus.runtime import Runtime


class InvariantError(AssertionError):
    """An invariant does not hold."""


def _rt(aio: AllInOne) -> Runtime:
    assert aio.runtime is not None, "the deployment is not running"
    return aio.runtime


def _resources(flavor: FlavorSpec, is_bfv: bool = False) -> dict[str, int]:
    # A volume-backed server's root disk is its volume: Placement holds none of it.
    root = 0 if is_bfv else flavor.root_gb
    disk = root + flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)
    out = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": disk}
    return {k: v for k, v in out.items() if v}


def _provider(aio: AllInOne, host: str | None) -> str:
    if host is None or host not in aio.computes:
        raise InvariantError(f"no compute host {host!r}")
    return aio.computes[host].tracker.node().uuid


def _copies(aio: AllInOne, uuid: str) -> list[tuple[Any, Instance]]:
    out = []
    for cell in _rt(aio).cells():
        with _rt(aio).cell_reader(cell) as s:
            try:
                inst = instance_obj.get_by_uuid(s, uuid)
            except exception.InstanceNotFound:
                inst = None
        if inst is not None:
            out.append((cell, inst))
    return out


def _migrations(aio: AllInOne, cell: Any, uuid: str) -> list[Migration]:
    with _rt(aio).cell_reader(cell) as s:
        return migration_obj.get_all(s, instance_uuid=uuid)


def check_server(aio: AllInOne, uuid: str) -> Instance:
    """Assert the invariants for one live server and return its record.

    Raises:
        InvariantError: one does not hold (the message says which and why).
    """
    copies = _copies(aio, uuid)
    visible = [(c, i) for c, i in copies if not i.hidden]
    if len(visible) != 1:
        raise InvariantError(f"I1: {len(visible)} visible copies of {uuid}")
    cell, inst = visible[0]
    settled = inst.task_state is None and inst.vm_state != VmState.RESIZED
    stale = [c.name for c, i in copies if i.hidden]
    if stale and settled:
        raise InvariantError(f"I1: {uuid} keeps hidden copies in {stale}")
    if settled:
        _check_no_snapshot(aio, inst)
    with _rt(aio).api_reader() as s:
        mapping = im_obj.get(s, uuid)
    if mapping is None or mapping.cell_id != cell.id:
        raise InvariantError(f"I1: mapping of {uuid} does not point at cell {cell.name}")
    if inst.vm_state == VmState.ERROR and not inst.fault:
        raise InvariantError(f"I6: {uuid} is in ERROR without a fault")
    if inst.task_state is None and cell.is_cell0:
        return inst
    _check_allocations(aio, cell, inst)
    _check_guests(aio, cell, inst)
    _check_ports(aio, cell, inst)
    _check_attachments(aio, cell, inst)
    return inst


def _check_attachments(aio: AllInOne, cell: Any, inst: Instance) -> None:
    """I3 for volumes: the volume service holds the attachments the mappings name.

    While VERIFY_RESIZE the source's attachment of each volume is kept for a revert, so
    one more per volume is allowed then; at any other settled moment none is.
    """
    if inst.task_state is not None:
        return
    with _rt(aio).cell_reader(cell) as s:
        bdms = bdm_obj.get_by_instance(s, inst.uuid)
    named = {b.attachment_id for b in bdms if b.attachment_id}
    if len(named) != len(bdms):
        raise InvariantError(f"I3: a volume of {inst.uuid} has no attachment")
    held = {a.id for a in _rt(aio).volume.list_attachments(instance_id=inst.uuid,
                                                           all_projects=True)}
    if not named <= held:
        raise InvariantError(f"I3: attachments {sorted(named - held)} of {inst.uuid} "
                             "are gone from the volume service")
    extra = held - named
    allowed = len(bdms) if inst.vm_state == VmState.RESIZED else 0
    if len(extra) > allowed:
        raise InvariantError(f"I3: {inst.uuid} keeps stray attachments {sorted(extra)}")


def _check_no_snapshot(aio: AllInOne, inst: Instance) -> None:
    """I3: no temporary cross-cell snapshot of the server is left in the image service."""
    name = f"{inst.display_name}-resize-temp"
    left = [i.id for i in _rt(aio).image.list_images(name=name)]
    if left:
        raise InvariantError(f"I3: temporary snapshots {left} of {inst.uuid} remain")


def _expected(aio: AllInOne, cell: Any, inst: Instance) -> dict[str, dict[str, dict[str, int]]]:
    """Consumer -> provider -> resources that I2 demands for the server's state."""
    assert inst.flavor is not None
    bfv = not inst.image_ref
    if inst.vm_state == VmState.RESIZED:
        finished = [m for m in _migrations(aio, cell, inst.uuid)
                    if m.status in (MigrationStatus.FINISHED, MigrationStatus.CONFIRMING,
                                    MigrationStatus.REVERTING)]
        if len(finished) != 1:
            raise InvariantError(f"I2: {inst.uuid} is resized with {len(finished)} "
                                 "finished migrations")
        mig = finished[0]
        old = inst.old_flavor or inst.flavor
        return {inst.uuid: {_provider(aio, inst.host): _resources(inst.flavor, bfv)},
                mig.uuid: {_provider(aio, mig.source_compute): _resources(old, bfv)}}
    if not inst.host:
        return {inst.uuid: {}}
    return {inst.uuid: {_provider(aio, inst.host): _resources(inst.flavor, bfv)}}


def _port_resources(aio: AllInOne, uuid: str) -> tuple[dict[str, int], list[Any]]:
    """What the server's ports request in all, and the ports that request something."""
    ports = [p for p in _rt(aio).network.list_ports(device_id=uuid) if p.resource_request]
    total: dict[str, int] = {}
    for group in rr.groups_of_ports(ports)[0]:
        for rc, amount in group.resources.items():
            total[rc] = total.get(rc, 0) + amount
    return total, ports


def _split_ports(aio: AllInOne, consumer: str, have: dict[str, dict[str, int]],
                 want: dict[str, dict[str, int]], ports_want: dict[str, int],
                 ) -> dict[str, dict[str, int]]:
    """The compute node part of ``have``; the rest must be the ports' request, in total,
    on providers of that node's tree."""
    (root,) = want or {"": {}}
    placement = _rt(aio).placement
    node_part = {rp: res for rp, res in have.items() if rp == root or not ports_want}
    total: dict[str, int] = {}
    for rp, res in have.items():
        if rp in node_part:
            continue
        info = placement.request("GET", f"/resource_providers/{rp}").json()
        if info.get("root_provider_uuid") != root:
            raise InvariantError(f"I2: {consumer} holds {res} on {rp}, outside the tree "
                                 f"of its host's provider {root}")
        for rc, amount in res.items():
            total[rc] = total.get(rc, 0) + amount
    if want and total != ports_want:
        raise InvariantError(f"I2: {consumer} holds {total} for its ports, expected "
                             f"{ports_want}")
    return node_part


def _check_port_profiles(inst: Instance, have: dict[str, dict[str, int]],
                         ports: list[Any]) -> None:
    """Each requesting port's binding names providers the server's allocation uses."""
    for port in ports:
        named = port.profile.get("allocation")
        rps = set(named.values()) if isinstance(named, dict) else {named}
        if not rps <= set(have):
            raise InvariantError(f"I2: port {port.id} names providers {sorted(map(str, rps))}"
                                 f" outside the allocation of {inst.uuid}")


def _check_allocations(aio: AllInOne, cell: Any, inst: Instance) -> None:
    if inst.task_state is not None:
        return  # a step is running: the books are between two consistent states
    expected = _expected(aio, cell, inst)
    placement = _rt(aio).placement
    ports_want, ports = _port_resources(aio, inst.uuid)
    for consumer, want in expected.items():
        have = placement.get_allocations(consumer)[0]
        node_part = _split_ports(aio, consumer, have, want, ports_want)
        if node_part != want:
            raise InvariantError(f"I2: {consumer} holds {have}, expected {want}")
        if consumer == inst.uuid and want:
            _check_port_profiles(inst, have, ports)
    for mig in _migrations(aio, cell, inst.uuid):
        if mig.uuid not in expected and placement.get_allocations(mig.uuid)[0]:
            raise InvariantError(f"I2: migration {mig.uuid} ({mig.status}) still holds "
                                 "allocations")


def _check_guests(aio: AllInOne, cell: Any, inst: Instance) -> None:
    """I4 with the fake driver: one guest, on the server's host, with its flavor."""
    del cell
    if inst.task_state is not None or inst.vm_state == VmState.ERROR:
        return
    for host, manager in aio.computes.items():
        driver = manager.driver
        if not isinstance(driver, FakeDriver):
            _check_real_guest(host, driver, inst)
            continue
        guest = driver.guest(inst.uuid)
        if host == inst.host:
            if guest is None:
                raise InvariantError(f"I4: no guest of {inst.uuid} on its host {host}")
            if inst.flavor is not None and guest.spec.flavor.id != inst.flavor.id:
                raise InvariantError(f"I4: guest of {inst.uuid} runs flavor "
                                     f"{guest.spec.flavor.id}, server has {inst.flavor.id}")
        elif guest is not None:
            raise InvariantError(f"I4: stray guest of {inst.uuid} on {host}")
        left = driver.left_behind(inst.uuid)
        if left is not None and inst.vm_state != VmState.RESIZED:
            raise InvariantError(f"I3: {host} still keeps what a move of {inst.uuid} left")


def _check_real_guest(host: str, driver: ComputeDriver, inst: Instance) -> None:
    """I4 and I3 through the driver interface only (drivers with real disks)."""
    present = driver.get_power_state(inst.uuid) != PowerState.NOSTATE
    if host == inst.host and not present:
        raise InvariantError(f"I4: no guest of {inst.uuid} on its host {host}")
    if host != inst.host and present:
        raise InvariantError(f"I4: stray guest of {inst.uuid} on {host}")
    if driver.has_move_leftovers(inst.uuid) and inst.vm_state != VmState.RESIZED:
        raise InvariantError(f"I3: {host} still keeps what a move of {inst.uuid} left")


def _check_ports(aio: AllInOne, cell: Any, inst: Instance) -> None:
    """I3 for ports: each is bound to the server's host, with no inactive binding left.

    A server in VERIFY_RESIZE keeps its source host's binding (inactive) for a revert.
    """
    if inst.task_state is not None:
        return
    kept: set[str | None] = set()
    if inst.vm_state == VmState.RESIZED:
        kept = {m.source_compute for m in _migrations(aio, cell, inst.uuid)
                if m.status in (MigrationStatus.FINISHED, MigrationStatus.CONFIRMING,
                                MigrationStatus.REVERTING)}
    network = _rt(aio).network
    for port in network.list_ports(device_id=inst.uuid):
        if inst.host and port.host_id != inst.host:
            raise InvariantError(f"I3: port {port.id} bound to {port.host_id}, "
                                 f"server on {inst.host}")
        inactive = [b for b in network.list_bindings(port.id)
                    if b.status != "ACTIVE" and b.host not in kept]
        if inactive:
            raise InvariantError(f"I3: port {port.id} keeps inactive bindings {inactive}")


def check_consumers(aio: AllInOne) -> None:
    """No allocation belongs to a consumer that is neither a live server nor a live move."""
    live: set[str] = set()
    for cell in _rt(aio).cells():
        with _rt(aio).cell_reader(cell) as s:
            for inst in instance_obj.get_all(s, instance_obj.Filters(include_hidden=True)):
                live.add(inst.uuid)
            for mig in migration_obj.get_all(s):
                if mig.status in (MigrationStatus.FINISHED, MigrationStatus.CONFIRMING,
                                  MigrationStatus.REVERTING, MigrationStatus.PRE_MIGRATING,
                                  MigrationStatus.MIGRATING, MigrationStatus.POST_MIGRATING):
                    live.add(mig.uuid)
    placement = _rt(aio).placement
    for manager in aio.computes.values():
        # The node's children (bandwidth providers) are checked as well as the node.
        for provider in placement.providers_in_tree(manager.tracker.node().uuid):
            rp = provider["uuid"]
            resp = placement.request("GET", f"/resource_providers/{rp}/allocations")
            for consumer in resp.json().get("allocations", {}):
                if consumer not in live:
                    raise InvariantError(f"I2: orphan consumer {consumer} on {rp}")
