"""Image records: who sees which image, list queries, JSON-patch updates and upload states."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.db.base import utcnow
from cirrus.db.services import models
from cirrus.db.services.query import fetch_page, get_by_uuid
from cirrus.image import queries, schemas
from cirrus.image.store import StoredData

_WITH_COLLECTIONS = (joinedload(models.Image.properties), joinedload(models.Image.tags))
# The upload's end writes columns of the image row only: its collections are not read.
_ROW_ONLY = (lazyload(models.Image.properties), lazyload(models.Image.tags))

# Upload state machine: (from, to) pairs an image may take.
TRANSITIONS = frozenset({
    ("queued", "saving"),
    ("saving", "active"),
    ("saving", "queued"),
    ("active", "deactivated"),
    ("deactivated", "active"),
})

def _canonical_id(image_id: str) -> str | None:
    try:
        return str(uuid.UUID(image_id))
    except ValueError:
        return None


def is_visible(ctx: RequestContext, row: models.Image) -> bool:
    """Whether the caller may see ``row`` (shared images are visible to their owner only)."""
    return bool(
        ctx.is_admin or row.owner == ctx.project_id or row.visibility in ("public", "community")
    )


def get_image(
    session: Session, ctx: RequestContext, image_id: str, *, for_update: bool = False
) -> models.Image:
    """The image ``image_id`` as the caller sees it.

    Raises:
        ImageNotFound: no such image, not a UUID, or not visible to the caller.
    """
    # Properties and tags come in the same statement. A locking read locks the image
    # row only (FOR UPDATE OF: PostgreSQL refuses to lock the outer join's null side).
    lock: Any = {"of": models.Image} if for_update else False
    row = get_by_uuid(session, models.Image, image_id, for_update=lock,
                      options=_WITH_COLLECTIONS)
    if row is None or not is_visible(ctx, row):
        raise exception.ImageNotFound(image_id=image_id)
    return row


def _get_for_change(
    session: Session, ctx: RequestContext, image_id: str, action: str
) -> models.Image:
    row = get_image(session, ctx, image_id, for_update=True)
    if not (ctx.is_admin or row.owner == ctx.project_id):
        raise exception.Forbidden(f"You are not permitted to {action} this image.")
    return row


def set_status(row: models.Image, status: str) -> None:
    """Move ``row`` to ``status``.

    Raises:
        ImageStatusConflict: the upload state machine does not allow the move.
    """
    if (row.status, status) not in TRANSITIONS:
        raise exception.ImageStatusConflict(current=row.status, wanted=status)
    row.status = status


def _check_keys(doc: Mapping[str, Any]) -> None:
    for key in doc:
        if key in schemas.READ_ONLY:
            raise exception.ReadOnlyImageAttribute(attribute=key)
        if key in schemas.RESERVED or key.startswith(schemas.RESERVED_PREFIX):
            raise exception.ReservedImageAttribute(attribute=key)
        if not key or len(key) > 255:
            raise exception.Invalid("Image property names must be 1 to 255 characters long.")


def _check_rights(ctx: RequestContext, doc: Mapping[str, Any]) -> None:
    if doc.get("visibility") == "public" and not ctx.is_admin:
        raise exception.Forbidden("You are not authorized to complete publicize_image action.")
    if "owner" in doc and doc["owner"] != ctx.project_id and not ctx.is_admin:
        raise exception.Forbidden(
            f"You are not permitted to create images owned by '{doc['owner']}'."
        )


def _dedupe(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def create_image(session: Session, ctx: RequestContext, body: Any) -> models.Image:
    """Record a queued image from a ``POST /v2/images`` body.

    Raises:
        Invalid: the body breaks the image schema.
        Forbidden: a read-only or reserved attribute, or an owner or visibility the
            caller may not set.
        ImageExists: the requested id is taken.
    """
    if not isinstance(body, dict):
        raise exception.Invalid("Provided object does not match schema 'image': not an object")
    _check_keys(body)
    schemas.validate(schemas.CREATE_VALIDATOR, body, "image")
    _check_rights(ctx, body)
    image_id = _canonical_id(body["id"]) if "id" in body else str(uuid.uuid4())
    assert image_id is not None  # the schema's pattern only admits UUIDs
    # A taken id is found by the insert itself (the primary key), not by a read before.
    row = models.Image(
        id=image_id, name=body.get("name"), status="queued",
        visibility=body.get("visibility", "shared"), disk_format=body.get("disk_format"),
        container_format=body.get("container_format"), min_disk=body.get("min_disk", 0),
        min_ram=body.get("min_ram", 0), owner=body.get("owner", ctx.project_id),
        protected=body.get("protected", False), os_hidden=body.get("os_hidden", False),
        properties=[
            models.ImageProperty(name=k, value=v) for k, v in body.items()
            if k not in schemas.CORE
        ],
        tags=[models.ImageTag(value=t) for t in _dedupe(body.get("tags", []))],
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise exception.ImageExists(image_id=image_id) from exc
    return row


def _scope(ctx: RequestContext, visibility: str | None) -> list[ColumnElement[bool]]:
    image = models.Image
    if ctx.is_admin:
        return [] if visibility in (None, "all") else [image.visibility == visibility]
    own = image.owner == ctx.project_id
    if visibility is None:
        return [or_(own, image.visibility == "public")]
    if visibility == "all":
        return [or_(own, image.visibility.in_(("public", "community")))]
    if visibility in ("public", "community"):
        return [image.visibility == visibility]
    return [own, image.visibility == visibility]


def _conditions(ctx: RequestContext, query: queries.ListQuery) -> list[ColumnElement[bool]]:
    image = models.Image
    conds = _scope(ctx, query.visibility)
    conds.append(image.os_hidden.is_(query.os_hidden))
    for key, values in query.columns.items():
        if key == "id":
            ids = [c for c in map(_canonical_id, values) if c is not None]
            conds.append(models.Image.id.in_(ids))
        else:
            conds.append(queries.IN_FILTERS[key].in_(values))
    conds.extend(image.tags.any(models.ImageTag.value == tag) for tag in query.tags)
    conds.extend(
        image.properties.any(
            and_(models.ImageProperty.name == k, models.ImageProperty.value == v)
        )
        for k, v in query.properties.items()
    )
    if query.protected is not None:
        conds.append(image.protected.is_(query.protected))
    if query.size_min is not None:
        conds.append(image.size >= query.size_min)
    if query.size_max is not None:
        conds.append(image.size <= query.size_max)
    return conds


def list_images(
    session: Session, ctx: RequestContext, query: queries.ListQuery
) -> tuple[list[models.Image], str | None]:
    """One page of the images the caller sees, and the marker of the next page.

    Raises:
        Invalid: the marker is not an image the caller sees.
    """
    image = models.Image
    marker = None
    if query.marker is not None:
        try:
            marker = get_image(session, ctx, query.marker).id
        except exception.ImageNotFound:
            raise exception.Invalid(
                f"Invalid marker. Image {query.marker} could not be found."
            ) from None
    order: list[UnaryExpression[Any]] = [
        queries.SORT_KEYS[k].asc() if d == "asc" else queries.SORT_KEYS[k].desc()
        for k, d in query.sort
    ]
    order.append(image.id.asc() if query.sort[-1][1] == "asc" else image.id.desc())
    rows = fetch_page(
        session, image, image.id, conds=_conditions(ctx, query), order=order, marker=marker,
        limit=query.limit,
    )
    next_marker = rows[-1].id if rows and len(rows) == query.limit else None
    return rows, next_marker


def _writable_doc(row: models.Image) -> dict[str, Any]:
    doc: dict[str, Any] = {p.name: p.value for p in row.properties}
    doc.update(
        name=row.name, visibility=row.visibility, disk_format=row.disk_format,
        container_format=row.container_format, min_disk=row.min_disk, min_ram=row.min_ram,
        tags=[t.value for t in row.tags], protected=row.protected, os_hidden=row.os_hidden,
        owner=row.owner,
    )
    return doc


def _decode_pointer(path: str) -> str:
    # A JSON pointer escapes "/" as "~1" and "~" as "~0", in that order of decoding.
    return path[1:].replace("~1", "/").replace("~0", "~")


def _apply_op(doc: dict[str, Any], op: Mapping[str, Any]) -> None:
    attr = _decode_pointer(op["path"])
    _check_keys({attr: None})
    if attr == "id":
        raise exception.ReadOnlyImageAttribute(attribute=attr)
    kind = op["op"]
    if kind != "remove" and "value" not in op:
        raise exception.Invalid(f"Operation '{kind}' on /{attr} needs a value.")
    if attr in schemas.CORE:
        if kind == "remove":
            raise exception.Forbidden(f"Attribute '{attr}' cannot be removed.")
        doc[attr] = op["value"]
    elif kind == "add":
        doc[attr] = op["value"]
    elif attr not in doc:
        raise exception.Conflict(f"Property {attr} does not exist.")
    elif kind == "replace":
        doc[attr] = op["value"]
    else:
        del doc[attr]


def _check_patch(ctx: RequestContext, row: models.Image, before: Mapping[str, Any],
                 after: Mapping[str, Any]) -> None:
    changed = {k for k in after if before.get(k) != after.get(k)}
    if "visibility" in changed:
        _check_rights(ctx, {"visibility": after["visibility"]})
    if "owner" in changed and not ctx.is_admin:
        raise exception.Forbidden("You are not permitted to change the owner of this image.")
    for attr in ("disk_format", "container_format"):
        if attr in changed and row.status != "queued":
            raise exception.Forbidden(f"Attribute {attr} can be only replaced for a queued image.")


def _sync_children(row: models.Image, doc: Mapping[str, Any]) -> None:
    # Update in place rather than replacing the collections: the unit of work inserts
    # before it deletes, so a re-created (image_id, name) row would break the unique key.
    wanted = {k: v for k, v in doc.items() if k not in schemas.CORE}
    for prop in list(row.properties):
        if prop.name not in wanted:
            row.properties.remove(prop)
        elif prop.value != wanted[prop.name]:
            prop.value = wanted[prop.name]
    have = {p.name for p in row.properties}
    row.properties.extend(
        models.ImageProperty(name=k, value=v) for k, v in wanted.items() if k not in have
    )
    tags = _dedupe(doc["tags"])
    for tag in list(row.tags):
        if tag.value not in tags:
            row.tags.remove(tag)
    have = {t.value for t in row.tags}
    row.tags.extend(models.ImageTag(value=t) for t in tags if t not in have)


def patch_image(
    session: Session, ctx: RequestContext, image_id: str, ops: Any
) -> models.Image:
    """Apply a JSON patch (add, replace, remove) to an image's attributes and properties.

    Raises:
        ImageNotFound: the caller does not see the image.
        Invalid: a malformed patch, or a result that breaks the image schema.
        Forbidden: not the owner, a read-only, reserved or core attribute removed, or a
            change the caller may not make.
        Conflict: replacing or removing a property the image does not have.
    """
    schemas.validate(schemas.PATCH_VALIDATOR, ops, "image patch")
    row = _get_for_change(session, ctx, image_id, "modify")
    before = _writable_doc(row)
    after = dict(before)
    for op in ops:
        _apply_op(after, op)
    schemas.validate(schemas.IMAGE_VALIDATOR, after, "image")
    _check_patch(ctx, row, before, after)
    for attr in schemas.IMAGE_ATTRIBUTES:
        if attr != "tags" and before.get(attr) != after.get(attr):
            setattr(row, attr, after[attr])
    _sync_children(row, after)
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_image(session: Session, ctx: RequestContext, image_id: str) -> str:
    """Delete an image record; the caller removes its bytes once this commits.

    Returns:
        The canonical id of the deleted image.

    Raises:
        ImageNotFound: the caller does not see the image.
        Forbidden: not the owner.
        ImageProtected: the image is protected.
    """
    row = _get_for_change(session, ctx, image_id, "delete")
    if row.protected:
        raise exception.ImageProtected(image_id=row.id)
    session.delete(row)
    session.flush()
    return row.id


def begin_upload(session: Session, ctx: RequestContext, image_id: str) -> str:
    """Move a queued image to saving before its bytes are streamed.

    Returns:
        The canonical id of the image.

    Raises:
        ImageNotFound, Forbidden: as for a change.
        ImageStatusConflict: the image is not queued.
        Invalid: disk_format or container_format is not set.
    """
    row = _get_for_change(session, ctx, image_id, "upload data to")
    if row.status == "queued" and not (row.disk_format and row.container_format):
        raise exception.Invalid(
            "Properties disk_format, container_format must be set prior to saving data."
        )
    set_status(row, "saving")
    return row.id


def finish_upload(session: Session, image_id: str, data: StoredData) -> models.Image:
    """Record the stored bytes and make the image active.

    Raises:
        ImageDeletedDuringUpload: the image was deleted while its bytes streamed.
    """
    row = session.get(models.Image, image_id, with_for_update=True, options=_ROW_ONLY)
    if row is None or row.status != "saving":
        raise exception.ImageDeletedDuringUpload(image_id=image_id)
    row.size = data.size
    row.virtual_size = None
    row.checksum = data.checksum
    row.os_hash_algo = data.hash_algo
    row.os_hash_value = data.hash_value
    set_status(row, "active")
    return row


def abort_upload(session: Session, image_id: str) -> None:
    """Put an image whose upload failed back to queued, so it can be uploaded again."""
    row = session.get(models.Image, image_id, with_for_update=True, options=_ROW_ONLY)
    if row is not None and row.status == "saving":
        set_status(row, "queued")
