"""/os-server-external-events: per-event codes, 200 vs 207, names by microversion."""

import uuid as uuidlib

import pytest

from cirrus.objects import build_request, instance_mapping

from .conftest import MEMBER, Deployment


def _send(dep: Deployment, events: list[dict], version: str | None = None, who=None):
    return dep.call("POST", "/os-server-external-events", who=who, version=version,
                    json={"events": events})


def test_all_accepted_is_200(dep: Deployment):
    uuid = dep.add_server("cell1", host="host1")
    resp = _send(dep, [{"name": "network-vif-plugged", "server_uuid": uuid, "tag": "port"}])
    assert resp.status_code == 200
    assert resp.json() == {"events": [{"name": "network-vif-plugged", "server_uuid": uuid,
                                       "tag": "port", "status": "completed", "code": 200}]}


def test_mixed_results_are_207(dep: Deployment):
    placed = dep.add_server("cell1", host="host1")
    unplaced = dep.add_server("cell2", host=None)
    unknown = str(uuidlib.uuid4())
    with dep.runtime.api_session() as s:
        pending = str(uuidlib.uuid4())
        instance_mapping.create(s, pending, "p1", "u1")
        build_request.create(s, pending, "p1", {"uuid": pending}, [], [])
    resp = _send(dep, [
        {"name": "network-changed", "server_uuid": placed, "status": "failed"},
        {"name": "network-changed", "server_uuid": unknown},
        {"name": "network-vif-deleted", "server_uuid": unplaced},
        {"name": "network-vif-unplugged", "server_uuid": pending},
        {"name": "volume-extended", "server_uuid": placed},
    ], version="2.51")
    assert resp.status_code == 207
    codes = [(e["code"], e["status"]) for e in resp.json()["events"]]
    # A client-supplied status is overwritten by the outcome.
    assert codes == [(200, "completed"), (404, "failed"), (422, "failed"), (422, "failed"),
                     (400, "failed")]
    assert all(set(e) >= {"name", "server_uuid", "status", "code"}
               for e in resp.json()["events"])


@pytest.mark.parametrize(("name", "since"), [
    ("volume-extended", "2.51"), ("power-update", "2.76"),
    ("accelerator-request-bound", "2.82"),
])
def test_names_by_microversion(dep: Deployment, name: str, since: str):
    uuid = dep.add_server("cell1")
    minor = int(since.split(".")[1])
    older = _send(dep, [{"name": name, "server_uuid": uuid, "tag": "t"}],
                  version=f"2.{minor - 1}")
    assert older.status_code == 400
    newer = _send(dep, [{"name": name, "server_uuid": uuid, "tag": "t"}], version=since)
    assert newer.status_code == 200


@pytest.mark.parametrize("body", [
    {"events": []},
    {"events": [{"name": "network-changed"}]},
    {"events": [{"name": "bogus", "server_uuid": str(uuidlib.uuid4())}]},
    {"events": [{"name": "network-changed", "server_uuid": "not-a-uuid"}]},
    {"events": [{"name": "network-changed", "server_uuid": str(uuidlib.uuid4()),
                 "status": "done"}]},
    {"events": [{"name": "network-changed", "server_uuid": str(uuidlib.uuid4()), "x": 1}]},
    {"nope": []},
])
def test_bad_bodies(dep: Deployment, body: dict):
    resp = dep.call("POST", "/os-server-external-events", json=body)
    assert resp.status_code == 400, resp.text


def test_admin_only(dep: Deployment):
    resp = _send(dep, [{"name": "network-changed", "server_uuid": str(uuidlib.uuid4())}],
                 who=MEMBER)
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-server-external-events:create to be "
        "performed.")
