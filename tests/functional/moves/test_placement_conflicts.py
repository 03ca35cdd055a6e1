"""Placement refuses a write of a move (consumer-generation conflict or an error).

Nova's ConsumerGenerationConflictTest, one test per Placement write of a move: the move
of the source allocations to the migration consumer, the scheduler's claim on the
destination, confirm's delete of the migration's allocations and revert's move of them
back to the server. Placement's answers are injected on the client's single HTTP entry
point (cirrus.testing.placement_faults).

Where Cirrus does better than Nova: a conflict that goes away is retried and the move
goes on; a confirm or revert that fails in Placement leaks nothing once the server is
deleted.
"""

import pytest

from cirrus.testing import invariants
from cirrus.testing.placement_faults import PlacementFaults, consumers_are, empties
from tests.functional.moves import faults


def _retries(cloud):
    return int(cloud.runtime.conf.placement.conflict_retries)


def test_conflict_moving_to_the_migration_is_retried(cloud, admin):
    with faults.server(cloud, admin, "pc-once", "cell1") as uuid:
        source = faults.host_of(cloud, uuid)
        with PlacementFaults(cloud.runtime.placement) as placement:
            rule = placement.conflict("POST", "/allocations", times=1, match=empties(uuid))
            faults.migrate(cloud, admin, uuid)
            faults.verify_resize(cloud, admin, uuid)
        assert rule.hits == 1
        mig = faults.only_migration(cloud, uuid)
        assert faults.allocations(cloud, mig.uuid) == {
            faults.rp(cloud, source): faults.resources(faults.instance(cloud, uuid).flavor)}
        faults.check(cloud, uuid)
        faults.confirm(cloud, admin, uuid)
        faults.settled(cloud, admin, uuid, "ACTIVE", "confirmed")
        faults.check(cloud, uuid)


def _assert_not_moved(cloud, admin, uuid, source):
    srv = faults.settled(cloud, admin, uuid, "ACTIVE", "error", "migrate", "cold_migrate")
    assert srv.compute_host == source
    events = faults.api_events(cloud, admin, uuid, "migrate")
    assert events["cold_migrate"]["result"] == "Error"
    assert events["conductor_migrate_server"]["result"] == "Error"
    assert "at the same time" in events["cold_migrate"]["details"]
    assert "compute_prep_resize" not in events
    faults.held_on(cloud, uuid, source)
    mig = faults.only_migration(cloud, uuid)
    assert (mig.status, mig.migration_type) == ("error", "migration")
    assert faults.allocations(cloud, mig.uuid) == {}
    faults.check(cloud, uuid)


def test_conflicts_moving_to_the_migration(cloud, admin):
    with faults.server(cloud, admin, "pc-move", "cell1") as uuid:
        source = faults.host_of(cloud, uuid)
        with PlacementFaults(cloud.runtime.placement) as placement:
            rule = placement.conflict("POST", "/allocations", times=None,
                                      match=empties(uuid))
            faults.migrate(cloud, admin, uuid)
            _assert_not_moved(cloud, admin, uuid, source)
        assert rule.hits == _retries(cloud) + 1
        faults.retry_migrate_and_confirm(cloud, admin, uuid)


def test_conflicts_claiming_the_destination(cloud, admin):
    with faults.server(cloud, admin, "pc-claim", "cell2") as uuid:
        source = faults.host_of(cloud, uuid)
        with PlacementFaults(cloud.runtime.placement) as placement:
            batched = placement.conflict("POST", "/allocations", times=None,
                                         match=consumers_are(uuid))
            single = placement.conflict("PUT", f"/allocations/{uuid}", times=None)
            faults.migrate(cloud, admin, uuid)
            _assert_not_moved(cloud, admin, uuid, source)
        assert batched.hits == 1
        assert single.hits == _retries(cloud) + 1
        faults.retry_migrate_and_confirm(cloud, admin, uuid)


def _confirm_refused(cloud, admin, uuid, status, times):
    """Migrate to VERIFY_RESIZE, then confirm while Placement refuses to delete the
    migration's allocations; returns (migration, rule, server, what it still holds)."""
    faults.migrate(cloud, admin, uuid)
    faults.verify_resize(cloud, admin, uuid)
    mig = faults.only_migration(cloud, uuid)
    with PlacementFaults(cloud.runtime.placement) as placement:
        rule = placement.add("DELETE", f"/allocations/{mig.uuid}", times=times,
                             status=status)
        faults.confirm(cloud, admin, uuid)
        srv = faults.settled(cloud, admin, uuid, "ERROR", "error", "confirmResize",
                             "compute_confirm_resize")
        left = faults.allocations(cloud, mig.uuid)
    return mig, rule, srv, left


@pytest.mark.parametrize("status,times", [(409, None), (500, None), (500, 1)],
                         ids=["409-always", "500-always", "500-once"])
def test_confirm_cannot_delete_the_migration_allocations(cloud, admin, status, times):
    with faults.server(cloud, admin, "pc-confirm", "cell1") as uuid:
        source = faults.host_of(cloud, uuid)
        mig, rule, srv, left = _confirm_refused(cloud, admin, uuid, status, times)
        dest = faults.host_of(cloud, uuid)
        assert srv.fault["message"].startswith(
            f"Failed to delete allocations for consumer {mig.uuid}")
        assert faults.events(cloud, uuid, "confirmResize") == {
            "compute_confirm_resize": "Error"}
        assert faults.only_migration(cloud, uuid).status == "error"
        # The server runs on the destination with its allocation there.
        faults.held_on(cloud, uuid, dest)
        # Confirm asks once, and its clean-up once more.
        assert rule.hits == (2 if times is None else 1)
        permanent = times is None
        if permanent:
            # Placement kept refusing: the source share stays (until the server goes).
            flavor = faults.instance(cloud, uuid).flavor
            assert left == {faults.rp(cloud, source): faults.resources(flavor)}
        else:
            assert left == {}
            faults.check(cloud, uuid)
        faults.hard_reboot(cloud, admin, uuid)
        faults.held_on(cloud, uuid, dest)
        # The hard reboot healed what Placement refused earlier.
        faults.check(cloud, uuid)
        faults.retry_migrate_and_confirm(cloud, admin, uuid)
    # faults.server: once the server is deleted nothing of it or of its migrations is
    # left in Placement (Nova leaks the migration's allocations here).


def _revert_refused(cloud, member, uuid):
    """Resize to VERIFY_RESIZE, then revert while Placement keeps refusing to give the
    migration's allocations back to the server; returns (migration, rule, server)."""
    faults.resize(cloud, member, uuid, "2")
    faults.verify_resize(cloud, member, uuid)
    mig = faults.only_migration(cloud, uuid)
    with PlacementFaults(cloud.runtime.placement) as placement:
        rule = placement.conflict("POST", "/allocations", times=None,
                                  match=empties(mig.uuid))
        faults.revert(cloud, member, uuid)
        srv = faults.wait_for_status(member, uuid, "ERROR")
        faults.wait_event(cloud, uuid, "revertResize", "compute_finish_revert_resize")
    return mig, rule, srv


def test_revert_cannot_give_the_allocations_back(cloud, member):
    with faults.server(cloud, member, "pc-revert", "cell2") as uuid:
        source = faults.host_of(cloud, uuid)
        mig, rule, srv = _revert_refused(cloud, member, uuid)
        assert rule.hits >= _retries(cloud) + 1
        assert srv.fault["message"].startswith(
            f"Failed to move allocations from consumer {mig.uuid} to consumer {uuid}")
        assert faults.events(cloud, uuid, "revertResize") == {
            "compute_revert_resize": "Success", "compute_finish_revert_resize": "Error"}
        inst = faults.instance(cloud, uuid)
        assert (inst.host, inst.flavor.flavorid) == (source, "1")
        assert inst.old_flavor is None and inst.new_flavor is None
        # The source share is still the migration's (Placement never took the move).
        assert faults.allocations(cloud, mig.uuid) == {
            faults.rp(cloud, source): faults.resources(inst.flavor)}
        faults.hard_reboot(cloud, member, uuid)
        assert faults.host_of(cloud, uuid) == source
        faults.check(cloud, uuid)
        faults.retry_resize_and_confirm(cloud, member, uuid, "2")
    # faults.server: nothing of the server or its migrations is left in Placement.


# -- a failed revert is an error; a hard reboot heals the allocations --------------------


@pytest.mark.parametrize("cause", ["placement", "driver"])
def test_failed_revert_ends_the_migration_in_error(cloud, member, cause):
    with faults.server(cloud, member, f"pc-revert-{cause}", "cell1") as uuid:
        if cause == "placement":
            _revert_refused(cloud, member, uuid)
        else:
            source = faults.host_of(cloud, uuid)
            faults.resize(cloud, member, uuid, "2")
            faults.verify_resize(cloud, member, uuid)
            with faults.fail_once(cloud, source, "finish_revert_migration"):
                faults.revert(cloud, member, uuid)
                faults.wait_for_status(member, uuid, "ERROR")
                faults.wait_event(cloud, uuid, "revertResize",
                                  "compute_finish_revert_resize")
        assert faults.only_migration(cloud, uuid).status == "error"
        faults.hard_reboot(cloud, member, uuid)
        faults.check(cloud, uuid)


@pytest.mark.parametrize("step", ["confirm", "revert"])
def test_recovery_heals_the_allocations(cloud, admin, member, step):
    with faults.server(cloud, member, f"pc-heal-{step}", "cell2") as uuid:
        if step == "confirm":
            _confirm_refused(cloud, admin, uuid, 409, None)
        else:
            _revert_refused(cloud, member, uuid)
        faults.hard_reboot(cloud, member, uuid)
        faults.check(cloud, uuid)


def test_delete_with_the_host_down_after_a_failed_confirm(cloud, admin):
    """A server whose confirm failed in Placement, deleted while its compute is down (the
    API deletes it locally): the migration's leftover share goes too."""
    uuid = faults.boot(cloud, admin, "pc-local-delete", "cell1")
    consumers, dest = [uuid], None
    try:
        mig, _, _, left = _confirm_refused(cloud, admin, uuid, 409, None)
        consumers.append(mig.uuid)
        assert left
        dest = faults.host_of(cloud, uuid)
        with faults.service_status(cloud, dest, forced_down=True):
            faults.delete(admin, uuid)
        assert faults.allocations(cloud, uuid) == {}
        assert faults.allocations(cloud, mig.uuid) == {}
        invariants.check_consumers(cloud)
    finally:
        faults.delete(admin, uuid)
        for consumer in consumers:  # never leave a leak to the tests that come next
            cloud.runtime.placement.delete_allocations(consumer)
        if dest is not None:  # a local delete reaches neither the guest nor the tracker
            cloud.computes[dest].driver.destroy(uuid)
            cloud.computes[dest].tracker.refresh_usage()
