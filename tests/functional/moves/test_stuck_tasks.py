"""The cleanup periodic (cirrus.conductor.stuck_tasks): a cast that never arrives.

Each test loses one cast on its way (as a broker restart loses what its queues held),
leaving the server in a task_state with nothing working on it. The periodic, run as
if ``task_state_timeout`` had passed, settles it; the invariants then hold, and the
server can be used again: a hard reboot brings a failed move back, and a retried move
goes through.
"""

import datetime
import threading

import pytest
from sqlalchemy import update

from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor import stuck_tasks
from cirrus.db.base import utcnow
from cirrus.db.cell import models
from cirrus.objects import instance as instance_obj
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv

LATER = datetime.timedelta(hours=2)


class _Lost:
    """The next cast of one ComputeAPI method goes nowhere; later ones go through."""

    def __init__(self, monkeypatch, method):
        self.method = method
        self.happened = threading.Event()
        original = getattr(ComputeAPI, method)

        def lose(api, *args, **kwargs):
            monkeypatch.setattr(ComputeAPI, method, original)
            self.happened.set()

        monkeypatch.setattr(ComputeAPI, method, lose)

    def wait(self):
        assert self.happened.wait(30), f"{self.method} was never cast"


def _clean(cloud, now=None):
    return stuck_tasks.clean_stuck_tasks(cloud.runtime, ComputeAPI(cloud.runtime),
                                         now=now or utcnow() + LATER)


def _task(cloud, uuid):
    return faults.instance(cloud, uuid).task_state


# (cast lost, the server's task_state it leaves)
LOST_STEPS = {"prep_resize": "resize_prep", "resize_instance": "resize_prep",
              "finish_resize": "resize_migrated"}


@pytest.mark.parametrize("method", sorted(LOST_STEPS))
def test_lost_step_of_a_move_fails_it_and_a_hard_reboot_brings_it_back(
        cloud, member, admin, notifications, monkeypatch, method):
    with mv.server(cloud, member, admin, f"lost-{method}") as server:
        source = mv.host_of(admin, server.id)
        lost = _Lost(monkeypatch, method)
        mv.post_action(cloud, member, server.id, {"resize": {"flavorRef": "2"}})
        lost.wait()
        wait_for(lambda: _task(cloud, server.id) == LOST_STEPS[method], 10,
                 what=f"{server.id} in {LOST_STEPS[method]}")
        assert _clean(cloud, now=utcnow()) == 0, "settled before its timeout"
        assert _task(cloud, server.id) == LOST_STEPS[method]
        assert _clean(cloud) >= 1
        inst = faults.instance(cloud, server.id)
        assert (inst.vm_state, inst.task_state, inst.host) == ("error", None, source)
        assert "did not finish within" in faults.faults_of(cloud, server.id)[0]
        mig = faults.only_migration(cloud, server.id)
        assert mig.status == "error"
        assert faults.allocations(cloud, mig.uuid) == {}
        faults.held_on(cloud, server.id, source)
        mv.check(cloud, server.id)
        mv.post_action(cloud, member, server.id, {"reboot": {"type": "HARD"}})
        helpers.wait_status(member, server.id, "ACTIVE")
        assert faults.guest_copies(cloud, server.id) == []
        mv.check(cloud, server.id)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        assert mv.host_of(admin, server.id) == mv.other_host(source)
        mv.check(cloud, server.id)


def test_lost_revert_fails_the_move_back_to_the_source(cloud, member, admin, notifications,
                                                       monkeypatch):
    with mv.server(cloud, member, admin, "lost-revert") as server:
        source = mv.host_of(admin, server.id)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        lost = _Lost(monkeypatch, "finish_revert_resize")
        mv.post_action(cloud, member, server.id, {"revertResize": None})
        lost.wait()
        assert _clean(cloud) >= 1
        inst = faults.instance(cloud, server.id)
        assert (inst.vm_state, inst.task_state, inst.host) == ("error", None, source)
        assert inst.flavor.flavorid == "1"
        mv.check(cloud, server.id)
        mv.post_action(cloud, member, server.id, {"reboot": {"type": "HARD"}})
        helpers.wait_status(member, server.id, "ACTIVE")
        assert faults.guest_copies(cloud, server.id) == []
        mv.check(cloud, server.id)


def test_a_move_that_shows_progress_is_left_alone(cloud, member, admin, monkeypatch):
    with mv.server(cloud, member, admin, "lost-but-busy") as server:
        lost = _Lost(monkeypatch, "resize_instance")
        mv.post_action(cloud, member, server.id, {"resize": {"flavorRef": "2"}})
        lost.wait()
        mig = faults.only_migration(cloud, server.id)
        now = utcnow() + LATER
        # A disk copy's progress writes the migration: it moved an hour ago.
        with cloud.runtime.cell_session(helpers.cell_of(cloud, server.id)) as s:
            s.execute(update(models.Migration).where(models.Migration.id == mig.id)
                      .values(updated_at=now - datetime.timedelta(minutes=10)))
        _clean(cloud, now=now)
        assert _task(cloud, server.id) == "resize_prep"
        assert faults.only_migration(cloud, server.id).status == "pre-migrating"
        _clean(cloud, now=now + LATER)
        assert faults.only_migration(cloud, server.id).status == "error"
        mv.check(cloud, server.id)


def test_lost_build_ends_in_error_with_novas_fault(cloud, member, admin, monkeypatch):
    lost = _Lost(monkeypatch, "build_and_run_instance")
    created = helpers.boot(member, "lost-build", zone="cell1")
    try:
        lost.wait()
        wait_for(lambda: _task(cloud, created.id) == "scheduling", 10, what="scheduled")
        assert _clean(cloud) >= 1
        body = mv.show(cloud, admin, created.id)
        assert body["status"] == "ERROR"
        assert body["fault"]["message"] == "Instance build timed out. Set to error state."
        mv.check(cloud, created.id)
    finally:
        mv.delete_and_check(cloud, member, admin, created.id)


def test_lost_power_action_is_cleared(cloud, member, admin, monkeypatch):
    with mv.server(cloud, member, admin, "lost-stop") as server:
        lost = _Lost(monkeypatch, "stop_instance")
        mv.post_action(cloud, member, server.id, {"os-stop": None})
        lost.wait()
        assert _task(cloud, server.id) == "powering-off"
        assert _clean(cloud) >= 1
        assert mv.show(cloud, member, server.id)["status"] == "ACTIVE"
        assert _task(cloud, server.id) is None
        mv.post_action(cloud, member, server.id, {"os-stop": None})
        helpers.wait_status(member, server.id, "SHUTOFF")
        mv.check(cloud, server.id)


def test_lost_delete_is_sent_again(cloud, member, admin, monkeypatch):
    created = helpers.boot(member, "lost-delete", zone="cell1")
    helpers.wait_status(member, created.id, "ACTIVE")
    cell = helpers.cell_of(cloud, created.id)
    host = mv.host_of(admin, created.id)

    def record():
        with cloud.runtime.cell_reader(cell) as s:
            return instance_obj.get_by_uuid(s, created.id, read_deleted=True)

    lost = _Lost(monkeypatch, "terminate_instance")
    member.compute.delete_server(created.id)
    lost.wait()
    assert mv.show(cloud, admin, created.id)["OS-EXT-STS:task_state"] == "deleting"
    assert faults.allocations(cloud, created.id) != {}
    assert _clean(cloud) >= 1
    helpers.wait_gone(member, created.id)
    assert record().vm_state == "deleted"
    assert faults.allocations(cloud, created.id) == {}
    assert cloud.computes[host].driver.guest(created.id) is None
