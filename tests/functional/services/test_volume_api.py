"""The volume API through HTTP (in-process): Cinder v3 volumes and attachments (3.27+)."""

import uuid

import pytest

V344 = {"OpenStack-API-Version": "volume 3.44"}
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "ip": "192.0.2.10",
             "platform": "x86_64", "host": "cell1-host1", "os_type": "linux",
             "multipath": False, "mountpoint": "/dev/vdb", "mode": "rw"}


@pytest.fixture
def vuser(user):
    return {**user, **V344}


@pytest.fixture
def vadmin(admin):
    return {**admin, **V344}


def _volume(http, headers, project="demo", **attrs):
    resp = http.post(f"/volume/v3/{project}/volumes", json={"volume": {"size": 1, **attrs}},
                     headers=headers)
    assert resp.status_code == 202, resp.text
    return resp.json()["volume"]


def _attach(http, headers, volume_id, instance, connector=None, project="demo"):
    attrs = {"volume_uuid": volume_id, "instance_uuid": instance}
    if connector is not None:
        attrs["connector"] = connector
    resp = http.post(f"/volume/v3/{project}/attachments", json={"attachment": attrs},
                     headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["attachment"]


def _show(http, headers, volume_id, project="demo"):
    return http.get(f"/volume/v3/{project}/volumes/{volume_id}", headers=headers).json()["volume"]


def _fault(resp):
    (name, fault), = resp.json().items()
    assert fault["code"] == resp.status_code
    assert fault["message"]
    return name


@pytest.mark.parametrize(("path", "status"), [("/volume", 300), ("/volume/", 300),
                                              ("/volume/v3", 200)])
def test_version_document_needs_no_token(http, path, status):
    resp = http.get(path)
    assert resp.status_code == status
    (version,) = resp.json()["versions"]
    assert (version["id"], version["version"], version["min_version"]) == ("v3.0", "3.70", "3.0")
    assert version["links"] == [{"rel": "self", "href": "http://cirrus.test/volume/v3/"}]


def test_version_header_is_echoed(http, user):
    resp = http.get("/volume/v3/demo/volumes", headers={**user, **V344})
    assert resp.headers["OpenStack-API-Version"] == "volume 3.44"
    assert "OpenStack-API-Version" in resp.headers["Vary"]
    resp = http.get("/volume/v3/demo/volumes", headers=user)
    assert resp.headers["OpenStack-API-Version"] == "volume 3.0"
    resp = http.get("/volume/v3/demo/volumes",
                    headers={**user, "OpenStack-API-Version": "volume latest"})
    assert resp.headers["OpenStack-API-Version"] == "volume 3.70"


@pytest.mark.parametrize(("header", "status"), [("volume 3.71", 406), ("volume 4.0", 406),
                                                ("volume 2.9", 406), ("volume three", 400),
                                                ("volume 3.", 400)])
def test_bad_versions(http, user, header, status):
    resp = http.get("/volume/v3/demo/volumes", headers={**user, "OpenStack-API-Version": header})
    assert resp.status_code == status
    _fault(resp)


def test_unauthenticated_is_401(http):
    assert http.get("/volume/v3/demo/volumes").status_code == 401
    assert http.get("/volume/v3/demo/volumes", headers={"X-Auth-Token": "a.b"}).status_code == 401


def test_volume_create_show_list_delete(http, vuser):
    volume = _volume(http, vuser, name="data", size="2", metadata={"k": "v"})
    assert (volume["status"], volume["size"], volume["bootable"]) == ("available", 2, "false")
    assert volume["attachments"] == []
    assert volume["os-vol-tenant-attr:tenant_id"] == "demo"
    assert volume["metadata"] == {"k": "v"}
    assert volume["links"][0]["href"].endswith(f"/volume/v3/demo/volumes/{volume['id']}")
    assert {"group_id", "provider_id"} <= set(volume)
    assert not {"shared_targets", "consumes_quota"} & set(volume)  # 3.48 and 3.65
    latest = {**vuser, "OpenStack-API-Version": "volume 3.70"}
    assert {"shared_targets", "consumes_quota"} <= set(_show(http, latest, volume["id"]))
    oldest = {**vuser, "OpenStack-API-Version": "volume 3.0"}
    assert "group_id" not in _show(http, oldest, volume["id"])
    assert _show(http, vuser, volume["id"]) == volume
    listed = http.get("/volume/v3/demo/volumes", headers=vuser).json()["volumes"]
    assert [(v["id"], v["name"]) for v in listed] == [(volume["id"], "data")]
    assert set(listed[0]) == {"id", "name", "links"}
    detail = http.get("/volume/v3/demo/volumes/detail", headers=vuser).json()["volumes"]
    assert detail == [volume]
    resp = http.delete(f"/volume/v3/demo/volumes/{volume['id']}", headers=vuser)
    assert resp.status_code == 202
    resp = http.get(f"/volume/v3/demo/volumes/{volume['id']}", headers=vuser)
    assert resp.status_code == 404
    assert _fault(resp) == "itemNotFound"


def test_volume_from_image_is_bootable(http, vuser):
    image_id = str(uuid.uuid4())
    volume = _volume(http, vuser, imageRef=image_id)
    assert volume["bootable"] == "true"
    assert volume["volume_image_metadata"] == {"image_id": image_id}
    listed = http.get("/volume/v3/demo/volumes/detail?bootable=true", headers=vuser).json()
    assert [v["id"] for v in listed["volumes"]] == [volume["id"]]


def test_volume_list_filters_and_paging(http, vuser):
    ids = [_volume(http, vuser, name=f"v{i}", size=i + 1)["id"] for i in range(3)]

    def names(query):
        resp = http.get(f"/volume/v3/demo/volumes/detail?{query}", headers=vuser)
        assert resp.status_code == 200, resp.text
        return [v["name"] for v in resp.json()["volumes"]]

    assert names("name=v1") == ["v1"]
    assert names("sort=name:asc") == ["v0", "v1", "v2"]
    assert names("sort=name:asc&limit=2") == ["v0", "v1"]
    body = http.get("/volume/v3/demo/volumes?sort=name:asc&limit=2", headers=vuser).json()
    href = body["volumes_links"][0]["href"].removeprefix("http://cirrus.test")
    rest = http.get(href, headers=vuser).json()
    assert [v["name"] for v in rest["volumes"]] == ["v2"]
    assert "volumes_links" not in rest
    assert names(f"sort=name:asc&marker={ids[1]}") == ["v2"]
    assert names("status=in-use") == []
    assert names('metadata={"k": "v"}') == []
    for bad in ("bogus=1", "limit=x", "sort=name:up", f"marker={uuid.uuid4()}", "metadata=[1]"):
        resp = http.get(f"/volume/v3/demo/volumes/detail?{bad}", headers=vuser)
        assert resp.status_code == 400, bad


@pytest.mark.parametrize("body", [
    {"volume": {}}, {"volume": {"size": 0}}, {"volume": {"size": "big"}},
    {"volume": {"size": True}}, {"volume": {"size": 1, "name": 5}},
    {"volume": {"size": 1, "imageRef": "cirros"}}, {"volume": {"size": 1, "metadata": {"a": 1}}},
    {"volume": {"size": 1, "multiattach": True}}, {"vol": {"size": 1}}, [],
])
def test_volume_create_rejections(http, vuser, body):
    resp = http.post("/volume/v3/demo/volumes", json=body, headers=vuser)
    assert resp.status_code == 400, resp.text
    assert _fault(resp) == "badRequest"


def test_malformed_json(http, vuser):
    resp = http.post("/volume/v3/demo/volumes", content=b"{{",
                     headers={**vuser, "Content-Type": "application/json"})
    assert resp.status_code == 400


def test_project_scoping(http, vuser, other, vadmin):
    volume = _volume(http, vuser)
    other = {**other, **V344}
    resp = http.get("/volume/v3/demo/volumes", headers=other)
    assert resp.status_code == 400
    resp = http.get(f"/volume/v3/other/volumes/{volume['id']}", headers=other)
    assert resp.status_code == 404
    assert http.get("/volume/v3/other/volumes", headers=other).json()["volumes"] == []
    assert _show(http, vadmin, volume["id"], project="admin")["id"] == volume["id"]
    everyone = http.get("/volume/v3/admin/volumes?all_tenants=1", headers=vadmin).json()
    assert [v["id"] for v in everyone["volumes"]] == [volume["id"]]
    created = _volume(http, vadmin, project="other")
    assert created["os-vol-tenant-attr:tenant_id"] == "other"


def test_attachment_lifecycle(http, vuser):
    volume = _volume(http, vuser)
    server = str(uuid.uuid4())
    reserved = _attach(http, vuser, volume["id"], server)
    assert (reserved["status"], reserved["instance"], reserved["volume_id"]) == (
        "reserved", server, volume["id"])
    assert reserved["connection_info"] == {}
    assert _show(http, vuser, volume["id"])["status"] == "reserved"

    path = f"/volume/v3/demo/attachments/{reserved['id']}"
    resp = http.put(path, json={"attachment": {"connector": CONNECTOR}}, headers=vuser)
    assert resp.status_code == 200
    updated = resp.json()["attachment"]
    assert updated["status"] == "attaching"
    info = updated["connection_info"]
    assert info["driver_volume_type"] == "iscsi"
    assert info["data"]["volume_id"] == volume["id"]
    assert info["data"]["target_iqn"].endswith(volume["id"])
    assert _show(http, vuser, volume["id"])["status"] == "attaching"

    resp = http.post(f"{path}/action", json={"os-complete": None}, headers=vuser)
    assert resp.status_code == 204
    shown = _show(http, vuser, volume["id"])
    assert shown["status"] == "in-use"
    (attached,) = shown["attachments"]
    assert (attached["attachment_id"], attached["server_id"], attached["host_name"],
            attached["device"]) == (reserved["id"], server, "cell1-host1", "/dev/vdb")
    full = http.get(path, headers=vuser).json()["attachment"]
    assert full["status"] == "attached"
    assert full["attached_at"]

    resp = http.delete(f"/volume/v3/demo/volumes/{volume['id']}", headers=vuser)
    assert resp.status_code == 400
    resp = http.delete(path, headers=vuser)
    assert resp.status_code == 200
    assert resp.json() == {"attachments": []}
    assert _show(http, vuser, volume["id"])["status"] == "available"
    assert http.get(path, headers=vuser).status_code == 404


def test_attachment_with_connector_and_swap(http, vuser):
    # A move creates the new attachment for the same server before deleting the old one.
    volume = _volume(http, vuser)
    server = str(uuid.uuid4())
    old = _attach(http, vuser, volume["id"], server, CONNECTOR)
    assert old["status"] == "attaching"
    assert old["connection_info"]["data"]["access_mode"] == "rw"
    http.post(f"/volume/v3/demo/attachments/{old['id']}/action", json={"os-complete": {}},
              headers=vuser)
    new = _attach(http, vuser, volume["id"], server)
    assert _show(http, vuser, volume["id"])["status"] == "in-use"
    resp = http.delete(f"/volume/v3/demo/attachments/{old['id']}", headers=vuser)
    assert [a["id"] for a in resp.json()["attachments"]] == [new["id"]]
    assert _show(http, vuser, volume["id"])["status"] == "reserved"
    resp = http.post("/volume/v3/demo/attachments", headers=vuser, json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": str(uuid.uuid4())}})
    assert resp.status_code == 400


def test_attachment_lists(http, vuser, other):
    first, second = _volume(http, vuser), _volume(http, vuser)
    server, another = str(uuid.uuid4()), str(uuid.uuid4())
    a = _attach(http, vuser, first["id"], server)
    _attach(http, vuser, second["id"], another)
    listed = http.get(f"/volume/v3/demo/attachments?instance_id={server}", headers=vuser).json()
    assert listed == {"attachments": [{"id": a["id"], "status": "reserved", "instance": server,
                                       "volume_id": first["id"]}]}
    detail = http.get("/volume/v3/demo/attachments/detail", headers=vuser).json()["attachments"]
    assert len(detail) == 2
    assert "connection_info" in detail[0]
    by_volume = http.get(f"/volume/v3/demo/attachments?volume_id={second['id']}", headers=vuser)
    assert [x["instance"] for x in by_volume.json()["attachments"]] == [another]
    theirs = http.get("/volume/v3/other/attachments", headers={**other, **V344})
    assert theirs.json() == {"attachments": []}
    resp = http.get(f"/volume/v3/other/attachments/{a['id']}", headers={**other, **V344})
    assert resp.status_code == 404


def test_attachments_need_3_27_and_complete_3_44(http, user, vuser):
    volume = _volume(http, vuser)
    resp = http.get("/volume/v3/demo/attachments", headers=user)
    assert resp.status_code == 404
    assert _fault(resp) == "itemNotFound"
    att = _attach(http, vuser, volume["id"], str(uuid.uuid4()), CONNECTOR)
    resp = http.post(f"/volume/v3/demo/attachments/{att['id']}/action", json={"os-complete": None},
                     headers={**user, "OpenStack-API-Version": "volume 3.43"})
    assert resp.status_code == 404


@pytest.mark.parametrize("body", [
    {"attachment": {"instance_uuid": str(uuid.uuid4())}},
    {"attachment": {"volume_uuid": "nope", "instance_uuid": str(uuid.uuid4())}},
    {"attachment": {"volume_uuid": str(uuid.uuid4()), "instance_uuid": 5}},
    {"attachment": {"volume_uuid": str(uuid.uuid4()), "instance_uuid": str(uuid.uuid4()),
                    "colour": "red"}},
    {"attachment": {"volume_uuid": str(uuid.uuid4()), "instance_uuid": str(uuid.uuid4()),
                    "mode": "rwx"}},
    {"attachment": {"volume_uuid": str(uuid.uuid4()), "instance_uuid": str(uuid.uuid4()),
                    "connector": "x"}},
    {}, [],
])
def test_attachment_create_rejections(http, vuser, body):
    resp = http.post("/volume/v3/demo/attachments", json=body, headers=vuser)
    assert resp.status_code == 400, resp.text


def test_attachment_errors(http, vuser):
    resp = http.post("/volume/v3/demo/attachments", headers=vuser, json={"attachment": {
        "volume_uuid": str(uuid.uuid4()), "instance_uuid": str(uuid.uuid4())}})
    assert resp.status_code == 404
    missing = f"/volume/v3/demo/attachments/{uuid.uuid4()}"
    assert http.get(missing, headers=vuser).status_code == 404
    assert http.delete(missing, headers=vuser).status_code == 404
    assert http.put(missing, json={"attachment": {"connector": CONNECTOR}},
                    headers=vuser).status_code == 404
    volume = _volume(http, vuser)
    att = _attach(http, vuser, volume["id"], str(uuid.uuid4()))
    path = f"/volume/v3/demo/attachments/{att['id']}"
    assert http.post(f"{path}/action", json={"os-complete": None}, headers=vuser).status_code == 400
    for body in ({"os-detach": None}, {}, {"os-complete": 5}):
        assert http.post(f"{path}/action", json=body, headers=vuser).status_code == 400
    for body in ({"attachment": {}}, {"attachment": {"connector": []}}, {"connector": {}}):
        assert http.put(path, json=body, headers=vuser).status_code == 400
