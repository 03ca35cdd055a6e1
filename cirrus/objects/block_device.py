"""Block device mappings: the volumes of a server, one row per volume in its cell."""

import dataclasses
import json
import uuid as uuidlib
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.base import utcnow
from cirrus.db.cell import models

_B = models.BlockDeviceMapping
_SETTABLE = frozenset({"volume_id", "attachment_id", "connection_info", "device_name",
                       "volume_size", "tag", "delete_on_termination"})


@dataclasses.dataclass(frozen=True)
class BlockDevice:
    """A volume of a server as the services see it."""

    id: int
    uuid: str
    instance_uuid: str
    source_type: str | None
    destination_type: str | None
    boot_index: int | None
    device_name: str | None
    volume_id: str | None
    image_id: str | None
    volume_size: int | None
    delete_on_termination: bool
    attachment_id: str | None
    connection_info: dict[str, Any] | None
    tag: str | None

    @property
    def is_root(self) -> bool:
        """The server boots from this volume."""
        return self.boot_index == 0


def _from_row(row: Any) -> BlockDevice:
    # An ORM entity or a plain row of the table: the same attribute names.
    return BlockDevice(
        id=row.id, uuid=row.uuid, instance_uuid=row.instance_uuid,
        source_type=row.source_type, destination_type=row.destination_type,
        boot_index=row.boot_index, device_name=row.device_name, volume_id=row.volume_id,
        image_id=row.image_id, volume_size=row.volume_size,
        delete_on_termination=bool(row.delete_on_termination),
        attachment_id=row.attachment_id,
        connection_info=json.loads(row.connection_info) if row.connection_info else None,
        tag=row.tag,
    )


def _boot_index(value: Any) -> int | None:
    if value is None or str(value) in ("", "none", "None"):
        return None
    return int(value)


def _size(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes", "on")


def values_from_request(instance_uuid: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of one ``block_device_mapping_v2`` item that ends in a volume."""
    source = item.get("source_type")
    return {
        "uuid": str(uuidlib.uuid4()), "instance_uuid": instance_uuid,
        "source_type": source, "destination_type": item.get("destination_type"),
        "boot_index": _boot_index(item.get("boot_index")),
        # The root disk is the first device, image or volume alike.
        "device_name": item.get("device_name") or (
            "/dev/vda" if _boot_index(item.get("boot_index")) == 0 else None),
        "volume_id": item.get("uuid") if source == "volume" else None,
        "image_id": item.get("uuid") if source == "image" else None,
        "volume_size": _size(item.get("volume_size")),
        "volume_type": item.get("volume_type"), "disk_bus": item.get("disk_bus"),
        "device_type": item.get("device_type"), "guest_format": item.get("guest_format"),
        "delete_on_termination": _truthy(item.get("delete_on_termination", False)),
        "tag": item.get("tag"),
    }


def volume_items(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The request items that a compute host turns into attached volumes."""
    return [i for i in items if i.get("destination_type") == "volume"]


def values_of(bdm: BlockDevice) -> dict[str, Any]:
    """A mapping's columns, for writing the same mapping into another cell."""
    values = {f.name: getattr(bdm, f.name) for f in dataclasses.fields(bdm) if f.name != "id"}
    info = values.pop("connection_info")
    values["connection_info"] = json.dumps(info) if info is not None else None
    return values


def create(session: Session, values: Mapping[str, Any]) -> BlockDevice:
    """Insert a mapping."""
    row = _B(**values)
    session.add(row)
    session.flush()
    return _from_row(row)


_TABLE = cast(Table, _B.__table__)
# NOTE: pre-built, of plain rows: every build reads its server's mappings.
_BY_INSTANCE = select(_TABLE).where(_TABLE.c.instance_uuid == bindparam("uuid"),
                                    _TABLE.c.deleted == 0).order_by(_TABLE.c.id)


def get_by_instance(session: Session, instance_uuid: str) -> list[BlockDevice]:
    """The live mappings of a server, root first."""
    rows = session.execute(_BY_INSTANCE, {"uuid": instance_uuid})
    found = [_from_row(r) for r in rows]
    return sorted(found, key=lambda b: (not b.is_root, b.id))


def get_by_volume(session: Session, instance_uuid: str, volume_id: str) -> BlockDevice:
    """The live mapping of ``volume_id`` on a server.

    Raises:
        VolumeBDMNotFound: the volume is not attached to the server.
    """
    row = session.scalar(select(_B).where(_B.instance_uuid == instance_uuid,
                                          _B.volume_id == volume_id, _B.deleted == 0))
    if row is None:
        raise exception.VolumeBDMNotFound(volume_id=volume_id)
    return _from_row(row)


def update(session: Session, bdm_id: int, **changes: Any) -> BlockDevice:
    """Change the settable fields of a mapping (``connection_info`` as a dict)."""
    unknown = set(changes) - _SETTABLE
    if unknown:
        raise ValueError(f"not settable on a block device mapping: {sorted(unknown)}")
    row = session.get(_B, bdm_id)
    if row is None:
        raise exception.VolumeBDMNotFound(volume_id=str(changes.get("volume_id", bdm_id)))
    if "connection_info" in changes:
        info = changes.pop("connection_info")
        row.connection_info = json.dumps(info) if info is not None else None
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    return _from_row(row)


def destroy(session: Session, bdm_id: int) -> None:
    """Soft-delete a mapping (a detached volume)."""
    row = session.get(_B, bdm_id)
    if row is not None and not row.deleted:
        row.deleted = row.id
        row.deleted_at = utcnow()
        session.flush()


def next_device_name(existing: Iterable[BlockDevice]) -> str:
    """The first free ``/dev/vdX`` after the server's devices (``vda`` is the root's)."""
    used = {b.device_name for b in existing if b.device_name}
    for letter in "bcdefghijklmnopqrstuvwxyz":
        name = f"/dev/vd{letter}"
        if name not in used:
            return name
    raise exception.Invalid("No free device name left on the server.")
