"""Signed tokens: round trip, forgery, expiry, malformed input."""

import pytest

from cirrus import exception
from cirrus.identity import tokens


def _issue(key="k", lifetime=60):
    return tokens.issue(key, user_id="u", user_name="un", project_id="p", project_name="pn",
                        roles=["member", "reader"], lifetime=lifetime)


def test_round_trip():
    token, info = _issue()
    assert tokens.validate("k", token) == info
    assert info.roles == ("member", "reader")


@pytest.mark.parametrize("mangle", [
    lambda t: t + "x", lambda t: "x" + t, lambda t: t.split(".")[0],
    lambda t: t.replace(".", ""), lambda t: "", lambda t: "t\u00e9st",
])
def test_malformed_or_tampered(mangle):
    token, _ = _issue()
    with pytest.raises(exception.InvalidToken):
        tokens.validate("k", mangle(token))


def test_other_key_is_rejected():
    token, _ = _issue(key="one")
    with pytest.raises(exception.InvalidToken, match="signature"):
        tokens.validate("two", token)


def test_expired():
    token, _ = _issue(lifetime=-1)
    with pytest.raises(exception.InvalidToken, match="expired"):
        tokens.validate("k", token)
