"""/flavors: shapes by microversion, filters, paging, writes, extra specs and access."""

import pytest

from .conftest import MEMBER, OTHER, Deployment

BASE = "http://h/compute"
INDEX_KEYS = {"id", "name", "links"}
DETAIL_KEYS_2_1 = {"id", "name", "ram", "disk", "swap", "OS-FLV-EXT-DATA:ephemeral",
                   "OS-FLV-DISABLED:disabled", "vcpus", "os-flavor-access:is_public",
                   "rxtx_factor", "links"}


def _create(dep: Deployment, name: str, flavorid: str | None, *, version: str = "2.61",
            **extra: object) -> dict:
    body = {"flavor": {"name": name, "ram": 512, "vcpus": 1, "disk": 1, **extra}}
    if flavorid is not None:
        body["flavor"]["id"] = flavorid
    resp = dep.call("POST", "/flavors", version=version, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["flavor"]


@pytest.fixture
def flavors(dep: Deployment) -> Deployment:
    _create(dep, "m1.tiny", "1")
    _create(dep, "m1.small", "2", ram=2048, disk=20)
    _create(dep, "m1.medium", "3", ram=4096, disk=40, swap=512)
    _create(dep, "private", "10", **{"os-flavor-access:is_public": False})
    return dep


def test_index_keys_by_version(flavors: Deployment):
    old = flavors.get("/flavors", who=MEMBER).json()["flavors"]
    assert [f["id"] for f in old] == ["1", "2", "3"]
    assert all(set(f) == INDEX_KEYS for f in old)
    assert old[0]["links"] == [{"rel": "self", "href": f"{BASE}/v2.1/flavors/1"},
                               {"rel": "bookmark", "href": f"{BASE}/flavors/1"}]
    new = flavors.get("/flavors", who=MEMBER, version="2.55").json()["flavors"]
    assert all(set(f) == INDEX_KEYS | {"description"} for f in new)


@pytest.mark.parametrize(("version", "extra"), [
    ("2.1", set()), ("2.55", {"description"}), ("2.61", {"description", "extra_specs"}),
    ("2.75", {"description", "extra_specs"}),
])
def test_detail_keys_by_version(flavors: Deployment, version: str, extra: set):
    items = flavors.get("/flavors/detail", who=MEMBER, version=version).json()["flavors"]
    assert all(set(f) == DETAIL_KEYS_2_1 | extra for f in items)
    tiny = items[0]
    assert tiny["swap"] == (0 if version == "2.75" else "")
    assert tiny["rxtx_factor"] == 1.0
    medium = flavors.get("/flavors/3", version=version).json()["flavor"]
    assert medium["swap"] == 512
    assert set(medium) == DETAIL_KEYS_2_1 | extra


def test_unknown_flavor_is_404_with_nova_message(dep: Deployment):
    resp = dep.get("/flavors/m1.small", who=MEMBER, version="2.61")
    assert resp.status_code == 404
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": "Flavor m1.small could not be found."}}


def test_is_public_filter(flavors: Deployment):
    def ids(who: dict | None = None, **params: str) -> list[str]:
        resp = flavors.get("/flavors", who=who, params=params)
        assert resp.status_code == 200, resp.text
        return [f["id"] for f in resp.json()["flavors"]]

    assert ids() == ["1", "2", "3"]
    assert ids(is_public="None") == ["1", "10", "2", "3"]
    assert ids(is_public="none") == ["1", "10", "2", "3"]
    assert ids(is_public="false") == ["10"]
    # Non-administrators always get the public ones plus their projects' private ones.
    assert ids(MEMBER, is_public="None") == ["1", "2", "3"]
    assert ids(MEMBER, is_public="junk") == ["1", "2", "3"]
    resp = flavors.get("/flavors", params={"is_public": "junk"})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == "Invalid is_public filter [junk]"


def test_private_flavor_visible_to_granted_project(flavors: Deployment):
    resp = flavors.call("POST", "/flavors/10/action",
                        json={"addTenantAccess": {"tenant": MEMBER["project_id"]}})
    assert resp.status_code == 200
    assert resp.json() == {"flavor_access": [{"flavor_id": "10", "tenant_id": "p1"}]}
    member = [f["id"] for f in flavors.get("/flavors", who=MEMBER).json()["flavors"]]
    other = [f["id"] for f in flavors.get("/flavors", who=OTHER).json()["flavors"]]
    assert member == ["1", "10", "2", "3"]
    assert other == ["1", "2", "3"]
    access = flavors.get("/flavors/10/os-flavor-access")
    assert access.json() == {"flavor_access": [{"flavor_id": "10", "tenant_id": "p1"}]}
    again = flavors.call("POST", "/flavors/10/action",
                         json={"addTenantAccess": {"tenant": "p1"}})
    assert again.status_code == 409
    resp = flavors.call("POST", "/flavors/10/action",
                        json={"removeTenantAccess": {"tenant": "p1"}})
    assert resp.json() == {"flavor_access": []}
    missing = flavors.call("POST", "/flavors/10/action",
                           json={"removeTenantAccess": {"tenant": "p1"}})
    assert missing.status_code == 404


def test_access_errors(flavors: Deployment):
    public = flavors.get("/flavors/1/os-flavor-access")
    assert public.status_code == 404
    assert public.json()["itemNotFound"]["message"] == \
        "Access list not available for public flavors."
    add = flavors.call("POST", "/flavors/1/action", version="2.7",
                       json={"addTenantAccess": {"tenant": "p1"}})
    assert add.status_code == 409
    assert add.json()["conflictingRequest"]["message"] == \
        "Can not add access to a public flavor."
    member = flavors.call("POST", "/flavors/10/action", who=MEMBER,
                          json={"addTenantAccess": {"tenant": "p1"}})
    assert member.status_code == 403
    assert flavors.get("/flavors/10/os-flavor-access", who=MEMBER).status_code == 403
    bad = flavors.call("POST", "/flavors/10/action", json={"nope": {}})
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "There is no such action: nope"


def test_min_filters_and_sorting(flavors: Deployment):
    def ids(**params: str) -> list[str]:
        resp = flavors.get("/flavors", params=params)
        assert resp.status_code == 200, resp.text
        return [f["id"] for f in resp.json()["flavors"]]

    assert ids(minRam="2048") == ["2", "3"]
    assert ids(minDisk="30") == ["3"]
    assert ids(sort_key="memory_mb", sort_dir="desc") == ["3", "2", "1"]
    for name in ("minRam", "minDisk"):
        resp = flavors.get("/flavors", params={name: "x"})
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"] == f"Invalid {name} filter [x]"
    resp = flavors.get("/flavors", params={"sort_key": "bogus"})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"].startswith(
        "Invalid input for query parameters sort_key. Value: bogus. 'bogus' is not one of")


def test_paging_links(flavors: Deployment):
    resp = flavors.get("/flavors", params={"limit": "2"})
    body = resp.json()
    assert [f["id"] for f in body["flavors"]] == ["1", "2"]
    assert body["flavors_links"] == [
        {"rel": "next", "href": f"{BASE}/v2.1/flavors?limit=2&marker=2"}]
    page2 = flavors.get("/flavors", params={"limit": "2", "marker": "2"}).json()
    assert [f["id"] for f in page2["flavors"]] == ["3"]
    assert "flavors_links" not in page2
    detail = flavors.get("/flavors/detail", params={"limit": "1", "is_public": "None"}).json()
    assert detail["flavors_links"] == [
        {"rel": "next", "href": f"{BASE}/v2.1/flavors/detail?is_public=None&limit=1&marker=1"}]
    unknown = flavors.get("/flavors", params={"marker": "99"})
    assert unknown.status_code == 400
    assert unknown.json()["badRequest"]["message"] == "marker [99] not found"
    bad = flavors.get("/flavors", params={"limit": "-1"})
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == (
        "Invalid input for query parameters limit. Value: -1. '-1' does not match "
        "'^[0-9]*$'")


def test_max_limit_gives_a_link_without_limit(make_deployment):
    dep = make_deployment(max_limit=2)
    for i in range(3):
        _create(dep, f"f{i}", str(i))
    body = dep.get("/flavors").json()
    assert len(body["flavors"]) == 2
    assert body["flavors_links"] == [
        {"rel": "next", "href": f"{BASE}/v2.1/flavors?marker=1"}]
    assert len(dep.get("/flavors", params={"limit": "5"}).json()["flavors"]) == 2


def test_unknown_query_params_rejected_from_2_75(flavors: Deployment):
    assert flavors.get("/flavors", params={"foo": "1"}, version="2.74").status_code == 200
    resp = flavors.get("/flavors", params={"foo": "1"}, version="2.75")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == \
        "Additional properties are not allowed ('foo' was unexpected)"


def test_create_generates_id_and_returns_200(dep: Deployment):
    flavor = _create(dep, "gen", None, version="2.61", description="d")
    assert len(flavor["id"]) == 36
    assert flavor["extra_specs"] == {}
    assert flavor["description"] == "d"
    numeric = _create(dep, "num", 42, version="2.1")
    assert numeric["id"] == "42"
    assert set(numeric) == DETAIL_KEYS_2_1
    strings = _create(dep, "strs", "7", ram="1024", vcpus="2", disk="0")
    assert (strings["ram"], strings["vcpus"], strings["disk"]) == (1024, 2, 0)


def test_create_conflicts(dep: Deployment):
    _create(dep, "m1.x", "10")
    same_id = dep.call("POST", "/flavors",
                       json={"flavor": {"name": "other", "ram": 1, "vcpus": 1, "disk": 0,
                                        "id": "10"}})
    assert same_id.status_code == 409
    assert same_id.json()["conflictingRequest"]["message"] == "Flavor with ID 10 already exists."
    same_name = dep.call("POST", "/flavors",
                         json={"flavor": {"name": "m1.x", "ram": 1, "vcpus": 1, "disk": 0}})
    assert same_name.status_code == 409
    assert same_name.json()["conflictingRequest"]["message"] == \
        "Flavor with name m1.x already exists."


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ram", 0, "0 is less than the minimum of 1"),
    ("ram", "0", "0 is less than the minimum of 1"),
    ("vcpus", -1, "-1 is less than the minimum of 1"),
    ("disk", -1, "-1 is less than the minimum of 0"),
    ("swap", "-1", "'-1' does not match '^[0-9]+$'"),
    ("OS-FLV-EXT-DATA:ephemeral", -2, "-2 is less than the minimum of 0"),
    ("rxtx_factor", 0, "0 is less than or equal to the minimum of 0"),
    ("rxtx_factor", "0", "0 is less than or equal to the minimum of 0"),
    ("os-flavor-access:is_public", "maybe", "'maybe' is not one of"),
    ("ram", 1.5, "1.5 is not of type 'integer', 'string'"),
])
def test_create_validation(dep: Deployment, field: str, value: object, message: str):
    body = {"flavor": {"name": "bad", "ram": 512, "vcpus": 1, "disk": 0, field: value}}
    resp = dep.call("POST", "/flavors", json=body)
    assert resp.status_code == 400, resp.text
    text = resp.json()["badRequest"]["message"]
    assert text.startswith("Invalid input for field/attribute")
    assert message in text


def test_create_name_rules(dep: Deployment):
    for name, fragment in ((" lead", "An invalid 'name' value was provided."),
                           ("", "should be non-empty"), ("x" * 256, "is too long")):
        resp = dep.call("POST", "/flavors",
                        json={"flavor": {"name": name, "ram": 1, "vcpus": 1, "disk": 0}})
        assert resp.status_code == 400
        assert fragment in resp.json()["badRequest"]["message"]
    missing = dep.call("POST", "/flavors", json={"flavor": {"name": "n", "ram": 1, "vcpus": 1}})
    assert missing.status_code == 400
    assert missing.json()["badRequest"]["message"] == "'disk' is a required property"
    extra = dep.call("POST", "/flavors", json={"flavor": {"name": "n", "ram": 1, "vcpus": 1,
                                                          "disk": 0, "description": "x"}})
    assert extra.status_code == 400
    assert "Additional properties are not allowed" in extra.json()["badRequest"]["message"]
    assert dep.call("POST", "/flavors", json=None).status_code == 400


def test_writes_are_admin_only(flavors: Deployment):
    body = {"flavor": {"name": "n", "ram": 1, "vcpus": 1, "disk": 0}}
    resp = flavors.call("POST", "/flavors", who=MEMBER, json=body)
    assert resp.status_code == 403
    assert resp.json() == {"forbidden": {"code": 403, "message": (
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.")}}
    assert flavors.call("DELETE", "/flavors/1", who=MEMBER).status_code == 403
    update = {"flavor": {"description": "x"}}
    assert flavors.call("PUT", "/flavors/1", who=MEMBER, version="2.55",
                        json=update).status_code == 403


def test_delete(flavors: Deployment):
    resp = flavors.call("DELETE", "/flavors/2")
    assert resp.status_code == 202
    assert resp.content == b""
    assert flavors.get("/flavors/2").status_code == 404
    assert flavors.call("DELETE", "/flavors/2").status_code == 404


def test_update_description(flavors: Deployment):
    body = {"flavor": {"description": "new words"}}
    assert flavors.call("PUT", "/flavors/1", version="2.54", json=body).status_code == 404
    resp = flavors.call("PUT", "/flavors/1", version="2.61", json=body)
    assert resp.status_code == 200
    flavor = resp.json()["flavor"]
    assert flavor["description"] == "new words"
    assert set(flavor) == DETAIL_KEYS_2_1 | {"description", "extra_specs"}
    bad = flavors.call("PUT", "/flavors/1", version="2.55", json={"flavor": {"name": "x"}})
    assert bad.status_code == 400
    assert flavors.call("PUT", "/flavors/nope", version="2.55", json=body).status_code == 404


def test_extra_specs(flavors: Deployment):
    path = "/flavors/1/os-extra_specs"
    assert flavors.get(path, who=MEMBER).json() == {"extra_specs": {}}
    created = flavors.call("POST", path, json={"extra_specs": {"hw:cpu_policy": "dedicated",
                                                               "quota:x": 5}})
    assert created.status_code == 200
    assert created.json() == {"extra_specs": {"hw:cpu_policy": "dedicated", "quota:x": 5}}
    assert flavors.get(path, who=MEMBER).json() == {
        "extra_specs": {"hw:cpu_policy": "dedicated", "quota:x": "5"}}
    one = flavors.get(f"{path}/hw:cpu_policy", who=MEMBER)
    assert one.json() == {"hw:cpu_policy": "dedicated"}
    updated = flavors.call("PUT", f"{path}/hw:cpu_policy", json={"hw:cpu_policy": "shared"})
    assert updated.status_code == 200
    assert updated.json() == {"hw:cpu_policy": "shared"}
    mismatch = flavors.call("PUT", f"{path}/hw:cpu_policy", json={"other": "x"})
    assert mismatch.status_code == 400
    assert mismatch.json()["badRequest"]["message"] == "Request body and URI mismatch"
    two = flavors.call("PUT", f"{path}/a", json={"a": "1", "b": "2"})
    assert two.status_code == 400
    shown = flavors.get("/flavors/1", who=MEMBER, version="2.61").json()["flavor"]
    assert shown["extra_specs"] == {"hw:cpu_policy": "shared", "quota:x": "5"}
    deleted = flavors.call("DELETE", f"{path}/quota:x")
    assert deleted.status_code == 200
    gone = flavors.get(f"{path}/quota:x")
    assert gone.status_code == 404
    assert gone.json()["itemNotFound"]["message"] == \
        "Flavor 1 has no extra specs with key quota:x."
    assert flavors.call("DELETE", f"{path}/quota:x").status_code == 404
    assert flavors.get("/flavors/99/os-extra_specs").status_code == 404


def test_extra_specs_validation_and_policy(flavors: Deployment):
    path = "/flavors/1/os-extra_specs"
    bad_key = flavors.call("POST", path, json={"extra_specs": {"a/b": "x"}})
    assert bad_key.status_code == 400
    bad_value = flavors.call("POST", path, json={"extra_specs": {"k": "x" * 256}})
    assert bad_value.status_code == 400
    assert flavors.call("POST", path, json={"specs": {}}).status_code == 400
    member = flavors.call("POST", path, who=MEMBER, json={"extra_specs": {"k": "v"}})
    assert member.status_code == 403
    assert flavors.call("DELETE", f"{path}/k", who=MEMBER).status_code == 403
