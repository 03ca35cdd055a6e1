"""Bad input gets Nova's error body and the right status, never a 500."""

import httpx
import pytest

from cirrus.identity import tokens
from tests.functional import helpers


def _url(cloud, path):
    return f"{cloud.base_url}/compute/v2.1{path}"


def _token(cloud, *, roles=("member", "reader"), lifetime=3600, key=None, project="demo-x"):
    tok, _ = tokens.issue(key or cloud.conf.token.signing_key, user_id="u1", user_name="u1",
                          project_id=project, project_name=project, roles=list(roles),
                          lifetime=lifetime)
    return tok


def _image(member):
    return member.image.find_image("cirros").id


@pytest.mark.parametrize(("body", "fragment"), [
    ('{"server": ', "Malformed request body"),
    ('[]', "Invalid input for field/attribute body"),
    ('{"server": {"name": "x", "flavorRef": "1", "networks": "none", "bogus": 1}}',
     "Additional properties are not allowed ('bogus' was unexpected)"),
    ('{"server": {"name": "x", "flavorRef": null, "networks": "none"}}',
     "Invalid input for field/attribute flavorRef. Value: None. None is not of type"),
    ('{"server": {"flavorRef": "1", "networks": "none"}}', "'name' is a required property"),
    ('{"server": {"name": "x", "flavorRef": "1"}}', "'networks' is a required property"),
    ('{"server": {"name": "x", "flavorRef": "999", "networks": "none", "imageRef": "IMG"}}',
     "Flavor 999 could not be found."),
    ('{"server": {"name": "x", "flavorRef": "1", "networks": "none", '
     '"imageRef": "3a1c5b7e-0000-4000-8000-000000000000"}}',
     "Image 3a1c5b7e-0000-4000-8000-000000000000 could not be found."),
    ('{"server": {"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "IMG", '
     '"availability_zone": "nowhere"}}', "The requested availability zone is not available"),
    ('{"server": {"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "IMG", '
     '"key_name": "nokey"}}', "Invalid key_name provided."),
    ('{"server": {"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "IMG", '
     '"user_data": "%%%"}}', "User data needs to be valid base 64."),
])
def test_create_bad_body(cloud, member, body, fragment):
    body = body.replace("IMG", _image(member))
    resp = helpers.raw(cloud, member, "POST", "/servers", content=body,
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    fault = resp.json()["badRequest"]
    assert fault["code"] == 400
    assert fragment in fault["message"]


@pytest.mark.parametrize(("version", "status", "key", "message"), [
    ("2.200", 406, "computeFault",
     "Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.90."),
    ("3.0", 406, "computeFault",
     "Version 3.0 is not supported by the API. Minimum is 2.1 and maximum is 2.90."),
    ("2.x", 400, "badRequest",
     "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum."),
])
def test_microversion_out_of_range(cloud, member, version, status, key, message):
    resp = helpers.raw(cloud, member, "GET", "/servers", version=version)
    assert resp.status_code == status
    assert resp.json() == {key: {"code": status, "message": message}}


def test_microversion_headers_echoed(cloud, member):
    resp = helpers.raw(cloud, member, "GET", "/servers", version="2.60")
    assert resp.headers["OpenStack-API-Version"] == "compute 2.60"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.60"
    assert "OpenStack-API-Version" in resp.headers["Vary"]
    legacy = httpx.get(_url(cloud, "/servers"), headers={
        "X-Auth-Token": member.session.get_token(), "X-OpenStack-Nova-API-Version": "2.30"})
    assert legacy.headers["X-OpenStack-Nova-API-Version"] == "2.30"
    latest = helpers.raw(cloud, member, "GET", "/servers", version="latest")
    assert latest.headers["X-OpenStack-Nova-API-Version"] == "2.90"


@pytest.mark.parametrize("token_kind", ["missing", "forged", "expired", "garbage", "unicode"])
def test_bad_tokens_are_401(cloud, token_kind):
    headers = {}
    if token_kind == "forged":
        headers["X-Auth-Token"] = _token(cloud, key="not-the-key")
    elif token_kind == "expired":
        headers["X-Auth-Token"] = _expired(cloud)
    elif token_kind == "garbage":
        headers["X-Auth-Token"] = "abc"
    elif token_kind == "unicode":
        headers["X-Auth-Token"] = "t\u00e9st".encode()
    resp = httpx.get(_url(cloud, "/servers"), headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == 401
    assert resp.headers["WWW-Authenticate"].startswith('Keystone uri="')


def _expired(cloud):
    """A correctly signed token whose expiry is in the past."""
    import base64
    import hashlib
    import hmac
    import json

    body = {"u": ["u", "u"], "p": ["p", "p"], "r": ["member"],
            "e": "2000-01-01T00:00:00.000000Z", "i": "2000-01-01T00:00:00.000000Z", "a": "x"}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(hmac.new(cloud.conf.token.signing_key.encode(),
                                            payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{sig.rstrip(b'=').decode()}"


def test_version_documents_need_no_token(cloud):
    for path in ("/compute", "/compute/", "/compute/v2.1", "/compute/v2.1/"):
        resp = httpx.get(f"{cloud.base_url}{path}")
        assert resp.status_code == 200, path
    doc = httpx.get(f"{cloud.base_url}/compute/v2.1").json()["version"]
    assert (doc["id"], doc["version"], doc["min_version"], doc["status"]) == (
        "v2.1", "2.90", "2.1", "CURRENT")


def test_names_are_404_not_400(cloud, member):
    resp = helpers.raw(cloud, member, "GET", "/servers/vm1")
    assert resp.status_code == 404
    assert resp.json()["itemNotFound"]["message"] == "Instance vm1 could not be found."


def test_unknown_action_and_method(cloud, member):
    server = helpers.boot(member, "actions")
    helpers.wait_status(member, server.id, "ACTIVE")
    try:
        resp = helpers.raw(cloud, member, "POST", f"/servers/{server.id}/action",
                           json={"fly": None})
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"] == "There is no such action: fly"
        resp = helpers.raw(cloud, member, "POST", f"/servers/{server.id}/action",
                           json={"reboot": {"type": "WARM"}})
        assert resp.status_code == 400
        resp = helpers.raw(cloud, member, "POST", f"/servers/{server.id}/action",
                           json={"os-start": None})
        assert resp.status_code == 409
        assert resp.json()["conflictingRequest"]["message"] == (
            f"Cannot 'start' instance {server.id} while it is in vm_state active")
        resp = helpers.raw(cloud, member, "PATCH", f"/servers/{server.id}")
        assert resp.status_code == 405
        assert "badMethod" in resp.json()
    finally:
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)


def test_member_cannot_use_admin_only_options(cloud, member):
    resp = helpers.raw(cloud, member, "GET", "/servers?all_tenants=1")
    assert resp.status_code == 403
    assert resp.json() == {"forbidden": {"code": 403, "message": (
        "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.")}}


def test_reader_cannot_create(cloud, member):
    headers = {"X-Auth-Token": _token(cloud, roles=("reader",)),
               "OpenStack-API-Version": "compute 2.90"}
    resp = httpx.post(_url(cloud, "/servers"), headers=headers, json={"server": {
        "name": "x", "flavorRef": "1", "networks": "none", "imageRef": _image(member)}})
    assert resp.status_code == 403
    assert "os_compute_api:servers:create" in resp.json()["forbidden"]["message"]


def test_quota_exceeded_is_403(cloud, member, admin):
    from cirrus.objects import quota

    project = member.current_project_id
    with cloud.runtime.api_session() as s:
        quota.set_limit(s, project, "cores", 0)
    try:
        resp = helpers.raw(cloud, member, "POST", "/servers", json={"server": {
            "name": "q", "flavorRef": "1", "networks": "none", "imageRef": _image(member)}})
        assert resp.status_code == 403
        assert resp.json()["forbidden"]["message"].startswith(
            "Quota exceeded for cores: Requested 1, but already used")
    finally:
        with cloud.runtime.api_session() as s:
            quota.set_limit(s, project, "cores", 20)


def test_deeply_nested_body_is_400(cloud, member):
    body = "[" * 100000 + "]" * 100000
    resp = helpers.raw(cloud, member, "POST", "/servers", content=body,
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == "Malformed request body"
