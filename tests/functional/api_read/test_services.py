"""/os-services: every cell, zones, states, ids by microversion, update and delete."""

import datetime
import re

import pytest

from cirrus.objects import service as service_obj

from .conftest import MEMBER, Deployment

KEYS_2_1 = {"id", "binary", "host", "zone", "status", "state", "updated_at",
            "disabled_reason"}


def _services(dep: Deployment, version: str | None = None, **params: str) -> list[dict]:
    resp = dep.get("/os-services", version=version, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["services"]


@pytest.mark.parametrize(("version", "keys"), [
    ("2.1", KEYS_2_1), ("2.10", KEYS_2_1), ("2.11", KEYS_2_1 | {"forced_down"}),
    ("2.53", KEYS_2_1 | {"forced_down"}), ("2.69", KEYS_2_1 | {"forced_down"}),
])
def test_list_keys_by_version(dep: Deployment, version: str, keys: set):
    items = _services(dep, version)
    assert all(set(s) == keys for s in items)
    ids = [s["id"] for s in items]
    if tuple(map(int, version.split("."))) >= (2, 53):
        assert all(isinstance(i, str) and len(i) == 36 for i in ids)
    else:
        assert all(isinstance(i, int) for i in ids)


def test_every_cell_with_zones_and_state(dep: Deployment):
    items = _services(dep, "2.69")
    summary = [(s["binary"], s["host"], s["zone"]) for s in items]
    assert summary == [
        ("cirrus-conductor", "api-host", "internal"),
        ("cirrus-scheduler", "api-host", "internal"),
        ("cirrus-compute", "host1", "nova"),
        ("cirrus-compute", "host2", "zone-b"),
        ("cirrus-conductor", "cell1-conductor", "internal"),
        ("cirrus-compute", "host3", "nova"),
    ]
    assert all(s["state"] == "up" and s["status"] == "enabled" for s in items)
    assert all(s["forced_down"] is False for s in items)


def test_filters(dep: Deployment):
    assert [s["host"] for s in _services(dep, binary="cirrus-compute")] == [
        "host1", "host2", "host3"]
    assert [s["binary"] for s in _services(dep, host="api-host")] == [
        "cirrus-conductor", "cirrus-scheduler"]
    assert _services(dep, host="nowhere") == []
    bad = dep.get("/os-services", version="2.75", params={"zone": "x"})
    assert bad.status_code == 400


def test_stale_heartbeat_is_down(dep: Deployment):
    with dep.runtime.cell_session(dep.cells["cell2"]) as s:
        svc = service_obj.get_by_host_binary(s, "host3", "cirrus-compute")
        assert svc is not None
        old = datetime.datetime(2020, 1, 1)
        service_obj.update_status(s, svc.id, last_seen_up=old)
    host3 = next(s for s in _services(dep) if s["host"] == "host3")
    assert host3["state"] == "down"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", host3["updated_at"])


def test_list_is_admin_only(dep: Deployment):
    resp = dep.get("/os-services", who=MEMBER)
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == \
        "Policy doesn't allow os_compute_api:os-services:list to be performed."


def _compute(dep: Deployment, host: str, version: str = "2.53") -> dict:
    return next(s for s in _services(dep, version) if s["host"] == host)


def test_update_v2_53(dep: Deployment):
    host1 = _compute(dep, "host1")
    resp = dep.call("PUT", f"/os-services/{host1['id']}", version="2.53",
                    json={"status": "disabled", "disabled_reason": "maintenance"})
    assert resp.status_code == 200, resp.text
    body = resp.json()["service"]
    assert set(body) == KEYS_2_1 | {"forced_down"}
    assert (body["status"], body["disabled_reason"], body["zone"]) == (
        "disabled", "maintenance", "nova")
    assert body["updated_at"] is not None
    forced = dep.call("PUT", f"/os-services/{host1['id']}", version="2.53",
                      json={"forced_down": True}).json()["service"]
    assert (forced["forced_down"], forced["state"]) == (True, "down")
    enabled = dep.call("PUT", f"/os-services/{host1['id']}", version="2.53",
                       json={"status": "enabled", "forced_down": "false"}).json()["service"]
    assert (enabled["status"], enabled["disabled_reason"], enabled["forced_down"]) == (
        "enabled", None, False)


@pytest.mark.parametrize(("body", "message"), [
    ({}, "No updates were requested. Fields 'status' or 'forced_down' should be specified."),
    ({"status": "enabled", "disabled_reason": "x"},
     "Specifying 'disabled_reason' with status 'enabled' is invalid."),
    ({"status": "off"}, None),
    ({"forced_down": "perhaps"}, None),
    ({"host": "host1"}, "Additional properties are not allowed ('host' was unexpected)"),
])
def test_update_v2_53_bad_bodies(dep: Deployment, body: dict, message: str | None):
    host1 = _compute(dep, "host1")
    resp = dep.call("PUT", f"/os-services/{host1['id']}", version="2.53", json=body)
    assert resp.status_code == 400
    if message:
        assert resp.json()["badRequest"]["message"] == message


def test_update_v2_53_errors(dep: Deployment):
    bad = dep.call("PUT", "/os-services/abc", version="2.53", json={"status": "enabled"})
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "Invalid uuid abc"
    unknown = dep.call("PUT", "/os-services/00000000-0000-0000-0000-000000000001",
                       version="2.53", json={"status": "enabled"})
    assert unknown.status_code == 404
    conductor = next(s for s in _services(dep, "2.53") if s["binary"] == "cirrus-conductor")
    resp = dep.call("PUT", f"/os-services/{conductor['id']}", version="2.53",
                    json={"status": "disabled"})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"].startswith(
        "Updating a cirrus-conductor service is not supported.")
    member = dep.call("PUT", f"/os-services/{conductor['id']}", who=MEMBER, version="2.53",
                      json={"status": "disabled"})
    assert member.status_code == 403


def test_update_legacy_actions(dep: Deployment):
    body = {"host": "host2", "binary": "cirrus-compute"}
    resp = dep.call("PUT", "/os-services/disable-log-reason",
                    json={**body, "disabled_reason": "broken"})
    assert resp.status_code == 200
    assert resp.json() == {"service": {"host": "host2", "binary": "cirrus-compute",
                                       "status": "disabled", "disabled_reason": "broken"}}
    assert _compute(dep, "host2", "2.1")["disabled_reason"] == "broken"
    enabled = dep.call("PUT", "/os-services/enable", json=body)
    assert enabled.json() == {"service": {"host": "host2", "binary": "cirrus-compute",
                                          "status": "enabled"}}
    forced = dep.call("PUT", "/os-services/force-down", version="2.11",
                      json={**body, "forced_down": True})
    assert forced.json() == {"service": {"host": "host2", "binary": "cirrus-compute",
                                         "forced_down": True}}
    # force-down only exists from 2.11.
    assert dep.call("PUT", "/os-services/force-down", version="2.10",
                    json=body).status_code == 404
    no_flag = dep.call("PUT", "/os-services/force-down", version="2.11", json=body)
    assert no_flag.json()["badRequest"]["message"] == "Missing forced_down field"
    assert dep.call("PUT", "/os-services/reboot", json=body).status_code == 404
    missing = dep.call("PUT", "/os-services/disable-log-reason", json=body)
    assert missing.json()["badRequest"]["message"] == "Missing disabled reason field"
    nohost = dep.call("PUT", "/os-services/enable",
                      json={"host": "nohost", "binary": "cirrus-compute"})
    assert nohost.status_code == 404
    assert nohost.json()["itemNotFound"]["message"] == \
        "Compute host nohost with binary cirrus-compute could not be found."


def test_delete(dep: Deployment):
    host3 = _compute(dep, "host3")
    resp = dep.call("DELETE", f"/os-services/{host3['id']}", version="2.53")
    assert resp.status_code == 204
    assert "host3" not in [s["host"] for s in _services(dep)]
    hypervisors = dep.get("/os-hypervisors", version="2.53").json()["hypervisors"]
    assert "host3.example" not in [h["hypervisor_hostname"] for h in hypervisors]
    again = dep.call("DELETE", f"/os-services/{host3['id']}", version="2.53")
    assert again.status_code == 404
    assert again.json()["itemNotFound"]["message"] == f"Service {host3['id']} not found."


def test_delete_compute_with_servers_conflicts(dep: Deployment):
    dep.add_server("cell1", host="host1")
    host1 = _compute(dep, "host1")
    resp = dep.call("DELETE", f"/os-services/{host1['id']}", version="2.53")
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"].startswith(
        "Unable to delete compute service that is hosting instances.")


def test_delete_id_checks(dep: Deployment):
    assert dep.call("DELETE", "/os-services/abc", version="2.53").status_code == 400
    legacy = dep.call("DELETE", "/os-services/abc", version="2.52")
    assert legacy.status_code == 400
    # Integer ids repeat across cells, so an old-style id can be ambiguous.
    ambiguous = dep.call("DELETE", "/os-services/1", version="2.52")
    assert ambiguous.status_code == 400
    assert ambiguous.json()["badRequest"]["message"] == \
        "Service id 1 refers to multiple services."
    assert dep.call("DELETE", "/os-services/1", who=MEMBER).status_code == 403
