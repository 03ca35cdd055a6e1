"""/servers/{id}/os-instance-actions: keys by microversion, event visibility, paging."""

import datetime
import hashlib
import re

import pytest

from cirrus.db.cell import models
from cirrus.objects import instance_action as action_obj

from .conftest import ADMIN, MEMBER, OTHER, Deployment

BASE = "http://h/compute"
RAW = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
ACTION_KEYS = {"action", "instance_uuid", "request_id", "user_id", "project_id", "start_time",
               "message"}
EVENT_KEYS = {"event", "start_time", "finish_time", "result"}


def _record(dep: Deployment, uuid: str, request_id: str, action: str, *,
            fail: bool = False, when: datetime.datetime | None = None) -> None:
    cell = dep.cells["cell1"]
    with dep.runtime.cell_session(cell) as s:
        action_obj.start(s, uuid, action, request_id, "u1", "p1")
    with dep.runtime.cell_session(cell) as s:
        action_obj.event_start(s, uuid, request_id, f"compute_{action}", "host1")
    with dep.runtime.cell_session(cell) as s:
        action_obj.event_finish(s, uuid, request_id, f"compute_{action}",
                                RuntimeError("boom") if fail else None)
    if when is not None:
        # Pin the timestamps so ordering and the changes-since window are deterministic.
        with dep.runtime.cell_session(cell) as s:
            row = s.query(models.InstanceAction).filter_by(request_id=request_id).one()
            row.created_at = row.updated_at = row.start_time = when
            # The action's updated_at is also that of its latest event.
            for ev in s.query(models.InstanceActionEvent).filter_by(action_id=row.id):
                ev.created_at = ev.updated_at = when


@pytest.fixture
def server(dep: Deployment) -> str:
    uuid = dep.add_server("cell1")
    _record(dep, uuid, "req-1", "create", when=datetime.datetime(2024, 1, 1))
    _record(dep, uuid, "req-2", "stop", when=datetime.datetime(2024, 1, 2))
    _record(dep, uuid, "req-3", "start", fail=True, when=datetime.datetime(2024, 1, 3))
    return uuid


def _actions(dep: Deployment, uuid: str, who: dict = MEMBER, version: str | None = None,
             **params: str) -> dict:
    resp = dep.get(f"/servers/{uuid}/os-instance-actions", who=who, version=version,
                   params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize(("version", "keys"), [
    ("2.1", ACTION_KEYS), ("2.57", ACTION_KEYS), ("2.58", ACTION_KEYS | {"updated_at"}),
    ("2.84", ACTION_KEYS | {"updated_at"}),
])
def test_list_keys(dep: Deployment, server: str, version: str, keys: set):
    body = _actions(dep, server, version=version)
    assert set(body) == {"instanceActions"}
    items = body["instanceActions"]
    assert [a["request_id"] for a in items] == ["req-3", "req-2", "req-1"]
    assert all(set(a) == keys for a in items)
    assert RAW.match(items[0]["start_time"])
    assert items[0]["message"] == "Error"


def _show(dep: Deployment, uuid: str, request_id: str, who: dict,
          version: str | None) -> dict:
    resp = dep.get(f"/servers/{uuid}/os-instance-actions/{request_id}", who=who,
                   version=version)
    assert resp.status_code == 200, resp.text
    return resp.json()["instanceAction"]


@pytest.mark.parametrize(("who", "version", "event_keys"), [
    (MEMBER, "2.1", None),
    (MEMBER, "2.50", None),
    (ADMIN, "2.1", EVENT_KEYS | {"traceback"}),
    (MEMBER, "2.51", EVENT_KEYS),
    (ADMIN, "2.51", EVENT_KEYS | {"traceback"}),
    (MEMBER, "2.62", EVENT_KEYS | {"hostId"}),
    (ADMIN, "2.62", EVENT_KEYS | {"traceback", "host", "hostId"}),
    (MEMBER, "2.84", EVENT_KEYS | {"hostId"}),
    (ADMIN, "2.84", EVENT_KEYS | {"traceback", "host", "hostId", "details"}),
])
def test_show_event_visibility(dep: Deployment, server: str, who: dict, version: str,
                               event_keys: set | None):
    action = _show(dep, server, "req-3", who, version)
    newer = tuple(map(int, version.split("."))) >= (2, 58)
    base = ACTION_KEYS | ({"updated_at"} if newer else set())
    if event_keys is None:
        assert set(action) == base
        return
    assert set(action) == base | {"events"}
    (event,) = action["events"]
    assert set(event) == event_keys
    assert event["event"] == "compute_start"
    assert event["result"] == "Error"
    if "hostId" in event:
        assert event["hostId"] == hashlib.sha224(b"p1host1").hexdigest()
    if "traceback" in event:
        assert "RuntimeError: boom" in event["traceback"]
    if "details" in event:
        assert event["details"] == "boom"


def test_show_unknown_action(dep: Deployment, server: str):
    resp = dep.get(f"/servers/{server}/os-instance-actions/req-nope", who=MEMBER)
    assert resp.status_code == 404
    assert resp.json()["itemNotFound"]["message"] == "Action req-nope not found"


def test_other_project_and_unknown_server(dep: Deployment, server: str):
    other = dep.get(f"/servers/{server}/os-instance-actions", who=OTHER)
    assert other.status_code == 404
    assert other.json()["itemNotFound"]["message"] == f"Instance {server} could not be found."
    assert dep.get(f"/servers/{server}/os-instance-actions/req-1",
                   who=OTHER).status_code == 404
    assert dep.get("/servers/not-a-uuid/os-instance-actions", who=MEMBER).status_code == 404
    assert _actions(dep, server, who=ADMIN)["instanceActions"]


def test_deleted_server_readable_from_2_21(dep: Deployment):
    uuid = dep.add_server("cell1", deleted=True)
    _record(dep, uuid, "req-del", "delete")
    assert dep.get(f"/servers/{uuid}/os-instance-actions", who=MEMBER,
                   version="2.20").status_code == 404
    body = _actions(dep, uuid, version="2.21")
    assert [a["action"] for a in body["instanceActions"]] == ["delete"]
    shown = _show(dep, uuid, "req-del", MEMBER, "2.21")
    assert shown["action"] == "delete"


def test_paging_and_links(dep: Deployment, server: str):
    page = _actions(dep, server, version="2.58", limit="2")
    assert [a["request_id"] for a in page["instanceActions"]] == ["req-3", "req-2"]
    assert page["links"] == [{"rel": "next", "href": (
        f"{BASE}/v2.1/servers/{server}/os-instance-actions?limit=2&marker=req-2")}]
    rest = _actions(dep, server, version="2.58", limit="2", marker="req-2")
    assert [a["request_id"] for a in rest["instanceActions"]] == ["req-1"]
    assert "links" not in rest
    old = _actions(dep, server, version="2.57", limit="1")
    assert len(old["instanceActions"]) == 3
    assert "links" not in old
    bad = dep.get(f"/servers/{server}/os-instance-actions", who=MEMBER, version="2.58",
                  params={"marker": "req-x"})
    assert bad.status_code == 400
    assert bad.json()["badRequest"]["message"] == "Marker req-x could not be found."


def test_changes_since_and_before(dep: Deployment, server: str):
    since = _actions(dep, server, version="2.58", **{"changes-since": "2024-01-02T00:00:00Z"})
    assert [a["request_id"] for a in since["instanceActions"]] == ["req-3", "req-2"]
    window = _actions(dep, server, version="2.66", **{
        "changes-since": "2024-01-01T12:00:00", "changes-before": "2024-01-02T12:00:00"})
    assert [a["request_id"] for a in window["instanceActions"]] == ["req-2"]
    early = dep.get(f"/servers/{server}/os-instance-actions", who=MEMBER, version="2.58",
                    params={"changes-before": "2024-01-02T00:00:00"})
    assert early.status_code == 400
    assert early.json()["badRequest"]["message"] == \
        "Additional properties are not allowed ('changes-before' was unexpected)"
    inverted = dep.get(f"/servers/{server}/os-instance-actions", who=MEMBER, version="2.66",
                       params={"changes-since": "2024-01-03T00:00:00",
                               "changes-before": "2024-01-01T00:00:00"})
    assert inverted.status_code == 400
    assert inverted.json()["badRequest"]["message"] == \
        "The value of changes-since must be less than or equal to changes-before."
    junk = dep.get(f"/servers/{server}/os-instance-actions", who=MEMBER, version="2.58",
                   params={"changes-since": "yesterday"})
    assert junk.status_code == 400
    assert junk.json()["badRequest"]["message"].startswith(
        "Invalid input for query parameters changes-since. Value: yesterday.")
