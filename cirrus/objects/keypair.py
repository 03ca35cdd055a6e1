"""Key pairs in the API database: a user's SSH keys (or x509 certificates), by name."""

import dataclasses
import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models

TYPE_SSH = "ssh"
TYPE_X509 = "x509"


@dataclasses.dataclass(frozen=True)
class KeyPair:
    """A named public key of one user."""

    id: int
    name: str
    user_id: str
    fingerprint: str | None
    public_key: str | None
    type: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The fields servers keep a copy of (instance_extra.keypairs)."""
        return {"name": self.name, "public_key": self.public_key,
                "fingerprint": self.fingerprint, "type": self.type, "user_id": self.user_id}


def _from_row(row: models.KeyPair) -> KeyPair:
    return KeyPair(row.id, row.name, row.user_id, row.fingerprint, row.public_key, row.type,
                   row.created_at, row.updated_at)


def _row(session: Session, user_id: str, name: str) -> models.KeyPair | None:
    return session.scalar(select(models.KeyPair).filter_by(user_id=user_id, name=name))


def get(session: Session, user_id: str, name: str) -> KeyPair:
    """The key pair ``name`` of ``user_id``; raises KeypairNotFound."""
    row = _row(session, user_id, name)
    if row is None:
        raise exception.KeypairNotFound(name=name, user_id=user_id)
    return _from_row(row)


def get_all(session: Session, user_id: str, limit: int | None = None,
            marker: str | None = None) -> list[KeyPair]:
    """A user's key pairs by name; ``marker`` is the name after which to start.

    Raises:
        MarkerNotFound: the user has no key pair called ``marker``.
    """
    query = select(models.KeyPair).filter_by(user_id=user_id)
    if marker is not None:
        if _row(session, user_id, marker) is None:
            raise exception.MarkerNotFound(marker=marker)
        query = query.where(models.KeyPair.name > marker)
    query = query.order_by(models.KeyPair.name.asc(), models.KeyPair.id.asc())
    if limit is not None:
        query = query.limit(limit)
    return [_from_row(r) for r in session.scalars(query)]


def create(session: Session, user_id: str, name: str, public_key: str, fingerprint: str,
           key_type: str = TYPE_SSH) -> KeyPair:
    """Store a key pair; raises KeypairExists when the user already has ``name``."""
    if _row(session, user_id, name) is not None:
        raise exception.KeypairExists(key_name=name)
    row = models.KeyPair(name=name, user_id=user_id, public_key=public_key,
                         fingerprint=fingerprint, type=key_type)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request created the same name in between.
        raise exception.KeypairExists(key_name=name) from exc
    return _from_row(row)


def delete(session: Session, user_id: str, name: str) -> None:
    """Remove a key pair; raises KeypairNotFound."""
    row = _row(session, user_id, name)
    if row is None:
        raise exception.KeypairNotFound(name=name, user_id=user_id)
    session.delete(row)


def count(session: Session, user_id: str) -> int:
    """How many key pairs ``user_id`` has (the key_pairs quota is per user)."""
    return int(session.scalar(select(func.count(models.KeyPair.id)).filter_by(
        user_id=user_id)) or 0)
