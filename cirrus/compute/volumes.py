"""The volumes of a server: create, connect and release them through the volume service.

Every function takes the runtime and the server's cell so that the API (a delete without a
compute host) and the compute hosts share one path.
"""

import logging
from typing import Any

from cirrus import exception
from cirrus.objects import block_device as bdm_obj
from cirrus.objects.block_device import BlockDevice
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.instance import Instance
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


def connector(host: str) -> dict[str, Any]:
    """The connector a host presents to the volume service (iSCSI, as Nova's libvirt)."""
    return {"initiator": f"iqn.2026-01.org.cirrus:{host}", "host": host, "ip": "127.0.0.1",
            "platform": "x86_64", "os_type": "linux", "multipath": False}


def has_volumes(inst: Instance) -> bool:
    """Whether a server read with its rows has live volume mappings.

    Only a mapping with a volume gets a reservation or an attachment, and the server's
    read lists those mappings; without any, the steps that act on attachments have
    nothing to do, and their read of the mappings is skipped.
    """
    return bool(inst.volumes)


def bdms_of(runtime: Runtime, cell: CellMapping, instance_uuid: str) -> list[BlockDevice]:
    """The live mappings of a server (a read: no write lock on the cell database)."""
    with runtime.cell_reader(cell) as s:
        return bdm_obj.get_by_instance(s, instance_uuid)


def _update(runtime: Runtime, cell: CellMapping, bdm: BlockDevice,
            **changes: Any) -> BlockDevice:
    with runtime.cell_session(cell) as s:
        return bdm_obj.update(s, bdm.id, **changes)


def connect(runtime: Runtime, cell: CellMapping, project_id: str, bdm: BlockDevice,
            host: str) -> BlockDevice:
    """Attach the mapping's volume to ``host`` with a new, completed attachment.

    The attachment id is saved on the mapping before the connection is completed, so
    that a failure in between leaves an attachment the server's cleanup finds.

    Raises:
        VolumeNotFound: the volume is gone.
        InvalidVolume: another server holds the volume.
    """
    client = runtime.volume_for(project_id)
    assert bdm.volume_id is not None
    attachment = client.create_attachment(bdm.volume_id, bdm.instance_uuid, connector(host))
    bdm = _update(runtime, cell, bdm, attachment_id=attachment.id,
                  connection_info=dict(attachment.connection_info))
    client.complete_attachment(attachment.id)
    return bdm


def _find(runtime: Runtime, cell: CellMapping, instance_uuid: str,
          bdm_uuid: str) -> BlockDevice:
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.uuid == bdm_uuid:
            return bdm
    raise exception.VolumeBDMNotFound(volume_id=bdm_uuid)


def connect_reserved(runtime: Runtime, cell: CellMapping, project_id: str,
                     instance_uuid: str, bdm_uuid: str, host: str) -> BlockDevice:
    """Connect the reserved attachment of a mapping to ``host`` and complete it.

    Raises:
        VolumeBDMNotFound: no such mapping on the server.
        AttachmentNotFound: the reservation is gone.
    """
    bdm = _find(runtime, cell, instance_uuid, bdm_uuid)
    client = runtime.volume_for(project_id)
    assert bdm.attachment_id is not None
    attachment = client.update_attachment(bdm.attachment_id, connector(host))
    bdm = _update(runtime, cell, bdm, connection_info=dict(attachment.connection_info))
    client.complete_attachment(attachment.id)
    return bdm


def disconnect(runtime: Runtime, cell: CellMapping, project_id: str, instance_uuid: str,
               bdm_uuid: str) -> None:
    """Delete a mapping's attachments, then the mapping (the volume stays).

    While a server is resized its volume also has the source's attachment, which no
    mapping names any more; a detach then removes that one too, or a confirm or revert
    would leave it behind.
    """
    bdm = _find(runtime, cell, instance_uuid, bdm_uuid)
    if bdm.volume_id:
        for att in _others(runtime, project_id, bdm):
            delete_attachment(runtime, project_id, att.id)
    if bdm.attachment_id:
        delete_attachment(runtime, project_id, bdm.attachment_id)
    with runtime.cell_session(cell) as s:
        bdm_obj.destroy(s, bdm.id)


def attach_for_build(runtime: Runtime, cell: CellMapping, project_id: str,
                     instance_uuid: str, host: str,
                     bdms: list[BlockDevice] | None = None) -> list[BlockDevice]:
    """Create the volumes a build asked for and connect every volume to ``host``.

    A volume made from an image is recorded on the mapping as soon as it exists, so a
    rescheduled build reuses it and a delete removes it. ``bdms`` are the server's live
    mappings when the caller has just read them.
    """
    client = runtime.volume_for(project_id)
    out = []
    for found in bdms if bdms is not None else bdms_of(runtime, cell, instance_uuid):
        bdm = found
        if bdm.volume_id is None:
            size = bdm.volume_size or 1
            volume = client.create_volume(size, name="", image_ref=bdm.image_id)
            bdm = _update(runtime, cell, bdm, volume_id=volume.id, volume_size=size)
        if bdm.attachment_id is None:
            bdm = connect(runtime, cell, project_id, bdm, host)
        out.append(bdm)
    return out


def delete_attachment(runtime: Runtime, project_id: str, attachment_id: str) -> None:
    """Delete an attachment; one that is already gone is fine."""
    try:
        runtime.volume_for(project_id).delete_attachment(attachment_id)
    except exception.AttachmentNotFound:
        LOG.info("Attachment %s was already deleted", attachment_id)


def disconnect_for_reschedule(runtime: Runtime, cell: CellMapping, project_id: str,
                              instance_uuid: str) -> None:
    """Drop the build's attachments (its volumes stay) before another host tries."""
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.attachment_id:
            delete_attachment(runtime, project_id, bdm.attachment_id)
            _update(runtime, cell, bdm, attachment_id=None, connection_info=None)


def release_all(runtime: Runtime, cell: CellMapping, project_id: str,
                instance_uuid: str) -> None:
    """Detach every volume of a deleted server and delete those marked for deletion.

    Every attachment the volume service holds for the server goes, not only the ones
    the mappings name: a move interrupted between creating and recording one leaves it.
    Failures are logged; the server's delete goes on.
    """
    client = runtime.volume_for(project_id)
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.volume_id is None:
            continue
        try:
            for att in client.list_attachments(instance_id=instance_uuid,
                                               volume_id=bdm.volume_id):
                delete_attachment(runtime, project_id, att.id)
            if bdm.delete_on_termination:
                client.delete_volume(bdm.volume_id)
        except exception.VolumeNotFound:
            LOG.info("Volume %s of %s was already deleted", bdm.volume_id, instance_uuid)
        except Exception:
            LOG.exception("Releasing volume %s of %s failed", bdm.volume_id, instance_uuid)
        with runtime.cell_session(cell) as s:
            bdm_obj.destroy(s, bdm.id)


def move_to_host(runtime: Runtime, cell: CellMapping, project_id: str, instance_uuid: str,
                 host: str) -> list[BlockDevice]:
    """Give every volume of a moving server a new attachment on ``host``.

    The mappings name the new attachments; the previous ones stay in the volume service,
    still connected to the source, until a confirm deletes them (``keep_only_named``) or a
    revert goes back to them (``back_to_previous``).
    """
    return [connect(runtime, cell, project_id, bdm, host)
            for bdm in bdms_of(runtime, cell, instance_uuid) if bdm.volume_id]


def _others(runtime: Runtime, project_id: str, bdm: BlockDevice) -> list[Any]:
    """The server's attachments of the mapping's volume that the mapping does not name."""
    found = runtime.volume_for(project_id).list_attachments(
        instance_id=bdm.instance_uuid, volume_id=bdm.volume_id)
    return [a for a in found if a.id != bdm.attachment_id]


def keep_only_named(runtime: Runtime, cell: CellMapping, project_id: str,
                    instance_uuid: str) -> None:
    """Delete the attachments of the server's volumes that no mapping names (a confirm)."""
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.volume_id:
            for att in _others(runtime, project_id, bdm):
                delete_attachment(runtime, project_id, att.id)


def back_to_previous(runtime: Runtime, cell: CellMapping, project_id: str,
                     instance_uuid: str, source_host: str | None = None) -> None:
    """Delete the attachments a move made and name the ones kept from before (a revert).

    A mapping with no earlier attachment is a volume attached while the server was
    resized, on the destination: given ``source_host`` it is attached there anew, since
    the server goes back; otherwise it keeps its attachment (the move never replaced it).
    """
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if not bdm.volume_id:
            continue
        others = _others(runtime, project_id, bdm)
        if not others:
            if source_host is not None and bdm.attachment_id:
                connect(runtime, cell, project_id, bdm, source_host)
                delete_attachment(runtime, project_id, bdm.attachment_id)
            continue
        previous = others[0]
        _update(runtime, cell, bdm, attachment_id=previous.id,
                connection_info=dict(previous.connection_info))
        if bdm.attachment_id:
            delete_attachment(runtime, project_id, bdm.attachment_id)


def reserve_for_move(runtime: Runtime, cell: CellMapping, project_id: str,
                     instance_uuid: str) -> None:
    """Reserve every volume again for the copy of a server in ``cell`` (a cross-cell move).

    The copy's mappings name the reservations; the source's keep naming theirs, so the
    rollback (``keep_only_named`` on the source cell) tells the two apart.
    """
    client = runtime.volume_for(project_id)
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.volume_id:
            attachment = client.create_attachment(bdm.volume_id, instance_uuid)
            _update(runtime, cell, bdm, attachment_id=attachment.id, connection_info=None)


def connect_all_reserved(runtime: Runtime, cell: CellMapping, project_id: str,
                         instance_uuid: str, host: str) -> list[BlockDevice]:
    """Connect each mapping's reserved attachment to ``host`` and complete it."""
    return [connect_reserved(runtime, cell, project_id, instance_uuid, bdm.uuid, host)
            for bdm in bdms_of(runtime, cell, instance_uuid) if bdm.attachment_id]


def release_named(runtime: Runtime, cell: CellMapping, project_id: str,
                  instance_uuid: str) -> None:
    """Delete the attachments the mappings in ``cell`` name; the volumes stay.

    Used on the copy that loses a cross-cell move, whose records are deleted next.
    """
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.attachment_id:
            delete_attachment(runtime, project_id, bdm.attachment_id)


def block_device_info(bdms: list[BlockDevice]) -> tuple[dict[str, Any], ...]:
    """What a driver is told about the server's volumes."""
    return tuple({"volume_id": b.volume_id, "device_name": b.device_name,
                  "boot_index": b.boot_index, "connection_info": b.connection_info}
                 for b in bdms)


def sync_source_mappings(runtime: Runtime, target: CellMapping, source: CellMapping,
                         project_id: str, instance_uuid: str) -> None:
    """Make the source copy's volumes those of the target copy (a cross-cell revert).

    A volume attached while resized gets a mapping in the source cell with a reservation
    that the source host connects when it takes the server back; a volume detached
    while resized loses the source's mapping and attachment.
    """
    theirs = {b.volume_id: b for b in bdms_of(runtime, target, instance_uuid) if b.volume_id}
    ours = {b.volume_id: b for b in bdms_of(runtime, source, instance_uuid) if b.volume_id}
    client = runtime.volume_for(project_id)
    for volume_id, bdm in ours.items():
        if volume_id not in theirs:
            if bdm.attachment_id:
                delete_attachment(runtime, project_id, bdm.attachment_id)
            with runtime.cell_session(source) as s:
                bdm_obj.destroy(s, bdm.id)
    for volume_id, bdm in theirs.items():
        if volume_id in ours:
            continue
        attachment = client.create_attachment(volume_id, instance_uuid)
        with runtime.cell_session(source) as s:
            bdm_obj.create(s, {**bdm_obj.values_of(bdm), "attachment_id": attachment.id,
                               "connection_info": None})


def connect_pending(runtime: Runtime, cell: CellMapping, project_id: str,
                    instance_uuid: str, host: str) -> None:
    """Connect to ``host`` the mappings whose attachment is only reserved."""
    for bdm in bdms_of(runtime, cell, instance_uuid):
        if bdm.attachment_id and bdm.connection_info is None:
            connect_reserved(runtime, cell, project_id, instance_uuid, bdm.uuid, host)
