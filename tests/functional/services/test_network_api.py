"""The network API through HTTP (in-process): Neutron v2.0 networks, ports, bindings."""

import uuid

import pytest

COMPUTE = "compute:nova"
# Fixed rather than random: parametrized test ids must match across xdist workers.
UNKNOWN = "6f1d3a52-93c4-4c0b-9b7e-2f8a4d6c1e90"


def _network(http, headers, **attrs):
    resp = http.post("/network/v2.0/networks", json={"network": {"name": "net", **attrs}},
                     headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["network"]


def _port(http, headers, network_id, **attrs):
    body = {"port": {"network_id": network_id, "device_owner": COMPUTE, **attrs}}
    resp = http.post("/network/v2.0/ports", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()["port"]


def _error(resp):
    error = resp.json()["NeutronError"]
    assert set(error) == {"type", "message", "detail"}
    return error["type"]


@pytest.mark.parametrize("path", ["/network", "/network/"])
def test_version_document_needs_no_token(http, path):
    resp = http.get(path)
    assert resp.status_code == 200
    assert resp.json() == {"versions": [{
        "id": "v2.0", "status": "CURRENT",
        "links": [{"rel": "self", "href": "http://cirrus.test/network/v2.0/"}],
    }]}


def test_unauthenticated_is_401(http):
    assert http.get("/network/v2.0/networks").status_code == 401
    assert http.get("/network/v2.0/ports", headers={"X-Auth-Token": "x.y"}).status_code == 401


def test_extensions(http, user):
    resp = http.get("/network/v2.0/extensions", headers=user)
    aliases = {e["alias"] for e in resp.json()["extensions"]}
    assert {"binding", "binding-extended", "port-resource-request"} <= aliases
    one = http.get("/network/v2.0/extensions/binding-extended", headers=user).json()
    assert one["extension"]["alias"] == "binding-extended"
    resp = http.get("/network/v2.0/extensions/nope", headers=user)
    assert resp.status_code == 404
    assert _error(resp) == "HTTPNotFound"
    assert http.get("/network/v2.0", headers=user).json()["resources"]


def test_network_fields_and_show(http, user):
    net = _network(http, user, name="private", mtu=1450)
    assert net["status"] == "ACTIVE"
    assert net["tenant_id"] == net["project_id"] == "demo"
    assert (net["mtu"], net["shared"], net["admin_state_up"], net["subnets"]) == (
        1450, False, True, [])
    assert net["created_at"].endswith("Z")
    shown = http.get(f"/network/v2.0/networks/{net['id']}", headers=user).json()["network"]
    assert shown == net
    only = http.get(f"/network/v2.0/networks/{net['id']}?fields=id&fields=name", headers=user)
    assert only.json()["network"] == {"id": net["id"], "name": "private"}


def test_network_by_name_is_404(http, user):
    resp = http.get("/network/v2.0/networks/private", headers=user)
    assert resp.status_code == 404
    assert _error(resp) == "NetworkNotFound"


def test_network_list_filters_and_visibility(http, user, other, admin):
    mine = _network(http, user, name="private")
    _network(http, other, name="theirs")
    shared = _network(http, admin, name="public", shared=True)

    def names(headers, query=""):
        resp = http.get(f"/network/v2.0/networks{query}", headers=headers)
        assert resp.status_code == 200, resp.text
        return sorted(n["name"] for n in resp.json()["networks"])

    assert names(user) == ["private", "public"]
    assert names(user, "?name=private") == ["private"]
    assert names(user, f"?id={mine['id']}&id={shared['id']}") == ["private", "public"]
    assert names(user, "?shared=True") == ["public"]
    assert names(user, "?shared=false") == ["private"]
    assert names(user, "?tenant_id=demo") == ["private"]
    assert names(user, "?project_id=admin") == ["public"]
    assert names(admin) == ["private", "public", "theirs"]
    assert http.get(f"/network/v2.0/networks/{mine['id']}", headers=other).status_code == 404
    assert http.get(f"/network/v2.0/networks/{shared['id']}", headers=other).status_code == 200


@pytest.mark.parametrize("query", ["?bogus=1", "?shared=perhaps", "?limit=x", "?sort_key=nope",
                                   "?sort_key=name&sort_dir=up", f"?marker={UNKNOWN}"])
def test_network_list_rejects_bad_queries(http, user, query):
    resp = http.get(f"/network/v2.0/networks{query}", headers=user)
    assert resp.status_code == 400
    assert _error(resp) == "HTTPBadRequest"


def test_network_pagination(http, user):
    for i in range(3):
        _network(http, user, name=f"n{i}")
    body = http.get("/network/v2.0/networks?limit=2&sort_key=name&sort_dir=asc",
                    headers=user).json()
    assert [n["name"] for n in body["networks"]] == ["n0", "n1"]
    href = body["networks_links"][0]["href"]
    assert href.startswith("http://cirrus.test/network/v2.0/networks?")
    rest = http.get(href.removeprefix("http://cirrus.test"), headers=user).json()
    assert [n["name"] for n in rest["networks"]] == ["n2"]
    assert "networks_links" not in rest


@pytest.mark.parametrize(("body", "status", "kind"), [
    ({"network": {"name": 5}}, 400, "HTTPBadRequest"),
    ({"network": {"color": "red"}}, 400, "HTTPBadRequest"),
    ({"network": {"mtu": 10}}, 400, "HTTPBadRequest"),
    ({"net": {}}, 400, "HTTPBadRequest"),
    ([], 400, "HTTPBadRequest"),
    ({"network": {"shared": True}}, 403, "PolicyNotAuthorized"),
    ({"network": {"project_id": "other"}}, 403, "PolicyNotAuthorized"),
    ({"network": {"project_id": "demo", "tenant_id": "x"}}, 400, "HTTPBadRequest"),
])
def test_network_create_rejections(http, user, body, status, kind):
    resp = http.post("/network/v2.0/networks", json=body, headers=user)
    assert resp.status_code == status, resp.text
    assert _error(resp) == kind


def test_unknown_attribute_message(http, user):
    resp = http.post("/network/v2.0/networks", json={"network": {"color": "red"}}, headers=user)
    assert resp.json()["NeutronError"]["message"] == "Unrecognized attribute(s) 'color'"


def test_malformed_json(http, user):
    resp = http.post("/network/v2.0/ports", content=b"{",
                     headers={**user, "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert _error(resp) == "HTTPBadRequest"


def test_network_delete(http, user, other):
    net = _network(http, user)
    port = _port(http, user, net["id"])
    assert http.delete(f"/network/v2.0/networks/{net['id']}", headers=other).status_code == 404
    resp = http.delete(f"/network/v2.0/networks/{net['id']}", headers=user)
    assert resp.status_code == 409
    assert _error(resp) == "NetworkInUse"
    assert http.delete(f"/network/v2.0/ports/{port['id']}", headers=user).status_code == 204
    assert http.delete(f"/network/v2.0/networks/{net['id']}", headers=user).status_code == 204
    assert http.get(f"/network/v2.0/networks/{net['id']}", headers=user).status_code == 404


def test_port_fields_addresses_and_mac(http, user):
    net = _network(http, user)
    first = _port(http, user, net["id"], device_id="vm-1", name="p1")
    second = _port(http, user, net["id"])
    assert first["fixed_ips"] == [{"subnet_id": None, "ip_address": "10.0.0.2"}]
    assert second["fixed_ips"][0]["ip_address"] == "10.0.0.3"
    assert first["mac_address"].startswith("fa:16:3e:")
    assert first["mac_address"] != second["mac_address"]
    assert (first["status"], first["binding:host_id"], first["binding:vif_type"]) == (
        "DOWN", "", "unbound")
    assert (first["binding:vnic_type"], first["binding:profile"]) == ("normal", {})
    assert first["tenant_id"] == "demo"
    assert first["resource_request"] is None
    shown = http.get(f"/network/v2.0/ports/{first['id']}", headers=user).json()["port"]
    assert shown == first


def test_port_with_given_address_and_resource_request(http, admin):
    net = _network(http, admin)
    request = {"resources": {"NET_BW_EGR_KILOBIT_PER_SEC": 1000}, "required": ["CUSTOM_X"]}
    port = _port(http, admin, net["id"], fixed_ips=[{"ip_address": "10.0.0.2"}],
                 mac_address="FA:16:3E:00:00:01", resource_request=request,
                 **{"binding:host_id": "host1", "binding:profile": {"pci_slot": "0000:01"}})
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.2"
    assert port["mac_address"] == "fa:16:3e:00:00:01"
    assert port["resource_request"] == request
    assert (port["binding:host_id"], port["status"], port["binding:vif_type"]) == (
        "host1", "ACTIVE", "ovs")
    assert port["binding:profile"] == {"pci_slot": "0000:01"}
    # The counter skips addresses that were handed out explicitly.
    assert _port(http, admin, net["id"])["fixed_ips"][0]["ip_address"] == "10.0.0.3"
    resp = http.post("/network/v2.0/ports", headers=admin, json={"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "10.0.0.3"}]}})
    assert resp.status_code == 409
    assert _error(resp) == "IpAddressAlreadyAllocated"
    resp = http.post("/network/v2.0/ports", headers=admin, json={"port": {
        "network_id": net["id"], "mac_address": "fa:16:3e:00:00:01"}})
    assert resp.status_code == 409
    assert _error(resp) == "MacAddressInUse"


@pytest.mark.parametrize(("attrs", "status", "kind"), [
    ({"fixed_ips": [{"ip_address": "not-an-ip"}]}, 400, "HTTPBadRequest"),
    ({"mac_address": "zz:zz"}, 400, "HTTPBadRequest"),
    ({"device_id": 7}, 400, "HTTPBadRequest"),
    ({"binding:vnic_type": "warp"}, 400, "HTTPBadRequest"),
    ({"security_groups": ["default"]}, 400, "HTTPBadRequest"),
    ({"binding:host_id": "host1"}, 403, "PolicyNotAuthorized"),
    ({"binding:profile": {}}, 403, "PolicyNotAuthorized"),
    ({"project_id": "other"}, 403, "PolicyNotAuthorized"),
])
def test_port_create_rejections(http, user, attrs, status, kind):
    net = _network(http, user)
    resp = http.post("/network/v2.0/ports", json={"port": {"network_id": net["id"], **attrs}},
                     headers=user)
    assert resp.status_code == status, resp.text
    assert _error(resp) == kind


def test_port_on_unknown_or_foreign_network(http, user, other):
    resp = http.post("/network/v2.0/ports", headers=user,
                     json={"port": {"network_id": str(uuid.uuid4())}})
    assert resp.status_code == 404
    assert _error(resp) == "NetworkNotFound"
    theirs = _network(http, other)
    resp = http.post("/network/v2.0/ports", headers=user,
                     json={"port": {"network_id": theirs["id"]}})
    assert resp.status_code == 404
    resp = http.post("/network/v2.0/ports", headers=user, json={"port": {"name": "x"}})
    assert resp.status_code == 400


def test_port_list_filters(http, user, other, admin):
    net = _network(http, admin, shared=True)
    other_net = _network(http, admin)
    a = _port(http, admin, net["id"], device_id="vm-a", project_id="demo",
              **{"binding:host_id": "h1"})
    b = _port(http, user, net["id"], device_id="vm-b")
    _port(http, other, net["id"], device_id="vm-c")
    _port(http, admin, other_net["id"], device_id="vm-d", **{"binding:host_id": "h2"})

    def ids(headers, query):
        resp = http.get(f"/network/v2.0/ports{query}", headers=headers)
        assert resp.status_code == 200, resp.text
        return sorted(p["device_id"] for p in resp.json()["ports"])

    assert ids(user, "") == ["vm-a", "vm-b"]
    assert ids(user, "?device_id=vm-a") == ["vm-a"]
    assert ids(admin, "?device_id=vm-c") == ["vm-c"]
    assert ids(admin, f"?network_id={other_net['id']}") == ["vm-d"]
    assert ids(admin, "?tenant_id=demo") == ["vm-a", "vm-b"]
    assert ids(admin, "?project_id=other") == ["vm-c"]
    assert ids(admin, "?binding:host_id=h1") == ["vm-a"]
    assert ids(admin, "?binding:host_id=h1&binding:host_id=h2") == ["vm-a", "vm-d"]
    assert ids(admin, "?status=ACTIVE") == ["vm-a", "vm-d"]
    assert ids(admin, f"?fixed_ips=ip_address={b['fixed_ips'][0]['ip_address']}") == ["vm-b"]
    assert ids(user, "?device_id=vm-a&device_id=vm-b") == ["vm-a", "vm-b"]
    assert ids(user, f"?id={a['id']}") == ["vm-a"]
    resp = http.get("/network/v2.0/ports?host=h1", headers=admin)
    assert resp.status_code == 400
    fields = http.get("/network/v2.0/ports?fields=id", headers=user).json()["ports"]
    assert all(set(p) == {"id"} for p in fields)


def test_port_update(http, user, admin):
    net = _network(http, user)
    port = _port(http, user, net["id"])
    path = f"/network/v2.0/ports/{port['id']}"
    resp = http.put(path, json={"port": {"device_id": "vm-1", "name": "eth0"}}, headers=user)
    assert resp.status_code == 200
    assert (resp.json()["port"]["device_id"], resp.json()["port"]["name"]) == ("vm-1", "eth0")
    bind = {"port": {"binding:host_id": "h1", "binding:profile": {"a": 1},
                     "device_owner": "compute:cell1"}}
    assert http.put(path, json=bind, headers=user).status_code == 403
    body = http.put(path, json=bind, headers=admin).json()["port"]
    assert (body["binding:host_id"], body["binding:profile"], body["status"]) == (
        "h1", {"a": 1}, "ACTIVE")
    body = http.put(path, json={"port": {"binding:host_id": "h2"}}, headers=admin).json()["port"]
    assert body["binding:host_id"] == "h2"
    assert body["binding:profile"] == {"a": 1}
    unbind = {"port": {"binding:host_id": None, "binding:profile": {}, "device_id": ""}}
    body = http.put(path, json=unbind, headers=admin).json()["port"]
    assert (body["binding:host_id"], body["binding:vif_type"], body["status"]) == (
        "", "unbound", "DOWN")


@pytest.mark.parametrize(("attrs", "status"), [
    ({"network_id": str(uuid.uuid4())}, 400),
    ({"fixed_ips": []}, 400),
    ({"tenant_id": "x"}, 400),
    ({"colour": "red"}, 400),
    ({"admin_state_up": "yes"}, 400),
])
def test_port_update_rejections(http, user, attrs, status):
    net = _network(http, user)
    port = _port(http, user, net["id"])
    resp = http.put(f"/network/v2.0/ports/{port['id']}", json={"port": attrs}, headers=user)
    assert resp.status_code == status, resp.text


def test_other_projects_port_is_404_unless_admin(http, user, other, admin):
    net = _network(http, user)
    port = _port(http, user, net["id"])
    path = f"/network/v2.0/ports/{port['id']}"
    assert _error(http.get(path, headers=other)) == "PortNotFound"
    assert http.put(path, json={"port": {"name": "x"}}, headers=other).status_code == 404
    assert http.delete(path, headers=other).status_code == 404
    assert http.get(path, headers=admin).status_code == 200
    assert http.delete(path, headers=admin).status_code == 204
    assert http.get(path, headers=admin).status_code == 404


def test_extended_port_bindings(http, admin):
    net = _network(http, admin)
    port = _port(http, admin, net["id"], **{"binding:host_id": "src"})
    base = f"/network/v2.0/ports/{port['id']}/bindings"
    listed = http.get(base, headers=admin).json()["bindings"]
    assert [(b["host"], b["status"]) for b in listed] == [("src", "ACTIVE")]

    resp = http.post(base, json={"binding": {"host": "dest", "vnic_type": "normal",
                                             "profile": {"migrating_to": "dest"}}}, headers=admin)
    assert resp.status_code == 201, resp.text
    binding = resp.json()["binding"]
    assert binding["status"] == "INACTIVE"
    assert binding["vif_type"] == "ovs"
    assert binding["vif_details"]["bridge_name"] == "br-int"
    assert binding["profile"] == {"migrating_to": "dest"}
    resp = http.post(base, json={"binding": {"host": "dest"}}, headers=admin)
    assert resp.status_code == 409
    assert _error(resp) == "PortBindingAlreadyExists"
    assert http.get(f"{base}/dest", headers=admin).json()["binding"]["status"] == "INACTIVE"
    inactive = http.get(f"{base}?status=INACTIVE", headers=admin).json()["bindings"]
    assert [b["host"] for b in inactive] == ["dest"]

    resp = http.put(f"{base}/dest/activate", headers=admin)
    assert resp.status_code == 200
    assert resp.json()["binding"]["status"] == "ACTIVE"
    assert http.get(f"{base}/src", headers=admin).json()["binding"]["status"] == "INACTIVE"
    shown = http.get(f"/network/v2.0/ports/{port['id']}", headers=admin).json()["port"]
    assert shown["binding:host_id"] == "dest"
    assert shown["binding:profile"] == {"migrating_to": "dest"}
    resp = http.put(f"{base}/dest/activate", headers=admin)
    assert resp.status_code == 409
    assert _error(resp) == "PortBindingAlreadyActive"

    resp = http.delete(f"{base}/dest", headers=admin)
    assert resp.status_code == 404
    assert _error(resp) == "PortBindingNotFound"
    assert http.delete(f"{base}/src", headers=admin).status_code == 204
    assert http.get(f"{base}/src", headers=admin).status_code == 404
    assert [b["host"] for b in http.get(base, headers=admin).json()["bindings"]] == ["dest"]


def test_first_binding_of_unbound_port_is_active(http, admin):
    net = _network(http, admin)
    port = _port(http, admin, net["id"])
    resp = http.post(f"/network/v2.0/ports/{port['id']}/bindings",
                     json={"binding": {"host": "h1"}}, headers=admin)
    assert resp.json()["binding"]["status"] == "ACTIVE"
    shown = http.get(f"/network/v2.0/ports/{port['id']}", headers=admin).json()["port"]
    assert shown["binding:host_id"] == "h1"


def test_binding_rejections(http, admin, user):
    net = _network(http, admin, shared=True)
    port = _port(http, admin, net["id"], project_id="demo")
    base = f"/network/v2.0/ports/{port['id']}/bindings"
    for body in ({"binding": {}}, {"binding": {"host": "h", "extra": 1}}, {"host": "h"},
                 {"binding": {"host": ""}}, {"binding": {"host": "h", "profile": "x"}}):
        resp = http.post(base, json=body, headers=admin)
        assert resp.status_code == 400, body
    assert http.post(base, json={"binding": {"host": "h"}}, headers=user).status_code == 403
    assert http.get(base, headers=user).status_code == 403
    missing = f"/network/v2.0/ports/{uuid.uuid4()}/bindings"
    assert _error(http.get(missing, headers=admin)) == "PortNotFound"
    assert http.put(f"{base}/nohost/activate", headers=admin).status_code == 404
    dhcp = _port(http, admin, net["id"], device_owner="network:dhcp")
    resp = http.post(f"/network/v2.0/ports/{dhcp['id']}/bindings",
                     json={"binding": {"host": "h"}}, headers=admin)
    assert resp.status_code == 400


def test_moving_host_onto_an_inactive_binding_conflicts(http, admin):
    net = _network(http, admin)
    port = _port(http, admin, net["id"], **{"binding:host_id": "src"})
    http.post(f"/network/v2.0/ports/{port['id']}/bindings", json={"binding": {"host": "dest"}},
              headers=admin)
    resp = http.put(f"/network/v2.0/ports/{port['id']}",
                    json={"port": {"binding:host_id": "dest"}}, headers=admin)
    assert resp.status_code == 409
    assert _error(resp) == "PortBindingAlreadyExists"


def test_method_not_allowed(http, user):
    resp = http.patch("/network/v2.0/networks", headers=user)
    assert resp.status_code == 405
    assert _error(resp) == "HTTPMethodNotAllowed"
