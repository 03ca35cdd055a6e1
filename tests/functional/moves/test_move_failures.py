"""A resize or cold migration that fails at each step, and what the server looks like then.

Nova's catalog: test_resize_not_enough_resource, test_migrate_no_valid_host,
test_resize_instance_fails_allocation_cleanup, test_finish_resize_fails_allocation_cleanup,
test_migration_confirm_resize_error and the revert failures. Every failure ends with the
invariant checks; a server left in ERROR is brought back by a hard reboot and then moves
again, to VERIFY_RESIZE and through a confirm.
"""

import pytest

from cirrus.objects import request_spec as spec_obj
from tests.functional.moves import faults

# -- no valid host -----------------------------------------------------------------------


def _assert_not_started(cloud, admin, notifications, uuid, source, action, flavorid):
    """The conductor gave up before any compute was involved: nothing moved."""
    srv = faults.settled(cloud, admin, uuid, "ACTIVE", "error", action, "cold_migrate")
    assert srv.compute_host == source
    assert srv.fault is None  # not ERROR, so the API shows no fault
    events = faults.api_events(cloud, admin, uuid, action)
    assert set(events) == {"conductor_migrate_server", "cold_migrate"}
    for event in events.values():
        assert event["result"] == "Error"
        assert "No valid host" in event["details"]
    inst = faults.held_on(cloud, uuid, source)
    assert inst.flavor.flavorid == flavorid and inst.new_flavor is None
    mig = faults.only_migration(cloud, uuid)
    assert mig.status == "error" and mig.source_compute == source
    assert mig.dest_compute is None
    assert faults.allocations(cloud, mig.uuid) == {}
    note = notifications.wait_for(uuid, "compute_task.migrate_server.error")
    assert note["priority"] == "ERROR"
    assert "No valid host" in note["payload"]["nova_object.data"]["reason"]
    # The new flavor of a move that never started is not kept in the request spec.
    with cloud.runtime.api_reader() as s:
        assert spec_obj.load(s, uuid).flavor.flavorid == flavorid
    faults.check(cloud, uuid)


def test_resize_not_enough_resource(cloud, member, admin, notifications):
    with (faults.flavor(cloud, admin, disk=100000) as huge,
          faults.server(cloud, member, "no-room", "cell1") as uuid):
        source = faults.host_of(cloud, uuid)
        faults.resize(cloud, member, uuid, huge)
        _assert_not_started(cloud, admin, notifications, uuid, source, "resize", "1")
        # Nothing is wrong with the server: a resize that fits works.
        faults.retry_resize_and_confirm(cloud, member, uuid, "2")


@pytest.mark.parametrize("change", [{"forced_down": True}, {"disabled": True}],
                         ids=["forced-down", "disabled"])
def test_migrate_no_valid_host(cloud, member, admin, notifications, change):
    with faults.server(cloud, member, "no-host", "cell2") as uuid:
        source = faults.host_of(cloud, uuid)
        with faults.service_status(cloud, faults.other_host(cloud, source), **change):
            faults.migrate(cloud, admin, uuid)
            _assert_not_started(cloud, admin, notifications, uuid, source, "migrate", "1")
        faults.retry_migrate_and_confirm(cloud, admin, uuid)


# -- the source fails to hand over (resize_instance) -------------------------------------


def test_resize_instance_fails(cloud, member, admin):
    with faults.server(cloud, member, "rsz-inst", "cell1") as uuid:
        source = faults.host_of(cloud, uuid)
        with faults.fail_once(cloud, source, "migrate_disk_and_power_off") as error:
            faults.resize(cloud, member, uuid, "2")
            srv = faults.settled(cloud, member, uuid, "ERROR", "error", "resize",
                                 "compute_resize_instance")
        assert str(error) in srv.fault["message"]
        assert faults.events(cloud, uuid, "resize")["compute_resize_instance"] == "Error"
        assert faults.events(cloud, uuid, "resize")["compute_prep_resize"] == "Success"
        inst = faults.held_on(cloud, uuid, source)
        assert inst.flavor.flavorid == "1"
        assert inst.old_flavor is None and inst.new_flavor is None
        mig = faults.only_migration(cloud, uuid)
        assert faults.allocations(cloud, mig.uuid) == {}
        faults.check(cloud, uuid)

        faults.hard_reboot(cloud, member, uuid)
        faults.held_on(cloud, uuid, source)
        faults.check(cloud, uuid)
        faults.retry_resize_and_confirm(cloud, member, uuid, "2")


# -- the destination fails to start the server (finish_resize) ---------------------------


def test_finish_resize_fails(cloud, member, admin):
    with faults.server(cloud, member, "fin-rsz", "cell2") as uuid:
        source = faults.host_of(cloud, uuid)
        dest = faults.other_host(cloud, source)
        with faults.fail_once(cloud, dest, "finish_migration") as error:
            faults.resize(cloud, member, uuid, "2")
            srv = faults.settled(cloud, member, uuid, "ERROR", "error", "resize",
                                 "compute_finish_resize")
        assert str(error) in srv.fault["message"]
        assert faults.events(cloud, uuid, "resize")["compute_finish_resize"] == "Error"
        # The server now lives on the destination with the new flavor; the source share
        # held by the migration is gone.
        inst = faults.held_on(cloud, uuid, dest)
        assert inst.flavor.flavorid == "2"
        assert srv.flavor["original_name"] == "m1.small"
        mig = faults.only_migration(cloud, uuid)
        assert faults.allocations(cloud, mig.uuid) == {}
        assert faults.rp(cloud, source) not in faults.allocations(cloud, uuid)
        faults.check(cloud, uuid)

        faults.hard_reboot(cloud, member, uuid)
        faults.held_on(cloud, uuid, dest)
        faults.check_recovered(cloud, uuid)
        faults.retry_resize_and_confirm(cloud, member, uuid, "3")


# -- confirm fails on the source ---------------------------------------------------------


def test_confirm_fails(cloud, member, admin):
    with faults.server(cloud, member, "cfm-fail", "cell1") as uuid:
        source = faults.host_of(cloud, uuid)
        faults.migrate(cloud, admin, uuid)
        faults.verify_resize(cloud, admin, uuid)
        dest = faults.host_of(cloud, uuid)
        mig = faults.only_migration(cloud, uuid)
        with faults.fail_once(cloud, source, "confirm_migration") as error:
            faults.confirm(cloud, member, uuid)
            srv = faults.settled(cloud, member, uuid, "ERROR", "error", "confirmResize",
                                 "compute_confirm_resize")
        assert str(error) in srv.fault["message"]
        assert faults.events(cloud, uuid, "confirmResize") == {
            "compute_confirm_resize": "Error"}
        faults.held_on(cloud, uuid, dest)
        assert faults.allocations(cloud, mig.uuid) == {}
        faults.check(cloud, uuid)

        faults.hard_reboot(cloud, member, uuid)
        faults.held_on(cloud, uuid, dest)
        faults.check_recovered(cloud, uuid)
        faults.retry_migrate_and_confirm(cloud, admin, uuid)


# -- revert fails on the destination or on the source ------------------------------------


@pytest.mark.parametrize("where,method", [("dest", "destroy"),
                                          ("source", "finish_revert_migration")])
def test_revert_fails(cloud, member, admin, where, method):
    with faults.server(cloud, member, f"rvt-{where}", "cell2") as uuid:
        source = faults.host_of(cloud, uuid)
        faults.resize(cloud, member, uuid, "2")
        faults.verify_resize(cloud, member, uuid)
        dest = faults.host_of(cloud, uuid)
        mig = faults.only_migration(cloud, uuid)
        event = "compute_revert_resize" if where == "dest" else "compute_finish_revert_resize"
        broken = dest if where == "dest" else source
        with faults.fail_once(cloud, broken, method) as error:
            faults.revert(cloud, member, uuid)
            srv = faults.wait_for_status(member, uuid, "ERROR")
            faults.wait_event(cloud, uuid, "revertResize", event)
        assert str(error) in srv.fault["message"]
        assert faults.events(cloud, uuid, "revertResize")[event] == "Error"
        inst = faults.held_on(cloud, uuid, source)
        assert inst.flavor.flavorid == "1"
        assert faults.allocations(cloud, mig.uuid) == {}
        assert faults.only_migration(cloud, uuid).status == "error"
        faults.check(cloud, uuid)

        faults.hard_reboot(cloud, member, uuid)
        faults.held_on(cloud, uuid, source)
        faults.check_recovered(cloud, uuid)
        faults.retry_resize_and_confirm(cloud, member, uuid, "2")


# -- a failed step leaves no copy of the guest behind once the server is recovered ----


def _break(cloud, member, uuid, step):
    """Make ``step`` of a resize of the server fail; returns once the server is ERROR."""
    source = faults.host_of(cloud, uuid)
    if step == "finish_resize":
        with faults.fail_once(cloud, faults.other_host(cloud, source), "finish_migration"):
            faults.resize(cloud, member, uuid, "2")
            faults.settled(cloud, member, uuid, "ERROR", "error", "resize",
                           "compute_finish_resize")
        return
    faults.resize(cloud, member, uuid, "2")
    faults.verify_resize(cloud, member, uuid)
    dest = faults.host_of(cloud, uuid)
    host, method, action, event = {
        "confirm": (source, "confirm_migration", "confirmResize", "compute_confirm_resize"),
        "revert_at_dest": (dest, "destroy", "revertResize", "compute_revert_resize"),
        "revert_at_source": (source, "finish_revert_migration", "revertResize",
                             "compute_finish_revert_resize"),
    }[step]
    with faults.fail_once(cloud, host, method):
        if action == "confirmResize":
            faults.confirm(cloud, member, uuid)
        else:
            faults.revert(cloud, member, uuid)
        faults.wait_for_status(member, uuid, "ERROR")
        faults.wait_event(cloud, uuid, action, event)


@pytest.mark.parametrize("step", ["finish_resize", "confirm", "revert_at_dest",
                                  "revert_at_source"])
def test_failed_step_leaves_no_guest_copy(cloud, member, step):
    with faults.server(cloud, member, f"copy-{step}", "cell1") as uuid:
        try:
            _break(cloud, member, uuid, step)
            faults.hard_reboot(cloud, member, uuid)
            faults.check(cloud, uuid)
        finally:
            faults.discard_copies(cloud, uuid)
