"""Quotas: Nova's default limits, per-project overrides, and usage counted from the cells."""

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cirrus.db.api import models

DEFAULTS = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
    "metadata_items": 128,
    "server_groups": 10,
    "server_group_members": 10,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
}


# NOTE: every create and resize checks quota: pre-built statements of plain columns.
_DEFAULTS = select(models.QuotaClass.resource, models.QuotaClass.hard_limit).where(
    models.QuotaClass.class_name == "default")
_PROJECT = select(models.Quota.resource, models.Quota.hard_limit).where(
    models.Quota.project_id == bindparam("project_id"))


def defaults(session: Session) -> dict[str, int]:
    """The ``default`` quota class, falling back to Nova's defaults."""
    limits = dict(DEFAULTS)
    for resource, hard_limit in session.execute(_DEFAULTS):
        limits[resource] = hard_limit
    return limits


def limits_for(session: Session, project_id: str) -> dict[str, int]:
    """Effective limits of a project (-1 means unlimited)."""
    limits = defaults(session)
    for resource, hard_limit in session.execute(_PROJECT, {"project_id": project_id}):
        limits[resource] = hard_limit
    return limits


def set_limit(session: Session, project_id: str, resource: str, hard_limit: int) -> None:
    """Override one limit of a project."""
    row = session.scalar(select(models.Quota).filter_by(project_id=project_id,
                                                        resource=resource))
    if row is None:
        session.add(models.Quota(project_id=project_id, resource=resource,
                                 hard_limit=hard_limit))
    else:
        row.hard_limit = hard_limit
