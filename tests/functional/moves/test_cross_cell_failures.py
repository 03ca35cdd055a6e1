"""Cross-cell resize, confirm and revert that fail at each step (reference §2.3-2.10, §4.1).

Faults are injected three ways: the superconductor's ``before_step`` hook raises an
ordinary error before a chosen step (the chain rolls back), a host's fake driver fails its
next call of a method inside a step, or Placement keeps refusing one write. Every case
ends with the invariants (I1-I6) and the server usable: ACTIVE, or ERROR with a fault that
a hard reboot clears. What is left is the server alone, on one host: no copy in the other
cell, no temporary snapshot, no inactive port binding (the servers have a port). Then the
move is tried again and succeeds, to VERIFY_RESIZE and through a confirm.

A failed confirm or revert ends, as in Nova, in ERROR with a fault in the cell the mapping
points at; here the superconductor also removes what the server still had in the other
cell, so the hard reboot (which only sees its own cell) is the whole recovery.

Nova's test_finish_snapshot_based_resize_at_dest_spawn_fails and
test_prep_snapshot_based_resize_at_source_destroy_fails, extended to every step.
"""

import contextlib

import pytest

from cirrus import exception
from cirrus.testing.placement_faults import PlacementFaults, empties
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv

RESIZE_STEPS = ("TargetDBSetup", "PrepResizeAtDest", "PrepResizeAtSource",
                "FinishResizeAtDest", "SwitchMapping")
CONFIRM_STEPS = ("CleanupSourceHost", "DeleteSourceCopy", "FinishConfirmInTarget")
REVERT_STEPS = ("UpdateSourceCell", "SwitchBack", "RevertAtDest", "DeleteTargetCopy",
                "FinishRevertAtSource")


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


@pytest.fixture(autouse=True)
def no_hook_left(cloud):
    yield
    cloud.superconductor.cross_cell.before_step = None


@contextlib.contextmanager
def step_fails(cloud, name):
    """``before_step`` raises an ordinary error before step ``name`` (once)."""
    error = exception.MigrationError(reason=f"injected before {name}")
    mover = cloud.superconductor.cross_cell
    fired = []

    def hook(step):
        if step == name and not fired:
            fired.append(step)
            raise error

    mover.before_step = hook
    try:
        yield str(error)
        assert fired, f"step {name} never ran"
    finally:
        mover.before_step = None


@contextlib.contextmanager
def placement_refuses(cloud, what, mig_uuid):
    """Placement keeps refusing the confirm's delete or the revert's give-back."""
    with PlacementFaults(cloud.runtime.placement) as placement:
        if what == "delete":
            rule = placement.add("DELETE", f"/allocations/{mig_uuid}", times=None,
                                 status=409)
            yield f"Failed to delete allocations for consumer {mig_uuid}"
        else:
            rule = placement.conflict("POST", "/allocations", times=None,
                                      match=empties(mig_uuid))
            yield f"Failed to move allocations from consumer {mig_uuid}"
        assert rule.hits > 1


@contextlib.contextmanager
def injected(cloud, fault, source, dest, mig_uuid=None):
    """``fault`` is ("step", name), ("placement", write) or (host role, driver method);
    yields the text the server's fault must contain."""
    where, what = fault
    if where == "step":
        with step_fails(cloud, what) as text:
            yield text
        return
    if where == "placement":
        with placement_refuses(cloud, what, mig_uuid) as text:
            yield text
        return
    host = source if where == "source" else dest
    with faults.fail_once(cloud, host, what) as error:
        yield str(error)
        assert not cloud.computes[host].driver._faults.get(what), f"{what} never called"


def fault_text(srv):
    return (srv.fault or {}).get("message", "")


def settled(cloud, conn, uuid, action, event):
    """The failed operation is over: no task, migration ``error``, ``event`` finished."""
    def _done():
        srv = conn.compute.get_server(uuid)
        if srv.status not in ("ACTIVE", "ERROR") or srv.task_state:
            return None
        found = faults.migrations(cloud, uuid)
        if not found or found[-1].status != "error":
            return None
        return srv if event in faults.events(cloud, uuid, action) else None

    return wait_for(_done, 30, interval=0.1, what=f"{uuid} settled after a failed {action}")


def other_cell(host):
    return mv.across(host).split("-")[0]


# -- resize --------------------------------------------------------------------------

# (fault, status after it): until the source has touched the guest the server stays
# ACTIVE; from the source's power-off on, it is ERROR until a hard reboot.
RESIZE_FAULTS = [
    pytest.param(("step", "TargetDBSetup"), "ACTIVE", id="before-TargetDBSetup"),
    pytest.param(("step", "PrepResizeAtDest"), "ACTIVE", id="before-PrepResizeAtDest"),
    pytest.param(("step", "PrepResizeAtSource"), "ACTIVE", id="before-PrepResizeAtSource"),
    pytest.param(("step", "FinishResizeAtDest"), "ERROR", id="before-FinishResizeAtDest"),
    pytest.param(("step", "SwitchMapping"), "ERROR", id="before-SwitchMapping"),
    pytest.param(("dest", "prepare_migration_target"), "ACTIVE", id="dest-claim"),
    pytest.param(("source", "power_off"), "ERROR", id="source-power-off"),
    pytest.param(("source", "snapshot"), "ERROR", id="source-snapshot"),
    pytest.param(("source", "set_aside"), "ERROR", id="source-set-aside"),
    pytest.param(("dest", "spawn"), "ERROR", id="dest-spawn"),
]


def assert_rolled_back(cloud, admin, uuid, name, source, mig):
    """Nothing of the move is left: the server is on the source with its flavor."""
    inst = faults.held_on(cloud, uuid, source)
    assert inst.flavor.flavorid == "1" and inst.new_flavor is None
    assert faults.allocations(cloud, mig.uuid) == {}
    assert helpers.cell_of(cloud, uuid).name == source.split("-")[0]
    # Hard-deleted (Nova: not even with read_deleted), so a retry there cannot collide.
    assert mv.copy_in(cloud, other_cell(source), uuid) is None
    assert mv.journal_of(cloud, mig.uuid) == [("resize", "rolled-back")]
    mv.assert_left_clean(cloud, uuid, name, source)


@pytest.mark.parametrize("fault,status", RESIZE_FAULTS)
def test_resize_fails(cloud, member, admin, notifications, request, fault, status):
    name = f"xf-{request.node.callspec.id}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        with injected(cloud, fault, source, dest) as text:
            faults.migrate(cloud, admin, uuid, host=dest)
            srv = settled(cloud, admin, uuid, "migrate", "cold_migrate")
        assert faults.events(cloud, uuid, "migrate")["cold_migrate"] == "Error"
        assert text in faults.faults_of(cloud, uuid)[0]
        note = notifications.wait_for(uuid, "compute_task.migrate_server.error")
        assert note["priority"] == "ERROR"
        mig = faults.only_migration(cloud, uuid)
        assert_rolled_back(cloud, admin, uuid, name, source, mig)
        if srv.status == "ERROR":  # I6: the fault says what happened; a hard reboot
            assert text in fault_text(srv), srv.fault
            faults.hard_reboot(cloud, member, uuid)
            assert_rolled_back(cloud, admin, uuid, name, source, mig)
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, dest)
        # Last, so that a wrong status does not hide what else went wrong.
        assert srv.status == status


def test_placement_refuses_the_give_back_of_a_failed_move(cloud, member, admin,
                                                          notifications):
    """The destination fails to spawn, then Placement keeps refusing to give the source
    share back to the server: ERROR, and the hard reboot rewrites the allocations."""
    name = "xf-placement-back"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)

        def gives_back(body):
            # The migration's share back to the server: the server's allocations are
            # written, and the one other consumer of the body is emptied.
            return (isinstance(body, dict) and len(body) == 2
                    and bool(body.get(uuid, {}).get("allocations"))
                    and not any(v.get("allocations") for k, v in body.items() if k != uuid))

        with (faults.fail_once(cloud, dest, "spawn") as error,
              PlacementFaults(cloud.runtime.placement) as placement):
            rule = placement.conflict("POST", "/allocations", times=None, match=gives_back)
            faults.migrate(cloud, admin, uuid, host=dest)
            srv = settled(cloud, admin, uuid, "migrate", "cold_migrate")
        assert rule.hits > 1
        assert srv.status == "ERROR" and str(error) in fault_text(srv)
        assert mv.copy_in(cloud, other_cell(source), uuid) is None
        faults.hard_reboot(cloud, member, uuid)
        assert_rolled_back(cloud, admin, uuid, name, source, faults.only_migration(cloud, uuid))
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, dest)


# -- confirm and revert --------------------------------------------------------------

CONFIRM_FAULTS = [
    *[pytest.param(("step", s), id=f"before-{s}") for s in CONFIRM_STEPS],
    pytest.param(("source", "confirm_migration"), id="source-confirm-migration"),
    pytest.param(("placement", "delete"), id="placement-delete"),
]


@pytest.mark.parametrize("fault", CONFIRM_FAULTS)
def test_confirm_fails(cloud, member, admin, notifications, request, fault):
    name = f"xf-c-{request.node.callspec.id}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        mig = mv.move_across(cloud, admin, notifications, uuid, dest)
        with injected(cloud, fault, source, dest, mig.uuid) as text:
            faults.confirm(cloud, member, uuid)
            srv = settled(cloud, member, uuid, "confirmResize",
                          "conductor_confirm_snapshot_based_resize")
        # As in Nova: ERROR with a fault in the cell the mapping points at (the target).
        assert srv.status == "ERROR" and text in fault_text(srv), srv.fault
        assert helpers.cell_of(cloud, uuid).name == dest.split("-")[0]
        assert mv.journal_of(cloud, mig.uuid)[-1] == ("confirm", "rolled-back")
        # Nothing is left of the server in the source cell, even before the reboot.
        assert mv.copy_in(cloud, source.split("-")[0], uuid) is None
        if fault[0] != "placement":  # else only the hard reboot can fix the allocations
            mv.check(cloud, uuid)
        faults.hard_reboot(cloud, member, uuid)
        faults.held_on(cloud, uuid, dest)
        assert faults.allocations(cloud, mig.uuid) == {}
        mv.assert_left_clean(cloud, uuid, name, dest)
        # And back into the source's cell, where the old copy must not get in the way.
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, source)


# (fault, where the server is left): until SwitchBack the mapping points at the target,
# so the server is ERROR there, on the destination with the new flavor; from SwitchBack
# on it is back in the source cell with the old flavor.
REVERT_FAULTS = [
    *[pytest.param(("step", s), "dest" if i < 2 else "source", id=f"before-{s}")
      for i, s in enumerate(REVERT_STEPS)],
    pytest.param(("dest", "destroy"), "source", id="dest-destroy"),
    pytest.param(("source", "finish_revert_migration"), "source",
                 id="source-finish-revert"),
    pytest.param(("placement", "give-back"), "source", id="placement-give-back"),
]


@pytest.mark.parametrize("fault,left_on", REVERT_FAULTS)
def test_revert_fails(cloud, member, admin, notifications, request, fault, left_on):
    name = f"xf-r-{request.node.callspec.id}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        mig = mv.move_across(cloud, admin, notifications, uuid, dest)
        home = source if left_on == "source" else dest
        with injected(cloud, fault, source, dest, mig.uuid) as text:
            faults.revert(cloud, member, uuid)
            srv = settled(cloud, member, uuid, "revertResize",
                          "conductor_revert_snapshot_based_resize")
        assert srv.status == "ERROR" and text in fault_text(srv), srv.fault
        assert helpers.cell_of(cloud, uuid).name == home.split("-")[0]
        assert mv.journal_of(cloud, mig.uuid)[-1] == ("revert", "rolled-back")
        assert mv.copy_in(cloud, other_cell(home), uuid) is None
        if fault[0] != "placement":
            mv.check(cloud, uuid)
        faults.hard_reboot(cloud, member, uuid)
        inst = faults.held_on(cloud, uuid, home)
        assert inst.flavor.flavorid == "1"  # a migration: the flavor does not change
        assert faults.allocations(cloud, mig.uuid) == {}
        mv.assert_left_clean(cloud, uuid, name, home)
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name,
                                   mv.across(home))
