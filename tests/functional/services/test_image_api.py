"""The image API through HTTP (in-process): Glance v2 shapes, filters, patch, data."""

import hashlib
import uuid

import pytest

from cirrus.image.store import FilesystemStore

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
OCTET = {"Content-Type": "application/octet-stream"}
# Fixed rather than random: parametrized test ids must match across xdist workers.
UNKNOWN = "6f1d3a52-93c4-4c0b-9b7e-2f8a4d6c1e90"


def _create(http, headers, **attrs):
    body = {"name": "img", "disk_format": "qcow2", "container_format": "bare", **attrs}
    resp = http.post("/image/v2/images", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _upload(http, headers, image_id, data=b"abc" * 1000):
    return http.put(f"/image/v2/images/{image_id}/file", content=data,
                    headers={**headers, **OCTET})


def _names(http, headers, query=""):
    resp = http.get(f"/image/v2/images{query}", headers=headers)
    assert resp.status_code == 200, resp.text
    return sorted(i["name"] for i in resp.json()["images"])


@pytest.mark.parametrize("path", ["/image", "/image/", "/image/v2", "/image/v2/"])
def test_version_document_needs_no_token(http, path):
    resp = http.get(path)
    assert resp.status_code == 300
    versions = resp.json()["versions"]
    assert versions[0] == {
        "id": "v2.16", "status": "CURRENT",
        "links": [{"rel": "self", "href": "http://cirrus.test/image/v2/"}],
    }
    assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}


def test_version_links_follow_forwarded_host(http):
    forwarded = {"X-Forwarded-Host": "api.example", "X-Forwarded-Proto": "https"}
    resp = http.get("/image", headers=forwarded)
    assert resp.json()["versions"][0]["links"][0]["href"] == "https://api.example/image/v2/"


@pytest.mark.parametrize("token", [None, "garbage", "a.b"])
def test_missing_or_forged_token_is_401(http, token, make_token):
    headers = {} if token is None else {"X-Auth-Token": token}
    resp = http.get("/image/v2/images", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert resp.json()["error"]["code"] == 401


def test_token_signed_with_another_key_is_401(http):
    from cirrus.identity import tokens
    forged, _ = tokens.issue("another-key", user_id="u", user_name="u", project_id="demo",
                             project_name="demo", roles=["admin"], lifetime=60)
    assert http.get("/image/v2/images", headers={"X-Auth-Token": forged}).status_code == 401


def test_create_and_show_image_with_glance_fields(http, user):
    image = _create(http, user, name="cirros", min_disk=1, tags=["a", "b", "a"],
                    hw_disk_bus="scsi")
    assert image["status"] == "queued"
    assert image["visibility"] == "shared"
    assert image["owner"] == "demo"
    assert image["tags"] == ["a", "b"]
    assert image["hw_disk_bus"] == "scsi"
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    for field in ("size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value"):
        assert image[field] is None
    assert image["created_at"].endswith("Z")
    shown = http.get(f"/image/v2/images/{image['id']}", headers=user).json()
    assert shown == image


def test_create_with_id_and_duplicate_id(http, user):
    image_id = str(uuid.uuid4())
    assert _create(http, user, id=image_id)["id"] == image_id
    resp = http.post("/image/v2/images", json={"id": image_id}, headers=user)
    assert resp.status_code == 409
    assert set(resp.json()) == {"code", "title", "message"}
    assert resp.json()["code"] == "409 Conflict"


@pytest.mark.parametrize(("body", "status"), [
    ({"disk_format": "floppy"}, 400),
    ({"min_ram": "lots"}, 400),
    ({"min_disk": -1}, 400),
    ({"protected": "yes"}, 400),
    ({"tags": "notalist"}, 400),
    ({"name": "x" * 256}, 400),
    ({"hw_disk_bus": 5}, 400),
    ({"id": "not-a-uuid"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"status": "active"}, 403),
    ({"size": 5}, 403),
    ({"checksum": "abc"}, 403),
    ({"location": "http://x"}, 403),
    ({"os_glance_foo": "1"}, 403),
    ({"visibility": "public"}, 403),
    ({"owner": "someone-else"}, 403),
    ([1, 2], 400),
])
def test_create_rejects_bad_bodies(http, user, body, status):
    resp = http.post("/image/v2/images", json=body, headers=user)
    assert resp.status_code == status, resp.text
    assert resp.json()["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe"])
def test_create_rejects_malformed_json(http, user, raw):
    resp = http.post("/image/v2/images", content=raw,
                     headers={**user, "Content-Type": "application/json"})
    assert resp.status_code == 400


def test_admin_may_publish_and_set_owner(http, admin, user):
    image = _create(http, admin, visibility="public", owner="demo")
    assert image["owner"] == "demo"
    assert image["visibility"] == "public"
    assert http.get(f"/image/v2/images/{image['id']}", headers=user).status_code == 200


@pytest.mark.parametrize("image_id", ["cirros", UNKNOWN, "1234"])
def test_unknown_or_non_uuid_image_is_404(http, user, image_id):
    resp = http.get(f"/image/v2/images/{image_id}", headers=user)
    assert resp.status_code == 404
    assert resp.json()["title"] == "Not Found"


def test_other_projects_private_image_is_404_unless_admin(http, user, other, admin):
    image = _create(http, user, visibility="private")
    path = f"/image/v2/images/{image['id']}"
    assert http.get(path, headers=other).status_code == 404
    assert http.delete(path, headers=other).status_code == 404
    assert http.get(path, headers=admin).status_code == 200


def test_public_image_of_another_project_is_read_only(http, admin, user):
    image = _create(http, admin, visibility="public")
    path = f"/image/v2/images/{image['id']}"
    ops = [{"op": "replace", "path": "/name", "value": "mine"}]
    assert http.patch(path, json=ops, headers={**user, **PATCH}).status_code == 403
    assert http.delete(path, headers=user).status_code == 403
    assert _upload(http, user, image["id"]).status_code == 403


def test_list_filters(http, user, other, admin):
    a = _create(http, user, name="a", tags=["x", "y"], hw_arch="x86_64")
    b = _create(http, user, name="b", tags=["x"], visibility="private")
    _create(http, user, name="hidden", os_hidden=True)
    _create(http, other, name="theirs")
    _create(http, admin, name="pub", visibility="public")
    _create(http, user, name="comm", visibility="community")
    _upload(http, user, a["id"])
    assert _names(http, user) == ["a", "b", "comm", "pub"]
    assert _names(http, user, "?name=a") == ["a"]
    assert _names(http, user, "?name=in:a,b,theirs") == ["a", "b"]
    assert _names(http, user, f"?id=in:{a['id']},{b['id']}") == ["a", "b"]
    assert _names(http, user, "?status=active") == ["a"]
    assert _names(http, user, "?visibility=private") == ["b"]
    assert _names(http, user, "?visibility=public") == ["pub"]
    assert _names(http, other, "?visibility=community") == ["comm"]
    assert "comm" not in _names(http, other)
    assert _names(http, user, "?tag=x") == ["a", "b"]
    assert _names(http, user, "?tag=x&tag=y") == ["a"]
    assert _names(http, user, "?hw_arch=x86_64") == ["a"]
    assert _names(http, user, "?os_hidden=true") == ["hidden"]
    assert _names(http, user, "?owner=other") == []
    assert _names(http, admin, "?owner=other") == ["theirs"]
    assert _names(http, user, "?size_min=1") == ["a"]
    assert "theirs" in _names(http, admin)


def test_list_body_shape(http, user):
    _create(http, user)
    body = http.get("/image/v2/images", headers=user).json()
    assert body["first"] == "/v2/images"
    assert body["schema"] == "/v2/schemas/images"
    assert "next" not in body


def test_pagination_follows_next_links(http, user):
    created = [_create(http, user, name=f"img{i}")["id"] for i in range(5)]
    seen, url = [], "/image/v2/images?limit=2&sort=name:asc"
    while url:
        body = http.get(url, headers=user).json()
        assert len(body["images"]) <= 2
        seen += [i["name"] for i in body["images"]]
        url = "/image" + body["next"] if "next" in body else None
    assert seen == [f"img{i}" for i in range(5)]
    assert len(created) == 5


def test_sorting(http, user):
    for name in ("b", "c", "a"):
        _create(http, user, name=name)
    def names(query):
        body = http.get(f"/image/v2/images?{query}", headers=user).json()
        return [i["name"] for i in body["images"]]
    assert names("sort=name:asc") == ["a", "b", "c"]
    assert names("sort_key=name&sort_dir=desc") == ["c", "b", "a"]
    assert names("") == ["a", "c", "b"]  # newest first


@pytest.mark.parametrize("query", [
    "limit=abc", "limit=-1", "sort=bogus:asc", "sort=name:sideways", "sort=name&sort_key=id",
    "visibility=everyone", "os_hidden=maybe", f"marker={UNKNOWN}", "marker=junk",
    "created_at=gte:2020-01-01T00:00:00Z", "size_min=big",
])
def test_list_rejects_bad_queries(http, user, query):
    resp = http.get(f"/image/v2/images?{query}", headers=user)
    assert resp.status_code == 400, resp.text


def test_patch_add_replace_remove(http, user):
    image = _create(http, user, foo="1", bar="2")
    ops = [
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/baz", "value": "3"},
        {"op": "replace", "path": "/foo", "value": "one"},
        {"op": "remove", "path": "/bar"},
        {"op": "add", "path": "/tags", "value": ["t1"]},
        {"op": "add", "path": "/a~1b", "value": "slash"},
        {"op": "replace", "path": "/min_ram", "value": 512},
    ]
    resp = http.patch(f"/image/v2/images/{image['id']}", json=ops, headers={**user, **PATCH})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "renamed"
    assert (body["foo"], body["baz"], body["a/b"]) == ("one", "3", "slash")
    assert "bar" not in body
    assert body["tags"] == ["t1"]
    assert body["min_ram"] == 512
    assert http.get(f"/image/v2/images/{image['id']}", headers=user).json() == body


@pytest.mark.parametrize(("ops", "status"), [
    ([{"op": "remove", "path": "/nope"}], 409),
    ([{"op": "replace", "path": "/nope", "value": "x"}], 409),
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": str(uuid.uuid4())}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
    ([{"op": "replace", "path": "/min_disk", "value": "big"}], 400),
    ([{"op": "add", "path": "/prop", "value": 7}], 400),
    ([{"op": "move", "path": "/name", "from": "/x"}], 400),
    ([{"op": "add", "path": "/a/b", "value": "x"}], 400),
    ([{"op": "add", "path": "/name"}], 400),
    ({"op": "add"}, 400),
])
def test_patch_rejections(http, user, ops, status):
    image = _create(http, user)
    resp = http.patch(f"/image/v2/images/{image['id']}", json=ops, headers={**user, **PATCH})
    assert resp.status_code == status, resp.text


def test_patch_needs_patch_media_type(http, user):
    image = _create(http, user)
    ops = [{"op": "replace", "path": "/name", "value": "x"}]
    resp = http.patch(f"/image/v2/images/{image['id']}", json=ops, headers=user)
    assert resp.status_code == 415


def test_disk_format_is_fixed_once_active(http, user):
    image = _create(http, user)
    assert _upload(http, user, image["id"]).status_code == 204
    ops = [{"op": "replace", "path": "/disk_format", "value": "raw"}]
    resp = http.patch(f"/image/v2/images/{image['id']}", json=ops, headers={**user, **PATCH})
    assert resp.status_code == 403


def test_upload_download_and_hashes(http, user, conf):
    image = _create(http, user)
    data = bytes(range(256)) * 4096
    assert _upload(http, user, image["id"], data).status_code == 204
    shown = http.get(f"/image/v2/images/{image['id']}", headers=user).json()
    assert shown["status"] == "active"
    assert shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha256"
    assert shown["os_hash_value"] == hashlib.sha256(data).hexdigest()
    resp = http.get(f"/image/v2/images/{image['id']}/file", headers=user)
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["Content-MD5"] == shown["checksum"]
    assert resp.headers["Content-Type"] == "application/octet-stream"
    stored = conf.state_path + "/images/" + image["id"]
    assert open(stored, "rb").read() == data  # noqa: PTH123, SIM115


def test_chunked_upload(http, user):
    image = _create(http, user)
    chunks = [b"x" * 1000, b"y" * 5000, b"z"]
    resp = http.put(f"/image/v2/images/{image['id']}/file", content=iter(chunks),
                    headers={**user, **OCTET})
    assert resp.status_code == 204
    shown = http.get(f"/image/v2/images/{image['id']}", headers=user).json()
    assert shown["size"] == 6001
    assert shown["checksum"] == hashlib.md5(b"".join(chunks)).hexdigest()


def test_download_without_data_is_204(http, user):
    image = _create(http, user)
    resp = http.get(f"/image/v2/images/{image['id']}/file", headers=user)
    assert resp.status_code == 204
    assert resp.content == b""


def test_second_upload_conflicts(http, user):
    image = _create(http, user)
    assert _upload(http, user, image["id"]).status_code == 204
    assert _upload(http, user, image["id"]).status_code == 409


def test_upload_needs_formats_and_octet_stream(http, user):
    image = _create(http, user, disk_format=None, container_format=None)
    assert _upload(http, user, image["id"]).status_code == 400
    image = _create(http, user)
    resp = http.put(f"/image/v2/images/{image['id']}/file", content=b"x",
                    headers={**user, "Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert _upload(http, user, str(uuid.uuid4())).status_code == 404


def test_upload_refused_when_store_is_full(http, user, monkeypatch, conf):
    image = _create(http, user)
    monkeypatch.setattr(FilesystemStore, "free_bytes", lambda self: 10)
    resp = _upload(http, user, image["id"], b"x" * 100)
    assert resp.status_code == 413
    assert resp.json()["code"].startswith("413")
    resp = http.put(f"/image/v2/images/{image['id']}/file", content=iter([b"x" * 100]),
                    headers={**user, **OCTET})
    assert resp.status_code == 413
    shown = http.get(f"/image/v2/images/{image['id']}", headers=user).json()
    assert shown["status"] == "queued"
    monkeypatch.undo()
    assert _upload(http, user, image["id"]).status_code == 204


def test_delete_removes_record_and_data(http, user, conf):
    import pathlib
    image = _create(http, user)
    _upload(http, user, image["id"])
    stored = pathlib.Path(conf.state_path) / "images" / image["id"]
    assert stored.exists()
    assert http.delete(f"/image/v2/images/{image['id']}", headers=user).status_code == 204
    assert not stored.exists()
    assert http.get(f"/image/v2/images/{image['id']}", headers=user).status_code == 404
    assert http.delete(f"/image/v2/images/{image['id']}", headers=user).status_code == 404


def test_protected_image_cannot_be_deleted(http, user):
    image = _create(http, user, protected=True)
    assert http.delete(f"/image/v2/images/{image['id']}", headers=user).status_code == 403
    ops = [{"op": "replace", "path": "/protected", "value": False}]
    http.patch(f"/image/v2/images/{image['id']}", json=ops, headers={**user, **PATCH})
    assert http.delete(f"/image/v2/images/{image['id']}", headers=user).status_code == 204


def test_schemas_and_unknown_routes(http, user):
    assert http.get("/image/v2/schemas/image", headers=user).json()["name"] == "image"
    assert http.get("/image/v2/schemas/images", headers=user).json()["name"] == "images"
    resp = http.get("/image/v2/nothing", headers=user)
    assert resp.status_code == 404
    assert resp.json()["code"] == "404 Not Found"
    resp = http.post(f"/image/v2/images/{uuid.uuid4()}", headers=user)
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]


def test_request_id_header(http, user):
    resp = http.get("/image/v2/images", headers=user)
    assert resp.headers["x-openstack-request-id"].startswith("req-")
