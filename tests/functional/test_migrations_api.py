"""GET /os-migrations: Nova's fields per microversion, policy, filters and paging.

The deployment is shared with the move tests, so other migrations may exist: every check
looks only at the records made here.
"""

import pytest

from cirrus.objects import migration as migration_obj
from cirrus.objects.states import MigrationStatus
from tests.functional import helpers

BASE = {"id", "instance_uuid", "status", "source_compute", "source_node", "dest_compute",
        "dest_node", "dest_host", "old_instance_type_id", "new_instance_type_id",
        "created_at", "updated_at"}


@pytest.fixture
def records(cloud, member):
    """Two visible migrations in different cells and one hidden copy."""
    cells = {c.name: c for c in cloud.runtime.cells() if not c.is_cell0}
    made = []
    for name, hidden, mtype in (("cell1", False, "resize"), ("cell2", False, "migration"),
                                ("cell2", True, "resize")):
        with cloud.runtime.cell_session(cells[name]) as s:
            made.append((cells[name], migration_obj.create(
                s, instance_uuid=f"00000000-0000-4000-8000-00000000000{len(made)}",
                source_compute=f"{name}-host1", source_node=f"{name}-host1",
                dest_compute=f"{name}-host2", dest_node=f"{name}-host2",
                dest_host="127.0.0.1", old_instance_type_id=1, new_instance_type_id=2,
                migration_type=mtype, user_id="u", project_id=member.current_project_id,
                hidden=hidden)))
    yield [m for _, m in made]
    from sqlalchemy import delete

    from cirrus.db.cell import models
    for cell, m in made:
        with cloud.runtime.cell_session(cell) as s:
            s.execute(delete(models.Migration).where(models.Migration.id == m.id))


def test_fields_by_microversion(cloud, admin, records):
    expected = {"2.1": BASE, "2.23": BASE | {"migration_type"},
                "2.59": BASE | {"migration_type", "uuid"},
                "2.80": BASE | {"migration_type", "uuid", "user_id", "project_id"}}
    for version, keys in expected.items():
        resp = helpers.raw(cloud, admin, "GET", "/os-migrations", version=version)
        assert resp.status_code == 200
        mine = {r.instance_uuid for r in records}
        items = [m for m in resp.json()["migrations"] if m["instance_uuid"] in mine]
        assert {m["instance_uuid"] for m in items} == {
            records[0].instance_uuid, records[1].instance_uuid}, version
        assert all(set(m) == keys for m in items), version
    item = _mine(helpers.raw(cloud, admin, "GET", "/os-migrations"), records)[0]
    assert isinstance(item["old_instance_type_id"], int)
    assert item["status"] == MigrationStatus.PRE_MIGRATING.value


def _mine(resp, records):
    uuids = {r.instance_uuid for r in records}
    return [m for m in resp.json()["migrations"] if m["instance_uuid"] in uuids]


def test_filters_and_paging(cloud, admin, records):
    resp = helpers.raw(cloud, admin, "GET", "/os-migrations?migration_type=resize")
    assert [m["instance_uuid"] for m in _mine(resp, records)] == [records[0].instance_uuid]
    assert all(m["migration_type"] == "resize" for m in resp.json()["migrations"])
    resp = helpers.raw(cloud, admin, "GET", "/os-migrations?host=cell2-host2")
    assert [m["instance_uuid"] for m in _mine(resp, records)] == [records[1].instance_uuid]
    assert all("cell2-host2" in (m["source_compute"], m["dest_compute"])
               for m in resp.json()["migrations"])
    page = helpers.raw(cloud, admin, "GET", "/os-migrations?limit=1", version="2.59").json()
    assert len(page["migrations"]) == 1 and "migrations_links" in page
    marker = page["migrations"][0]["uuid"]
    rest = helpers.raw(cloud, admin, "GET", f"/os-migrations?limit=1&marker={marker}",
                       version="2.59").json()
    assert rest["migrations"][0]["uuid"] != marker
    bad = helpers.raw(cloud, admin, "GET", "/os-migrations?marker=nope", version="2.59")
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "Marker nope could not be found."
    unknown = helpers.raw(cloud, admin, "GET", "/os-migrations?foo=1", version="2.59")
    assert unknown.status_code == 400
    tolerated = helpers.raw(cloud, admin, "GET", "/os-migrations?foo=1", version="2.58")
    assert tolerated.status_code == 200


def test_member_is_refused(cloud, member, records):
    resp = helpers.raw(cloud, member, "GET", "/os-migrations")
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-migrations:index to be performed.")


def test_server_migrations_are_live_only(cloud, member, admin):
    server = helpers.boot(member, "migs")
    helpers.wait_status(member, server.id, "ACTIVE")
    try:
        resp = helpers.raw(cloud, admin, "GET", f"/servers/{server.id}/migrations")
        assert resp.status_code == 200 and resp.json() == {"migrations": []}
        old = helpers.raw(cloud, admin, "GET", f"/servers/{server.id}/migrations",
                          version="2.22")
        assert old.status_code == 404
    finally:
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)


def test_cli_server_migration_list(cloud, records):
    from tests.functional.test_cli import openstack_json

    rows = openstack_json(cloud, "cirrus-admin", "server", "migration", "list")
    mine = {r.instance_uuid for r in records}
    rows = [r for r in rows if r["Server UUID"] in mine]
    assert {r["Server UUID"] for r in rows} == {records[0].instance_uuid,
                                               records[1].instance_uuid}
    assert {r["Type"] for r in rows} == {"resize", "migration"}
