"""Servers in a cell database, with the rows that hang off them loaded in bulk."""

import base64
import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.base import utcnow
from cirrus.db.cell import models
from cirrus.objects.flavor_spec import FlavorSpec

_UNSET: Any = object()


@dataclasses.dataclass
class Instance:
    """A server as the services see it (a snapshot; save changes with ``update``)."""

    id: int
    uuid: str
    power_state: int
    locked: bool
    hidden: bool
    created_at: datetime.datetime
    deleted: int
    user_id: str | None = None
    project_id: str | None = None
    display_name: str | None = None
    display_description: str | None = None
    hostname: str | None = None
    host: str | None = None
    node: str | None = None
    launched_on: str | None = None
    image_ref: str | None = None
    kernel_id: str | None = None
    ramdisk_id: str | None = None
    key_name: str | None = None
    key_data: str | None = None
    vm_state: str | None = None
    task_state: str | None = None
    memory_mb: int | None = None
    vcpus: int | None = None
    root_gb: int | None = None
    ephemeral_gb: int | None = None
    instance_type_id: int | None = None
    availability_zone: str | None = None
    launched_at: datetime.datetime | None = None
    terminated_at: datetime.datetime | None = None
    scheduled_at: datetime.datetime | None = None
    locked_by: str | None = None
    config_drive: str | None = None
    reservation_id: str | None = None
    launch_index: int | None = None
    root_device_name: str | None = None
    user_data: str | None = None
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    progress: int | None = None
    auto_disk_config: bool | None = None
    os_type: str | None = None
    architecture: str | None = None
    ephemeral_key_uuid: str | None = None
    updated_at: datetime.datetime | None = None
    deleted_at: datetime.datetime | None = None
    # Related rows.
    flavor: FlavorSpec | None = None
    old_flavor: FlavorSpec | None = None
    new_flavor: FlavorSpec | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    system_metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: list[str] = dataclasses.field(default_factory=list)
    fault: dict[str, Any] | None = None
    network_info: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    volumes: list[tuple[str, bool]] = dataclasses.field(default_factory=list)
    """(volume id, delete_on_termination) of attached volumes."""


_COLUMNS = [c.key for c in models.Instance.__table__.columns]


def _flavors_json(cur: FlavorSpec | None, old: FlavorSpec | None,
                  new: FlavorSpec | None) -> str:
    return json.dumps({
        "cur": cur.to_dict() if cur else None,
        "old": old.to_dict() if old else None,
        "new": new.to_dict() if new else None,
    })


def _spec(value: dict[str, Any] | None) -> FlavorSpec | None:
    return FlavorSpec.from_dict(value) if value else None


def create(session: Session, values: dict[str, Any], flavor: FlavorSpec,
           **related: Any) -> Instance:
    """``insert_instance`` (``related``: its keyword arguments), then the server as it
    was stored."""
    insert_instance(session, values, flavor, **related)
    return get_by_uuid(session, values["uuid"])


def insert_instance(
    session: Session,
    values: dict[str, Any],
    flavor: FlavorSpec,
    metadata: dict[str, str] | None = None,
    system_metadata: dict[str, str] | None = None,
    tags: Sequence[str] = (),
    keypairs: list[dict[str, Any]] | None = None,
    injected_files: Sequence[tuple[str, str]] = (),
) -> None:
    """Insert a server and its related rows (``injected_files``: path, base64 contents)."""
    # NOTE: plain inserts on the tables (their column defaults apply as with the ORM): the
    # unit of work's flush was most of a boot's cost in the cell database.
    uuid = values["uuid"]
    session.execute(_insert(models.Instance),
                    {k: v for k, v in values.items() if k in _COLUMNS})
    session.execute(_insert(models.InstanceExtra), {
        "instance_uuid": uuid, "flavor": _flavors_json(flavor, None, None),
        "keypairs": json.dumps(keypairs or []),
        "injected_files": json.dumps([list(f) for f in injected_files]) if injected_files
        else None,
    })
    session.execute(_insert(models.InstanceInfoCache),
                    {"instance_uuid": uuid, "network_info": "[]"})
    related = (
        (models.InstanceMetadata, [{"instance_uuid": uuid, "key": k, "value": v}
                                   for k, v in (metadata or {}).items()]),
        (models.InstanceSystemMetadata, [{"instance_uuid": uuid, "key": k, "value": v}
                                         for k, v in (system_metadata or {}).items()]),
        (models.Tag, [{"resource_id": uuid, "tag": tag} for tag in tags]),
    )
    for model, rows in related:
        if rows:
            session.execute(_insert(model), rows)


_INSERTS: dict[Any, Any] = {}


def _insert(model: Any) -> Any:
    # NOTE: built once per table: a statement built anew has its cache key computed anew.
    stmt = _INSERTS.get(model)
    if stmt is None:
        stmt = _INSERTS[model] = insert(_table(model))
    return stmt


def injected_files(session: Session, uuid: str) -> list[tuple[str, bytes]]:
    """The personality files of a server: (path, contents), in the order given at boot.

    Read on its own, not with the server, because only building a config drive needs it.
    """
    raw = session.scalar(select(models.InstanceExtra.injected_files)
                         .where(models.InstanceExtra.instance_uuid == uuid))
    return [(path, base64.b64decode(data)) for path, data in json.loads(raw or "[]")]


def _table(model: Any) -> Any:
    return model.__table__


def _related_statements() -> dict[str, Any]:
    """The statements that read servers, built once.

    NOTE: building a statement and computing its cache key cost more than running it
    on SQLite, and every statement a read adds is paid on every server read. So a list
    of servers is two statements: their rows joined with their one-to-one rows (flavors,
    network info), then every one-to-many row (metadata, system metadata, tags, volumes)
    in one UNION ALL, with the uuids as an expanding bind parameter. One server is one
    statement: its row outer-joined with that UNION ALL, a row per related row; a server
    carries few of them, and a read less on each step of a move is worth the repeats.
    """
    uuids: Any = bindparam("uuids", expanding=True)
    one: Any = bindparam("uuid")
    ex = _table(models.InstanceExtra)
    md = _table(models.InstanceMetadata)
    sm = _table(models.InstanceSystemMetadata)
    tags = _table(models.Tag)
    cache = _table(models.InstanceInfoCache)
    bdm = _table(models.BlockDeviceMapping)
    inst = _table(models.Instance)
    base = select(inst, ex.c.flavor.label("_flavors"),
                  cache.c.network_info.label("_network_info")).select_from(
        inst.outerjoin(ex, ex.c.instance_uuid == inst.c.uuid)
        .outerjoin(cache, cache.c.instance_uuid == inst.c.uuid))
    kind: dict[str, Any] = {name: literal_column(f"'{name}'").label("kind")
            for name in ("metadata", "system_metadata", "tags", "volumes")}

    def many(of: Any) -> Any:
        return union_all(
            select(kind["metadata"], md.c.instance_uuid, md.c.key, md.c.value, md.c.id)
            .where(of(md.c.instance_uuid), md.c.deleted == 0),
            select(kind["system_metadata"], sm.c.instance_uuid, sm.c.key, sm.c.value,
                   sm.c.id).where(of(sm.c.instance_uuid), sm.c.deleted == 0),
            select(kind["tags"], tags.c.resource_id, tags.c.tag, null(), null()).where(
                of(tags.c.resource_id)),
            select(kind["volumes"], bdm.c.instance_uuid, bdm.c.volume_id,
                   case((bdm.c.delete_on_termination, "1"), else_="0"), bdm.c.id).where(
                of(bdm.c.instance_uuid), bdm.c.deleted == 0, bdm.c.volume_id.is_not(None)),
        ).subquery()

    rows = many(lambda column: column.in_(uuids))
    # The uuid is compared in each arm, so that no engine has to push it into the UNION.
    rel = many(lambda column: column == one)
    joined = select(inst, ex.c.flavor.label("_flavors"),
                    cache.c.network_info.label("_network_info"),
                    *(rel.c[name].label(f"_rel_{name}") for name in ("kind", "key", "value"))
                    ).select_from(
        inst.outerjoin(ex, ex.c.instance_uuid == inst.c.uuid)
        .outerjoin(cache, cache.c.instance_uuid == inst.c.uuid)
        .outerjoin(rel, rel.c.instance_uuid == inst.c.uuid)).where(
            inst.c.uuid == one).order_by(rel.c.kind, rel.c.id, rel.c.key)
    return {
        "base": base,
        "many": select(rows).order_by(rows.c.kind, rows.c.id, rows.c.key),
        "one": joined.where(inst.c.deleted == 0),
        "one_any": joined,
    }


_STMTS: dict[str, Any] = {}


def _stmt(name: str) -> Any:
    if not _STMTS:
        _STMTS.update(_related_statements())
    return _STMTS[name]


def _attach_related(session: Session, rows: Sequence[Any]) -> list[Instance]:
    """Build Instances from rows of the ``base`` select, with their one-to-many rows.

    NOTE: plain Core selects, not ORM entities: building ORM objects for hundreds of rows
    was most of the cost of a server list.
    """
    if not rows:
        return []
    out = {r["uuid"]: _from_row(r) for r in rows}
    for kind, uuid, key, value, _id in session.execute(_stmt("many"), {"uuids": list(out)}):
        _add_related(out[uuid], kind, key, value)
    _attach_faults(session, out)
    return list(out.values())


def _from_row(r: Any) -> Instance:
    flavors = json.loads(r["_flavors"] or "{}")
    return Instance(
        **{k: r[k] for k in _COLUMNS}, flavor=_spec(flavors.get("cur")),
        old_flavor=_spec(flavors.get("old")), new_flavor=_spec(flavors.get("new")),
        network_info=json.loads(r["_network_info"] or "[]"))


def _add_related(inst: Instance, kind: str, key: str, value: str | None) -> None:
    if kind == "tags":
        inst.tags.append(key)
    elif kind == "volumes":
        inst.volumes.append((key, value == "1"))
    else:
        getattr(inst, kind)[key] = value or ""


def _attach_faults(session: Session, out: dict[str, Instance]) -> None:
    wanted = [u for u, i in out.items() if i.vm_state in ("error", "deleted")]
    if not wanted:
        return
    t = _table(models.InstanceFault)
    rows = session.execute(select(t).where(t.c.instance_uuid.in_(wanted)).order_by(
        t.c.created_at.desc(), t.c.id.desc()))
    for fault in rows:
        inst = out[fault.instance_uuid]
        if inst.fault is None:
            inst.fault = {"code": fault.code, "message": fault.message or "",
                          "details": fault.details or "", "created": fault.created_at,
                          "host": fault.host}


def get_by_uuid(session: Session, uuid: str, *, read_deleted: bool = False) -> Instance:
    """The server ``uuid``; raises InstanceNotFound."""
    query = _stmt("one_any" if read_deleted else "one")
    rows = session.execute(query, {"uuid": uuid}).mappings().all()
    if not rows:
        raise exception.InstanceNotFound(instance_id=uuid)
    inst = _from_row(rows[0])
    for r in rows:
        if r["_rel_kind"] is not None:
            _add_related(inst, r["_rel_kind"], r["_rel_key"], r["_rel_value"])
    _attach_faults(session, {inst.uuid: inst})
    return inst


@dataclasses.dataclass(frozen=True)
class Filters:
    """Server list filters, already validated by the API."""

    project_id: str | None = None
    uuids: tuple[str, ...] | None = None
    host: str | None = None
    states: tuple[tuple[str, str | None], ...] | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    deleted: bool | None = False
    include_hidden: bool = False
    busy: bool = False
    """Only servers with a task_state."""
    exact: dict[str, Any] = dataclasses.field(default_factory=dict)


def _apply_filters(query: Any, f: Filters) -> Any:
    m = models.Instance
    if f.project_id is not None:
        query = query.where(m.project_id == f.project_id)
    if f.uuids is not None:
        query = query.where(m.uuid.in_(f.uuids))
    if f.host is not None:
        query = query.where(m.host == f.host)
    if f.deleted is not None:
        query = query.where(m.deleted != 0) if f.deleted else query.where(m.deleted == 0)
    if not f.include_hidden:
        query = query.where(m.hidden.is_(False))
    if f.busy:
        query = query.where(m.task_state.is_not(None))
    if f.changes_since is not None:
        query = query.where(or_(m.updated_at >= f.changes_since,
                                and_(m.updated_at.is_(None), m.created_at >= f.changes_since)))
    if f.changes_before is not None:
        query = query.where(or_(m.updated_at <= f.changes_before,
                                and_(m.updated_at.is_(None), m.created_at <= f.changes_before)))
    if f.states:
        conds = [
            and_(m.vm_state == vm, m.task_state == task) if task else m.vm_state == vm
            for vm, task in f.states
        ]
        query = query.where(or_(*conds))
    for key, value in f.exact.items():
        query = query.where(getattr(m, key) == value)
    return query


def flavor_columns(flavor: FlavorSpec) -> dict[str, Any]:
    """The instance columns that follow its flavor (set whenever the flavor changes)."""
    return {"memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus, "root_gb": flavor.root_gb,
            "ephemeral_gb": flavor.ephemeral_gb, "instance_type_id": flavor.id}


def exists(session: Session, uuid: str, *, read_deleted: bool = True) -> bool:
    """Whether a row of the server is in this cell (a live one unless ``read_deleted``)."""
    m = models.Instance
    query = select(m.id).where(m.uuid == uuid)
    if not read_deleted:
        query = query.where(m.deleted == 0)
    return session.scalar(query.limit(1)) is not None


def get_all(
    session: Session,
    filters: Filters,
    *,
    limit: int | None = None,
    sort_keys: Sequence[str] = ("created_at", "id"),
    descending: bool = True,
) -> list[Instance]:
    """Servers matching ``filters``, newest first by default."""
    m = models.Instance
    query = _apply_filters(_stmt("base"), filters)
    cols = [getattr(m, k) for k in sort_keys]
    query = query.order_by(*[c.desc() if descending else c.asc() for c in cols])
    if limit is not None:
        query = query.limit(limit)
    return _attach_related(session, list(session.execute(query).mappings()))


def update_instance(
    session: Session,
    uuid: str,
    *,
    expected_task_state: Any = _UNSET,
    expected_vm_state: Any = _UNSET,
    **changes: Any,
) -> Instance:
    """Change columns of a server, optionally only if it is in the expected state.

    Returns:
        The server as it is now.

    Raises:
        UnexpectedTaskState: the task or vm state differs from what the caller expected.
        InstanceNotFound: no such live server.
    """
    set_fields(session, uuid, expected_task_state=expected_task_state,
               expected_vm_state=expected_vm_state, **changes)
    return get_by_uuid(session, uuid)


_FLAVOR_FIELDS = ("flavor", "old_flavor", "new_flavor")


def save(
    session: Session,
    inst: Instance,
    *,
    expected_task_state: Any = _UNSET,
    expected_vm_state: Any = _UNSET,
    **changes: Any,
) -> Instance:
    """``update_instance`` for a caller that holds the server: no read back.

    ``changes`` may also set ``flavor``, ``old_flavor`` and ``new_flavor``.

    Returns:
        ``inst`` with the changes applied. Like Nova's ``Instance.save()``, what others
        changed meanwhile in fields this caller did not write is not picked up; the
        expected states guard the fields a move depends on.
    """
    flavors = {k: changes.pop(k) for k in _FLAVOR_FIELDS if k in changes}
    applied = set_fields(session, inst.uuid, expected_task_state=expected_task_state,
                         expected_vm_state=expected_vm_state, **changes)
    if flavors:
        flavors = {k: flavors.get(k, getattr(inst, k)) for k in _FLAVOR_FIELDS}
        set_flavors(session, inst.uuid, flavors["flavor"], flavors["old_flavor"],
                    flavors["new_flavor"])
    return dataclasses.replace(inst, **applied, **flavors)


def set_fields(
    session: Session,
    uuid: str,
    *,
    expected_task_state: Any = _UNSET,
    expected_vm_state: Any = _UNSET,
    **changes: Any,
) -> dict[str, Any]:
    """``update_instance`` without reading the server back (for steps that need no copy).

    Returns:
        The columns written (``updated_at`` included).

    Raises:
        UnexpectedTaskState: the task or vm state differs from what the caller expected.
        InstanceNotFound: no such live server.
    """
    expected = []
    key: list[Any] = []
    if expected_task_state is not _UNSET:
        states = _as_tuple(expected_task_state)
        expected.append(("task", states))
        key.append(("task", states))
    if expected_vm_state is not _UNSET:
        states = _as_tuple(expected_vm_state)
        expected.append(("vm", states))
        key.append(("vm", states))
    changes = {k: v for k, v in changes.items() if k in _COLUMNS}
    changes["updated_at"] = utcnow()
    stmt = _update_statement(tuple(key), tuple(sorted(changes)))
    result = session.execute(stmt, {"b_uuid": uuid, **{f"b_{k}": v for k, v in changes.items()}})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = get_by_uuid(session, uuid)
        raise exception.UnexpectedTaskState(
            expected=expected, actual=(current.vm_state, current.task_state))
    return changes


_UPDATES: dict[tuple[Any, ...], Any] = {}


def _update_statement(expected: tuple[Any, ...], columns: tuple[str, ...]) -> Any:
    """The UPDATE of ``columns`` guarded by ``expected`` states, built once per shape.

    NOTE: building an UPDATE and its cache key costs several times what running it does
    on SQLite, and a server goes through a handful of shapes only.
    """
    cache_key = (expected, columns)
    stmt = _UPDATES.get(cache_key)
    if stmt is None:
        t = _table(models.Instance)
        stmt = update(t).where(t.c.uuid == bindparam("b_uuid"), t.c.deleted == 0)
        for kind, states in expected:
            stmt = stmt.where(_in_or_null(t.c.task_state if kind == "task" else t.c.vm_state,
                                          states))
        stmt = stmt.values({c: bindparam(f"b_{c}") for c in columns})
        _UPDATES[cache_key] = stmt
    return stmt


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple | set | frozenset) else (value,)


def _in_or_null(column: Any, states: tuple[Any, ...]) -> Any:
    values = [s for s in states if s is not None]
    cond = column.in_(values) if values else None
    if None in states:
        return column.is_(None) if cond is None else or_(cond, column.is_(None))
    return cond


_EXTRA = _table(models.InstanceExtra)
_SET_FLAVORS = update(_EXTRA).where(_EXTRA.c.instance_uuid == bindparam("b_uuid")).values(
    flavor=bindparam("b_flavor"))
_SYSMETA = _table(models.InstanceSystemMetadata)
_DROP_SYSMETA = update(_SYSMETA).where(
    _SYSMETA.c.instance_uuid == bindparam("b_uuid"), _SYSMETA.c.key == bindparam("b_key"),
    _SYSMETA.c.deleted == 0).values(deleted=_SYSMETA.c.id, deleted_at=bindparam("b_now"))
_ADD_SYSMETA = insert(_SYSMETA)


def set_flavors(
    session: Session, uuid: str, cur: FlavorSpec | None, old: FlavorSpec | None,
    new: FlavorSpec | None,
) -> None:
    """Store the current, old and new flavor of a server."""
    session.execute(_SET_FLAVORS, {"b_uuid": uuid, "b_flavor": _flavors_json(cur, old, new)})


def set_system_metadata(session: Session, uuid: str, changes: dict[str, str | None], *,
                        current: Mapping[str, str] | None = None) -> None:
    """Set (or, for None, remove) internal keys of a server such as ``old_vm_state``.

    ``current``: the server's system metadata as read in this same transaction; a key
    absent from it has no live row, so none is soft-deleted for it.
    """
    now = utcnow()
    for key in changes:
        if current is None or key in current:
            session.execute(_DROP_SYSMETA, {"b_uuid": uuid, "b_key": key, "b_now": now})
    added = [{"instance_uuid": uuid, "key": key, "value": value}
             for key, value in changes.items() if value is not None]
    if added:
        session.execute(_ADD_SYSMETA, added)


# NOTE: pre-built on the table: an ORM-enabled UPDATE also pays for synchronizing the
# session, and every build and move runs this one.
_SET_NETWORK_INFO = update(_table(models.InstanceInfoCache)).where(
    _table(models.InstanceInfoCache).c.instance_uuid == bindparam("b_uuid")).values(
        network_info=bindparam("b_info"), updated_at=bindparam("b_now"))


def set_network_info(session: Session, uuid: str, network_info: list[dict[str, Any]]) -> None:
    """Replace the cached network info of a server."""
    session.execute(_SET_NETWORK_INFO, {"b_uuid": uuid, "b_info": json.dumps(network_info),
                                        "b_now": utcnow()})


def add_fault(session: Session, uuid: str, code: int, message: str, details: str,
              host: str | None) -> None:
    """Record why a server failed."""
    session.add(models.InstanceFault(instance_uuid=uuid, code=code, message=message[:255],
                                     details=details, host=host))


def soft_delete(session: Session, uuid: str) -> None:
    """Mark a server and its metadata deleted; history (actions, faults) stays readable."""
    now = utcnow()
    row = session.scalar(select(models.Instance).filter_by(uuid=uuid, deleted=0))
    if row is None:
        raise exception.InstanceNotFound(instance_id=uuid)
    row.deleted = row.id
    row.deleted_at = now
    row.terminated_at = row.terminated_at or now
    row.vm_state = "deleted"
    row.task_state = None
    row.power_state = 0
    for model in (models.InstanceMetadata, models.InstanceSystemMetadata,
                  models.InstanceExtra, models.InstanceInfoCache):
        session.execute(update(model).where(model.instance_uuid == uuid)
                        .values(deleted=model.id, deleted_at=now))


def uuids_on_hosts(session: Session, hosts: Iterable[str]) -> dict[str, set[str]]:
    """Host -> uuids of live servers on it."""
    m = models.Instance
    out: dict[str, set[str]] = {}
    for host, uuid in session.execute(
        select(m.host, m.uuid).where(m.host.in_(list(hosts)), m.deleted == 0)
    ):
        out.setdefault(host, set()).add(uuid)
    return out


def hosts_of(session: Session, uuids: Iterable[str]) -> dict[str, str | None]:
    """Uuid -> host of those of ``uuids`` that are live servers in this cell."""
    wanted = list(uuids)
    if not wanted:
        return {}
    m = models.Instance
    rows = session.execute(select(m.uuid, m.host).where(m.uuid.in_(wanted), m.deleted == 0))
    return {str(uuid): host for uuid, host in rows}
