"""Server groups end to end: the API by microversion, and (anti-)affinity at boot and move.

The deployment has two cells of two hosts each, one availability zone per cell, so
``availability_zone="cell1"`` leaves exactly two candidate hosts.
"""

import contextlib
import uuid as uuidlib

import httpx
import pytest
from openstack import exceptions

from cirrus.objects import instance_group as ig_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.testing.waiters import wait_for
from tests.functional import helpers

KEYS_2_1 = {"id", "name", "policies", "members", "metadata"}
KEYS_2_13 = KEYS_2_1 | {"project_id", "user_id"}
KEYS_2_64 = {"id", "name", "policy", "rules", "members", "project_id", "user_id"}


def _create(cloud, conn, version, name="sg", **group):
    return helpers.raw(cloud, conn, "POST", "/os-server-groups", version=version,
                       json={"server_group": {"name": name, **group}})


@contextlib.contextmanager
def _group(conn, policy, name="sg", **rules):
    attrs = {"rules": rules} if rules else {}
    group = conn.compute.create_server_group(name=name, policy=policy, **attrs)
    try:
        yield group
    finally:
        with contextlib.suppress(exceptions.NotFoundException):
            conn.compute.delete_server_group(group)


def _boot(conn, name, group_id, zone="cell1"):
    image = conn.image.find_image("cirros")
    return conn.compute.create_server(
        name=name, flavor_id="1", image_id=image.id, networks="none",
        availability_zone=zone, scheduler_hints={"group": group_id})


@contextlib.contextmanager
def _servers(conn):
    """Collects server ids; deletes them (and waits) at the end."""
    ids: list[str] = []
    try:
        yield ids
    finally:
        for server_id in ids:
            with contextlib.suppress(exceptions.NotFoundException):
                conn.compute.delete_server(server_id)
        for server_id in ids:
            helpers.wait_gone(conn, server_id)


def _host(admin, server_id):
    return admin.compute.get_server(server_id).compute_host


# -- the API -----------------------------------------------------------------------


def test_sdk_create_list_show_delete(member):
    group = member.compute.create_server_group(name="sdk-group", policy="anti-affinity",
                                               rules={"max_server_per_host": 2})
    try:
        assert group.policy == "anti-affinity"
        assert group.rules == {"max_server_per_host": 2}
        assert group.member_ids == []
        assert group.id in {g.id for g in member.compute.server_groups()}
        fetched = member.compute.get_server_group(group.id)
        assert (fetched.name, fetched.policy) == ("sdk-group", "anti-affinity")
    finally:
        member.compute.delete_server_group(group)
    with pytest.raises(exceptions.NotFoundException):
        member.compute.get_server_group(group.id)
    assert group.id not in {g.id for g in member.compute.server_groups()}


@pytest.mark.parametrize(("version", "body", "keys"), [
    ("2.1", {"policies": ["affinity"]}, KEYS_2_1),
    ("2.13", {"policies": ["anti-affinity"]}, KEYS_2_13),
    ("2.15", {"policies": ["soft-affinity"]}, KEYS_2_13),
    ("2.63", {"policies": ["soft-anti-affinity"]}, KEYS_2_13),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": 3}}, KEYS_2_64),
    ("2.64", {"policy": "soft-affinity"}, KEYS_2_64),
])
def test_shapes_by_microversion(cloud, member, version, body, keys):
    resp = _create(cloud, member, version, **body)
    assert resp.status_code == 200, resp.text
    created = resp.json()["server_group"]
    try:
        assert set(created) == keys
        assert created["members"] == []
        if "policy" in keys:
            assert created["policy"] == body["policy"]
            assert created["rules"] == body.get("rules", {})
        else:
            assert created["policies"] == body["policies"]
            assert created["metadata"] == {}
        shown = helpers.raw(cloud, member, "GET", f"/os-server-groups/{created['id']}",
                            version=version)
        assert shown.status_code == 200
        assert shown.json() == {"server_group": created}
        listed = helpers.raw(cloud, member, "GET", "/os-server-groups", version=version)
        assert created in listed.json()["server_groups"]
    finally:
        resp = helpers.raw(cloud, member, "DELETE", f"/os-server-groups/{created['id']}",
                           version=version)
        assert resp.status_code == 204
        assert resp.content == b""


def test_rules_given_as_digits_come_back_as_a_number(cloud, member):
    resp = _create(cloud, member, "2.64", policy="anti-affinity",
                   rules={"max_server_per_host": "2"})
    group = resp.json()["server_group"]
    try:
        assert group["rules"] == {"max_server_per_host": 2}
    finally:
        helpers.raw(cloud, member, "DELETE", f"/os-server-groups/{group['id']}")


@pytest.mark.parametrize(("version", "body", "message"), [
    ("2.1", {"policies": ["no-such"]}, "is not one of"),
    ("2.1", {"policies": ["soft-affinity"]}, "is not one of"),
    ("2.1", {"policies": []}, "should be non-empty"),
    ("2.1", {"policies": ["affinity", "anti-affinity"]}, "is too long"),
    ("2.1", {"policy": "affinity"}, "'policies' is a required property"),
    ("2.15", {"policies": ["no-such"]}, "is not one of"),
    ("2.64", {"policies": ["affinity"]}, "'policy' is a required property"),
    ("2.64", {"policy": "no-such"}, "is not one of"),
    ("2.64", {"policy": "affinity", "rules": {"max_server_per_host": 2}},
     "Only anti-affinity policy supports rules."),
    ("2.64", {"policy": "soft-anti-affinity", "rules": {"max_server_per_host": 2}},
     "Only anti-affinity policy supports rules."),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": 0}},
     "less than the minimum of 1"),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": "0"}},
     "less than the minimum of 1"),
    ("2.64", {"policy": "anti-affinity", "rules": {"other": 1}},
     "Additional properties are not allowed"),
])
def test_bad_create_is_400(cloud, member, version, body, message):
    resp = _create(cloud, member, version, **body)
    assert resp.status_code == 400, resp.text
    fault = resp.json()["badRequest"]
    assert fault["code"] == 400
    assert message in fault["message"]


def test_bad_name_is_400(cloud, member):
    resp = _create(cloud, member, "2.64", name=" padded", policy="affinity")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"].startswith("An invalid 'name' value")


def test_another_projects_group_is_not_found(cloud, member, admin):
    with _group(admin, "affinity", name="admins") as group:
        message = f"Instance group {group.id} could not be found."
        for method in ("GET", "DELETE"):
            resp = helpers.raw(cloud, member, method, f"/os-server-groups/{group.id}")
            assert resp.status_code == 404
            assert resp.json() == {"itemNotFound": {"code": 404, "message": message}}
        assert group.id not in {g.id for g in member.compute.server_groups()}
        # Asking for every project is an admin's privilege; others get their own.
        listed = helpers.raw(cloud, member, "GET", "/os-server-groups?all_projects=True")
        assert group.id not in {g["id"] for g in listed.json()["server_groups"]}
        # Still there for its owner.
        assert admin.compute.get_server_group(group.id).name == "admins"
    resp = helpers.raw(cloud, member, "GET", f"/os-server-groups/{uuidlib.uuid4()}")
    assert resp.status_code == 404


def test_admin_lists_all_projects_and_pages(cloud, member, admin):
    with (_group(member, "affinity", name="mine-1") as one,
          _group(member, "affinity", name="mine-2") as two,
          _group(admin, "affinity", name="admins") as theirs):
        own = [g["id"] for g in helpers.raw(cloud, admin, "GET", "/os-server-groups")
               .json()["server_groups"]]
        assert theirs.id in own and one.id not in own
        every = [g["id"] for g in helpers.raw(
            cloud, admin, "GET", "/os-server-groups?all_projects=True").json()["server_groups"]]
        assert {one.id, two.id, theirs.id} <= set(every)
        mine = [g["id"] for g in helpers.raw(cloud, member, "GET", "/os-server-groups")
                .json()["server_groups"]]
        assert mine.index(one.id) < mine.index(two.id)
        start = mine.index(one.id)
        page = helpers.raw(cloud, member, "GET",
                           f"/os-server-groups?limit=1&offset={start + 1}").json()
        assert [g["id"] for g in page["server_groups"]] == [two.id]
        resp = helpers.raw(cloud, member, "GET", "/os-server-groups?limit=-1")
        assert resp.status_code == 400
        resp = helpers.raw(cloud, member, "GET", "/os-server-groups?bogus=1", version="2.75")
        assert resp.status_code == 400
        resp = helpers.raw(cloud, member, "GET", "/os-server-groups?bogus=1", version="2.74")
        assert resp.status_code == 200


def test_openapi_documents_server_groups(cloud):
    doc = httpx.get(f"{cloud.base_url}/compute/openapi.json", timeout=30).json()
    paths = doc["paths"]
    assert set(paths["/v2.1/os-server-groups"]) == {"get", "post"}
    assert set(paths["/v2.1/os-server-groups/{server_group_id}"]) == {"get", "delete"}
    post = paths["/v2.1/os-server-groups"]["post"]
    assert "200" in post["responses"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert "policy" in schema["properties"]["server_group"]["properties"]


@contextlib.contextmanager
def _quota(cloud, admin, project_id, **limits):
    """The project's quota set to ``limits`` for the block, then put back."""
    path = f"/os-quota-sets/{project_id}"
    before = helpers.raw(cloud, admin, "GET", path).json()["quota_set"]
    resp = helpers.raw(cloud, admin, "PUT", path, json={"quota_set": limits})
    assert resp.status_code == 200, resp.text
    try:
        yield
    finally:
        helpers.raw(cloud, admin, "PUT", path,
                    json={"quota_set": {name: before[name] for name in limits}})


def test_server_groups_quota(cloud, member, admin):
    project = member.current_project_id
    existing = len(helpers.raw(cloud, member, "GET", "/os-server-groups")
                   .json()["server_groups"])
    with (_quota(cloud, admin, project, server_groups=existing + 1),
          _group(member, "affinity", name="last-one")):
        resp = _create(cloud, member, "2.64", policy="affinity")
        assert resp.status_code == 403
        assert resp.json() == {"forbidden": {
            "code": 403, "message": "Quota exceeded, too many server groups."}}
        limits = helpers.raw(cloud, member, "GET", "/limits").json()["limits"]["absolute"]
        assert limits["totalServerGroupsUsed"] == existing + 1
        assert limits["maxServerGroups"] == existing + 1


def test_server_group_members_quota(cloud, member, admin):
    with (_quota(cloud, admin, member.current_project_id, server_group_members=1),
          _group(member, "soft-affinity", name="small") as group, _servers(member) as ids):
        ids.append(_boot(member, "only", group.id).id)
        with pytest.raises(exceptions.ForbiddenException) as raised:
            _boot(member, "too-many", group.id)
        assert "Quota exceeded, too many servers in group" in str(raised.value)
        helpers.wait_status(member, ids[0], "ACTIVE")
        # A deleted member frees its place.
        member.compute.delete_server(ids[0])
        helpers.wait_gone(member, ids[0])
        ids.append(_boot(member, "replacement", group.id).id)
        helpers.wait_status(member, ids[-1], "ACTIVE")


# -- boot with the group hint ------------------------------------------------------


def test_unknown_or_foreign_group_hint_is_400(cloud, member, admin):
    image = member.image.find_image("cirros")

    def _boot_raw(hint):
        body = {"server": {"name": "hinted", "flavorRef": "1", "imageRef": image.id,
                           "networks": "none"}, "os:scheduler_hints": {"group": hint}}
        return helpers.raw(cloud, member, "POST", "/servers", json=body)

    missing = str(uuidlib.uuid4())
    resp = _boot_raw(missing)
    assert resp.status_code == 400
    assert resp.json() == {"badRequest": {
        "code": 400, "message": f"Instance group {missing} could not be found."}}
    with _group(admin, "affinity") as theirs:
        resp = _boot_raw(theirs.id)
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"] == (
            f"Instance group {theirs.id} could not be found.")


def test_anti_affinity_spreads_then_runs_out_of_hosts(cloud, member, admin):
    with _group(member, "anti-affinity", name="spread") as group, _servers(member) as ids:
        for n in (1, 2):
            ids.append(_boot(member, f"spread-{n}", group.id).id)
            helpers.wait_status(member, ids[-1], "ACTIVE")
        hosts = {_host(admin, i) for i in ids}
        assert len(hosts) == 2 and all(h.startswith("cell1-") for h in hosts)
        # Both hosts of the zone have a member: the third has nowhere to go.
        ids.append(_boot(member, "spread-3", group.id).id)
        failed = helpers.wait_status(member, ids[-1], "ERROR")
        assert "No valid host was found" in failed.fault["message"]
        assert helpers.mapping(cloud, ids[-1]).cell_id == cloud.runtime.cell0().id
        # Members are recorded from the build request on, failed ones included.
        shown = member.compute.get_server_group(group.id)
        assert shown.member_ids == ids
        with cloud.runtime.api_reader() as s:
            spec = spec_obj.load(s, ids[0])
        assert spec.instance_group is not None
        assert (spec.instance_group.uuid, spec.instance_group.policy) == (
            group.id, "anti-affinity")
        assert ids[0] in spec.instance_group.members
        # What the scheduler computes is never stored.
        assert spec.instance_group.hosts == () and spec.instance_group.member_hosts == {}


def test_anti_affinity_holds_for_servers_booted_together(cloud, member, admin):
    # No waiting in between: the second is scheduled while the first may still be on its
    # way to its cell, with only its Placement allocation saying where it went.
    with _group(member, "anti-affinity", name="together") as group, _servers(member) as ids:
        ids.extend(_boot(member, f"together-{n}", group.id, zone="cell2").id for n in (1, 2))
        for server_id in ids:
            helpers.wait_status(member, server_id, "ACTIVE")
        assert len({_host(admin, i) for i in ids}) == 2


def test_affinity_packs_servers_on_one_host(cloud, member, admin):
    with _group(member, "affinity", name="pack") as group, _servers(member) as ids:
        for n in (1, 2):
            ids.append(_boot(member, f"pack-{n}", group.id, zone="cell2").id)
            helpers.wait_status(member, ids[-1], "ACTIVE")
        hosts = {_host(admin, i) for i in ids}
        assert len(hosts) == 1 and hosts.pop().startswith("cell2-")


def test_soft_anti_affinity_is_a_preference(cloud, member, admin):
    # Two hosts and three members: the third shares a host rather than fail.
    with _group(member, "soft-anti-affinity", name="soft") as group, _servers(member) as ids:
        for n in range(3):
            ids.append(_boot(member, f"soft-{n}", group.id).id)
            helpers.wait_status(member, ids[-1], "ACTIVE")
        assert len({_host(admin, i) for i in ids[:2]}) == 2


def test_max_server_per_host_allows_two_per_host(cloud, member, admin):
    with (_group(member, "anti-affinity", name="pairs", max_server_per_host=2) as group,
          _servers(member) as ids):
        for n in range(4):
            ids.append(_boot(member, f"pair-{n}", group.id).id)
            helpers.wait_status(member, ids[-1], "ACTIVE")
        hosts = [_host(admin, i) for i in ids]
        assert sorted(hosts.count(h) for h in set(hosts)) == [2, 2]
        ids.append(_boot(member, "pair-extra", group.id).id)
        helpers.wait_status(member, ids[-1], "ERROR")


def test_server_show_lists_its_group_from_2_71(cloud, member):
    with _group(member, "soft-affinity", name="shown") as group, _servers(member) as ids:
        ids.append(_boot(member, "shown", group.id).id)
        in_group = helpers.wait_status(member, ids[0], "ACTIVE")
        plain = helpers.boot(member, "ungrouped", zone="cell1")
        ids.append(plain.id)
        helpers.wait_status(member, plain.id, "ACTIVE")
        body = helpers.raw(cloud, member, "GET", f"/servers/{in_group.id}",
                           version="2.71").json()["server"]
        assert body["server_groups"] == [group.id]
        body = helpers.raw(cloud, member, "GET", f"/servers/{plain.id}",
                           version="2.71").json()["server"]
        assert body["server_groups"] == []
        body = helpers.raw(cloud, member, "GET", f"/servers/{in_group.id}",
                           version="2.70").json()["server"]
        assert "server_groups" not in body
        updated = helpers.raw(cloud, member, "PUT", f"/servers/{in_group.id}", version="2.71",
                              json={"server": {"name": "renamed"}}).json()["server"]
        assert updated["server_groups"] == [group.id]


def test_deleting_a_member_removes_it_from_the_group(cloud, member):
    with _group(member, "anti-affinity", name="leaving") as group, _servers(member) as ids:
        ids.append(_boot(member, "stays", group.id).id)
        ids.append(_boot(member, "leaves", group.id).id)
        for server_id in ids:
            helpers.wait_status(member, server_id, "ACTIVE")
        member.compute.delete_server(ids[1])
        helpers.wait_gone(member, ids[1])
        assert member.compute.get_server_group(group.id).member_ids == [ids[0]]
        with cloud.runtime.api_reader() as s:
            assert ig_obj.get(s, group.id).members == (ids[0],)


def test_deleting_a_group_leaves_its_servers(cloud, member):
    with _servers(member) as ids:
        with _group(member, "affinity", name="gone") as group:
            ids.append(_boot(member, "orphan", group.id).id)
            helpers.wait_status(member, ids[0], "ACTIVE")
        body = helpers.raw(cloud, member, "GET", f"/servers/{ids[0]}",
                           version="2.71").json()["server"]
        assert body["server_groups"] == []


# -- moves see the members where they are now ----------------------------------------


def _migrate(cloud, admin, notifications, server_id, ok):
    event = "instance.resize_finish.end" if ok else "compute_task.migrate_server.error"
    resp = helpers.raw(cloud, admin, "POST", f"/servers/{server_id}/action",
                       json={"migrate": None})
    assert resp.status_code == 202, resp.text
    notifications.wait_for(server_id, event, timeout=60)


def test_migrate_respects_anti_affinity_with_current_members(cloud, member, admin,
                                                              notifications):
    with _group(member, "anti-affinity", name="moving") as group, _servers(member) as ids:
        for n in (1, 2):
            ids.append(_boot(member, f"moving-{n}", group.id).id)
            helpers.wait_status(member, ids[-1], "ACTIVE")
        first, second = ids
        source = _host(admin, first)
        # The spec stored when the first booted knows no other member; the scheduler
        # reads the group now, and the only other host of the cell runs the second.
        with cloud.runtime.api_reader() as s:
            assert spec_obj.load(s, first).instance_group.members == (first,)
        _migrate(cloud, admin, notifications, first, ok=False)
        wait_for(lambda: not admin.compute.get_server(first).task_state, 30,
                 what="migrate given up")
        assert _host(admin, first) == source
        # Once the second is gone, its host is free for the first.
        member.compute.delete_server(second)
        helpers.wait_gone(member, second)
        _migrate(cloud, admin, notifications, first, ok=True)
        helpers.wait_status(admin, first, "VERIFY_RESIZE")
        assert _host(admin, first) != source
        admin.compute.confirm_server_resize(first)
        helpers.wait_status(member, first, "ACTIVE")
