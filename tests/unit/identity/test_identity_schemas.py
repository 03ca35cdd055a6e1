"""The token request schema."""

import pytest

from cirrus import exception
from cirrus.identity import schemas


def _body(user=None, scope=None, methods=("password",)):
    identity = {"methods": list(methods)}
    identity["password"] = {"user": user or {"name": "a", "domain": {"name": "D"}, "password": "p"}}
    auth = {"identity": identity}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


@pytest.mark.parametrize(
    "body",
    [
        _body(),
        _body(user={"id": "u", "password": "p"}),
        _body(scope={"project": {"id": "p"}}),
        _body(scope={"project": {"name": "p", "domain": {"id": "default"}}}),
        _body(scope="unscoped"),
        {"auth": {"identity": {"methods": ["token"], "token": {"id": "t"}}}},
    ],
)
def test_accepted(body):
    assert schemas.validate_auth(body) is body["auth"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (None, "body"),
        ({}, "body"),
        ({"auth": {}}, "auth"),
        (_body(user={"name": "a"}), "auth/identity/password/user"),
        (_body(user={"password": "p"}), "auth/identity/password/user"),
        (_body(user={"name": "a", "password": 1}), "auth/identity/password/user/password"),
        (
            _body(user={"name": "a", "password": "p", "domain": {}}),
            "auth/identity/password/user/domain",
        ),
        (_body(methods=()), "auth/identity/methods"),
        (_body(scope={"project": {"name": "p"}}), "auth/scope/project"),
    ],
)
def test_refused_with_the_field_named(body, field):
    with pytest.raises(exception.Invalid) as err:
        schemas.validate_auth(body)
    assert err.value.code == 400
    assert f"'{field}'" in err.value.message


@pytest.mark.parametrize(
    "user",
    [
        {"name": "a", "password": "topsecret", "domain": {}},
        {"password": "topsecret"},
        {"name": 5, "password": "topsecret"},
        {"name": "a", "password": "topsecret", "domain": {"name": "D"}, "id": ""},
    ],
)
def test_messages_never_quote_the_password(user):
    with pytest.raises(exception.Invalid) as err:
        schemas.validate_auth(_body(user=user))
    assert "topsecret" not in err.value.message
