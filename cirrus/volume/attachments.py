"""Volume attachments: reserve (no connector), connect (connector given), complete, delete.

Attachment status moves reserved -> attaching -> attached; the volume's status follows the
most engaged of its attachments (see ``volumes.refresh_status``).
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.db.base import utcnow
from cirrus.db.services import models
from cirrus.db.services.query import get_by_uuid
from cirrus.volume import schemas, volumes
from cirrus.volume.volumes import ATTACHED, ATTACHING, RESERVED, Params

_A = models.VolumeAttachment
TRANSITIONS = frozenset({
    (RESERVED, ATTACHING),
    (ATTACHING, ATTACHING),
    (ATTACHING, ATTACHED),
    (ATTACHED, ATTACHED),
})


def set_status(attachment: models.VolumeAttachment, status: str) -> None:
    """Move an attachment to ``status``.

    Raises:
        InvalidVolume: the move is not one of ``TRANSITIONS``.
    """
    if (attachment.status, status) not in TRANSITIONS:
        raise exception.InvalidVolume(
            reason=f"attachment {attachment.id} cannot go from {attachment.status} to {status}"
        )
    attachment.status = status


def connection_info(volume: models.Volume, attachment: models.VolumeAttachment,
                    connector: dict[str, Any]) -> dict[str, Any]:
    """A well-formed iSCSI connection for ``connector``; no real target is behind it."""
    return {
        "driver_volume_type": "iscsi",
        "data": {
            "target_discovered": False,
            "target_portal": "127.0.0.1:3260",
            "target_iqn": f"iqn.2026-01.org.cirrus:volume-{volume.id}",
            "target_lun": 0,
            "volume_id": volume.id,
            "access_mode": attachment.attach_mode,
            "encrypted": False,
            "discard": False,
            "cacheable": False,
            "qos_specs": None,
        },
        "attachment_id": attachment.id,
        "initiator": connector.get("initiator"),
    }


def _connect(volume: models.Volume, attachment: models.VolumeAttachment,
             connector: dict[str, Any]) -> None:
    attachment.connector = dict(connector)
    attachment.connection_info = connection_info(volume, attachment, connector)
    if attachment.status != ATTACHED:
        set_status(attachment, ATTACHING)


def get_attachment(
    session: Session, ctx: RequestContext, attachment_id: str, *, for_update: bool = False
) -> models.VolumeAttachment:
    """The attachment, when the caller sees its volume.

    Raises:
        AttachmentNotFound: no such attachment, or another project's.
    """
    row = get_by_uuid(session, models.VolumeAttachment, attachment_id, for_update=for_update)
    if row is None:
        raise exception.AttachmentNotFound(attachment_id=attachment_id)
    try:
        volumes.get_volume(session, ctx, row.volume_id)
    except exception.VolumeNotFound:
        raise exception.AttachmentNotFound(attachment_id=attachment_id) from None
    return row


def create_attachment(session: Session, ctx: RequestContext, body: Any) -> models.VolumeAttachment:
    """Reserve a volume for a server, and connect it when a connector is given.

    Raises:
        ValidationError: the body breaks the schema.
        VolumeNotFound: the caller does not see the volume.
        InvalidVolume: the volume is attached or reserved for another server.
    """
    schemas.validate(schemas.CREATE_ATTACHMENT_VALIDATOR, body)
    attrs = body["attachment"]
    volume = volumes.get_volume(session, ctx, str(uuid.UUID(attrs["volume_uuid"])),
                                for_update=True)
    instance = str(uuid.UUID(attrs["instance_uuid"]))
    # NOTE: a volume without multiattach may hold several attachments of one server:
    # moves create the new attachment before deleting the old one.
    if any(a.instance_uuid != instance for a in volume.attachments):
        raise exception.InvalidVolume(
            reason=f"Volume {volume.id} status must be available or attached to the same "
            f"server, but is {volume.status}."
        )
    attachment = models.VolumeAttachment(
        id=str(uuid.uuid4()), volume_id=volume.id, instance_uuid=instance, status=RESERVED,
        attach_mode=attrs.get("mode", "rw"),
    )
    volume.attachments.append(attachment)
    if attrs.get("connector"):
        _connect(volume, attachment, attrs["connector"])
    volumes.refresh_status(volume)
    session.flush()
    return attachment


def update_attachment(
    session: Session, ctx: RequestContext, attachment_id: str, body: Any
) -> models.VolumeAttachment:
    """Connect an attachment to a host's connector; ``connection_info`` gets filled.

    Raises:
        ValidationError: the body breaks the schema.
        AttachmentNotFound: the caller does not see the attachment.
    """
    schemas.validate(schemas.UPDATE_ATTACHMENT_VALIDATOR, body)
    attachment = get_attachment(session, ctx, attachment_id, for_update=True)
    volume = volumes.get_volume(session, ctx, attachment.volume_id, for_update=True)
    _connect(volume, attachment, body["attachment"]["connector"])
    volumes.refresh_status(volume)
    session.flush()
    return attachment


def complete_attachment(session: Session, ctx: RequestContext, attachment_id: str) -> None:
    """Mark a connected attachment attached; its volume goes ``in-use``.

    Raises:
        AttachmentNotFound: the caller does not see the attachment.
        InvalidVolume: the attachment has no connection yet.
    """
    attachment = get_attachment(session, ctx, attachment_id, for_update=True)
    volume = volumes.get_volume(session, ctx, attachment.volume_id, for_update=True)
    set_status(attachment, ATTACHED)
    attachment.attached_at = attachment.attached_at or utcnow()
    volumes.refresh_status(volume)
    session.flush()


def delete_attachment(
    session: Session, ctx: RequestContext, attachment_id: str
) -> list[models.VolumeAttachment]:
    """Delete an attachment; the volume is available again when none remain.

    Returns:
        The volume's remaining attachments.

    Raises:
        AttachmentNotFound: the caller does not see the attachment.
    """
    attachment = get_attachment(session, ctx, attachment_id, for_update=True)
    volume = volumes.get_volume(session, ctx, attachment.volume_id, for_update=True)
    volume.attachments.remove(attachment)
    session.delete(attachment)
    volumes.refresh_status(volume)
    session.flush()
    return list(volume.attachments)


def list_attachments(
    session: Session, ctx: RequestContext, project_id: str, params: Params
) -> list[models.VolumeAttachment]:
    """Attachments of the URL project's volumes (every project's with ``all_tenants``),
    filtered by ``instance_id``, ``volume_id`` and ``status``.
    """
    conds: list[ColumnElement[bool]] = []
    if not volumes.all_projects(ctx, params):
        conds.append(models.Volume.project_id == project_id)
    for param, column in (("instance_id", _A.instance_uuid), ("volume_id", _A.volume_id),
                          ("status", _A.status)):
        if param in params:
            value = params[param]
            conds.append(column.in_(value if isinstance(value, list) else [value]))
    stmt = select(_A).join(models.Volume, models.Volume.id == _A.volume_id).where(*conds)
    return list(session.scalars(stmt.order_by(_A.created_at, _A.id)))
