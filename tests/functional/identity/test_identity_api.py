"""The identity REST API in process: discovery, tokens, listings and every error path."""

import datetime
import json
import wsgiref.util

import pytest

from cirrus.db.api import models
from cirrus.identity import tokens

# The same values the fixtures in conftest.py bootstrap with.
ADMIN_PASSWORD = "admin-secret"
DEMO_PASSWORD = "demo-secret"
SIGNING_KEY = "k"

TOKENS = "/identity/v3/auth/tokens"
UNAUTHORIZED = {
    "error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }
}


# -- discovery ---------------------------------------------------------------------------


def test_root_lists_v3_with_300(client):
    resp = client.get("/identity")
    assert resp.status_code == 300
    assert resp.json() == {
        "versions": {
            "values": [
                {
                    "id": "v3.14",
                    "status": "stable",
                    "updated": "2020-04-07T00:00:00Z",
                    "links": [{"rel": "self", "href": "http://testserver/identity/v3/"}],
                    "media-types": [
                        {
                            "base": "application/json",
                            "type": "application/vnd.openstack.identity-v3+json",
                        }
                    ],
                }
            ]
        }
    }


@pytest.mark.parametrize("path", ["/identity/v3", "/identity/v3/"])
def test_v3_document(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    version = resp.json()["version"]
    assert version["id"] == "v3.14"
    assert version["links"][0]["href"] == "http://testserver/identity/v3/"


def test_discovery_honours_forwarded_headers(client):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cloud.example:8443"}
    resp = client.get("/identity/", headers=headers)
    href = resp.json()["versions"]["values"][0]["links"][0]["href"]
    assert href == "https://cloud.example:8443/identity/v3/"


# -- issuing tokens ----------------------------------------------------------------------


def test_password_token_by_names(client, identity_db, password_body):
    resp = client.post(TOKENS, json=password_body())
    assert resp.status_code == 201
    token = resp.headers["X-Subject-Token"]
    assert tokens.validate(SIGNING_KEY, token).project_id == identity_db.boot.admin_project.id
    body = resp.json()["token"]
    assert body["methods"] == ["password"]
    assert body["user"] == {
        "id": identity_db.boot.admin_user.id,
        "name": "admin",
        "domain": {"id": "default", "name": "Default"},
        "password_expires_at": None,
    }
    assert body["project"]["name"] == "admin"
    assert body["project"]["domain"] == {"id": "default", "name": "Default"}
    assert [r["name"] for r in body["roles"]] == ["admin"]
    assert all(r["id"] for r in body["roles"])
    assert body["is_domain"] is False
    assert len(body["audit_ids"]) == 1
    assert body["expires_at"].endswith("Z") and body["issued_at"].endswith("Z")
    types = {s["type"] for s in body["catalog"]}
    assert {"compute", "identity", "image", "network", "placement"} <= types


def test_password_token_by_ids(client, identity_db):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"id": identity_db.demo_user_id, "password": DEMO_PASSWORD}},
            },
            "scope": {"project": {"id": identity_db.demo_project_id}},
        }
    }
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["token"]["project"]["id"] == identity_db.demo_project_id


def test_domain_by_id(client):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "demo", "domain": {"id": "default"}, "password": DEMO_PASSWORD}
                },
            },
            "scope": {"project": {"name": "demo", "domain": {"id": "default"}}},
        }
    }
    assert client.post(TOKENS, json=body).status_code == 201


def test_only_assigned_roles_are_in_the_token(client, password_body):
    resp = client.post(TOKENS, json=password_body("demo", DEMO_PASSWORD, "demo"))
    assert [r["name"] for r in resp.json()["token"]["roles"]] == ["member"]


def test_volume_endpoints_carry_the_project(client, identity_db, password_body):
    resp = client.post(TOKENS, json=password_body("demo", DEMO_PASSWORD, "demo"))
    catalog = {s["type"]: s for s in resp.json()["token"]["catalog"]}
    url = catalog["volumev3"]["endpoints"][0]["url"]
    assert url == f"http://127.0.0.1:8774/volume/v3/{identity_db.demo_project_id}"
    assert catalog["block-storage"]["endpoints"][0]["url"] == url


def test_unscoped_token(client, password_body):
    resp = client.post(TOKENS, json=password_body(project=None))
    assert resp.status_code == 201
    body = resp.json()["token"]
    assert "project" not in body and "catalog" not in body and "roles" not in body
    assert tokens.validate(SIGNING_KEY, resp.headers["X-Subject-Token"]).project_id == ""


def test_token_method_rescopes_and_keeps_expiry(client, identity_db, password_body):
    first = client.post(TOKENS, json=password_body("demo", DEMO_PASSWORD, None))
    unscoped = first.headers["X-Subject-Token"]
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": unscoped}},
            "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}},
        }
    }
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    assert token["methods"] == ["token"]
    assert token["project"]["id"] == identity_db.demo_project_id
    assert token["expires_at"] <= first.json()["token"]["expires_at"]


def test_token_method_without_scope_keeps_the_scope(client, demo_token, identity_db):
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": demo_token}}}}
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 201
    assert resp.json()["token"]["project"]["id"] == identity_db.demo_project_id


def test_password_and_token_must_name_the_same_user(client, admin_token):
    body = {
        "auth": {
            "identity": {
                "methods": ["password", "token"],
                "password": {
                    "user": {
                        "name": "demo",
                        "domain": {"name": "Default"},
                        "password": DEMO_PASSWORD,
                    }
                },
                "token": {"id": admin_token},
            }
        }
    }
    assert client.post(TOKENS, json=body).status_code == 401


# -- authentication failures -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "password", "project"),
    [
        ("admin", "wrong", "admin"),
        ("nobody", ADMIN_PASSWORD, "admin"),
        ("admin", ADMIN_PASSWORD, "no-such-project"),
        ("demo", DEMO_PASSWORD, "admin"),  # no role on that project
        ("cirrus", "", "service"),  # the service account has no password
    ],
)
def test_authentication_failures_are_401(client, password_body, name, password, project):
    resp = client.post(TOKENS, json=password_body(name, password, project))
    assert resp.status_code == 401
    assert resp.json() == UNAUTHORIZED
    assert resp.headers["WWW-Authenticate"] == 'Keystone uri="http://127.0.0.1:8774/identity"'
    assert "X-Subject-Token" not in resp.headers


def test_disabled_user_cannot_authenticate(client, identity_db, password_body):
    with identity_db.engines.session(identity_db.url) as sess:
        sess.get(models.User, identity_db.demo_user_id).enabled = False
    resp = client.post(TOKENS, json=password_body("demo", DEMO_PASSWORD, "demo"))
    assert resp.status_code == 401


def test_bad_token_method_is_401(client):
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": "abc.def"}}}}
    assert client.post(TOKENS, json=body).status_code == 401


def test_unsupported_method_is_401(client):
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    assert client.post(TOKENS, json=body).status_code == 401


MALFORMED = [
    b"",
    b"{not json",
    b"\xff\xfe",
    b"null",
    b"[]",
    b'"auth"',
    b"{}",
    b'{"auth": []}',
    b'{"auth": {}}',
    b'{"auth": {"identity": {}}}',
    b'{"auth": {"identity": {"methods": "password"}}}',
    b'{"auth": {"identity": {"methods": []}}}',
    b'{"auth": {"identity": {"methods": ["password"]}}}',
    b'{"auth": {"identity": {"methods": ["token"]}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "a"}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": 5, "domain": {"name": "Default"}}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": "x", "domain": {}}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": "x"}}}}}',
    b'{"auth": {"identity": {"methods": ["token"], "token": {"id": 3}}}}',
    b'{"auth": {"identity": {"methods": [1]}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": "admin-secret", "domain": {"name": "Default"}}}}, '
    b'"scope": {"project": {"name": "admin"}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": "admin-secret", "domain": {"name": "Default"}}}}, '
    b'"scope": {"domain": {"name": "Default"}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
    b'{"name": "admin", "password": "admin-secret", "domain": {"name": "Default"}}}}, '
    b'"scope": 7}}',
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_requests_are_400(client, raw):
    resp = client.post(TOKENS, content=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == 400 and error["title"] == "Bad Request" and error["message"]


def test_400_messages_do_not_echo_the_password(client):
    user = {"name": "admin", "password": "hunter2-secret"}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
    body["auth"]["identity"]["password"]["user"]["domain"] = {}
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 400
    assert "hunter2" not in resp.text


def _call_raw(app, path, headers):
    # httpx refuses non-ASCII header bytes, so build the WSGI environ by hand; WSGI hands
    # header values to the app as Latin-1 decoded text.
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    status = []
    chunks = app(environ, lambda s, h, *a: status.append(s))
    b"".join(chunks)
    return int(status[0].split()[0])


def test_non_ascii_tokens_are_refused_not_crashed(mounted_app, client, admin_token):
    bad = admin_token[:-3] + "ééé"
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": bad}
    assert _call_raw(mounted_app, TOKENS, headers) == 404
    assert _call_raw(mounted_app, "/identity/v3/projects", {"X-Auth-Token": bad}) == 401
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": "a.é"}}}}
    assert client.post(TOKENS, json=body).status_code == 401


# -- validation --------------------------------------------------------------------------


def test_validate_returns_the_token_body(client, admin_token, demo_token, identity_db):
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": demo_token}
    resp = client.get(TOKENS, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["X-Subject-Token"] == demo_token
    body = resp.json()["token"]
    assert body["user"]["id"] == identity_db.demo_user_id
    assert body["project"]["id"] == identity_db.demo_project_id
    assert [r["name"] for r in body["roles"]] == ["member"]
    assert any(s["type"] == "compute" for s in body["catalog"])


def test_validate_own_token(client, demo_token):
    headers = {"X-Auth-Token": demo_token, "X-Subject-Token": demo_token}
    assert client.get(TOKENS, headers=headers).status_code == 200
    assert client.head(TOKENS, headers=headers).status_code == 200


def test_member_cannot_validate_other_users_tokens(client, admin_token, demo_token):
    headers = {"X-Auth-Token": demo_token, "X-Subject-Token": admin_token}
    resp = client.get(TOKENS, headers=headers)
    assert resp.status_code == 403
    assert resp.json()["error"]["title"] == "Forbidden"


def _expired_token() -> str:
    token, _ = tokens.issue(
        SIGNING_KEY,
        user_id="u",
        user_name="n",
        project_id="p",
        project_name="p",
        roles=["member"],
        lifetime=-5,
    )
    return token


def _forged_token(token: str) -> str:
    payload, _, signature = token.partition(".")
    body = json.loads(tokens._unb64(payload))
    body["r"] = ["admin"]
    return tokens._b64(json.dumps(body).encode()) + "." + signature


@pytest.mark.parametrize("kind", ["expired", "forged", "garbage", "other-key"])
def test_invalid_subject_is_404(client, admin_token, demo_token, kind):
    other, _ = tokens.issue(
        "other",
        user_id="u",
        user_name="n",
        project_id="p",
        project_name="p",
        roles=[],
        lifetime=60,
    )
    subject = {
        "expired": _expired_token(),
        "forged": _forged_token(demo_token),
        "garbage": "not-a-token",
        "other-key": other,
    }[kind]
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": subject}
    resp = client.get(TOKENS, headers=headers)
    assert resp.status_code == 404
    assert resp.json()["error"] == {
        "code": 404,
        "title": "Not Found",
        "message": "Could not find token.",
    }
    assert client.head(TOKENS, headers=headers).status_code == 404
    assert client.delete(TOKENS, headers=headers).status_code == 404


def test_validate_needs_a_valid_caller(client, demo_token):
    assert client.get(TOKENS, headers={"X-Subject-Token": demo_token}).status_code == 401
    headers = {"X-Auth-Token": _expired_token(), "X-Subject-Token": demo_token}
    resp = client.get(TOKENS, headers=headers)
    assert resp.status_code == 401
    assert resp.json() == UNAUTHORIZED


def test_validate_needs_a_subject(client, admin_token):
    resp = client.get(TOKENS, headers={"X-Auth-Token": admin_token})
    assert resp.status_code == 400


def test_validate_refuses_a_since_disabled_user(client, admin_token, demo_token, identity_db):
    with identity_db.engines.session(identity_db.url) as sess:
        sess.get(models.User, identity_db.demo_user_id).enabled = False
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": demo_token}
    assert client.get(TOKENS, headers=headers).status_code == 404


def test_service_token_validates_without_a_user_row(client, admin_token):
    subject = tokens.service_token(SIGNING_KEY)
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": subject}
    resp = client.get(TOKENS, headers=headers)
    assert resp.status_code == 200
    names = sorted(r["name"] for r in resp.json()["token"]["roles"])
    assert names == ["admin", "service"]


def test_delete_is_204(client, demo_token):
    headers = {"X-Auth-Token": demo_token, "X-Subject-Token": demo_token}
    resp = client.delete(TOKENS, headers=headers)
    assert resp.status_code == 204
    # Revocation is by expiry: the token keeps working until then.
    assert client.get(TOKENS, headers=headers).status_code == 200


def test_expired_token_is_not_accepted_for_rescoping(client):
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": _expired_token()}}}}
    assert client.post(TOKENS, json=body).status_code == 401


def test_rescoped_token_expiry_is_capped(client, identity_db):
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    token, _ = tokens.issue(
        SIGNING_KEY,
        user_id=identity_db.demo_user_id,
        user_name="demo",
        project_id="",
        project_name="",
        roles=[],
        lifetime=30,
    )
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"id": identity_db.demo_project_id}},
        }
    }
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 201
    expires = datetime.datetime.strptime(
        resp.json()["token"]["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
    ).replace(tzinfo=datetime.UTC)
    assert expires <= soon + datetime.timedelta(seconds=1)


# -- read APIs ---------------------------------------------------------------------------


def test_admin_lists_users_projects_roles(client, admin_token):
    headers = {"X-Auth-Token": admin_token}
    users = client.get("/identity/v3/users", headers=headers).json()
    assert sorted(u["name"] for u in users["users"]) == ["admin", "cirrus", "demo"]
    assert users["links"]["self"] == "http://testserver/identity/v3/users"
    projects = client.get("/identity/v3/projects", headers=headers).json()["projects"]
    assert sorted(p["name"] for p in projects) == ["admin", "demo", "service"]
    assert all(p["domain_id"] == "default" and p["is_domain"] is False for p in projects)
    roles = client.get("/identity/v3/roles", headers=headers).json()["roles"]
    assert sorted(r["name"] for r in roles) == ["admin", "manager", "member", "reader", "service"]


def test_list_filters(client, admin_token):
    headers = {"X-Auth-Token": admin_token}
    found = client.get("/identity/v3/projects?name=demo", headers=headers).json()["projects"]
    assert [p["name"] for p in found] == ["demo"]
    found = client.get("/identity/v3/users?name=nobody", headers=headers).json()["users"]
    assert found == []
    found = client.get("/identity/v3/roles?name=reader", headers=headers).json()["roles"]
    assert [r["name"] for r in found] == ["reader"]
    found = client.get("/identity/v3/users?domain_id=other", headers=headers).json()["users"]
    assert found == []


def test_get_user_and_project(client, admin_token, identity_db):
    headers = {"X-Auth-Token": admin_token}
    resp = client.get(f"/identity/v3/users/{identity_db.demo_user_id}", headers=headers)
    assert resp.status_code == 200
    user = resp.json()["user"]
    assert user["name"] == "demo" and user["enabled"] is True
    assert "password" not in json.dumps(user).replace("password_expires_at", "")
    resp = client.get(f"/identity/v3/projects/{identity_db.demo_project_id}", headers=headers)
    assert resp.json()["project"]["name"] == "demo"
    assert client.get("/identity/v3/projects/demo", headers=headers).status_code == 404
    assert client.get("/identity/v3/users/nobody", headers=headers).status_code == 404


def test_member_sees_only_its_own_records(client, demo_token, identity_db):
    headers = {"X-Auth-Token": demo_token}
    for path in ("/identity/v3/users", "/identity/v3/projects", "/identity/v3/roles"):
        assert client.get(path, headers=headers).status_code == 403
    own_user = f"/identity/v3/users/{identity_db.demo_user_id}"
    assert client.get(own_user, headers=headers).status_code == 200
    other = f"/identity/v3/users/{identity_db.boot.admin_user.id}"
    assert client.get(other, headers=headers).status_code == 403
    own_project = f"/identity/v3/projects/{identity_db.demo_project_id}"
    assert client.get(own_project, headers=headers).status_code == 200
    other = f"/identity/v3/projects/{identity_db.boot.admin_project.id}"
    assert client.get(other, headers=headers).status_code == 403


def test_auth_projects(client, demo_token, identity_db):
    resp = client.get("/identity/v3/auth/projects", headers={"X-Auth-Token": demo_token})
    assert resp.status_code == 200
    assert [p["id"] for p in resp.json()["projects"]] == [identity_db.demo_project_id]
    path = f"/identity/v3/users/{identity_db.demo_user_id}/projects"
    resp = client.get(path, headers={"X-Auth-Token": demo_token})
    assert [p["name"] for p in resp.json()["projects"]] == ["demo"]


def test_read_apis_need_a_token(client):
    resp = client.get("/identity/v3/projects")
    assert resp.status_code == 401
    assert resp.json() == UNAUTHORIZED
    assert "Keystone uri=" in resp.headers["WWW-Authenticate"]
    resp = client.get("/identity/v3/projects", headers={"X-Auth-Token": _expired_token()})
    assert resp.status_code == 401


def test_unknown_route_and_method(client, admin_token):
    resp = client.get("/identity/v3/nothing", headers={"X-Auth-Token": admin_token})
    assert resp.status_code == 404
    assert resp.json()["error"]["title"] == "Not Found"
    resp = client.put(TOKENS, headers={"X-Auth-Token": admin_token})
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]
    assert resp.json()["error"]["code"] == 405


def test_responses_carry_a_request_id(client):
    assert client.get("/identity").headers["X-OpenStack-Request-ID"].startswith("req-")


def test_admin_password_is_the_bootstrap_one(client, password_body):
    resp = client.post(TOKENS, json=password_body("admin", ADMIN_PASSWORD, "admin"))
    assert resp.status_code == 201


def test_nocatalog(client, admin_token, demo_token, password_body):
    headers = {"X-Auth-Token": admin_token, "X-Subject-Token": demo_token}
    body = client.get(TOKENS + "?nocatalog", headers=headers).json()["token"]
    assert "catalog" not in body and body["roles"]
    resp = client.post(TOKENS + "?nocatalog", json=password_body())
    assert resp.status_code == 201 and "catalog" not in resp.json()["token"]
