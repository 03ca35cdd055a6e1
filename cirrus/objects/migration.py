"""Migrations in a cell database: the record of one resize or move of a server.

``transition`` and ``walk_to`` are the only functions that write ``status``. They check
the move against ``states.ALLOWED_MIGRATION_TRANSITIONS`` and make it with a
compare-and-swap on the status, so two services racing on one migration cannot both win.
"""

import dataclasses
import datetime
import functools
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.base import utcnow
from cirrus.db.cell import models
from cirrus.objects import states
from cirrus.objects.states import MigrationStatus

TYPE_RESIZE = "resize"


@dataclasses.dataclass(frozen=True)
class Migration:
    """A migration record as the services see it (a snapshot; change it through this module)."""

    id: int
    uuid: str
    instance_uuid: str | None
    source_compute: str | None
    dest_compute: str | None
    source_node: str | None
    dest_node: str | None
    dest_host: str | None
    """Address of the destination host, where the driver needs one."""
    old_instance_type_id: int | None
    new_instance_type_id: int | None
    status: MigrationStatus
    migration_type: str | None
    """``migration``, ``resize``, ``live-migration`` or ``evacuation``."""
    hidden: bool
    """True for a copy the API does not list (a cross-cell move keeps a record in each cell)."""
    cross_cell_move: bool
    user_id: str | None
    project_id: str | None
    memory_total: int | None
    memory_processed: int | None
    memory_remaining: int | None
    disk_total: int | None
    disk_processed: int | None
    disk_remaining: int | None
    disk_step: str | None
    """The step of the move the disk figures are of: copy, upload or download."""
    disk_rate: int | None
    """Bytes per second of that step so far."""
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    deleted: int

    @property
    def is_resize(self) -> bool:
        """Whether the flavor changes (as opposed to a move with the same flavor)."""
        return self.migration_type == TYPE_RESIZE


_COLUMNS = tuple(c.key for c in models.Migration.__table__.columns)
# Identity, audit and soft-delete columns are never changed by callers; status only through
# ``transition``.
_SETTABLE = frozenset(_COLUMNS) - {
    "id", "uuid", "instance_uuid", "status", "created_at", "updated_at", "deleted_at", "deleted",
}


def _from_row(row: Any) -> Migration:
    values = {k: row[k] for k in _COLUMNS}
    values["status"] = MigrationStatus(values["status"])
    return Migration(**values)


def _checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    if "status" in changes:
        raise ValueError("status changes only through migration.transition()")
    unknown = sorted(set(changes) - _SETTABLE)
    if unknown:
        raise ValueError(f"migration columns that cannot be set: {', '.join(unknown)}")
    return changes


def create(
    session: Session,
    *,
    instance_uuid: str,
    source_compute: str | None,
    source_node: str | None,
    dest_compute: str | None = None,
    dest_node: str | None = None,
    dest_host: str | None = None,
    old_instance_type_id: int | None,
    new_instance_type_id: int | None,
    migration_type: str,
    user_id: str | None,
    project_id: str | None,
    status: MigrationStatus = MigrationStatus.PRE_MIGRATING,
    cross_cell_move: bool = False,
    hidden: bool = False,
    uuid: str | None = None,
) -> Migration:
    """Insert a migration record for ``instance_uuid``.

    Returns:
        The new record; ``uuid`` is generated when not given.
    """
    row = models.Migration(
        uuid=uuid or str(uuidlib.uuid4()), instance_uuid=instance_uuid,
        source_compute=source_compute, source_node=source_node, dest_compute=dest_compute,
        dest_node=dest_node, dest_host=dest_host, old_instance_type_id=old_instance_type_id,
        new_instance_type_id=new_instance_type_id, migration_type=migration_type,
        user_id=user_id, project_id=project_id, status=MigrationStatus(status).value,
        cross_cell_move=cross_cell_move, hidden=hidden,
    )
    session.add(row)
    session.flush()
    # Every default is set in Python, so the flushed row is what a read would return.
    return _from_row({k: getattr(row, k) for k in _COLUMNS})


def _select_live() -> Any:
    m = models.Migration
    return sa.select(m.__table__).where(m.deleted == 0)


# NOTE: the reads and writes every move step makes are pre-built on the table: building a
# statement costs more than running it on SQLite, and one with ORM attributes in it also
# goes through the ORM's execution path.
_T: sa.Table = models.Migration.__table__  # type: ignore[assignment]
_LIVE = sa.select(_T).where(_T.c.deleted == 0)
_BY_ID = _LIVE.where(_T.c.id == sa.bindparam("b_id"))
_BY_UUID = _LIVE.where(_T.c.uuid == sa.bindparam("b_uuid"))
_BY_INSTANCE_AND_STATUS = _LIVE.where(
    _T.c.instance_uuid == sa.bindparam("b_instance"), _T.c.status == sa.bindparam("b_status"),
).order_by(_T.c.created_at.desc(), _T.c.id.desc()).limit(1)


def get_by_id(session: Session, migration_id: int) -> Migration:
    """The live migration ``migration_id``.

    Raises:
        MigrationNotFound: no such migration, or it was deleted.
    """
    row = session.execute(_BY_ID, {"b_id": migration_id}).mappings().first()
    if row is None:
        raise exception.MigrationNotFound(migration_id=migration_id)
    return _from_row(row)


def get_by_uuid(session: Session, uuid: str) -> Migration:
    """The live migration with ``uuid``.

    Raises:
        MigrationNotFound: no such migration, or it was deleted.
    """
    row = session.execute(_BY_UUID, {"b_uuid": uuid}).mappings().first()
    if row is None:
        raise exception.MigrationNotFound(migration_id=uuid)
    return _from_row(row)


def _newest_first(query: Any) -> Any:
    m = models.Migration
    return query.order_by(m.created_at.desc(), m.id.desc())


def get_by_instance_and_status(
    session: Session, instance_uuid: str, status: MigrationStatus,
) -> Migration:
    """The newest live migration of a server that is in ``status``.

    Raises:
        MigrationNotFoundByStatus: the server has no migration in that status.
    """
    row = session.execute(_BY_INSTANCE_AND_STATUS, {
        "b_instance": instance_uuid, "b_status": MigrationStatus(status).value,
    }).mappings().first()
    if row is None:
        raise exception.MigrationNotFoundByStatus(instance_id=instance_uuid, status=status)
    return _from_row(row)


def _after_marker(session: Session, query: Any, marker_uuid: str) -> Any:
    """Restrict ``query`` to rows that sort after the marker in newest-first order."""
    m = models.Migration
    marker = session.execute(
        sa.select(m.created_at, m.id).where(m.uuid == marker_uuid, m.deleted == 0)).first()
    if marker is None:
        raise exception.MigrationMarkerNotFound(marker=marker_uuid)
    return query.where(sa.or_(
        m.created_at < marker.created_at,
        sa.and_(m.created_at == marker.created_at, m.id < marker.id),
    ))


def _changed_between(query: Any, since: datetime.datetime | None,
                     before: datetime.datetime | None) -> Any:
    # A row never updated has updated_at NULL; its creation is then its last change.
    m = models.Migration
    changed = sa.func.coalesce(m.updated_at, m.created_at)
    if since is not None:
        query = query.where(changed >= since)
    if before is not None:
        query = query.where(changed <= before)
    return query


def get_all(
    session: Session,
    *,
    instance_uuid: str | None = None,
    status: MigrationStatus | None = None,
    host: str | None = None,
    source_compute: str | None = None,
    migration_type: str | None = None,
    hidden: bool | None = None,
    project_id: str | None = None,
    user_id: str | None = None,
    changes_since: datetime.datetime | None = None,
    changes_before: datetime.datetime | None = None,
    limit: int | None = None,
    marker_uuid: str | None = None,
) -> list[Migration]:
    """Live migrations matching every filter given, newest first (created_at, then id).

    Args:
        host: matches migrations whose source or destination compute is ``host``.
        hidden: None returns hidden and visible records alike.
        marker_uuid: return only the records after this one in the same order.

    Raises:
        MigrationMarkerNotFound: ``marker_uuid`` names no live migration.
    """
    m = models.Migration
    exact: dict[str, Any] = {
        "instance_uuid": instance_uuid,
        "status": None if status is None else MigrationStatus(status).value,
        "source_compute": source_compute, "migration_type": migration_type,
        "hidden": hidden, "project_id": project_id, "user_id": user_id,
    }
    query = _select_live()
    for key, value in exact.items():
        if value is not None:
            query = query.where(getattr(m, key) == value)
    if host is not None:
        query = query.where(sa.or_(m.source_compute == host, m.dest_compute == host))
    query = _changed_between(query, changes_since, changes_before)
    if marker_uuid is not None:
        query = _after_marker(session, query, marker_uuid)
    query = _newest_first(query)
    if limit is not None:
        query = query.limit(limit)
    return [_from_row(r) for r in session.execute(query).mappings()]


def transition(
    session: Session, migration_id: int, to: MigrationStatus, *,
    current: Migration | None = None, **other_changes: Any,
) -> Migration:
    """Move a migration to status ``to``, changing ``other_changes`` in the same UPDATE.

    The write is a compare-and-swap on the status read here (or on ``current``'s, when
    the caller just read it in this transaction). A lost race is reported, not
    retried: the caller decides whether the move still makes sense from the new status.

    Returns:
        The migration as it is now.

    Raises:
        ValueError: ``other_changes`` names ``status`` or a column that cannot be set.
        MigrationNotFound: no such live migration.
        InvalidMigrationTransition: the state table does not allow the move.
        ConcurrentUpdate: the status changed between the read and the write.
    """
    changes = _checked_changes(other_changes)
    if current is None:
        current = get_by_id(session, migration_id)
    to = MigrationStatus(to)
    # The row cannot change after the swap inside this transaction, so no re-read.
    now = _swap(session, migration_id, current.status, to, changes)
    return dataclasses.replace(current, status=to, updated_at=now, **changes)


def _swap(session: Session, migration_id: int, current: MigrationStatus,
          to: MigrationStatus, changes: dict[str, Any]) -> datetime.datetime:
    """The compare-and-swap write of one allowed transition from ``current``.

    Returns:
        The ``updated_at`` written.
    """
    try:
        states.check_transition(current, to)
    except ValueError:
        raise exception.InvalidMigrationTransition(
            id=migration_id, old=current, new=to) from None
    now = utcnow()
    params = {f"b_{k}": v for k, v in changes.items()}
    result = session.execute(_swap_statement(tuple(sorted(changes))), {
        "b_id": migration_id, "b_from": current.value, "b_status": to.value,
        "b_updated_at": now, **params})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise exception.ConcurrentUpdate(what=f"migration {migration_id}")
    return now


@functools.cache
def _swap_statement(columns: tuple[str, ...]) -> Any:
    """The compare-and-swap UPDATE that also sets ``columns`` (a handful of shapes)."""
    return sa.update(_T).where(
        _T.c.id == sa.bindparam("b_id"), _T.c.status == sa.bindparam("b_from"),
        _T.c.deleted == 0,
    ).values({c: sa.bindparam(f"b_{c}") for c in ("status", "updated_at", *columns)})


@functools.cache
def _leading_to(to: MigrationStatus) -> tuple[str, ...]:
    """The statuses from which allowed transitions lead to ``to`` (``to`` left out)."""
    return tuple(st.value for st in MigrationStatus
                 if st != to and states.transition_path(st, to) is not None)


def _get(session: Session, key: int | str) -> Migration:
    return get_by_uuid(session, key) if isinstance(key, str) else get_by_id(session, key)


@functools.cache
def _write_statement(by_uuid: bool, leading_to: MigrationStatus | None,
                     columns: tuple[str, ...], returning: bool) -> Any:
    """UPDATE of one live migration by uuid or id, setting ``columns``; with
    ``leading_to``, only where its status is one the transition table leads from to that
    status."""
    key = _T.c.uuid if by_uuid else _T.c.id
    stmt = sa.update(_T).where(key == sa.bindparam("b_key"), _T.c.deleted == 0)
    if leading_to is not None:
        stmt = stmt.where(_T.c.status.in_(_leading_to(leading_to)))
    stmt = stmt.values({c: sa.bindparam(f"b_{c}") for c in columns})
    return stmt.returning(*_T.columns) if returning else stmt


def _write(session: Session, key: int | str, leading_to: MigrationStatus | None,
           values: dict[str, Any]) -> Migration | None:
    """One UPDATE of a live migration (see ``_write_statement``); the row as written, or
    None when no row matched. The row comes back with the UPDATE where the database can
    return it, else it is read again in the same transaction."""
    returning = bool(session.get_bind().dialect.update_returning)
    stmt = _write_statement(isinstance(key, str), leading_to, tuple(sorted(values)), returning)
    params = {"b_key": key, **{f"b_{c}": v for c, v in values.items()}}
    if returning:
        row = session.execute(stmt, params).mappings().first()
        return None if row is None else _from_row(row)
    if session.execute(stmt, params).rowcount != 1:  # type: ignore[attr-defined]
        return None
    return _get(session, key)


def walk_to(session: Session, migration: int | str, to: MigrationStatus) -> Migration:
    """Move a migration (by id or uuid) to ``to`` along allowed transitions.

    Used where one cell's copy of a migration catches up with the other cell's copy
    (a cross-cell move). One conditional UPDATE: the status is only written from a
    status the transition table leads from to ``to``, so no hop outside the table is
    ever made, and no other transaction sees the statuses in between.

    Raises:
        MigrationNotFound: no such live migration.
        InvalidMigrationTransition: the state table has no path to ``to``.
        ConcurrentUpdate: the status changed between the write and the check after it.
    """
    to = MigrationStatus(to)
    written = _write(session, migration, to, {"status": to.value, "updated_at": utcnow()})
    if written is not None:
        return written
    current = _get(session, migration)
    if current.status == to:
        return current
    if states.transition_path(current.status, to) is None:
        raise exception.InvalidMigrationTransition(id=current.id, old=current.status, new=to)
    raise exception.ConcurrentUpdate(what=f"migration {current.id}")


def update(session: Session, migration: int | str, **changes: Any) -> Migration:
    """Change columns of a migration (by id or uuid) other than ``status`` (hosts, nodes,
    progress).

    Returns:
        The migration as it is now.

    Raises:
        ValueError: ``changes`` names ``status`` (use ``transition``) or a column that
            cannot be set.
        MigrationNotFound: no such live migration.
    """
    values = _checked_changes(changes)
    written = _write(session, migration, None, {"updated_at": utcnow(), **values})
    if written is None:
        raise exception.MigrationNotFound(migration_id=migration)
    return written
