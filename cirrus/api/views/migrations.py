"""Migration bodies of GET /os-migrations by microversion (Nova's fields, no more)."""

from typing import Any

from cirrus.api.microversion import Version
from cirrus.api.views.timeutils import rawtime
from cirrus.objects.migration import Migration

_HOST_FIELDS = ("source_compute", "source_node", "dest_compute", "dest_node", "dest_host")


def show(migration: Migration, version: Version, *, hosts_visible: bool) -> dict[str, Any]:
    """One item; host fields are null when the caller may not see hosts."""
    body: dict[str, Any] = {
        "id": migration.id, "instance_uuid": migration.instance_uuid,
        "status": str(migration.status),
        "old_instance_type_id": migration.old_instance_type_id,
        "new_instance_type_id": migration.new_instance_type_id,
        "created_at": rawtime(migration.created_at),
        "updated_at": rawtime(migration.updated_at),
    }
    for field in _HOST_FIELDS:
        body[field] = getattr(migration, field) if hosts_visible else None
    if version.matches((2, 23)):
        body["migration_type"] = migration.migration_type
    if version.matches((2, 59)):
        body["uuid"] = migration.uuid
    if version.matches((2, 80)):
        body["user_id"] = migration.user_id
        body["project_id"] = migration.project_id
    return body


# Cirrus-specific fields appear only for a client that sends this header, so clients
# that validate Nova's shapes strictly never see them.
DETAIL_HEADER = "Cirrus-Migration-Detail"
CIRRUS_PREFIX = "cirrus:"


def wants_detail(value: str | None) -> bool:
    """Whether the header asks for Cirrus's migration fields."""
    return (value or "").strip().lower() in ("1", "true", "yes", "move")


def disk_progress(migration: Migration) -> dict[str, Any]:
    """The Cirrus fields of the disk step of a move: which step, bytes done of how many,
    and the rate so far (each figure is of that step alone)."""
    return {
        CIRRUS_PREFIX + "disk_step": migration.disk_step,
        CIRRUS_PREFIX + "disk_processed_bytes": migration.disk_processed,
        CIRRUS_PREFIX + "disk_total_bytes": migration.disk_total,
        CIRRUS_PREFIX + "disk_rate_bytes_per_sec": migration.disk_rate,
    }
