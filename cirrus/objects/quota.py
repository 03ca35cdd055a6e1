"""Quotas: Nova's default limits, per-project overrides, and usage counted from the cells."""

from typing import cast

from sqlalchemy import Table, bindparam, select
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


# NOTE: every create and resize checks quota: pre-built statements on the tables (the
# columns of the mapped classes would take the ORM's execution path).
_CLASSES = cast(Table, models.QuotaClass.__table__)
_QUOTAS = cast(Table, models.Quota.__table__)
_DEFAULTS = select(_CLASSES.c.resource, _CLASSES.c.hard_limit).where(
    _CLASSES.c.class_name == "default")
_PROJECT = select(_QUOTAS.c.resource, _QUOTAS.c.hard_limit).where(
    _QUOTAS.c.project_id == bindparam("project_id"))


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
