"""Flavors in the API database."""

from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models
from cirrus.objects.flavor_spec import FlavorSpec


def _to_spec(row: models.Flavor) -> FlavorSpec:
    return FlavorSpec(
        id=row.id, flavorid=row.flavorid, name=row.name, memory_mb=row.memory_mb,
        vcpus=row.vcpus, root_gb=row.root_gb, ephemeral_gb=row.ephemeral_gb, swap=row.swap,
        rxtx_factor=row.rxtx_factor, vcpu_weight=row.vcpu_weight, is_public=row.is_public,
        disabled=row.disabled, description=row.description,
        extra_specs={s.key: s.value or "" for s in row.extra_specs},
    )


# NOTE: every boot and resize reads its flavor: plain rows from pre-built statements skip
# the ORM's entity loading and its eager load of the flavor's projects.
_FLAVOR_TABLE = cast(Table, models.Flavor.__table__)
_BY_FLAVOR_ID = select(_FLAVOR_TABLE).where(_FLAVOR_TABLE.c.flavorid == bindparam("flavorid"))
_SPECS_TABLE = cast(Table, models.FlavorExtraSpec.__table__)
_EXTRA_SPECS = select(_SPECS_TABLE.c.key, _SPECS_TABLE.c.value).where(
    _SPECS_TABLE.c.flavor_id == bindparam("flavor_id")).order_by(_SPECS_TABLE.c.id)


def get_by_flavor_id(session: Session, flavorid: str) -> FlavorSpec:
    """The flavor with API id ``flavorid``; raises FlavorNotFound."""
    row: Any = session.execute(_BY_FLAVOR_ID, {"flavorid": flavorid}).first()
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    specs = session.execute(_EXTRA_SPECS, {"flavor_id": row.id}).all()
    return FlavorSpec(
        id=row.id, flavorid=row.flavorid, name=row.name, memory_mb=row.memory_mb,
        vcpus=row.vcpus, root_gb=row.root_gb, ephemeral_gb=row.ephemeral_gb, swap=row.swap,
        rxtx_factor=row.rxtx_factor, vcpu_weight=row.vcpu_weight, is_public=row.is_public,
        disabled=row.disabled, description=row.description,
        extra_specs={key: value or "" for key, value in specs},
    )


def projects_of(session: Session, flavorid: str) -> list[str]:
    """Projects given access to a private flavor."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    return [p.project_id for p in row.projects]


def get_all(
    session: Session,
    *,
    is_public: bool | None = True,
    project_id: str | None = None,
    min_memory_mb: int = 0,
    min_root_gb: int = 0,
    name: str | None = None,
    sort_key: str = "flavorid",
    sort_dir: str = "asc",
) -> list[FlavorSpec]:
    """Flavors visible with these filters.

    ``is_public`` None lists all; True lists public ones plus the private flavors
    ``project_id`` has access to (when given).
    """
    m = models.Flavor
    query = select(m).where(m.memory_mb >= min_memory_mb, m.root_gb >= min_root_gb)
    if is_public is not None:
        if is_public and project_id:
            access = select(models.FlavorProject.flavor_id).where(
                models.FlavorProject.project_id == project_id)
            query = query.where(or_(m.is_public.is_(True), m.id.in_(access)))
        else:
            query = query.where(m.is_public.is_(is_public))
    if name is not None:
        query = query.where(m.name == name)
    col = getattr(m, sort_key)
    query = query.order_by(col.desc() if sort_dir == "desc" else col.asc(), m.id.asc())
    return [_to_spec(r) for r in session.scalars(query)]


def create(session: Session, spec: FlavorSpec) -> FlavorSpec:
    """Insert a flavor; raises FlavorExists on a duplicate id or name."""
    for field, value in (("ID", spec.flavorid), ("name", spec.name)):
        col = models.Flavor.flavorid if field == "ID" else models.Flavor.name
        if session.scalar(select(models.Flavor).where(col == value)) is not None:
            raise exception.FlavorExists(field=field, value=value)
    row = models.Flavor(
        flavorid=spec.flavorid, name=spec.name, memory_mb=spec.memory_mb, vcpus=spec.vcpus,
        root_gb=spec.root_gb, ephemeral_gb=spec.ephemeral_gb, swap=spec.swap,
        rxtx_factor=spec.rxtx_factor, is_public=spec.is_public, disabled=spec.disabled,
        description=spec.description,
    )
    row.extra_specs = [models.FlavorExtraSpec(key=k, value=v)
                       for k, v in spec.extra_specs.items()]
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise exception.FlavorExists(field="name", value=spec.name) from exc
    return _to_spec(row)


def delete(session: Session, flavorid: str) -> None:
    """Remove a flavor; servers keep their embedded copy."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    session.delete(row)


def set_extra_specs(session: Session, flavorid: str, specs: dict[str, str]) -> dict[str, str]:
    """Add or update extra specs; returns the flavor's full set."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    existing = {s.key: s for s in row.extra_specs}
    for key, value in specs.items():
        if key in existing:
            existing[key].value = value
        else:
            row.extra_specs.append(models.FlavorExtraSpec(key=key, value=value))
    session.flush()
    return {s.key: s.value or "" for s in row.extra_specs}


def delete_extra_spec(session: Session, flavorid: str, key: str) -> None:
    """Remove one extra spec; raises NotFound when absent."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    for spec in row.extra_specs:
        if spec.key == key:
            row.extra_specs.remove(spec)
            return
    raise exception.NotFound(f"Flavor {flavorid} has no extra specs with key {key}.")


def add_project(session: Session, flavorid: str, project_id: str) -> None:
    """Give a project access to a private flavor."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    if any(p.project_id == project_id for p in row.projects):
        raise exception.Conflict(
            f"Flavor access already exists for flavor {flavorid} and project {project_id} "
            "combination.")
    row.projects.append(models.FlavorProject(project_id=project_id))


def remove_project(session: Session, flavorid: str, project_id: str) -> None:
    """Take a project's access to a private flavor away."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    for p in row.projects:
        if p.project_id == project_id:
            row.projects.remove(p)
            return
    raise exception.NotFound(
        f"Flavor access not found for {flavorid} / {project_id} combination.")


def update_description(session: Session, flavorid: str, description: str | None) -> FlavorSpec:
    """Set a flavor's description (the one change the API allows, from 2.55)."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    row.description = description
    session.flush()
    return _to_spec(row)
