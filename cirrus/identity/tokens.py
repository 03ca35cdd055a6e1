"""Signed, expiring tokens that every service validates locally with the shared key.

A token is ``<payload>.<signature>``: the payload is URL-safe base64 of compact JSON, the
signature an HMAC-SHA256 over it. No service needs to call identity to check a token.
"""

import base64
import dataclasses
import datetime
import hashlib
import hmac
import json
import uuid

from cirrus import exception

_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """What a token says about its bearer."""

    user_id: str
    user_name: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]
    expires_at: datetime.datetime
    issued_at: datetime.datetime
    audit_id: str
    domain_id: str = "default"

    @property
    def expires_iso(self) -> str:
        """Expiry in Keystone's format."""
        return self.expires_at.strftime(_ISO)

    @property
    def issued_iso(self) -> str:
        """Issue time in Keystone's format."""
        return self.issued_at.strftime(_ISO)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: str, payload: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def issue(
    key: str,
    *,
    user_id: str,
    user_name: str,
    project_id: str,
    project_name: str,
    roles: list[str],
    lifetime: int,
) -> tuple[str, TokenInfo]:
    """Issue a token valid for ``lifetime`` seconds.

    Returns:
        The token string and what it encodes.
    """
    now = _now()
    info = TokenInfo(
        user_id=user_id, user_name=user_name, project_id=project_id,
        project_name=project_name, roles=tuple(sorted(roles)),
        expires_at=now + datetime.timedelta(seconds=lifetime), issued_at=now,
        audit_id=_b64(uuid.uuid4().bytes),
    )
    body = {
        "u": [user_id, user_name], "p": [project_id, project_name], "r": list(info.roles),
        "e": info.expires_iso, "i": info.issued_iso, "a": info.audit_id,
    }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, payload)}", info


def validate(key: str, token: str) -> TokenInfo:
    """Check a token's signature and expiry.

    Raises:
        InvalidToken: forged, malformed or expired.
    """
    if not token.isascii():
        raise exception.InvalidToken(reason="malformed")
    payload, _, signature = token.partition(".")
    if not payload or not signature:
        raise exception.InvalidToken(reason="malformed")
    if not hmac.compare_digest(_sign(key, payload), signature):
        raise exception.InvalidToken(reason="signature mismatch")
    try:
        body = json.loads(_unb64(payload))
        expires = datetime.datetime.strptime(body["e"], _ISO)
        issued = datetime.datetime.strptime(body["i"], _ISO)
        info = TokenInfo(
            user_id=body["u"][0], user_name=body["u"][1], project_id=body["p"][0],
            project_name=body["p"][1], roles=tuple(body["r"]), expires_at=expires,
            issued_at=issued, audit_id=body["a"],
        )
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise exception.InvalidToken(reason="malformed") from exc
    if info.expires_at <= _now():
        raise exception.InvalidToken(reason="expired")
    return info


def service_token(key: str, lifetime: int = 3600) -> str:
    """A token for the service account, for calls between Cirrus services."""
    token, _ = issue(
        key, user_id="cirrus-service", user_name="cirrus", project_id="service",
        project_name="service", roles=["admin", "service"], lifetime=lifetime,
    )
    return token
