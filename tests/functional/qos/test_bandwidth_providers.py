"""Bandwidth providers: each host reports a child of its compute node per physnet."""

from cirrus.compute import bandwidth
from cirrus.network import resource_request as rr
from tests.functional import helpers
from tests.functional.qos.conftest import BANDWIDTHS, TOTALS

BW = (rr.NET_BW_EGR, rr.NET_BW_IGR)


def _children(cloud, host):
    placement = cloud.runtime.placement
    root = helpers.provider_of(cloud, host)
    return [rp for rp in placement.providers_in_tree(root) if rp["uuid"] != root], root


def test_every_host_reports_its_physnet_provider(cloud):
    placement = cloud.runtime.placement
    for host in ("cell1-host1", "cell1-host2", "cell2-host1", "cell2-host2"):
        (child,), root = _children(cloud, host)
        assert (child["name"], child["parent_provider_uuid"], child["root_provider_uuid"]) == (
            f"{host}:public", root, root)
        assert child["uuid"] == bandwidth.provider_uuid(root, "public")
        total = TOTALS[host]
        inv = placement.request("GET", f"/resource_providers/{child['uuid']}/inventories")
        assert {rc: v["total"] for rc, v in inv.json()["inventories"].items()} == dict.fromkeys(
            BW, total)
        assert placement.provider_traits(child["uuid"]) == {
            "CUSTOM_PHYSNET_PUBLIC", "CUSTOM_VNIC_TYPE_NORMAL"}


def test_an_audit_keeps_the_same_provider_and_drops_unconfigured_ones(cloud):
    host = "cell2-host1"
    compute = cloud.computes[host]
    (before,), _ = _children(cloud, host)
    conf = cloud.runtime.conf
    conf.set_override("resource_provider_bandwidths", ["public:2000:2000", "dmz:500:0"],
                      group="network_agent")
    try:
        compute.periodic_update_resources()
        children, _ = _children(cloud, host)
        assert sorted(c["name"] for c in children) == [f"{host}:dmz", f"{host}:public"]
        dmz = next(c for c in children if c["name"].endswith(":dmz"))
        inv = cloud.runtime.placement.request(
            "GET", f"/resource_providers/{dmz['uuid']}/inventories").json()["inventories"]
        # No ingress guarantee on dmz: no ingress inventory at all.
        assert {rc: v["total"] for rc, v in inv.items()} == {rr.NET_BW_EGR: 500}
    finally:
        conf.set_override("resource_provider_bandwidths", BANDWIDTHS, group="network_agent")
        compute.periodic_update_resources()
    (after,), _ = _children(cloud, host)
    assert after["uuid"] == before["uuid"]


def test_a_network_on_a_physnet_fills_the_traits_of_a_port_request(cloud, admin):
    network = cloud.runtime.network
    net = network.create_network("qos-physnet", physical_network="public")
    try:
        assert network.get_network(net.id).physical_network == "public"
        plain = network.create_network("qos-plain")
        assert plain.physical_network is None
        port = network.create_port(net.id, resource_request={
            "resources": {rr.NET_BW_EGR: 100}})
        assert port.resource_request == {
            "resources": {rr.NET_BW_EGR: 100},
            "required": ["CUSTOM_PHYSNET_PUBLIC", "CUSTOM_VNIC_TYPE_NORMAL"]}
        network.delete_port(port.id)
        network.delete_network(plain.id)
        listed = admin.network.get(
            "/networks?provider:physical_network=public").json()["networks"]
        assert [n["id"] for n in listed] == [net.id]
    finally:
        network.delete_network(net.id)


def test_only_an_admin_sees_how_a_network_is_wired(cloud, admin, member):
    """Neutron's default policy: provider:* attributes are for admins; others do not get
    the keys at all (shown, listed or just created)."""
    network = cloud.runtime.network
    net = network.create_network("qos-wired", physical_network="public", shared=True)
    keys = {"provider:physical_network", "provider:network_type", "provider:segmentation_id"}
    try:
        shown = admin.network.get(f"/networks/{net.id}").json()["network"]
        assert {k: shown[k] for k in keys} == {"provider:physical_network": "public",
                                               "provider:network_type": "flat",
                                               "provider:segmentation_id": None}
        as_member = member.network.get(f"/networks/{net.id}").json()["network"]
        assert as_member["id"] == net.id and not keys & set(as_member)
        listed = member.network.get("/networks").json()["networks"]
        assert net.id in [n["id"] for n in listed]
        assert not any(keys & set(n) for n in listed)
        created = member.network.post("/networks", json={"network": {"name": "own"}})
        assert created.status_code == 201, created.text
        body = created.json()["network"]
        assert not keys & set(body)
        member.network.delete(f"/networks/{body['id']}")
    finally:
        network.delete_network(net.id)
