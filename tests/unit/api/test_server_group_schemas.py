"""/os-server-groups request schemas and response bodies, by microversion."""

import datetime

import pytest

from cirrus import exception
from cirrus.api.microversion import Version
from cirrus.api.schemas import server_groups as schemas
from cirrus.api.schemas.query import query_validator
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import server_groups as views
from cirrus.objects.instance_group import ServerGroup

CREATE = {"2.1": validator(schemas.CREATE_V2_1), "2.15": validator(schemas.CREATE_V2_15),
          "2.64": validator(schemas.CREATE_V2_64)}


def _body(**group):
    return {"server_group": {"name": "g", **group}}


@pytest.mark.parametrize(("version", "group"), [
    ("2.1", {"policies": ["affinity"]}),
    ("2.1", {"policies": ["anti-affinity"]}),
    ("2.15", {"policies": ["soft-affinity"]}),
    ("2.15", {"policies": ["soft-anti-affinity"]}),
    ("2.64", {"policy": "affinity"}),
    ("2.64", {"policy": "soft-anti-affinity", "rules": {}}),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": 2}}),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": "3"}}),
])
def test_valid_bodies(version, group):
    validate(CREATE[version], _body(**group))


@pytest.mark.parametrize(("version", "group"), [
    ("2.1", {"policies": ["soft-affinity"]}),
    ("2.1", {"policies": []}),
    ("2.1", {"policies": ["affinity", "affinity"]}),
    ("2.1", {"policies": "affinity"}),
    ("2.1", {"policy": "affinity"}),
    ("2.1", {"policies": ["affinity"], "rules": {}}),
    ("2.15", {"policies": ["other"]}),
    ("2.64", {"policies": ["affinity"]}),
    ("2.64", {"policy": ["affinity"]}),
    ("2.64", {"policy": "other"}),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": 0}}),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": "x"}}),
    ("2.64", {"policy": "anti-affinity", "rules": {"max_server_per_host": ""}}),
    ("2.64", {"policy": "anti-affinity", "rules": {"spread": 1}}),
    ("2.64", {"policy": "anti-affinity", "rules": []}),
])
def test_invalid_bodies(version, group):
    with pytest.raises(exception.ValidationError):
        validate(CREATE[version], _body(**group))


@pytest.mark.parametrize("version", ["2.1", "2.15", "2.64"])
def test_name_is_required_and_bounded(version):
    policy = {"policy": "affinity"} if version == "2.64" else {"policies": ["affinity"]}
    with pytest.raises(exception.ValidationError):
        validate(CREATE[version], {"server_group": policy})
    with pytest.raises(exception.ValidationError):
        validate(CREATE[version], {"server_group": {"name": "x" * 256, **policy}})
    with pytest.raises(exception.ValidationError):
        validate(CREATE[version], {"server_group": {"name": "g", **policy}, "extra": 1})


def test_index_query_is_strict_from_2_75():
    loose = query_validator(schemas.INDEX_QUERY_V2_1)
    strict = query_validator(schemas.INDEX_QUERY_V2_75)
    ok = {"all_projects": ["True"], "limit": ["2"], "offset": ["0"]}
    assert not list(loose.iter_errors(ok)) and not list(strict.iter_errors(ok))
    assert not list(loose.iter_errors({"other": ["1"]}))
    assert list(strict.iter_errors({"other": ["1"]}))
    assert list(loose.iter_errors({"limit": ["-1"]}))
    assert list(loose.iter_errors({"offset": ["a"]}))


GROUP = ServerGroup(id=1, uuid="g-uuid", name="web", user_id="u", project_id="p",
                    policy="anti-affinity", rules={"max_server_per_host": 2},
                    members=("m1", "m2", "m3"),
                    created_at=datetime.datetime(2024, 1, 1))


@pytest.mark.parametrize(("version", "expected"), [
    ("2.1", {"id": "g-uuid", "name": "web", "policies": ["anti-affinity"], "metadata": {},
             "members": ["m1", "m3"]}),
    ("2.13", {"id": "g-uuid", "name": "web", "policies": ["anti-affinity"], "metadata": {},
              "members": ["m1", "m3"], "project_id": "p", "user_id": "u"}),
    ("2.63", {"id": "g-uuid", "name": "web", "policies": ["anti-affinity"], "metadata": {},
              "members": ["m1", "m3"], "project_id": "p", "user_id": "u"}),
    ("2.64", {"id": "g-uuid", "name": "web", "policy": "anti-affinity",
              "rules": {"max_server_per_host": 2}, "members": ["m1", "m3"],
              "project_id": "p", "user_id": "u"}),
])
def test_views_by_version(version, expected):
    major, minor = (int(p) for p in version.split("."))
    live = {"m1", "m3", "not-a-member"}
    assert views.show(GROUP, live, Version(major, minor)) == {"server_group": expected}
    assert views.index([GROUP], live, Version(major, minor)) == {"server_groups": [expected]}


def test_view_of_a_group_without_rules_at_2_64():
    group = ServerGroup(id=2, uuid="a", name="a", user_id="u", project_id="p",
                        policy="affinity", rules={}, members=(),
                        created_at=datetime.datetime(2024, 1, 1))
    body = views.show(group, (), Version(2, 64))["server_group"]
    assert body["rules"] == {} and body["members"] == []
