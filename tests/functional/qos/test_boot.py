"""Booting with ports that request bandwidth: the claim, the mapping and the binding."""

import uuid

import pytest

from cirrus.network import resource_request as rr
from cirrus.objects import request_spec as spec_obj
from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.qos import helpers as qh


@pytest.fixture(scope="module")
def net(cloud):
    with qh.physnet_network(cloud) as created:
        yield created


def test_boot_claims_the_bandwidth_and_names_its_provider_in_the_binding(
        cloud, member, admin, net):
    port = qh.qos_port(cloud, member, net, qh.bw(1000))
    assert port.resource_request["required"] == ["CUSTOM_PHYSNET_PUBLIC",
                                                 "CUSTOM_VNIC_TYPE_NORMAL"]
    with qh.qos_server(cloud, member, admin, "qos-boot", [port]) as created:
        host = mv.host_of(admin, created.id)
        bw_rp = qh.bw_provider(cloud, host)
        assert helpers.allocations(cloud, created.id) == {
            helpers.provider_of(cloud, host): mv.resources(cloud, admin, "1"),
            bw_rp: qh.amounts(1000)}
        bound = cloud.runtime.network.get_port(port.id)
        assert (bound.host_id, bound.device_id, bound.profile) == (
            host, created.id, {"allocation": bw_rp})
        # The mapping is per request, as Nova's requested_resources: never stored.
        with cloud.runtime.api_session() as s:
            stored = spec_obj.load(s, created.id)
        assert stored.requested_resources == ()


def test_bandwidth_decides_the_host(cloud, member, admin, net):
    # In cell1, only cell1-host1 has more than 2000 kbit/s on public.
    port = qh.qos_port(cloud, member, net, qh.bw(5000))
    with qh.qos_server(cloud, member, admin, "qos-big", [port], zone="cell1") as created:
        assert mv.host_of(admin, created.id) == "cell1-host1"
        assert qh.profile_allocation(cloud, port.id) == qh.bw_provider(cloud, "cell1-host1")


def test_two_ports_may_share_a_provider(cloud, member, admin, net):
    ports = [qh.qos_port(cloud, member, net, qh.bw(700)) for _ in range(2)]
    with qh.qos_server(cloud, member, admin, "qos-two", ports, zone="cell2") as created:
        host = mv.host_of(admin, created.id)
        bw_rp = qh.bw_provider(cloud, host)
        assert helpers.allocations(cloud, created.id)[bw_rp] == qh.amounts(1400)
        assert [qh.profile_allocation(cloud, p.id) for p in ports] == [bw_rp, bw_rp]


def test_request_groups_format(cloud, member, admin, net):
    egress, ingress = str(uuid.uuid4()), str(uuid.uuid4())
    traits = ["CUSTOM_PHYSNET_PUBLIC", "CUSTOM_VNIC_TYPE_NORMAL"]
    request = {"request_groups": [
        {"id": egress, "resources": {rr.NET_BW_EGR: 300}, "required": traits},
        {"id": ingress, "resources": {rr.NET_BW_IGR: 200}, "required": traits}],
        "same_subtree": [egress, ingress]}
    port = qh.qos_port(cloud, member, net, request)
    with qh.qos_server(cloud, member, admin, "qos-groups", [port]) as created:
        bw_rp = qh.bw_provider(cloud, mv.host_of(admin, created.id))
        assert helpers.allocations(cloud, created.id)[bw_rp] == {
            rr.NET_BW_EGR: 300, rr.NET_BW_IGR: 200}
        assert qh.profile_allocation(cloud, port.id) == {egress: bw_rp, ingress: bw_rp}


def test_not_enough_bandwidth_anywhere_is_no_valid_host(cloud, member, admin, net):
    port = qh.qos_port(cloud, member, net, qh.bw(12000))
    created = qh.boot_with_ports(member, "qos-none", [port])
    try:
        server = helpers.wait_status(member, created.id, "ERROR")
        assert "No valid host" in server.fault["message"]
        assert helpers.allocations(cloud, created.id) == {}
        assert cloud.runtime.network.get_port(port.id).host_id == ""
    finally:
        member.compute.delete_server(created.id)
        helpers.wait_gone(member, created.id)


def test_such_ports_need_microversion_2_72(cloud, member, net):
    port = qh.qos_port(cloud, member, net, qh.bw(100))
    body = {"server": {"name": "qos-old", "flavorRef": "1",
                       "imageRef": member.image.find_image("cirros").id,
                       "networks": [{"port": port.id}]}}
    resp = helpers.raw(cloud, member, "POST", "/servers", version="2.71", json=body)
    assert resp.status_code == 400, resp.text
    assert "not supported until microversion 2.72" in resp.json()["badRequest"]["message"]
    assert cloud.runtime.network.get_port(port.id).device_id == ""
    resp = helpers.raw(cloud, member, "POST", "/servers", version="2.72", json=body)
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    helpers.wait_status(member, server_id, "ACTIVE")
    member.compute.delete_server(server_id)
    helpers.wait_gone(member, server_id)
