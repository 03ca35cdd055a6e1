"""Resize / migrate / confirmResize / revertResize refused by the API, with Nova's bodies.

None of these requests reaches the conductor, so they need no working move.
"""

import contextlib
import uuid

import pytest

from cirrus.objects import instance as instance_obj
from cirrus.objects import quota
from cirrus.objects import service as service_obj
from tests.functional import helpers


@pytest.fixture(scope="module")
def server(cloud, member):
    # In cell1, so that the hosts of cell2 are the other cell's (zones are named by cell).
    created = helpers.boot(member, "move-errors", zone="cell1")
    helpers.wait_status(member, created.id, "ACTIVE")
    yield created
    _set(cloud, created.id, locked=False)
    member.compute.delete_server(created.id)
    helpers.wait_gone(member, created.id)


def _set(cloud, server_id, **changes):
    with cloud.runtime.cell_session(helpers.cell_of(cloud, server_id)) as s:
        instance_obj.update_instance(s, server_id, **changes)


@contextlib.contextmanager
def _changed(cloud, server_id, restore, **changes):
    _set(cloud, server_id, **changes)
    try:
        yield
    finally:
        _set(cloud, server_id, **restore)


def _action(cloud, conn, server_id, body, version="2.90"):
    return helpers.raw(cloud, conn, "POST", f"/servers/{server_id}/action", version=version,
                       json=body)


def _fault(resp, code):
    assert resp.status_code == code, resp.text
    (body,) = resp.json().values()
    assert body["code"] == code
    return body["message"]


def _host(admin, server_id):
    return admin.compute.get_server(server_id).compute_host


@contextlib.contextmanager
def _flavor(cloud, admin, **values):
    flavor_id = f"mv-{uuid.uuid4().hex[:8]}"
    body = {"flavor": {"name": flavor_id, "id": flavor_id, "ram": 512, "vcpus": 1,
                       "disk": 1, **values}}
    resp = helpers.raw(cloud, admin, "POST", "/flavors", json=body)
    assert resp.status_code == 200, resp.text
    try:
        yield flavor_id
    finally:
        helpers.raw(cloud, admin, "DELETE", f"/flavors/{flavor_id}")


def test_resize_needs_active_or_stopped(cloud, member, server):
    with _changed(cloud, server.id, {"vm_state": "active"}, vm_state="error"):
        resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "2"}})
    assert _fault(resp, 409) == (
        f"Cannot 'resize' instance {server.id} while it is in vm_state error")


def test_resize_to_the_same_flavor(cloud, member, server):
    resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "1"}})
    assert _fault(resp, 400) == "When resizing, instances must change flavor!"
    resp = _action(cloud, member, server.id, {"resize": {"flavorRef": 1}})
    assert _fault(resp, 400) == "When resizing, instances must change flavor!"


def test_resize_to_a_missing_flavor(cloud, member, server):
    resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "999"}})
    assert _fault(resp, 400) == "Flavor 999 could not be found."


def test_resize_schema_errors(cloud, member, server):
    resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "2", "bogus": 1}})
    assert "Additional properties are not allowed" in _fault(resp, 400)
    resp = _action(cloud, member, server.id, {"resize": {}})
    assert _fault(resp, 400) == "'flavorRef' is a required property"


def test_resize_to_a_private_flavor_without_access(cloud, member, admin, server):
    with _flavor(cloud, admin, ram=1024, **{"os-flavor-access:is_public": False}) as flavor:
        resp = _action(cloud, member, server.id, {"resize": {"flavorRef": flavor}})
    assert _fault(resp, 400) == f"Flavor {flavor} could not be found."


def test_resize_to_a_zero_disk_flavor(cloud, member, admin, server):
    with _flavor(cloud, admin, disk=0, ram=1024) as flavor:
        resp = _action(cloud, member, server.id, {"resize": {"flavorRef": flavor}})
    assert _fault(resp, 400) == ("Server disk was unable to be resized because: Resize to "
                                 "zero disk flavor is not allowed.")


def test_resize_over_quota(cloud, member, server):
    project = member.current_project_id
    used = helpers.raw(cloud, member, "GET", "/limits").json()["limits"]["absolute"][
        "totalRAMUsed"]
    with cloud.runtime.api_session() as s:
        before = quota.limits_for(s, project)["ram"]
        quota.set_limit(s, project, "ram", used)
    try:
        resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "2"}})
    finally:
        with cloud.runtime.api_session() as s:
            quota.set_limit(s, project, "ram", before)
    assert _fault(resp, 403) == (
        f"Quota exceeded for ram: Requested 1536, but already used {used} of {used} ram")
    assert member.compute.get_server(server.id).status == "ACTIVE"


def test_resize_while_the_compute_is_down(cloud, member, admin, server):
    host = _host(admin, server.id)
    cell = helpers.cell_of(cloud, server.id)
    with cloud.runtime.cell_session(cell) as s:
        svc = service_obj.get_by_host_binary(s, host, "cirrus-compute")
        service_obj.update_status(s, svc.id, forced_down=True)
    try:
        resp = _action(cloud, member, server.id, {"resize": {"flavorRef": "2"}})
    finally:
        with cloud.runtime.cell_session(cell) as s:
            service_obj.update_status(s, svc.id, forced_down=False)
    assert _fault(resp, 409) == "Service is unavailable at this time."


@pytest.mark.parametrize("name", ["confirmResize", "revertResize"])
def test_confirm_and_revert_need_verify_resize(cloud, member, server, name):
    resp = _action(cloud, member, server.id, {name: None})
    assert _fault(resp, 409) == (
        f"Cannot '{name}' instance {server.id} while it is in vm_state active")


@pytest.mark.parametrize("name", ["confirmResize", "revertResize"])
def test_confirm_and_revert_without_a_finished_migration(cloud, member, server, name):
    with _changed(cloud, server.id, {"vm_state": "active"}, vm_state="resized"):
        assert member.compute.get_server(server.id).status == "VERIFY_RESIZE"
        resp = _action(cloud, member, server.id, {name: None})
    assert _fault(resp, 400) == "Instance has not been resized."


def test_member_may_not_migrate(cloud, member, server):
    resp = _action(cloud, member, server.id, {"migrate": None})
    assert _fault(resp, 403) == (
        "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed.")
    resp = _action(cloud, member, server.id, {"migrate": {"host": "cell1-host1"}},
                   version="2.56")
    assert _fault(resp, 403) == (
        "Policy doesn't allow os_compute_api:os-migrate-server:migrate:host to be performed.")


def test_migrate_with_a_host_before_2_56(cloud, admin, server):
    resp = _action(cloud, admin, server.id, {"migrate": {"host": "cell1-host1"}},
                   version="2.55")
    assert _fault(resp, 400).startswith("Invalid input for field/attribute migrate.")


def test_migrate_to_its_own_host(cloud, admin, server):
    host = _host(admin, server.id)
    resp = _action(cloud, admin, server.id, {"migrate": {"host": host}}, version="2.56")
    assert _fault(resp, 400) == "Cannot migrate to the host where the server exists."


def test_migrate_to_an_unknown_host(cloud, admin, server):
    resp = _action(cloud, admin, server.id, {"migrate": {"host": "nowhere"}})
    assert _fault(resp, 400) == "Compute host nowhere could not be found."


@pytest.mark.parametrize("version", ["2.56", "2.90"])
def test_migrate_to_a_host_of_another_cell(cloud, admin, server, version):
    """Without the cross-cell policy (nobody by default) only the server's cell is searched.

    Nova's test_migrate_server_to_host_in_different_cell.
    """
    assert helpers.cell_of(cloud, server.id).name == "cell1"
    resp = _action(cloud, admin, server.id, {"migrate": {"host": "cell2-host1"}},
                   version=version)
    assert _fault(resp, 400) == "Compute host cell2-host1 could not be found."
    after = admin.compute.get_server(server.id)
    assert (after.status, after.task_state) == ("ACTIVE", None)


def test_locked_server(cloud, member, admin, server):
    with _changed(cloud, server.id, {"locked": False}, locked=True):
        for body in ({"resize": {"flavorRef": "2"}}, {"confirmResize": None},
                     {"revertResize": None}, {"os-stop": None},
                     {"reboot": {"type": "SOFT"}}):
            resp = _action(cloud, member, server.id, body)
            assert _fault(resp, 409) == f"Instance {server.id} is locked", body
        # Policy comes first: a member is refused migrate even on a locked server.
        resp = _action(cloud, member, server.id, {"migrate": None})
        assert _fault(resp, 403).startswith("Policy doesn't allow")
        # An admin passes the lock and stops at the next check.
        resp = _action(cloud, admin, server.id, {"resize": {"flavorRef": "1"}})
        assert _fault(resp, 400) == "When resizing, instances must change flavor!"


def test_policy_before_state(cloud, member, server):
    with _changed(cloud, server.id, {"vm_state": "active", "locked": False},
                  vm_state="error", locked=True):
        resp = _action(cloud, member, server.id, {"migrate": None})
    assert _fault(resp, 403).startswith("Policy doesn't allow")


def test_delete_in_verify_resize_without_a_migration(cloud, member):
    created = helpers.boot(member, "verify-delete")
    helpers.wait_status(member, created.id, "ACTIVE")
    _set(cloud, created.id, vm_state="resized")
    member.compute.delete_server(created.id)
    helpers.wait_gone(member, created.id)
    assert helpers.allocations(cloud, created.id) == {}
