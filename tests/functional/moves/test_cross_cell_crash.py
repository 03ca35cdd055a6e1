"""The superconductor dies in the middle of a cross-cell resize, confirm or revert.

The death is simulated: ``before_step`` raises ``CrossCellMoveAbandoned`` before step N,
so the operation stops with nothing undone and its journal entry unfinished, as if the
process had gone. A new superconductor on the same databases (what a restart builds) then
runs ``recover_moves()``. With no manual step, the entry is finished and the invariants
(I1-I6) hold: a resize whose mapping had not flipped is rolled back (ACTIVE if the source
had not touched the guest yet, else ERROR with a fault that a hard reboot clears), one
whose mapping had flipped is finished to VERIFY_RESIZE, and a confirm or a revert is
completed. A move tried afterwards succeeds.
"""

import contextlib
import threading

import pytest

from cirrus import exception
from cirrus.conductor.manager import ComputeTaskManager
from cirrus.conductor.tasks import cross_cell as cc
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.move_journal import UNFINISHED, State
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv

RESIZE_STEPS = ("TargetDBSetup", "PrepResizeAtDest", "PrepResizeAtSource",
                "FinishResizeAtDest", "SwitchMapping")
CONFIRM_STEPS = ("CleanupSourceHost", "DeleteSourceCopy", "FinishConfirmInTarget")
REVERT_STEPS = ("UpdateSourceCell", "SwitchBack", "RevertAtDest", "DeleteTargetCopy",
                "FinishRevertAtSource")
FLIPPED = "after-the-flip"  # inside SwitchMapping, once the mapping points at the target


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


class Crash:
    """The superconductor lets go of ``operation`` (resize, confirm or revert) before
    ``step``; ``wait()`` returns once it has, with the unfinished journal entry."""

    def __init__(self, cloud, monkeypatch, operation, step):
        self.cloud = cloud
        self.operation = operation
        self.step = step
        self.fired = threading.Event()
        self.returned = threading.Event()
        mover = cloud.superconductor.cross_cell
        original = getattr(mover, operation)

        def _operation(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            finally:
                self.returned.set()

        monkeypatch.setattr(mover, operation, _operation)
        delete_snapshot = cc.delete_snapshot

        def _delete_snapshot(move):
            # A dead process cleans nothing up: the snapshot is the successor's to delete.
            if not self.fired.is_set() or self.returned.is_set():
                delete_snapshot(move)

        monkeypatch.setattr(cc, "delete_snapshot", _delete_snapshot)
        if step == FLIPPED:
            switch = cc.switch

            def _switch(move, *, to_target, **kwargs):
                switch(move, to_target=to_target, **kwargs)
                if to_target and not self.fired.is_set():
                    self.fired.set()
                    raise exception.CrossCellMoveAbandoned()

            monkeypatch.setattr(cc, "switch", _switch)
        else:
            mover.before_step = self._hook

    def _hook(self, name):
        if name == self.step and not self.fired.is_set():
            self.fired.set()
            raise exception.CrossCellMoveAbandoned()

    def wait(self, mig_uuid):
        assert self.fired.wait(30), f"{self.step} of the {self.operation} never came"
        assert self.returned.wait(30), f"the {self.operation} did not let go"
        with self.cloud.runtime.api_reader() as s:
            entry = journal_obj.for_migration(s, mig_uuid)[-1]
        assert entry.operation == self.operation and entry.state in UNFINISHED, entry
        return entry


@contextlib.contextmanager
def crash(cloud, monkeypatch, operation, step):
    mover = cloud.superconductor.cross_cell
    try:
        yield Crash(cloud, monkeypatch, operation, step)
    finally:
        mover.before_step = None
        monkeypatch.undo()
        vars(mover).pop(operation, None)  # undo put the bound method on the instance


def restart_and_recover(cloud, entry):
    """A new superconductor on the same databases settles what the dead one left."""
    successor = ComputeTaskManager(cloud.runtime, "aio")
    assert successor.recover_moves() >= 1
    with cloud.runtime.api_reader() as s:
        state = journal_obj.get(s, entry.id).state
    assert state in (State.DONE, State.ROLLED_BACK), state
    return state


def cell(host):
    return host.split("-")[0]


def announced(notifications, uuid, since, operation):
    """The server's ``instance.resize_<operation>.*`` notifications after ``since``, once
    the ``.end`` is among them: they arrive on the listener's thread, and the server is
    ACTIVE a moment before the superconductor sends the end."""
    prefix = f"instance.resize_{operation}."

    def _seen():
        found = [n["event_type"] for n in notifications.of(uuid)[since:]
                 if n["event_type"].startswith(prefix)]
        return found if prefix + "end" in found else None

    return wait_for(_seen, 10, what=f"{prefix}end of {uuid}")


# -- resize --------------------------------------------------------------------------


@pytest.mark.parametrize("step", [*RESIZE_STEPS, FLIPPED])
def test_resize_recovered(cloud, member, admin, notifications, monkeypatch, step):
    name = f"xc-{step}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        with crash(cloud, monkeypatch, "resize", step) as dead:
            faults.migrate(cloud, admin, uuid, host=dest)
            mig = wait_for(lambda: faults.migrations(cloud, uuid), 10, what="migration")[-1]
            entry = dead.wait(mig.uuid)
            if step == "FinishResizeAtDest":  # the destination deletes it once spawned
                assert mv.temp_images(cloud, name), "the dead superconductor's snapshot"
        state = restart_and_recover(cloud, entry)
        if step == FLIPPED:
            # The server already lived in the target cell: the move is finished.
            assert state == State.DONE
            srv = helpers.wait_status(admin, uuid, "VERIFY_RESIZE")
            assert srv.compute_host == dest
            mv.check(cloud, uuid)
            mv.confirm_and_wait(cloud, member, notifications, uuid)
            mv.assert_left_clean(cloud, uuid, name, dest)
            return
        assert state == State.ROLLED_BACK
        touched = RESIZE_STEPS.index(step) > RESIZE_STEPS.index("PrepResizeAtSource")
        srv = helpers.wait_status(member, uuid, "ERROR" if touched else "ACTIVE")
        if touched:
            assert "superconductor stopped" in srv.fault["message"], srv.fault
        inst = faults.held_on(cloud, uuid, source)
        assert inst.flavor.flavorid == "1" and inst.new_flavor is None
        assert faults.only_migration(cloud, uuid).status == "error"
        assert faults.allocations(cloud, mig.uuid) == {}
        assert mv.copy_in(cloud, cell(dest), uuid) is None
        mv.assert_left_clean(cloud, uuid, name, source)
        if touched:
            faults.hard_reboot(cloud, member, uuid)
            mv.assert_left_clean(cloud, uuid, name, source)
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, dest)


# -- confirm and revert --------------------------------------------------------------


@pytest.mark.parametrize("step", CONFIRM_STEPS)
def test_confirm_recovered(cloud, member, admin, notifications, monkeypatch, step):
    name = f"xc-c-{step}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        mig = mv.move_across(cloud, admin, notifications, uuid, dest)
        since = len(notifications.of(uuid))
        with crash(cloud, monkeypatch, "confirm", step) as dead:
            faults.confirm(cloud, member, uuid)
            entry = dead.wait(mig.uuid)
        assert restart_and_recover(cloud, entry) == State.DONE
        helpers.wait_status(member, uuid, "ACTIVE")
        # Announced once, although two superconductors ran it.
        assert announced(notifications, uuid, since, "confirm") == [
            "instance.resize_confirm.start", "instance.resize_confirm.end"]
        faults.held_on(cloud, uuid, dest)
        (done,) = faults.migrations(cloud, uuid)
        assert (done.uuid, done.status) == (mig.uuid, "confirmed")
        assert faults.allocations(cloud, mig.uuid) == {}
        assert mv.copy_in(cloud, cell(source), uuid) is None
        mv.assert_left_clean(cloud, uuid, name, dest)
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, source)


@pytest.mark.parametrize("step", REVERT_STEPS)
def test_revert_recovered(cloud, member, admin, notifications, monkeypatch, step):
    name = f"xc-r-{step}"
    with mv.ported_server(cloud, member, admin, name) as created:
        uuid = created.id
        source = mv.host_of(admin, uuid)
        dest = mv.across(source)
        mig = mv.move_across(cloud, admin, notifications, uuid, dest)
        since = len(notifications.of(uuid))
        with crash(cloud, monkeypatch, "revert", step) as dead:
            faults.revert(cloud, member, uuid)
            entry = dead.wait(mig.uuid)
        assert restart_and_recover(cloud, entry) == State.DONE
        helpers.wait_status(member, uuid, "ACTIVE")
        assert announced(notifications, uuid, since, "revert") == [
            "instance.resize_revert.start", "instance.resize_revert.end"]
        names = [e.event for e in faults.action(cloud, uuid, "revertResize").events]
        assert names.count("conductor_revert_snapshot_based_resize") == 1, names
        inst = faults.held_on(cloud, uuid, source)
        assert inst.flavor.flavorid == "1" and inst.old_flavor is None
        (done,) = faults.migrations(cloud, uuid)
        assert (done.uuid, done.status) == (mig.uuid, "reverted")
        assert faults.allocations(cloud, mig.uuid) == {}
        assert mv.copy_in(cloud, cell(dest), uuid) is None
        mv.assert_left_clean(cloud, uuid, name, source)
        mv.move_across_and_confirm(cloud, member, admin, notifications, uuid, name, dest)
