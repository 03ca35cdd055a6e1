"""Key pair bodies by microversion: ``type`` from 2.2; list items are wrapped."""

from collections.abc import Sequence
from typing import Any

from cirrus.api.microversion import Version
from cirrus.api.views.timeutils import rawtime
from cirrus.objects.keypair import KeyPair


def _base(kp: KeyPair, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {"name": kp.name, "public_key": kp.public_key,
                            "fingerprint": kp.fingerprint}
    if version.matches((2, 2)):
        body["type"] = kp.type
    return body


def index(keypairs: Sequence[KeyPair], version: Version) -> list[dict[str, Any]]:
    """List items, each ``{"keypair": {name, public_key, fingerprint[, type]}}``."""
    return [{"keypair": _base(kp, version)} for kp in keypairs]


def create(kp: KeyPair, version: Version, private_key: str | None) -> dict[str, Any]:
    """The create response; ``private_key`` only when the pair was generated here."""
    body = {**_base(kp, version), "user_id": kp.user_id}
    if private_key is not None:
        body["private_key"] = private_key
    return {"keypair": body}


def show(kp: KeyPair, version: Version) -> dict[str, Any]:
    """``GET /os-keypairs/{name}``, with the database columns Nova exposes there."""
    return {"keypair": {
        **_base(kp, version), "user_id": kp.user_id, "created_at": rawtime(kp.created_at),
        # Key pairs are deleted for real, so a visible one was never deleted.
        "deleted": False, "deleted_at": None, "id": kp.id, "updated_at": rawtime(kp.updated_at),
    }}
