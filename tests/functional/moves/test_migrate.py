"""Cold migration inside a cell (admin), confirm and revert, a target host (2.56), and what
/os-migrations and /servers/{id}/migrations say about moves."""

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv

MIGRATE_EVENTS = {"conductor_migrate_server", "cold_migrate", "compute_prep_resize",
                  "compute_resize_instance", "compute_finish_resize"}


@pytest.mark.parametrize("finish", ["confirm", "revert"])
def test_cold_migrate(cloud, member, admin, notifications, finish):
    with mv.server(cloud, member, admin, f"migrate-{finish}") as server:
        source = mv.host_of(admin, server.id)
        dest = mv.other_host(source)
        before = mv.usage_of(cloud, admin, source, dest)
        tiny = mv.resources(cloud, admin, "1")
        since = len(notifications.of(server.id))
        req = mv.migrate_and_wait(cloud, admin, notifications, server.id)

        body = mv.show(cloud, admin, server.id)
        assert (body["OS-EXT-STS:vm_state"], body["OS-EXT-SRV-ATTR:host"],
                body["flavor"]["original_name"]) == ("resized", dest, "m1.tiny")
        (mig,) = mv.migrations_of(cloud, admin, server.id)
        assert {k: mig[k] for k in ("status", "migration_type", "source_compute",
                                    "dest_compute", "old_instance_type_id",
                                    "new_instance_type_id", "user_id", "project_id")} == {
            "status": "finished", "migration_type": "migration", "source_compute": source,
            "dest_compute": dest, "old_instance_type_id": mig["new_instance_type_id"],
            "new_instance_type_id": mv.check(cloud, server.id).flavor.id,
            "user_id": admin.current_user_id, "project_id": admin.current_project_id}
        assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
            server.id: {helpers.provider_of(cloud, dest): tiny},
            mig["uuid"]: {helpers.provider_of(cloud, source): tiny}}
        delta = mv.usage_delta(cloud, admin, "1")
        assert mv.usage_of(cloud, admin, source, dest) == {
            source: before[source], dest: mv.plus(before[dest], delta)}
        assert mv.events_of(cloud, admin, server.id, req) == (
            "migrate", dict.fromkeys(MIGRATE_EVENTS, "Success"))
        assert mv.published_since(notifications, server.id, since) == mv.resize_published(
            source, dest)
        assert mv.spec_flavor(cloud, server.id) == "1"
        # 2.80: the admin started it, so the member's user id matches none of it.
        mine = mv.migrations_of(cloud, admin, server.id,
                                query=f"&user_id={member.current_user_id}")
        assert mine == []
        assert [m["uuid"] for m in mv.migrations_of(
            cloud, admin, server.id, query=f"&user_id={admin.current_user_id}")] == [
            mig["uuid"]]

        if finish == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, server.id)
            host, usage = dest, {source: mv.plus(before[source], delta, -1),
                                 dest: mv.plus(before[dest], delta)}
        else:
            req = mv.revert_and_wait(cloud, member, notifications, server.id)
            assert mv.events_of(cloud, admin, server.id, req)[1] == {
                "compute_revert_resize": "Success", "compute_finish_revert_resize": "Success"}
            host, usage = source, before
        assert mv.host_of(admin, server.id) == host
        assert mv.usage_of(cloud, admin, source, dest) == usage
        assert mv.allocations_by_consumer(cloud, server.id, mig["uuid"]) == {
            server.id: {helpers.provider_of(cloud, host): tiny}, mig["uuid"]: {}}
        assert mv.migrations_of(cloud, admin, server.id)[0]["status"] == (
            "confirmed" if finish == "confirm" else "reverted")
        mv.check(cloud, server.id)


def test_migrate_to_a_host(cloud, member, admin, notifications):
    with mv.server(cloud, member, admin, "migrate-host") as server:
        source = mv.host_of(admin, server.id)
        target = mv.other_host(source)
        mv.migrate_and_wait(cloud, admin, notifications, server.id, host=target)
        assert mv.host_of(admin, server.id) == target
        (mig,) = mv.migrations_of(cloud, admin, server.id)
        assert (mig["dest_compute"], mig["migration_type"]) == (target, "migration")
        mv.check(cloud, server.id)
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        mv.check(cloud, server.id)
        # The requested host belonged to that move only: a plain migrate may go back.
        mv.migrate_and_wait(cloud, admin, notifications, server.id)
        assert mv.host_of(admin, server.id) == source
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        mv.check(cloud, server.id)


def test_migrations_listings_after_a_few_moves(cloud, member, admin, notifications):
    with mv.server(cloud, member, admin, "listings") as server:
        first = mv.host_of(admin, server.id)
        second = mv.other_host(first)
        mv.resize_and_wait(cloud, member, notifications, server.id, "2")
        mv.confirm_and_wait(cloud, member, notifications, server.id)
        mv.migrate_and_wait(cloud, admin, notifications, server.id)
        mv.revert_and_wait(cloud, member, notifications, server.id)
        mv.resize_and_wait(cloud, member, notifications, server.id, "1")
        mv.check(cloud, server.id)

        # Nova's /servers/{id}/migrations lists in-progress *live* migrations only: a
        # resize in VERIFY_RESIZE is not one of them.
        resp = helpers.raw(cloud, admin, "GET", f"/servers/{server.id}/migrations")
        assert resp.status_code == 200 and resp.json() == {"migrations": []}
        assert list(admin.compute.server_migrations(server.id)) == []
        newest = mv.migrations_of(cloud, admin, server.id)
        resp = helpers.raw(cloud, admin, "GET",
                           f"/servers/{server.id}/migrations/{newest[0]['id']}")
        assert resp.status_code == 404
        assert resp.json()["itemNotFound"]["message"] == (
            f"In-progress live migration {newest[0]['id']} is not found for server "
            f"{server.id}.")

        # Newest first: resize (finished), migration (reverted), resize (confirmed).
        assert [(m["migration_type"], m["status"], m["source_compute"], m["dest_compute"])
                for m in newest] == [("resize", "finished", second, first),
                                     ("migration", "reverted", second, first),
                                     ("resize", "confirmed", first, second)]
        uuids = [m["uuid"] for m in newest]

        def _uuids(query, version="2.80"):
            return [m["uuid"] for m in mv.migrations_of(cloud, admin, server.id,
                                                        version=version, query=query)]

        assert _uuids("&status=reverted") == [uuids[1]]
        assert _uuids("&status=finished") == [uuids[0]]
        assert _uuids("&migration_type=resize") == [uuids[0], uuids[2]]
        assert _uuids("&migration_type=migration") == [uuids[1]]
        assert _uuids(f"&source_compute={second}") == uuids[:2]
        assert _uuids(f"&source_compute={first}&migration_type=resize") == [uuids[2]]
        assert _uuids("&status=error") == []
        # The SDK's listing of the same filters.
        assert [m.uuid for m in admin.compute.migrations(
            instance_uuid=server.id, migration_type="migration")] == [uuids[1]]

        # 2.59 paging: limit and marker walk the same order; the last page has no link.
        page = helpers.raw(cloud, admin, "GET",
                           f"/os-migrations?instance_uuid={server.id}&limit=2",
                           version="2.59").json()
        assert [m["uuid"] for m in page["migrations"]] == uuids[:2]
        (link,) = page["migrations_links"]
        assert link["rel"] == "next" and f"marker={uuids[1]}" in link["href"]
        rest = helpers.raw(cloud, admin, "GET", f"/os-migrations?instance_uuid={server.id}"
                           f"&limit=2&marker={uuids[1]}", version="2.59").json()
        assert [m["uuid"] for m in rest["migrations"]] == uuids[2:]
        assert "migrations_links" not in rest
        assert _uuids(f"&limit=1&marker={uuids[0]}", version="2.59") == [uuids[1]]

        mv.confirm_and_wait(cloud, member, notifications, server.id)
        assert _uuids("&status=confirmed") == [uuids[0], uuids[2]]
        mv.check(cloud, server.id)
