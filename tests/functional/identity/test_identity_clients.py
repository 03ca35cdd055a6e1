"""Real clients against the identity service on a loopback socket: keystoneauth1, openstacksdk."""

import openstack
import pytest
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

ADMIN_PASSWORD = "admin-secret"  # as bootstrapped by conftest.py
DEMO_PASSWORD = "demo-secret"


def _password(auth_url, username="admin", password=ADMIN_PASSWORD, project="admin"):
    return v3.Password(
        auth_url=auth_url,
        username=username,
        password=password,
        project_name=project,
        user_domain_name="Default",
        project_domain_name="Default",
    )


@pytest.mark.parametrize("suffix", ["", "/v3", "/v3/"])
def test_keystoneauth_password(live_identity, identity_db, suffix):
    sess = ksa_session.Session(auth=_password(live_identity + suffix))
    token = sess.get_token()
    assert token
    base = live_identity.removesuffix("/identity")
    assert sess.get_endpoint(service_type="compute", interface="public") == (f"{base}/compute/v2.1")
    assert sess.get_project_id() == identity_db.boot.admin_project.id
    assert sess.get_user_id() == identity_db.boot.admin_user.id
    access = sess.auth.get_access(sess)
    assert access.role_names == ["admin"]
    assert access.project_name == "admin"


def test_keystoneauth_volume_endpoint_has_the_project(live_identity, identity_db):
    sess = ksa_session.Session(auth=_password(live_identity, "demo", DEMO_PASSWORD, "demo"))
    url = sess.get_endpoint(service_type="block-storage", interface="public")
    assert url.endswith(f"/volume/v3/{identity_db.demo_project_id}")


def test_keystoneauth_token_plugin_rescopes(live_identity, identity_db):
    first = ksa_session.Session(auth=_password(live_identity))
    token = first.get_token()
    plugin = v3.Token(
        auth_url=live_identity, token=token, project_name="admin", project_domain_name="Default"
    )
    sess = ksa_session.Session(auth=plugin)
    assert sess.get_token()
    assert sess.get_project_id() == identity_db.boot.admin_project.id


def test_keystoneauth_validates_tokens(live_identity, identity_db):
    admin = ksa_session.Session(auth=_password(live_identity))
    demo = ksa_session.Session(auth=_password(live_identity, "demo", DEMO_PASSWORD, "demo"))
    resp = admin.get(
        live_identity + "/v3/auth/tokens",
        headers={"X-Subject-Token": demo.get_token()},
    )
    assert resp.status_code == 200
    assert resp.json()["token"]["project"]["id"] == identity_db.demo_project_id


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong"), ("nobody", "whatever")])
def test_keystoneauth_rejected_credentials(live_identity, username, password):
    sess = ksa_session.Session(auth=_password(live_identity, username, password))
    with pytest.raises(ksa_exc.Unauthorized):
        sess.get_token()


def test_openstacksdk_connects(live_identity, identity_db):
    conn = openstack.connect(
        auth_url=live_identity,
        username="admin",
        password=ADMIN_PASSWORD,
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name="RegionOne",
    )
    try:
        assert conn.authorize()
        assert conn.current_project_id == identity_db.boot.admin_project.id
        names = sorted(p.name for p in conn.identity.projects())
        assert names == ["admin", "demo", "service"]
        assert conn.identity.find_project("demo").id == identity_db.demo_project_id
        assert sorted(u.name for u in conn.identity.users()) == ["admin", "cirrus", "demo"]
    finally:
        conn.close()


def test_openstacksdk_bad_password(live_identity):
    conn = openstack.connect(
        auth_url=live_identity + "/v3",
        username="demo",
        password="nope",
        project_name="demo",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    try:
        with pytest.raises(openstack.exceptions.SDKException, match="HTTP 401"):
            conn.authorize()
    finally:
        conn.close()
