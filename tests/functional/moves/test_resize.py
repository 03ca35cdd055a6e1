"""Resize inside a cell: VERIFY_RESIZE, confirm, revert, same host, stopped servers,
delete while VERIFY_RESIZE and auto-confirm (Nova's ServerMovingTests, same-cell)."""

import datetime
import logging

import pytest
from sqlalchemy import select

from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor import auto_confirm
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.db.base import utcnow
from cirrus.db.cell import models
from cirrus.testing import invariants
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import helpers as mv

UP, DOWN = ("1", "2"), ("2", "1")
RESIZE_EVENTS = {"conductor_migrate_server", "cold_migrate", "compute_prep_resize",
                 "compute_resize_instance", "compute_finish_resize"}


def _verify_resize(cloud, member, admin, notifications, server_id, new):
    """Resize to ``new`` and check everything a same-cell VERIFY_RESIZE means.

    Returns (source, dest, usage before the resize, migration body at 2.80).
    """
    old_name = mv.show(cloud, admin, server_id)["flavor"]["original_name"]
    source = mv.host_of(admin, server_id)
    dest = mv.other_host(source)
    before = mv.usage_of(cloud, admin, source, dest)
    since = len(notifications.of(server_id))
    old = mv.check(cloud, server_id).flavor
    req = mv.resize_and_wait(cloud, member, notifications, server_id, new)

    body = mv.show(cloud, admin, server_id)
    assert (body["status"], body["OS-EXT-STS:vm_state"], body["OS-EXT-SRV-ATTR:host"]) == (
        "VERIFY_RESIZE", "resized", dest)
    assert body["flavor"]["original_name"] == mv.flavor(cloud, admin, new)["name"]
    assert old_name == old.name
    (mig,) = mv.migrations_of(cloud, admin, server_id)
    inst = mv.check(cloud, server_id)
    assert (inst.flavor.flavorid, inst.old_flavor.flavorid) == (new, old.flavorid)
    assert {k: mig[k] for k in ("status", "migration_type", "source_compute", "source_node",
                                "dest_compute", "dest_node", "old_instance_type_id",
                                "new_instance_type_id", "user_id", "project_id")} == {
        "status": "finished", "migration_type": "resize", "source_compute": source,
        "source_node": source, "dest_compute": dest, "dest_node": dest,
        "old_instance_type_id": old.id, "new_instance_type_id": inst.flavor.id,
        "user_id": member.current_user_id, "project_id": member.current_project_id}
    (mig_223,) = mv.migrations_of(cloud, admin, server_id, version="2.23")
    assert "uuid" not in mig_223 and "user_id" not in mig_223
    assert {k: mig_223[k] for k in ("id", "status", "migration_type", "dest_compute")} == {
        "id": mig["id"], "status": "finished", "migration_type": "resize",
        "dest_compute": dest}

    assert mv.allocations_by_consumer(cloud, server_id, mig["uuid"]) == {
        server_id: {helpers.provider_of(cloud, dest): mv.resources(cloud, admin, new)},
        mig["uuid"]: {helpers.provider_of(cloud, source):
                      mv.resources(cloud, admin, old.flavorid)}}
    assert mv.usage_of(cloud, admin, source, dest) == {
        source: before[source], dest: mv.plus(before[dest], mv.usage_delta(cloud, admin, new))}
    assert mv.spec_flavor(cloud, server_id) == new
    action, events = mv.events_of(cloud, admin, server_id, req)
    assert (action, events) == ("resize", dict.fromkeys(RESIZE_EVENTS, "Success"))
    assert mv.published_since(notifications, server_id, since) == mv.resize_published(
        source, dest)
    return source, dest, before, mig


@pytest.mark.parametrize(("old", "new"), [UP, DOWN], ids=["up", "down"])
def test_resize_confirm(cloud, member, admin, notifications, old, new):
    with mv.server(cloud, member, admin, "resize-confirm", old) as server:
        source, dest, before, mig = _verify_resize(cloud, member, admin, notifications,
                                                   server.id, new)
        since = len(notifications.of(server.id))
        req = mv.confirm_and_wait(cloud, member, notifications, server.id)

        body = mv.show(cloud, admin, server.id)
        assert (body["status"], body["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", dest)
        assert body["flavor"]["original_name"] == mv.flavor(cloud, admin, new)["name"]
        assert mv.usage_of(cloud, admin, source, dest) == {
            source: mv.plus(before[source], mv.usage_delta(cloud, admin, old), -1),
            dest: mv.plus(before[dest], mv.usage_delta(cloud, admin, new))}
        assert mv.migrations_of(cloud, admin, server.id)[0]["status"] == "confirmed"
        assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
            server.id: {helpers.provider_of(cloud, dest): mv.resources(cloud, admin, new)},
            mig["uuid"]: {}}
        assert mv.events_of(cloud, admin, server.id, req) == (
            "confirmResize", {"compute_confirm_resize": "Success"})
        assert mv.published_since(notifications, server.id, since) == {
            ("instance.resize_confirm.start", source), ("instance.resize_confirm.end", source)}
        assert cloud.computes[source].driver.left_behind(server.id) is None
        mv.check(cloud, server.id)


@pytest.mark.parametrize(("old", "new"), [UP, DOWN], ids=["up", "down"])
def test_resize_revert(cloud, member, admin, notifications, old, new):
    with mv.server(cloud, member, admin, "resize-revert", old) as server:
        source, dest, before, mig = _verify_resize(cloud, member, admin, notifications,
                                                   server.id, new)
        since = len(notifications.of(server.id))
        req = mv.revert_and_wait(cloud, member, notifications, server.id)

        body = mv.show(cloud, admin, server.id)
        assert (body["status"], body["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", source)
        assert body["flavor"]["original_name"] == mv.flavor(cloud, admin, old)["name"]
        assert mv.usage_of(cloud, admin, source, dest) == before
        assert mv.migrations_of(cloud, admin, server.id)[0]["status"] == "reverted"
        assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
            server.id: {helpers.provider_of(cloud, source): mv.resources(cloud, admin, old)},
            mig["uuid"]: {}}
        assert mv.spec_flavor(cloud, server.id) == old
        assert mv.events_of(cloud, admin, server.id, req) == (
            "revertResize", {"compute_revert_resize": "Success",
                             "compute_finish_revert_resize": "Success"})
        assert mv.published_since(notifications, server.id, since) == {
            ("instance.resize_revert.start", source), ("instance.resize_revert.end", source)}
        assert cloud.computes[dest].driver.guest(server.id) is None
        mv.check(cloud, server.id)


@pytest.mark.parametrize("finish", ["confirm", "revert"])
def test_resize_to_the_same_host(cloud, member, admin, notifications, finish):
    with mv.server(cloud, member, admin, f"same-host-{finish}") as server:
        host = mv.host_of(admin, server.id)
        rp = helpers.provider_of(cloud, host)
        before = mv.usage_of(cloud, admin, host)[host]
        tiny, small = mv.resources(cloud, admin, "1"), mv.resources(cloud, admin, "2")
        with (mv.overridden(cloud, allow_resize_to_same_host=True),
              mv.service_changed(cloud, admin, mv.other_host(host),
                                 {"status": "disabled", "disabled_reason": "same-host test"},
                                 {"status": "enabled"})):
            since = len(notifications.of(server.id))
            mv.resize_and_wait(cloud, member, notifications, server.id, "2")
            assert mv.host_of(admin, server.id) == host
            (mig,) = mv.migrations_of(cloud, admin, server.id)
            assert (mig["source_compute"], mig["dest_compute"]) == (host, host)
            assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
                server.id: {rp: small}, mig["uuid"]: {rp: tiny}}
            assert mv.usage_of(cloud, admin, host)[host] == mv.plus(
                before, mv.usage_delta(cloud, admin, "2"))
            assert mv.published_since(notifications, server.id, since) == (
                mv.resize_published(host, host))
            mv.check(cloud, server.id)
            driver = cloud.computes[host].driver
            assert driver.guest(server.id).spec.flavor.flavorid == "2"
            assert driver.left_behind(server.id).spec.flavor.flavorid == "1"

            if finish == "confirm":
                mv.confirm_and_wait(cloud, member, notifications, server.id)
                kept, usage = small, mv.plus(before, mv.usage_delta(cloud, admin, "1"), -1)
                usage = mv.plus(usage, mv.usage_delta(cloud, admin, "2"))
            else:
                mv.revert_and_wait(cloud, member, notifications, server.id)
                kept, usage = tiny, before
            assert mv.host_of(admin, server.id) == host
            assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
                server.id: {rp: kept}, mig["uuid"]: {}}
            assert mv.usage_of(cloud, admin, host)[host] == usage
            assert driver.left_behind(server.id) is None
            mv.check(cloud, server.id)


@pytest.mark.parametrize("finish", ["confirm", "revert"])
def test_resize_a_stopped_server(cloud, member, admin, notifications, finish):
    with mv.server(cloud, member, admin, f"stopped-{finish}") as server:
        member.compute.stop_server(server.id)
        helpers.wait_status(member, server.id, "SHUTOFF")
        source = mv.host_of(admin, server.id)
        dest = mv.other_host(source)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        body = mv.show(cloud, admin, server.id)
        assert (body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:power_state"]) == ("resized", 4)
        assert cloud.computes[dest].driver.get_power_state(server.id) == 4
        mv.check(cloud, server.id)
        if finish == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, server.id, status="SHUTOFF")
            host, flavor_name = dest, "m1.small"
        else:
            mv.revert_and_wait(cloud, member, notifications, server.id, status="SHUTOFF")
            host, flavor_name = source, "m1.tiny"
        body = mv.show(cloud, admin, server.id)
        assert (body["status"], body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:power_state"],
                body["OS-EXT-SRV-ATTR:host"], body["flavor"]["original_name"]) == (
            "SHUTOFF", "stopped", 4, host, flavor_name)
        assert cloud.computes[host].driver.get_power_state(server.id) == 4
        mv.check(cloud, server.id)


def _events_of_action(cloud, cell, server_id, request_id, name):
    """{event: result} of the action ``name`` of a request, from the cell database."""
    with cloud.runtime.cell_reader(cell) as s:
        action = s.scalar(select(models.InstanceAction).filter_by(
            instance_uuid=server_id, request_id=request_id, action=name))
        return {e.event: e.result for e in s.scalars(select(
            models.InstanceActionEvent).filter_by(action_id=action.id))}


def test_delete_while_verify_resize(cloud, member, admin, notifications):
    server = helpers.boot(member, "verify-delete", zone="cell1")
    try:
        helpers.wait_status(member, server.id, "ACTIVE")
        source = mv.host_of(admin, server.id)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        (mig,) = mv.migrations_of(cloud, admin, server.id)
        cell = helpers.cell_of(cloud, server.id)
        assert cloud.computes[source].driver.left_behind(server.id) is not None
        before = mv.usage_of(cloud, admin, *mv.CELL1)
    except BaseException:
        member.compute.delete_server(server.id)
        raise
    mv.delete_and_check(cloud, member, admin, server.id)
    # Read from the cell database, deleted rows included: whether the API still lists the
    # moves of a deleted server is not what this test is about.
    with cloud.runtime.cell_reader(cell) as s:
        assert s.scalar(select(models.Migration.status).filter_by(uuid=mig["uuid"])) == (
            "confirmed")
    assert cloud.computes[source].driver.left_behind(server.id) is None
    actions = helpers.raw(cloud, admin, "GET", f"/servers/{server.id}/os-instance-actions")
    assert actions.status_code == 200, actions.text
    listed = actions.json()["instanceActions"]
    assert [a["action"] for a in listed] == ["delete", "confirmResize", "resize", "create"]
    # As in Nova, the confirm shares the delete's request id, so the API shows the newest
    # action (delete) for it; the confirm's own event is on the confirmResize record.
    assert listed[0]["request_id"] == listed[1]["request_id"]
    assert mv.events_of(cloud, admin, server.id, listed[0]["request_id"]) == (
        "delete", {"compute_terminate_instance": "Success"})
    assert _events_of_action(cloud, cell, server.id, listed[1]["request_id"],
                             "confirmResize") == {"compute_confirm_resize": "Success"}
    for host in mv.CELL1:
        assert cloud.computes[host].driver.guest(server.id) is None
    dest = mv.other_host(source)
    assert mv.usage_of(cloud, admin, *mv.CELL1) == {
        source: mv.plus(before[source], mv.usage_delta(cloud, admin, "1"), -1),
        dest: mv.plus(before[dest], mv.usage_delta(cloud, admin, "2"), -1)}
    invariants.check_consumers(cloud)


def _status(cloud, admin, server_id):
    return mv.migrations_of(cloud, admin, server_id)[0]["status"]


def test_auto_confirm(cloud, member, admin, notifications):
    with mv.server(cloud, member, admin, "auto-confirm") as server:
        dest = mv.other_host(mv.host_of(admin, server.id))
        with mv.overridden(cloud, resize_confirm_window=1):
            mv.resize_and_wait(cloud, member, notifications, server.id, "2")
            (mig,) = mv.migrations_of(cloud, admin, server.id)
            finished = datetime.datetime.fromisoformat(mig["updated_at"])
            assert auto_confirm.poll_unconfirmed_resizes(  # not due yet
                cloud.runtime, ComputeAPI(cloud.runtime), ComputeTaskAPI(cloud.runtime),
                now=finished + datetime.timedelta(seconds=0.5)) == 0
            with mv.awaiting(notifications, server.id, "instance.resize_confirm.end"):
                # The window is one second: poll until the migration is due (and started).
                wait_for(lambda: cloud.superconductor.poll_unconfirmed_resizes()
                         and _status(cloud, admin, server.id) != "finished",
                         timeout=10, interval=0.1, what="auto-confirm")
        body = helpers.wait_status(member, server.id, "ACTIVE")
        assert mv.host_of(admin, body.id) == dest
        assert _status(cloud, admin, server.id) == "confirmed"
        actions = list(admin.compute.server_actions(server.id))
        assert actions[0].action == "confirmResize"
        assert mv.events_of(cloud, admin, server.id, actions[0].request_id)[1] == {
            "compute_confirm_resize": "Success"}
        mv.check(cloud, server.id)


def test_auto_confirm_while_the_source_is_down(cloud, member, admin, notifications, caplog):
    with mv.server(cloud, member, admin, "auto-confirm-down") as server:
        source = mv.host_of(admin, server.id)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        later = utcnow() + datetime.timedelta(hours=1)
        with (mv.overridden(cloud, resize_confirm_window=1),
              mv.service_changed(cloud, admin, source, {"forced_down": True},
                                 {"forced_down": False}),
              caplog.at_level(logging.WARNING, logger="cirrus.conductor.auto_confirm")):
            assert auto_confirm.poll_unconfirmed_resizes(
                cloud.runtime, ComputeAPI(cloud.runtime), ComputeTaskAPI(cloud.runtime),
                now=later) == 0
            warnings = [r.getMessage() for r in caplog.records
                        if r.name == "cirrus.conductor.auto_confirm"]
            assert any(m.startswith("Error auto-confirming resize of " + server.id)
                       and "Service is unavailable at this time." in m for m in warnings)
            assert _status(cloud, admin, server.id) == "finished"
            resp = helpers.raw(cloud, member, "POST", f"/servers/{server.id}/action",
                               json={"confirmResize": None})
            assert resp.status_code == 409
            assert resp.json() == {"conflictingRequest": {
                "code": 409, "message": "Service is unavailable at this time."}}
            assert _status(cloud, admin, server.id) == "finished"
            assert helpers.wait_status(member, server.id, "VERIFY_RESIZE")
            mv.check(cloud, server.id)
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        assert mv.host_of(admin, server.id) == mv.other_host(source)
        assert _status(cloud, admin, server.id) == "confirmed"
        mv.check(cloud, server.id)
