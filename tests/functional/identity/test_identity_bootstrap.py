"""Bootstrap, the operator functions and the identity persistence functions on SQLite."""

import pytest

from cirrus import exception
from cirrus.db import migration
from cirrus.db.engine import EngineRegistry
from cirrus.identity import bootstrap, passwords
from cirrus.objects import identity


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path}/api.db"
    engines = EngineRegistry()
    migration.upgrade("api", engines.engine(url))
    yield engines, url
    engines.dispose()


def test_bootstrap_creates_the_defaults(db):
    engines, url = db
    result = bootstrap.bootstrap(engines, url, "pw")
    assert [r.name for r in result.roles] == ["admin", "manager", "member", "reader", "service"]
    with engines.session(url) as sess:
        admin = identity.get_user_by_name(sess, "admin", "default")
        assert admin is not None and passwords.verify_password("pw", admin.password_hash)
        admin_project = identity.get_project_by_name(sess, "admin", "default")
        assert identity.list_role_names(sess, admin.id, admin_project.id) == ["admin"]
        svc = identity.get_user_by_name(sess, "cirrus", "default")
        svc_project = identity.get_project_by_name(sess, "service", "default")
        assert identity.list_role_names(sess, svc.id, svc_project.id) == ["admin", "service"]
        assert svc.password_hash is None


def test_bootstrap_is_idempotent_and_resets_the_password(db):
    engines, url = db
    first = bootstrap.bootstrap(engines, url, "one")
    second = bootstrap.bootstrap(engines, url, "two", service_password="svc")
    assert second.admin_user.id == first.admin_user.id
    assert second.admin_project.id == first.admin_project.id
    assert [r.id for r in second.roles] == [r.id for r in first.roles]
    with engines.session(url) as sess:
        assert len(identity.list_users(sess)) == 2
        assert len(identity.list_projects(sess)) == 2
        assert len(identity.list_roles(sess)) == 5
        admin = identity.get_user(sess, first.admin_user.id)
        assert passwords.verify_password("two", admin.password_hash)
        assert not passwords.verify_password("one", admin.password_hash)
        svc = identity.get_user(sess, first.service_user.id)
        assert passwords.verify_password("svc", svc.password_hash)
        roles = identity.list_role_names(sess, svc.id, first.service_project.id)
        assert roles == ["admin", "service"]


def test_operator_helpers(db):
    engines, url = db
    bootstrap.bootstrap(engines, url, "pw")
    user = bootstrap.create_user(engines, url, "alice", "a-pw")
    project = bootstrap.create_project(engines, url, "demo", description="d")
    assert bootstrap.grant_role(engines, url, "alice", "demo", "member") is True
    assert bootstrap.grant_role(engines, url, user.id, project.id, "member") is False
    assert bootstrap.grant_role(engines, url, "alice", "demo", "custom") is True
    with engines.session(url) as sess:
        assert identity.list_role_names(sess, user.id, project.id) == ["custom", "member"]
        assert [p.name for p in identity.list_user_projects(sess, user.id)] == ["demo"]
        assert identity.get_role_by_name(sess, "custom") is not None
        assert identity.get_project(sess, project.id).description == "d"


def test_operator_helpers_conflicts(db):
    engines, url = db
    bootstrap.create_user(engines, url, "alice", "a")
    with pytest.raises(exception.Conflict):
        bootstrap.create_user(engines, url, "alice", "b")
    again = bootstrap.create_user(engines, url, "alice", "c", exist_ok=True)
    with engines.session(url) as sess:
        assert passwords.verify_password("c", identity.get_user(sess, again.id).password_hash)
    project = bootstrap.create_project(engines, url, "p")
    with pytest.raises(exception.Conflict):
        bootstrap.create_project(engines, url, "p")
    assert bootstrap.create_project(engines, url, "p", exist_ok=True).id == project.id
    # The same names are free in another domain.
    other = bootstrap.create_user(engines, url, "alice", "x", domain_id="other")
    assert other.domain_id == "other"


def test_grant_role_unknown_user_or_project(db):
    engines, url = db
    bootstrap.create_user(engines, url, "alice", "a")
    bootstrap.create_project(engines, url, "p")
    with pytest.raises(exception.NotFound):
        bootstrap.grant_role(engines, url, "nobody", "p", "member")
    with pytest.raises(exception.NotFound):
        bootstrap.grant_role(engines, url, "alice", "nowhere", "member")


def test_assign_role_to_missing_rows_is_a_conflict(db):
    engines, url = db
    with engines.session(url) as sess:
        role = identity.ensure_role(sess, "member")
        with pytest.raises(exception.Conflict):
            identity.assign_role(sess, "no-user", "no-project", role.id)
        # The savepoint keeps the transaction usable after the failure.
        assert identity.ensure_role(sess, "member").id == role.id


def test_user_repr_hides_the_hash(db):
    engines, url = db
    user = bootstrap.create_user(engines, url, "alice", "a")
    assert "scrypt" not in repr(user)


def test_set_password_unknown_user(db):
    engines, url = db
    with engines.session(url) as sess, pytest.raises(exception.NotFound):
        identity.set_password(sess, "missing", None)


def test_domain_names():
    assert identity.domain_name("default") == "Default"
    assert identity.domain_id_from_name("Default") == "default"
    assert identity.domain_name("other") == "other"
    assert len(identity.new_id()) == 32
