"""Token bodies and other Keystone-shaped views."""

import datetime

from cirrus.identity import tokens, views
from cirrus.objects import identity

USER = identity.User(id="u1", name="alice", domain_id="default", enabled=True)
PROJECT = identity.Project(id="p1", name="demo", domain_id="default", enabled=True)
ROLES = (identity.Role(id="r1", name="member"),)
INFO = tokens.TokenInfo(
    user_id="u1",
    user_name="alice",
    project_id="p1",
    project_name="demo",
    roles=("member",),
    expires_at=datetime.datetime(2099, 1, 1),
    issued_at=datetime.datetime(2098, 12, 31, 23),
    audit_id="aud",
)
CATALOG = [{"id": "s", "name": "nova", "type": "compute", "endpoints": []}]


def test_scoped_token_body():
    body = views.token_body(
        INFO, methods=["password"], user=USER, project=PROJECT, roles=ROLES, catalog=CATALOG
    )
    assert body == {
        "token": {
            "methods": ["password"],
            "user": {
                "id": "u1",
                "name": "alice",
                "domain": {"id": "default", "name": "Default"},
                "password_expires_at": None,
            },
            "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "member"}],
            "catalog": CATALOG,
            "expires_at": "2099-01-01T00:00:00.000000Z",
            "issued_at": "2098-12-31T23:00:00.000000Z",
            "audit_ids": ["aud"],
            "is_domain": False,
        }
    }


def test_unscoped_token_body():
    body = views.token_body(
        INFO, methods=["password"], user=USER, project=None, roles=ROLES, catalog=CATALOG
    )["token"]
    assert set(body) == {"methods", "user", "audit_ids", "expires_at", "issued_at"}


def test_other_domains_are_named_by_id():
    user = identity.User(id="u", name="bob", domain_id="corp", enabled=True)
    body = views.token_body(INFO, methods=["token"], user=user, project=None, roles=(), catalog=[])
    assert body["token"]["user"]["domain"] == {"id": "corp", "name": "corp"}


def test_version_documents():
    doc = views.version("https://h/identity/")
    assert doc["links"] == [{"rel": "self", "href": "https://h/identity/v3/"}]
    assert doc["id"] == "v3.14" and doc["status"] == "stable"
    assert views.versions("https://h/identity") == {"versions": {"values": [doc]}}


def test_resource_views():
    v3 = "http://h/identity/v3"
    user = views.user(v3, USER)
    assert user["links"] == {"self": "http://h/identity/v3/users/u1"}
    assert user["domain_id"] == "default" and "password_hash" not in user
    project = views.project(v3, PROJECT)
    assert project["parent_id"] == "default" and project["description"] == ""
    role = views.role(v3, ROLES[0])
    assert role["name"] == "member" and role["links"]["self"].endswith("/roles/r1")
    listing = views.collection("roles", [role], f"{v3}/roles")
    assert listing["links"] == {"self": f"{v3}/roles", "previous": None, "next": None}


def test_token_body_without_catalog():
    body = views.token_body(
        INFO, methods=["password"], user=USER, project=PROJECT, roles=ROLES, catalog=None
    )["token"]
    assert "catalog" not in body and body["project"]["id"] == "p1"
