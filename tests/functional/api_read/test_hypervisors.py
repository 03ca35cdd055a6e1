"""/os-hypervisors: shapes at 2.1, 2.28, 2.33, 2.53 and 2.88; paging, servers, statistics."""

import pytest

from .conftest import MEMBER, Deployment

BASE = "http://h/compute"
LIST_KEYS = {"id", "hypervisor_hostname", "state", "status"}
STATS = {"vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
         "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
         "disk_available_least"}
DETAIL_BASE = LIST_KEYS | {"hypervisor_type", "hypervisor_version", "host_ip", "service"}


def _list(dep: Deployment, path: str = "/os-hypervisors", version: str | None = None,
          **params: str) -> dict:
    resp = dep.get(path, version=version, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize("version", ["2.1", "2.53", "2.88"])
def test_list_keys(dep: Deployment, version: str):
    items = _list(dep, version=version)["hypervisors"]
    assert [h["hypervisor_hostname"] for h in items] == [
        "host1.example", "host2.example", "host3.example"]
    assert all(set(h) == LIST_KEYS for h in items)
    assert all(h["state"] == "up" and h["status"] == "enabled" for h in items)
    if version == "2.1":
        assert all(isinstance(h["id"], int) for h in items)
    else:
        assert all(len(h["id"]) == 36 for h in items)


@pytest.mark.parametrize(("version", "keys", "cpu_info"), [
    ("2.1", DETAIL_BASE | STATS | {"cpu_info"}, "{}"),
    ("2.28", DETAIL_BASE | STATS | {"cpu_info"}, {}),
    ("2.53", DETAIL_BASE | STATS | {"cpu_info"}, {}),
    ("2.87", DETAIL_BASE | STATS | {"cpu_info"}, {}),
    ("2.88", DETAIL_BASE | {"uptime"}, None),
])
def test_detail_keys(dep: Deployment, version: str, keys: set, cpu_info: object):
    items = _list(dep, "/os-hypervisors/detail", version)["hypervisors"]
    assert all(set(h) == keys for h in items)
    first = items[0]
    assert set(first["service"]) == {"id", "host", "disabled_reason"}
    assert first["service"]["host"] == "host1"
    if "cpu_info" in keys:
        assert first["cpu_info"] == cpu_info
        assert (first["free_ram_mb"], first["free_disk_gb"]) == (16384 - 2560, 200 - 20)
        assert (first["vcpus_used"], first["running_vms"]) == (2, 1)
    else:
        assert first["uptime"] is None


def test_show(dep: Deployment):
    listed = _list(dep, version="2.53")["hypervisors"]
    resp = dep.get(f"/os-hypervisors/{listed[1]['id']}", version="2.88")
    assert resp.status_code == 200
    body = resp.json()["hypervisor"]
    assert set(body) == DETAIL_BASE | {"uptime"}
    assert body["hypervisor_hostname"] == "host2.example"
    legacy = _list(dep, version="2.1")["hypervisors"][0]
    shown = dep.get(f"/os-hypervisors/{legacy['id']}").json()["hypervisor"]
    assert set(shown) == DETAIL_BASE | STATS | {"cpu_info"}


def test_show_errors(dep: Deployment):
    bad = dep.get("/os-hypervisors/abc", version="2.53")
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "Invalid uuid abc"
    legacy = dep.get("/os-hypervisors/abc", version="2.52")
    assert legacy.status_code == 404
    assert legacy.json()["itemNotFound"]["message"] == \
        "Hypervisor with ID 'abc' could not be found."
    missing = dep.get("/os-hypervisors/00000000-0000-0000-0000-000000000009", version="2.53")
    assert missing.status_code == 404


def test_with_servers(dep: Deployment):
    uuid = dep.add_server("cell1", host="host1")
    items = _list(dep, version="2.75", with_servers="true")["hypervisors"]
    assert items[0]["servers"] == [{"name": "instance-00000001", "uuid": uuid}]
    assert items[1]["servers"] == []
    older = _list(dep, version="2.53", with_servers="1")["hypervisors"]
    assert "servers" not in older[1]
    assert set(older[0]) == LIST_KEYS | {"servers"}
    none = _list(dep, version="2.75")["hypervisors"]
    assert all("servers" not in h for h in none)
    bad = dep.get("/os-hypervisors", version="2.53", params={"with_servers": "maybe"})
    assert bad.status_code == 400


def test_hostname_pattern(dep: Deployment):
    items = _list(dep, version="2.53", hypervisor_hostname_pattern="host2")["hypervisors"]
    assert [h["hypervisor_hostname"] for h in items] == ["host2.example"]
    none = dep.get("/os-hypervisors", version="2.53",
                   params={"hypervisor_hostname_pattern": "zzz"})
    assert none.status_code == 404
    assert none.json()["itemNotFound"]["message"] == "No hypervisor matching 'zzz' could be found."
    paged = dep.get("/os-hypervisors", version="2.53",
                    params={"hypervisor_hostname_pattern": "host", "limit": "1"})
    assert paged.status_code == 400
    assert paged.json()["badRequest"]["message"].startswith("Paging over hypervisors")


def test_paging(dep: Deployment):
    assert "hypervisors_links" not in _list(dep, version="2.32", limit="1")
    assert len(_list(dep, version="2.32", limit="1")["hypervisors"]) == 3
    page = _list(dep, version="2.53", limit="2")
    ids = [h["id"] for h in page["hypervisors"]]
    assert len(ids) == 2
    assert page["hypervisors_links"] == [{
        "rel": "next", "href": f"{BASE}/v2.1/os-hypervisors?limit=2&marker={ids[1]}"}]
    rest = _list(dep, version="2.53", limit="2", marker=ids[1])
    assert [h["hypervisor_hostname"] for h in rest["hypervisors"]] == ["host3.example"]
    assert "hypervisors_links" not in rest
    legacy = _list(dep, "/os-hypervisors/detail", "2.33", limit="1")
    first = legacy["hypervisors"][0]["id"]
    assert legacy["hypervisors_links"] == [{
        "rel": "next", "href": f"{BASE}/v2.1/os-hypervisors/detail?limit=1&marker={first}"}]
    unknown = dep.get("/os-hypervisors", version="2.53", params={"marker": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["badRequest"]["message"] == "marker [nope] not found"
    strict = dep.get("/os-hypervisors", version="2.53", params={"foo": "1"})
    assert strict.status_code == 400


def test_disabled_service_shows(dep: Deployment):
    host1 = next(s for s in dep.get("/os-services", version="2.53").json()["services"]
             if s["host"] == "host1")
    dep.call("PUT", f"/os-services/{host1['id']}", version="2.53",
             json={"status": "disabled", "disabled_reason": "r"})
    detail = _list(dep, "/os-hypervisors/detail", "2.88")["hypervisors"][0]
    assert detail["status"] == "disabled"
    assert detail["service"]["disabled_reason"] == "r"
    stats = dep.get("/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 2


def test_statistics(dep: Deployment):
    resp = dep.get("/os-hypervisors/statistics", version="2.87")
    assert resp.status_code == 200
    stats = resp.json()["hypervisor_statistics"]
    assert set(stats) == STATS | {"count"}
    assert (stats["count"], stats["vcpus"], stats["memory_mb_used"]) == (3, 24, 3 * 2560)
    gone = dep.get("/os-hypervisors/statistics", version="2.88")
    assert gone.status_code == 404
    assert gone.json() == {"itemNotFound": {"code": 404,
                                            "message": "The resource could not be found."}}


def test_admin_only(dep: Deployment):
    for path in ("/os-hypervisors", "/os-hypervisors/detail", "/os-hypervisors/statistics"):
        assert dep.get(path, who=MEMBER).status_code == 403
    hyp = _list(dep, version="2.53")["hypervisors"][0]["id"]
    assert dep.get(f"/os-hypervisors/{hyp}", who=MEMBER, version="2.53").status_code == 403
