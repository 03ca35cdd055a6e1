"""Volume records: project scoping, list filters, and a status that follows attachments."""

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.db.services import models
from cirrus.db.services.query import fetch_page, get_by_uuid
from cirrus.volume import schemas

_V = models.Volume
Params = Mapping[str, str | list[str]]

# Attachment statuses, from least to most engaged; a volume shows the most engaged one.
RESERVED = "reserved"
ATTACHING = "attaching"
ATTACHED = "attached"
_VOLUME_STATUS = {ATTACHED: "in-use", ATTACHING: "attaching", RESERVED: "reserved"}
DELETABLE = frozenset({"available", "error"})

_FILTERS: dict[str, Any] = {
    "name": _V.name,
    "status": _V.status,
    "availability_zone": _V.availability_zone,
}
_IGNORED = frozenset({"all_tenants", "with_count", "limit", "marker", "sort", "sort_key",
                      "sort_dir", "offset"})
SORT_KEYS = frozenset({"id", "name", "status", "size", "created_at", "updated_at",
                       "availability_zone"})
DEFAULT_LIMIT = 1000


def check_project(ctx: RequestContext, project_id: str) -> None:
    """Refuse a URL naming another project than the token's (admins may name any).

    Raises:
        Invalid: the project in the URL is not the caller's.
    """
    if project_id != ctx.project_id and not ctx.is_admin:
        raise exception.Invalid("Malformed request url")


def refresh_status(volume: models.Volume) -> None:
    """Derive the volume's status from its attachments (``available`` with none)."""
    statuses = {a.status for a in volume.attachments}
    for attach_status in (ATTACHED, ATTACHING, RESERVED):
        if attach_status in statuses:
            volume.status = _VOLUME_STATUS[attach_status]
            return
    volume.status = "available"


def get_volume(
    session: Session, ctx: RequestContext, volume_id: str, *, for_update: bool = False
) -> models.Volume:
    """The volume as the caller sees it (any volume, for an admin).

    Raises:
        VolumeNotFound: no such volume, or another project's.
    """
    row = get_by_uuid(session, models.Volume, volume_id, for_update=for_update)
    if row is None or not (ctx.is_admin or row.project_id == ctx.project_id):
        raise exception.VolumeNotFound(volume_id=volume_id)
    return row


def create_volume(
    session: Session, ctx: RequestContext, project_id: str, body: Any
) -> models.Volume:
    """Record an available volume from a ``POST /volumes`` body.

    Raises:
        ValidationError: the body breaks the schema.
    """
    schemas.validate(schemas.CREATE_VOLUME_VALIDATOR, body)
    attrs = body["volume"]
    image_id = attrs.get("imageRef")
    row = models.Volume(
        id=str(uuid.uuid4()), project_id=project_id, user_id=ctx.user_id,
        name=attrs.get("name") or attrs.get("display_name"),
        description=attrs.get("description"), size=int(attrs["size"]), status="available",
        availability_zone=attrs.get("availability_zone") or "nova",
        volume_type=attrs.get("volume_type") or "__DEFAULT__",
        image_id=str(uuid.UUID(image_id)) if image_id else None,
        volume_metadata=dict(attrs.get("metadata") or {}), attachments=[],
    )
    session.add(row)
    session.flush()
    return row


def _one(params: Params, key: str) -> str:
    value = params[key]
    return value[-1] if isinstance(value, list) else value


def _conditions(params: Params) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    for key in params:
        value = _one(params, key)
        if key in _FILTERS:
            conds.append(_FILTERS[key] == value)
        elif key == "size":
            if not (value.isascii() and value.isdigit()) or int(value) > 2**31 - 1:
                raise exception.Invalid(f"Invalid filter size={value}: not a volume size")
            conds.append(_V.size == int(value))
        elif key == "bootable":
            bootable = value.lower() in ("true", "1", "yes")
            conds.append(_V.image_id.is_not(None) if bootable else _V.image_id.is_(None))
        elif key == "metadata":
            conds.extend(_metadata_conditions(value))
        elif key not in _IGNORED:
            raise exception.Invalid(f"Invalid filters {key} are found in query options.")
    return conds


def _metadata_conditions(text: str) -> list[ColumnElement[bool]]:
    try:
        wanted = json.loads(text)
    except ValueError:
        wanted = None
    if not isinstance(wanted, dict):
        raise exception.Invalid("metadata filter must be a JSON object of strings")
    # JSON columns have no portable containment operator; compare each key's value.
    return [_V.volume_metadata[k].as_string() == str(v) for k, v in wanted.items()]


def _sort(params: Params) -> list[tuple[str, str]]:
    if "sort" in params:
        pairs = []
        for item in _one(params, "sort").split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    elif "sort_key" in params:
        direction = _one(params, "sort_dir") if "sort_dir" in params else "desc"
        pairs = [(_one(params, "sort_key"), direction)]
    else:
        pairs = [("created_at", "desc")]
    for key, direction in pairs:
        if key not in SORT_KEYS or direction not in ("asc", "desc"):
            raise exception.Invalid(f"Invalid sort key or direction: {key}:{direction}")
    return pairs


def page_limit(params: Params) -> int:
    """The page size of a volume list: ``limit``, at most (and by default) 1000.

    Raises:
        Invalid: ``limit`` is not a non-negative integer.
    """
    if "limit" not in params:
        return DEFAULT_LIMIT
    text = _one(params, "limit")
    if not (text.isascii() and text.isdigit()):
        raise exception.Invalid(f"Invalid input received: limit={text} must be an integer >= 0")
    return min(int(text), DEFAULT_LIMIT)


def all_projects(ctx: RequestContext, params: Params) -> bool:
    """Whether an admin asked for every project's resources (``all_tenants``)."""
    if "all_tenants" not in params or not ctx.is_admin:
        return False
    return _one(params, "all_tenants").lower() in ("", "1", "true", "yes")


def list_volumes(
    session: Session, ctx: RequestContext, project_id: str, params: Params
) -> list[models.Volume]:
    """A page of the URL project's volumes (every project's with ``all_tenants``).

    Raises:
        Invalid: an unknown filter, a bad sort, limit or marker.
    """
    conds = [] if all_projects(ctx, params) else [_V.project_id == project_id]
    conds += _conditions(params)
    marker = _one(params, "marker") if "marker" in params else None
    if marker is not None:
        try:
            get_volume(session, ctx, marker)
        except exception.VolumeNotFound:
            raise exception.Invalid(f"Invalid marker: {marker}") from None
    sort = _sort(params)
    order: list[UnaryExpression[Any]] = [
        getattr(_V, k).asc() if d == "asc" else getattr(_V, k).desc() for k, d in sort
    ]
    order.append(_V.id.asc() if sort[-1][1] == "asc" else _V.id.desc())
    return fetch_page(
        session, _V, _V.id, conds=conds, order=order, marker=marker, limit=page_limit(params)
    )


def delete_volume(session: Session, ctx: RequestContext, volume_id: str) -> None:
    """Delete a volume with no attachments.

    Raises:
        VolumeNotFound: the caller does not see it.
        InvalidVolume: it is attached, reserved or attaching.
    """
    row = get_volume(session, ctx, volume_id, for_update=True)
    if row.attachments or row.status not in DELETABLE:
        raise exception.InvalidVolume(
            reason="Volume status must be available or error and must not be attached "
            f"or reserved, but is {row.status}."
        )
    session.delete(row)
    session.flush()
