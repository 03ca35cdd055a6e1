"""Password hashing: round trip, self-describing format, and refusal of bad stored values."""

import pytest

from cirrus.identity import passwords

# Cheap parameters keep the unit tests fast; the format is the same.
FAST = {"n": 2**4, "r": 1, "p": 1}


def test_round_trip():
    stored = passwords.hash_password("s3cret", **FAST)
    assert passwords.verify_password("s3cret", stored)
    assert not passwords.verify_password("s3cret ", stored)
    assert not passwords.verify_password("", stored)


def test_default_parameters_are_in_the_string():
    stored = passwords.hash_password("pw")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt and digest
    assert passwords.verify_password("pw", stored)


def test_salt_is_random():
    assert passwords.hash_password("pw", **FAST) != passwords.hash_password("pw", **FAST)


def test_unicode_passwords():
    stored = passwords.hash_password("pässwörd-密码", **FAST)
    assert passwords.verify_password("pässwörd-密码", stored)
    assert not passwords.verify_password("passwort", stored)


def test_clear_text_never_appears():
    assert "hunter2" not in passwords.hash_password("hunter2", **FAST)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "hunter2",
        "bcrypt$16$8$1$c2FsdA$aGFzaA",
        "scrypt$16$1$1$c2FsdA",
        "scrypt$x$1$1$c2FsdA$aGFzaA",
        "scrypt$15$1$1$c2FsdA$aGFzaA",  # n not a power of two
        "scrypt$1073741824$8$1$c2FsdA$aGFzaA",  # would need gigabytes
        "scrypt$16$0$1$c2FsdA$aGFzaA",
        "scrypt$16$1$99$c2FsdA$aGFzaA",
        "scrypt$16$1$1$$aGFzaA",
        "scrypt$16$1$1$!!!$aGFzaA",
    ],
)
def test_unreadable_stored_values_never_match(stored):
    assert passwords.verify_password("anything", stored) is False


def test_tampered_digest_does_not_match():
    stored = passwords.hash_password("pw", **FAST)
    head, _, digest = stored.rpartition("$")
    flipped = ("A" if digest[0] != "A" else "B") + digest[1:]
    assert not passwords.verify_password("pw", f"{head}${flipped}")


@pytest.mark.parametrize("params", [{"n": 3}, {"n": 1}, {"r": 0}, {"p": 0}, {"n": 2**30}])
def test_bad_parameters_are_refused(params):
    with pytest.raises(ValueError, match="out of range"):
        passwords.hash_password("pw", **{**FAST, **params})


def test_burn_time_returns_nothing():
    assert passwords.burn_time("pw") is None
