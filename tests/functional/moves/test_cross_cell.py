"""Cross-cell resize and cold migration through the REST API (reference §2, §4.1).

The shared deployment has two cells of two hosts. Cross-cell moves are allowed for the
module by policy.yaml; the moves are pushed into the other cell either by naming a host
(2.56) or by disabling the other host of the source cell.
"""

import contextlib

import pytest

from cirrus import exception
from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.moves.helpers import across, copy_in, journal_of

RESIZE_EVENTS = {"conductor_migrate_server", "cold_migrate",
                 "compute_prep_snapshot_based_resize_at_dest",
                 "compute_prep_snapshot_based_resize_at_source",
                 "compute_finish_snapshot_based_resize_at_dest"}
CONFIRM_EVENTS = {"conductor_confirm_snapshot_based_resize": "Success",
                  "compute_confirm_snapshot_based_resize_at_source": "Success"}
REVERT_EVENTS = {"conductor_revert_snapshot_based_resize": "Success",
                 "compute_revert_snapshot_based_resize_at_dest": "Success",
                 "compute_finish_revert_snapshot_based_resize_at_source": "Success"}


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


@contextlib.contextmanager
def only_other_cell(cloud, admin, source):
    """Disable the other host of the source's cell, so a move must leave the cell."""
    with mv.service_changed(cloud, admin, mv.other_host(source),
                            {"status": "disabled"}, {"status": "enabled"}):
        yield


def cell_of(host):
    return host.split("-")[0]


def server(cloud, member, admin, name):
    """A server booted with no zone asked for, so that it may move to any cell."""
    return mv.server(cloud, member, admin, name, zone=None)


def temp_images(cloud):
    """Temporary snapshots left in the image service (tests of a process run in turn)."""
    return [i.id for i in cloud.runtime.image.list_images()
            if (i.name or "").endswith("-resize-temp")]


def _absolute_limits(cloud, conn):
    body = helpers.raw(cloud, conn, "GET", "/limits").json()["limits"]["absolute"]
    return {k: body[k] for k in ("totalInstancesUsed", "totalCoresUsed", "totalRAMUsed")}


def _assert_verify_resize(cloud, conn, admin, server_id, source, dest, old, new):
    body = mv.show(cloud, admin, server_id)
    assert (body["status"], body["OS-EXT-SRV-ATTR:host"],
            body["OS-EXT-AZ:availability_zone"]) == ("VERIFY_RESIZE", dest, cell_of(dest))
    assert [s.id for s in conn.compute.servers() if s.id == server_id] == [server_id]
    (mig,) = mv.migrations_of(cloud, admin, server_id)
    assert (mig["status"], mig["source_compute"], mig["dest_compute"]) == (
        "finished", source, dest)
    assert mv.allocations_by_consumer(cloud, server_id, mig["uuid"]) == {
        server_id: {helpers.provider_of(cloud, dest): mv.resources(cloud, admin, new)},
        mig["uuid"]: {helpers.provider_of(cloud, source): mv.resources(cloud, admin, old)}}
    src = copy_in(cloud, cell_of(source), server_id)
    dst = copy_in(cloud, cell_of(dest), server_id)
    assert (src.hidden, dst.hidden) == (True, False)
    assert (dst.flavor.flavorid, dst.old_flavor.flavorid) == (new, old)
    assert cloud.computes[source].driver.guest(server_id) is None
    assert cloud.computes[dest].driver.guest(server_id) is not None
    assert temp_images(cloud) == []
    mv.check(cloud, server_id)
    return mig


def test_migrate_to_a_host_in_the_other_cell_then_confirm(cloud, member, admin,
                                                            notifications):
    with server(cloud, member, admin, "xcell-confirm") as created:
        source = mv.host_of(admin, created.id)
        dest = across(source)
        since = len(notifications.of(created.id))
        used = _absolute_limits(cloud, member)
        req = mv.migrate_and_wait(cloud, admin, notifications, created.id, host=dest)
        # The hidden copy in the source cell does not count against the quota.
        assert _absolute_limits(cloud, member) == used
        # The same notifications from the same hosts as a move within a cell (§2.12).
        assert mv.published_since(notifications, created.id, since) == mv.resize_published(
            source, dest)
        mig = _assert_verify_resize(cloud, member, admin, created.id, source, dest, "1", "1")
        action, events = mv.events_of(cloud, admin, created.id, req)
        assert action == "migrate" and set(events) == RESIZE_EVENTS
        assert set(events.values()) == {"Success"}
        assert mv.show(cloud, member, created.id)["image"]["id"] == (
            member.image.find_image("cirros").id)

        since = len(notifications.of(created.id))
        req = mv.confirm_and_wait(cloud, member, notifications, created.id)
        assert mv.events_of(cloud, admin, created.id, req)[1] == CONFIRM_EVENTS
        assert [n["event_type"] for n in notifications.of(created.id)[since:]] == [
            "instance.resize_confirm.start", "instance.resize_confirm.end"]
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert mig["status"] == "confirmed"
        assert copy_in(cloud, cell_of(source), created.id) is None
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: {helpers.provider_of(cloud, dest): mv.resources(cloud, admin, "1")},
            mig["uuid"]: {}}
        assert mv.host_of(admin, created.id) == dest
        assert journal_of(cloud, mig["uuid"]) == [("resize", "done"), ("confirm", "done")]
        assert not [k for k in mig if k.startswith("cirrus:")]
        resp = helpers.raw(cloud, admin, "GET", f"/os-migrations?instance_uuid={created.id}",
                           headers={"Cirrus-Migration-Detail": "true"})
        (detail,) = resp.json()["migrations"]
        assert {k: v for k, v in detail.items() if k.startswith("cirrus:")} == {
            "cirrus:cross_cell_move": True, "cirrus:source_cell": cell_of(source),
            "cirrus:dest_cell": cell_of(dest), "cirrus:step": "confirm:FinishConfirmInTarget:done",
            # The fake driver moves no bytes, so it reports no disk progress.
            "cirrus:disk_step": None, "cirrus:disk_processed_bytes": None,
            "cirrus:disk_total_bytes": None, "cirrus:disk_rate_bytes_per_sec": None}
        mv.check(cloud, created.id)


def test_resize_into_the_other_cell_then_revert(cloud, member, admin, notifications):
    with server(cloud, member, admin, "xcell-revert") as created:
        source = mv.host_of(admin, created.id)
        with only_other_cell(cloud, admin, source):
            mv.resize_and_wait(cloud, member, notifications, created.id, "2")
        dest = mv.host_of(admin, created.id)
        assert cell_of(dest) != cell_of(source)
        _assert_verify_resize(cloud, member, admin, created.id, source, dest, "1", "2")

        since = len(notifications.of(created.id))
        req = mv.revert_and_wait(cloud, member, notifications, created.id)
        assert mv.events_of(cloud, admin, created.id, req)[1] == REVERT_EVENTS
        # Start and end come from the superconductor (same-cell: from the source).
        sent = {(n["event_type"], n["publisher_id"].split(":")[0])
                for n in notifications.of(created.id)[since:]}
        assert sent == {("instance.resize_revert.start", "cirrus-conductor"),
                        ("instance.exists", "cirrus-compute"),
                        ("instance.resize_revert.end", "cirrus-conductor")}
        body = mv.show(cloud, admin, created.id)
        assert (body["OS-EXT-SRV-ATTR:host"], body["flavor"]["original_name"],
                body["OS-EXT-AZ:availability_zone"]) == (source, "m1.tiny", cell_of(source))
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert mig["status"] == "reverted"
        assert copy_in(cloud, cell_of(dest), created.id) is None
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: {helpers.provider_of(cloud, source): mv.resources(cloud, admin, "1")},
            mig["uuid"]: {}}
        mv.check(cloud, created.id)


def test_the_weigher_keeps_the_move_in_its_cell(cloud, member, admin, notifications):
    with server(cloud, member, admin, "xcell-weigher") as created:
        source = mv.host_of(admin, created.id)
        mv.migrate_and_wait(cloud, admin, notifications, created.id)
        assert mv.host_of(admin, created.id) == mv.other_host(source)
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert copy_in(cloud, cell_of(across(source)), created.id) is None
        assert journal_of(cloud, mig["uuid"]) == []
        mv.confirm_and_wait(cloud, member, notifications, created.id)


def test_stopped_server_moves_there_and_back(cloud, member, admin, notifications):
    with server(cloud, member, admin, "xcell-stopped") as created:
        source = mv.host_of(admin, created.id)
        member.compute.stop_server(created.id)
        helpers.wait_status(member, created.id, "SHUTOFF")
        mv.migrate_and_wait(cloud, admin, notifications, created.id, host=across(source, 2))
        mv.confirm_and_wait(cloud, member, notifications, created.id, status="SHUTOFF")
        assert mv.show(cloud, admin, created.id)["OS-EXT-STS:power_state"] == 4
        # Back into the cell that held the first copy (hard-deleted at confirm).
        mv.migrate_and_wait(cloud, admin, notifications, created.id, host=source)
        mv.confirm_and_wait(cloud, member, notifications, created.id, status="SHUTOFF")
        assert mv.host_of(admin, created.id) == source
        assert copy_in(cloud, cell_of(across(source)), created.id) is None
        mv.check(cloud, created.id)


def test_delete_in_verify_resize_cleans_both_cells(cloud, member, admin, notifications):
    created = helpers.boot(member, "xcell-delete")
    helpers.wait_status(member, created.id, "ACTIVE")
    source = mv.host_of(admin, created.id)
    mv.migrate_and_wait(cloud, admin, notifications, created.id, host=across(source))
    (mig,) = mv.migrations_of(cloud, admin, created.id)
    mv.delete_and_check(cloud, member, admin, created.id)
    assert copy_in(cloud, cell_of(source), created.id) is None
    assert copy_in(cloud, cell_of(across(source)), created.id).deleted
    assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
        created.id: {}, mig["uuid"]: {}}


def _flaky_claims(cloud, monkeypatch, hosts, failures):
    """The first ``failures`` claims on ``hosts`` fail; returns the hosts asked, in order."""
    asked = []
    for host in hosts:
        driver = cloud.computes[host].driver
        original = driver.prepare_migration_target

        def prepare(uuid, flavor, host=host, original=original):
            asked.append(host)
            if len(asked) <= failures:
                raise exception.DriverError(method="prepare_migration_target",
                                            reason="injected")
            return original(uuid, flavor)

        monkeypatch.setattr(driver, "prepare_migration_target", prepare)
    return asked


def test_a_refused_destination_gives_way_to_its_alternate(cloud, member, admin,
                                                          notifications, monkeypatch):
    with server(cloud, member, admin, "xcell-alternate") as created:
        source = mv.host_of(admin, created.id)
        asked = _flaky_claims(cloud, monkeypatch, (across(source, 1), across(source, 2)), 1)
        with only_other_cell(cloud, admin, source):
            mv.resize_and_wait(cloud, member, notifications, created.id, "2")
        assert len(asked) == 2 and asked[0] != asked[1]
        assert mv.host_of(admin, created.id) == asked[1]
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert journal_of(cloud, mig["uuid"]) == [("resize", "rolled-back"),
                                                  ("resize", "done")]
        _assert_verify_resize(cloud, member, admin, created.id, source, asked[1], "1", "2")
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        mv.check(cloud, created.id)


def test_every_host_refusing_leaves_the_server_where_it_was(cloud, member, admin,
                                                            notifications, monkeypatch):
    with server(cloud, member, admin, "xcell-no-host") as created:
        source = mv.host_of(admin, created.id)
        targets = (across(source, 1), across(source, 2))
        asked = _flaky_claims(cloud, monkeypatch, targets, 2)
        with only_other_cell(cloud, admin, source):
            mv.post_action(cloud, member, created.id, {"resize": {"flavorRef": "2"}})
            mig = helpers.wait_for(
                lambda: next((m for m in mv.migrations_of(cloud, admin, created.id)
                              if m["status"] == "error"), None), 30, what="migration error")
        assert sorted(asked) == sorted(targets)
        body = helpers.wait_status(member, created.id, "ACTIVE")
        assert mv.host_of(admin, body.id) == source
        assert copy_in(cloud, cell_of(targets[0]), created.id) is None
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: {helpers.provider_of(cloud, source): mv.resources(cloud, admin, "1")},
            mig["uuid"]: {}}
        mv.check(cloud, created.id)
        monkeypatch.undo()
        mv.migrate_and_wait(cloud, admin, notifications, created.id, host=targets[0])
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        mv.check(cloud, created.id)


def test_keypair_tags_metadata_and_ports_survive(cloud, member, admin, notifications):
    """Bug 2108974 (keypairs lost) and the rest of the server's records, both ways."""
    key = member.compute.create_keypair(name="xcell-key")
    net = member.network.find_network("private")
    resp = helpers.raw(cloud, member, "POST", "/servers", json={"server": {
        "name": "xcell-records", "flavorRef": "1", "key_name": key.name,
        "imageRef": member.image.find_image("cirros").id, "tags": ["t1", "t2"],
        "metadata": {"purpose": "test"}, "networks": [{"uuid": net.id}]}})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    try:
        helpers.wait_status(member, server_id, "ACTIVE")
        source = mv.host_of(admin, server_id)
        before = mv.show(cloud, member, server_id)
        src = copy_in(cloud, cell_of(source), server_id)
        for finish in ("revert", "confirm"):
            mv.migrate_and_wait(cloud, admin, notifications, server_id, host=across(source))
            body = mv.show(cloud, member, server_id)
            for field in ("key_name", "tags", "metadata", "addresses", "image"):
                assert body[field] == before[field], field
            moved = copy_in(cloud, cell_of(across(source)), server_id)
            assert moved.network_info == src.network_info
            (port,) = member.network.ports(device_id=server_id)
            assert port.binding_host_id == across(source)
            if finish == "revert":
                mv.revert_and_wait(cloud, member, notifications, server_id)
            else:
                mv.confirm_and_wait(cloud, member, notifications, server_id)
            mv.check(cloud, server_id)
        assert mv.show(cloud, member, server_id)["key_name"] == key.name
        kept = copy_in(cloud, cell_of(across(source)), server_id)
        assert kept.key_data == src.key_data and kept.tags == src.tags
    finally:
        mv.delete_and_check(cloud, member, admin, server_id)
        member.compute.delete_keypair(key)


def test_auto_confirm_runs_from_the_superconductor(cloud, member, admin, notifications):
    """Nova needs an up-call from the destination compute; here no compute is involved."""
    with server(cloud, member, admin, "xcell-auto") as created:
        source = mv.host_of(admin, created.id)
        mv.migrate_and_wait(cloud, admin, notifications, created.id, host=across(source))
        with (mv.overridden(cloud, resize_confirm_window=1),
              mv.awaiting(notifications, created.id, "instance.resize_confirm.end")):
            helpers.wait_for(cloud.superconductor.poll_unconfirmed_resizes,
                             timeout=10, interval=0.2, what="auto-confirm started")
        helpers.wait_status(member, created.id, "ACTIVE")
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert mig["status"] == "confirmed"
        assert copy_in(cloud, cell_of(source), created.id) is None
        mv.check(cloud, created.id)


def test_lists_show_the_server_exactly_once_throughout(cloud, member, admin, notifications):
    """The mapping flip is the only switch: no list shows the server twice or not at all."""
    import threading

    with server(cloud, member, admin, "xcell-visible") as created:
        source = mv.host_of(admin, created.id)
        seen, stop = [], threading.Event()

        def watch():
            while not stop.is_set():
                listed = helpers.raw(cloud, member, "GET", "/servers/detail").json()["servers"]
                shown = helpers.raw(cloud, member, "GET", f"/servers/{created.id}")
                seen.append((sum(s["id"] == created.id for s in listed), shown.status_code))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            mv.migrate_and_wait(cloud, admin, notifications, created.id, host=across(source))
            mv.revert_and_wait(cloud, member, notifications, created.id)
            mv.migrate_and_wait(cloud, admin, notifications, created.id, host=across(source))
            mv.confirm_and_wait(cloud, member, notifications, created.id)
        finally:
            stop.set()
            watcher.join()
        # How many samples fit in the four moves depends on the machine's load; what
        # matters is that every one of them saw the server once.
        assert len(seen) >= 4
        assert set(seen) == {(1, 200)}


@contextlib.contextmanager
def aggregate_metadata(cloud, cell_name, key, value):
    """Metadata on a cell's aggregate (named after the cell) for the block only."""
    from sqlalchemy import delete

    from cirrus.db.api import models
    from cirrus.objects import host_mapping as hm_obj

    with cloud.runtime.api_session() as s:
        agg = hm_obj.ensure_aggregate(s, cell_name, {key: value}, [])
    cloud.runtime.aggregates(refresh=True)
    try:
        yield
    finally:
        with cloud.runtime.api_session() as s:
            s.execute(delete(models.AggregateMetadata).where(
                models.AggregateMetadata.aggregate_id == agg.id,
                models.AggregateMetadata.key == key))
        cloud.runtime.aggregates(refresh=True)


def test_a_flavor_for_the_new_cell_takes_the_server_there(cloud, member, admin,
                                                          notifications):
    """Filters remove every host of the source cell: the weigher has nothing to prefer."""
    resp = helpers.raw(cloud, admin, "POST", "/flavors", json={"flavor": {
        "name": "gen2.tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "gen2-tiny"}})
    assert resp.status_code == 200, resp.text
    try:
        resp = helpers.raw(cloud, admin, "POST", "/flavors/gen2-tiny/os-extra_specs",
                           json={"extra_specs": {"aggregate_instance_extra_specs:gen": "2"}})
        assert resp.status_code == 200, resp.text
        with server(cloud, member, admin, "xcell-gen2") as created:
            source = mv.host_of(admin, created.id)
            with aggregate_metadata(cloud, cell_of(across(source)), "gen", "2"):
                mv.resize_and_wait(cloud, member, notifications, created.id, "gen2-tiny")
            assert cell_of(mv.host_of(admin, created.id)) == cell_of(across(source))
            mv.confirm_and_wait(cloud, member, notifications, created.id)
            mv.check(cloud, created.id)
    finally:
        helpers.raw(cloud, admin, "DELETE", "/flavors/gen2-tiny")


def test_a_negative_multiplier_drains_the_source_cell(cloud, member, admin, notifications):
    with server(cloud, member, admin, "xcell-drain") as created:
        source = mv.host_of(admin, created.id)
        with aggregate_metadata(cloud, cell_of(source), "cross_cell_move_weight_multiplier",
                                "-1000000.0"):
            mv.migrate_and_wait(cloud, admin, notifications, created.id)
        assert cell_of(mv.host_of(admin, created.id)) == cell_of(across(source))
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        mv.check(cloud, created.id)


def test_anti_affinity_holds_across_cells(cloud, member, admin, notifications):
    """Nova's test_anti_affinity_group: members' hosts are counted in every cell."""
    group = member.compute.create_server_group(name="xcell-anti", policy="anti-affinity")
    image = member.image.find_image("cirros")
    ids = []
    try:
        for name in ("xcell-anti-1", "xcell-anti-2"):
            ids.append(member.compute.create_server(
                name=name, flavor_id="1", image_id=image.id, networks="none",
                scheduler_hints={"group": group.id}).id)
        for server_id in ids:
            helpers.wait_status(member, server_id, "ACTIVE")
        first, second = (mv.host_of(admin, i) for i in ids)
        assert first != second
        # The first moves into the other cell, wherever it may go but the second's host.
        with only_other_cell(cloud, admin, first):
            mv.migrate_and_wait(cloud, admin, notifications, ids[0])
        moved = mv.host_of(admin, ids[0])
        assert cell_of(moved) != cell_of(first) and moved != second
        mv.confirm_and_wait(cloud, member, notifications, ids[0])
        # Naming the first's host for the second breaks the policy: the move fails.
        mv.post_action(cloud, admin, ids[1], {"migrate": {"host": moved}}, version="2.56")
        helpers.wait_for(lambda: any(m["status"] == "error"
                                     for m in mv.migrations_of(cloud, admin, ids[1])),
                         30, what="refused migration")
        body = helpers.wait_status(member, ids[1], "ACTIVE")
        assert mv.host_of(admin, body.id) == second
        for server_id in ids:
            mv.check(cloud, server_id)
    finally:
        for server_id in ids:
            mv.delete_and_check(cloud, member, admin, server_id)
        member.compute.delete_server_group(group)
