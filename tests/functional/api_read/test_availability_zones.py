"""/os-availability-zone: zones from aggregates and the default zone; detail for admins."""

import re

from .conftest import MEMBER, Deployment

ZONE_KEYS = {"zoneName", "zoneState", "hosts"}
RAW = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


def _disable(dep: Deployment, host: str) -> None:
    svc = next(s for s in dep.get("/os-services", version="2.53").json()["services"]
           if s["host"] == host)
    resp = dep.call("PUT", f"/os-services/{svc['id']}", version="2.53",
                    json={"status": "disabled"})
    assert resp.status_code == 200


def test_list_hides_internal(dep: Deployment):
    resp = dep.get("/os-availability-zone", who=MEMBER)
    assert resp.status_code == 200
    assert resp.json() == {"availabilityZoneInfo": [
        {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None},
        {"zoneName": "zone-b", "zoneState": {"available": True}, "hosts": None},
    ]}


def test_zone_with_only_disabled_services_is_unavailable(dep: Deployment):
    _disable(dep, "host2")
    zones = dep.get("/os-availability-zone", who=MEMBER).json()["availabilityZoneInfo"]
    assert [(z["zoneName"], z["zoneState"]["available"]) for z in zones] == [
        ("nova", True), ("zone-b", False)]


def test_detail(dep: Deployment):
    resp = dep.get("/os-availability-zone/detail")
    assert resp.status_code == 200
    zones = {z["zoneName"]: z for z in resp.json()["availabilityZoneInfo"]}
    assert list(zones) == ["internal", "nova", "zone-b"]
    assert all(set(z) == ZONE_KEYS for z in zones.values())
    assert set(zones["internal"]["hosts"]) == {"api-host", "cell1-conductor"}
    assert set(zones["internal"]["hosts"]["api-host"]) == {"cirrus-conductor",
                                                           "cirrus-scheduler"}
    assert set(zones["nova"]["hosts"]) == {"host1", "host3"}
    entry = zones["zone-b"]["hosts"]["host2"]["cirrus-compute"]
    assert set(entry) == {"available", "active", "updated_at"}
    assert (entry["available"], entry["active"]) == (True, True)
    assert entry["updated_at"] is None or RAW.match(entry["updated_at"])


def test_detail_leaves_disabled_services_out(dep: Deployment):
    _disable(dep, "host2")
    _disable(dep, "host3")
    zones = dep.get("/os-availability-zone/detail").json()["availabilityZoneInfo"]
    by_name = {z["zoneName"]: z for z in zones}
    assert by_name["zone-b"] == {"zoneName": "zone-b", "zoneState": {"available": False},
                                 "hosts": None}
    assert set(by_name["nova"]["hosts"]) == {"host1"}
    assert [z["zoneName"] for z in zones] == ["internal", "nova", "zone-b"]


def test_detail_is_admin_only(dep: Deployment):
    resp = dep.get("/os-availability-zone/detail", who=MEMBER)
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed."
