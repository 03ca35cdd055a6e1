"""Password hashing with scrypt; the parameters travel inside the stored string.

Stored form: ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` with salt and hash in URL-safe base64
without padding. Keeping the cost parameters in the string lets the defaults grow later
without invalidating hashes written earlier.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# NOTE: n=2**14, r=8, p=1 costs about 16 MiB and a few tens of milliseconds per hash:
# expensive enough to slow an offline guesser, cheap enough for every token request.
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
# Bounds on parameters read back from storage, so a corrupted row cannot make one
# verification allocate gigabytes or spin for minutes.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128 * r * n bytes (plus a little); allow twice that.
    maxmem = 2 * 128 * r * (n + p + 2)
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_KEY_BYTES
    )


def hash_password(
    password: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P
) -> str:
    """Hash ``password`` with a fresh random salt.

    Args:
        password: the clear-text password.
        n: scrypt CPU/memory cost, a power of two greater than 1.
        r: scrypt block size.
        p: scrypt parallelism.

    Returns:
        The self-describing stored form.

    Raises:
        ValueError: the parameters are out of range.
    """
    if not _params_ok(n, r, p):
        raise ValueError("scrypt parameters out of range")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(password, salt, n, r, p)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _params_ok(n: int, r: int, p: int) -> bool:
    power_of_two = n > 1 and (n & (n - 1)) == 0
    return power_of_two and n <= _MAX_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return None
    if not _params_ok(n, r, p) or not salt or not digest:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the stored hash; False for a missing or unreadable one.

    The digest comparison is constant-time. A missing or unreadable hash still costs one
    derivation, so a caller cannot tell "no such user" from "wrong password" by timing.
    """
    parsed = _parse(stored) if stored else None
    if parsed is None:
        burn_time(password)
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p), digest)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend what a real verification costs, for lookups that found no user."""
    verify_password(password, _dummy_hash())
