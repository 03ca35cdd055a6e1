"""Boot, show, list and delete servers in both cells through openstacksdk."""

import contextlib

import pytest

from cirrus.objects import instance as instance_obj
from cirrus.objects.cell_mapping import CELL0_UUID
from tests.functional import helpers


@pytest.mark.parametrize("zone", ["cell1", "cell2"])
def test_boot_and_delete_in_each_cell(cloud, member, admin, notifications, zone):
    server = helpers.boot(member, f"vm-{zone}", flavor="1", zone=zone)
    server = helpers.wait_status(member, server.id, "ACTIVE")
    assert server.availability_zone == zone

    admin_view = admin.compute.get_server(server.id)
    host = admin_view.compute_host
    assert host.startswith(f"{zone}-host")
    assert helpers.cell_of(cloud, server.id).name == zone
    allocs = helpers.allocations(cloud, server.id)
    assert allocs == {helpers.provider_of(cloud, host):
                      {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}

    listed = {s.id for s in member.compute.servers()}
    assert server.id in listed
    found = list(member.compute.servers(details=True, name=f"^vm-{zone}$"))
    assert [s.id for s in found] == [server.id]

    start = notifications.wait_for(server.id, "instance.create.start")
    end = notifications.wait_for(server.id, "instance.create.end")
    assert start["publisher_id"] == end["publisher_id"] == f"cirrus-compute:{host}"

    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)
    assert helpers.allocations(cloud, server.id) == {}
    assert helpers.mapping(cloud, server.id).queued_for_delete
    notifications.wait_for(server.id, "instance.delete.end")
    assert server.id not in {s.id for s in member.compute.servers()}


def test_no_valid_host_buries_server_in_cell0(cloud, member, admin):
    # Bigger than any host (32 GiB x 1.5 - 512 MiB reserved) yet within the RAM quota.
    flavor = admin.compute.create_flavor(name="huge", ram=50000, vcpus=1, disk=1)
    try:
        server = helpers.boot(member, "too-big", flavor=flavor.id)
        server = helpers.wait_status(member, server.id, "ERROR")
        assert "No valid host was found" in server.fault["message"]
        assert helpers.mapping(cloud, server.id).cell_id == cloud.runtime.cell0().id
        assert helpers.allocations(cloud, server.id) == {}
        cell0 = cloud.runtime.cell0()
        assert cell0.uuid == CELL0_UUID
        with cloud.runtime.cell_session(cell0) as s:
            assert instance_obj.get_by_uuid(s, server.id).vm_state == "error"
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
    finally:
        admin.compute.delete_flavor(flavor.id)


def test_other_project_cannot_see_server(cloud, member, admin):
    server = helpers.boot(admin, "admin-only")
    helpers.wait_status(admin, server.id, "ACTIVE")
    try:
        resp = helpers.raw(cloud, member, "GET", f"/servers/{server.id}")
        assert resp.status_code == 404
        assert resp.json() == {"itemNotFound": {
            "code": 404, "message": f"Instance {server.id} could not be found."}}
        resp = helpers.raw(cloud, member, "DELETE", f"/servers/{server.id}")
        assert resp.status_code == 404
        assert server.id not in {s.id for s in member.compute.servers()}
    finally:
        admin.compute.delete_server(server.id)
        helpers.wait_gone(admin, server.id)


def test_request_id_matches_create_action(cloud, member):
    image = member.image.find_image("cirros")
    body = {"server": {"name": "rid", "flavorRef": "1", "imageRef": image.id,
                       "networks": "none"}}
    resp = helpers.raw(cloud, member, "POST", "/servers", json=body)
    assert resp.status_code == 202
    rid = resp.headers["x-compute-request-id"]
    assert rid == resp.headers["x-openstack-request-id"]
    assert rid.startswith("req-")
    uuid = resp.json()["server"]["id"]
    assert resp.headers["Location"].endswith(f"/v2.1/servers/{uuid}")
    helpers.wait_status(member, uuid, "ACTIVE")
    cell = helpers.cell_of(cloud, uuid)
    from cirrus.objects import instance_action

    with cloud.runtime.cell_session(cell) as s:
        actions = instance_action.get_all(s, uuid)
        assert [(a.action, a.request_id) for a in actions] == [("create", rid)]
        events = instance_action.get_by_request_id(s, uuid, rid).events
        assert [(e.event, e.result) for e in events] == [
            ("compute_build_and_run_instance", "Success")]
    member.compute.delete_server(uuid)
    helpers.wait_gone(member, uuid)


def test_delete_build_request_before_scheduling(cloud, member):
    """Deleting a server that is still a build request leaves nothing behind."""
    from cirrus.api.common import APIState  # noqa: F401  (import check only)

    server = helpers.boot(member, "quick-delete")
    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)
    from cirrus.testing.waiters import wait_for

    wait_for(lambda: helpers.allocations(cloud, server.id) == {}, 10,
             what="allocations released")


def test_boot_with_network_gets_a_port(cloud, member):
    net = member.network.find_network("private")
    server = helpers.boot(member, "netvm", networks=[{"uuid": net.id}])
    server = helpers.wait_status(member, server.id, "ACTIVE")
    ports = list(cloud.runtime.network.list_ports(device_id=server.id))
    assert len(ports) == 1
    port = ports[0]
    addr = server.addresses["private"][0]
    assert addr["addr"] == port.fixed_ips[0].ip_address
    assert addr["OS-EXT-IPS-MAC:mac_addr"] == port.mac_address
    assert addr["version"] == 4 and addr["OS-EXT-IPS:type"] == "fixed"
    host = cloud.runtime.network.get_port(port.id).host_id
    assert host.startswith("cell")
    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)
    assert list(cloud.runtime.network.list_ports(device_id=server.id)) == []


def test_boot_with_unknown_network_is_400(cloud, member):
    resp = helpers.raw(cloud, member, "POST", "/servers", json={"server": {
        "name": "x", "flavorRef": "1", "imageRef": member.image.find_image("cirros").id,
        "networks": [{"uuid": "3a1c5b7e-0000-4000-8000-000000000000"}]}})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == (
        "Network 3a1c5b7e-0000-4000-8000-000000000000 could not be found.")


@pytest.mark.parametrize("host_down", [False, True], ids=["by-compute", "local-delete"])
def test_a_port_the_user_made_outlives_the_server(cloud, member, admin, host_down):
    """As Nova: a port given at boot is detached from the server when it is deleted (by
    its compute, or by the API when the compute is down); the port made for a network
    goes with the server."""
    from tests.functional.moves import helpers as mv

    net = member.network.find_network("private")
    own = member.network.create_port(network_id=net.id, name="mine")
    server = helpers.boot(member, "own-port", networks=[{"port": own.id}, {"uuid": net.id}])
    server = helpers.wait_status(member, server.id, "ACTIVE")
    ports = {p.id for p in cloud.runtime.network.list_ports(device_id=server.id)}
    assert own.id in ports and len(ports) == 2
    host = mv.host_of(admin, server.id)
    down = ({"forced_down": True}, {"forced_down": False}) if host_down else None
    with (mv.service_changed(cloud, admin, host, *down) if down
          else contextlib.nullcontext()):
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
    assert list(cloud.runtime.network.list_ports(device_id=server.id)) == []
    kept = cloud.runtime.network.get_port(own.id)
    assert (kept.device_id, kept.device_owner, kept.host_id) == ("", "", "")
    assert "allocation" not in kept.profile
    assert {p.id for p in cloud.runtime.network.list_ports(network_id=net.id)} & ports == {
        own.id}
    member.network.delete_port(own.id)
