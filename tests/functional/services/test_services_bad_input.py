"""Junk against every write endpoint of the three services: never a 500.

The ``http`` fixture fails any response >= 500 on its own; these tests add that a refusal
has a JSON body (an empty object is a valid image, so some junk is accepted).
"""

import json

import pytest
from sqlalchemy import exc as sa_exc

from cirrus.image import errors as image_errors
from cirrus.network import errors as network_errors
from cirrus.volume import errors as volume_errors

JUNK = [
    b"", b"null", b"[]", b"{}", b'"text"', b"123", b"true", b'{"a": 1}', b"{",
    b"\xff\xfe\x00", json.dumps({"x": [[[[[]]]]]}).encode(),
    json.dumps({"name": "\u0000" * 10}).encode(), b"[" * 2000 + b"]" * 2000,
]
# Fixed rather than random: parametrized test ids must match across xdist workers.
SOME = "6f1d3a52-93c4-4c0b-9b7e-2f8a4d6c1e90"
V344 = {"OpenStack-API-Version": "volume 3.44"}
WRITES = [
    ("POST", "/image/v2/images", {}),
    ("PATCH", f"/image/v2/images/{SOME}",
     {"Content-Type": "application/openstack-images-v2.1-json-patch"}),
    ("POST", "/network/v2.0/networks", {}),
    ("POST", "/network/v2.0/ports", {}),
    ("PUT", f"/network/v2.0/ports/{SOME}", {}),
    ("POST", f"/network/v2.0/ports/{SOME}/bindings", {}),
    ("POST", "/volume/v3/demo/volumes", V344),
    ("POST", "/volume/v3/demo/attachments", V344),
    ("PUT", f"/volume/v3/demo/attachments/{SOME}", V344),
    ("POST", f"/volume/v3/demo/attachments/{SOME}/action", V344),
]


@pytest.mark.parametrize(("method", "path", "extra"), WRITES)
@pytest.mark.parametrize("body", JUNK)
def test_junk_bodies(http, admin, method, path, extra, body):
    headers = {"Content-Type": "application/json", **admin, **extra}
    resp = http.request(method, path, content=body, headers=headers)
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert resp.json()
    else:  # an image needs no attribute at all, and its name may hold any character
        assert path == "/image/v2/images"


@pytest.mark.parametrize("path", [
    "/image/v2/images/%00", f"/image/v2/images/{'a' * 5000}",
    "/network/v2.0/networks/%00", "/network/v2.0/ports/private",
    f"/network/v2.0/ports/{SOME}/bindings/%00",
    "/volume/v3/demo/volumes/%00", "/volume/v3/demo/attachments/not-a-uuid",
])
def test_odd_ids_are_404(http, admin, path):
    resp = http.get(path, headers={**admin, **V344})
    assert resp.status_code == 404, resp.text


@pytest.mark.parametrize("query", [
    "/image/v2/images?limit=99999999999999999999999", "/image/v2/images?id=in:%00,x",
    "/image/v2/images?name=%00", "/image/v2/images?marker=%00",
    "/image/v2/images?size_min=99999999999999999999999999",
    "/network/v2.0/networks?mtu=99999999999999999999999", "/network/v2.0/ports?limit=%00",
    "/network/v2.0/ports?fixed_ips=bogus", "/network/v2.0/ports?device_id=%00",
    "/volume/v3/demo/volumes/detail?size=99999999999999999999",
    "/volume/v3/demo/volumes/detail?size=big",
    "/volume/v3/demo/volumes/detail?limit=1e3", "/volume/v3/demo/attachments?instance_id=%00",
])
def test_odd_queries(http, admin, query):
    resp = http.get(query, headers={**admin, **V344})
    assert resp.status_code < 500, resp.text


def test_oversized_values(http, admin):
    big = {"network": {"name": "n", "mtu": 2**70}}
    assert http.post("/network/v2.0/networks", json=big, headers=admin).status_code == 400
    vol = {"volume": {"size": 2**40}}
    resp = http.post("/volume/v3/demo/volumes", json=vol, headers={**admin, **V344})
    assert resp.status_code == 400
    resp = http.post("/image/v2/images", json={"min_ram": 2**40}, headers=admin)
    assert resp.status_code == 400


class _Req:
    method, path, context = "GET", "/", {}


class _Resp:
    def __init__(self):
        self.status, self.media, self.headers = None, None, {}

    def set_header(self, name, value):
        self.headers[name] = value


@pytest.mark.parametrize(("error", "status"), [
    (sa_exc.DataError("stmt", {}, Exception("out of range")), "400 Bad Request"),
    (sa_exc.IntegrityError("stmt", {}, Exception("duplicate key")), "409 Conflict"),
    (RuntimeError("bug"), "500 Internal Server Error"),
])
@pytest.mark.parametrize("handler", [image_errors.handle_error, network_errors.handle_error,
                                     volume_errors.handle_error])
def test_database_refusals_are_client_errors(handler, error, status):
    resp = _Resp()
    handler(_Req(), resp, error, {})
    assert resp.status == status
    assert "database" not in json.dumps(resp.media).lower()
